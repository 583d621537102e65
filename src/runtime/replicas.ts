// Streaming replicas behind one db handle: a pool per replica, a monitor that samples each replica's replay
// position (and the primary's insert position, to turn it into seconds of lag) every `replicaCheckIntervalMs`,
// and the routing of reads that may use a replica. A read goes to a replica only when that replica is up, within
// `replicaMaxLagMs`, and has replayed the caller's own last write (read-your-writes); otherwise the primary
// serves it, and the fallback is counted. Writes and transactions never come here: the replica layer
// (./layers/replicas.ts) sends only proven reads, and each replica's reads go through its own executor and
// observation layer, so they are timed and observed like the primary's, under the replica's pool name.
import type { Meter } from '@opentelemetry/api';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Rows, Statement } from './contract.js';
import { PoolTimeoutError, UnavailableError, sqlStateOf } from './errors.js';
import { createExecutor } from './executor.js';
import type { Step } from './layers/layer.js';
import { observationLayer } from './layers/observation.js';
import { parseLsn } from './lsn.js';
import { createMetrics } from './metrics.js';
import { createObserver } from './observe.js';
import type { PoolStats, ReplicaConfig, ResolvedOptions } from './options.js';
import { createPool, poolCloser, poolStats, UNWATCHED, type PoolCloser } from './pool.js';
import { preparedMode } from './prepared.js';
import type { WritePositions } from './read-your-writes.js';
import { consistencyKey } from './scope.js';
import { settlesWithin } from './settle.js';

/**
 * A replica's last sampled state. `unknown` until the first check answers; `up` carries the replay position, so
 * read-your-writes can compare it with the caller's last write, and the lag that decides whether it serves reads.
 *
 * @example
 * ```ts
 * import type { ReplicaHealth } from 'sqlbound';
 *
 * const describe = (health: ReplicaHealth) =>
 *   health.kind === 'up' ? `lag ${health.lagSeconds.toFixed(1)} s` : health.kind === 'down' ? `down: ${health.reason}` : 'not checked yet';
 * ```
 */
export type ReplicaHealth = { kind: 'unknown' } | { kind: 'up'; replayLsn: bigint; lagSeconds: number } | { kind: 'down'; reason: string };

/**
 * One replica as `db.replicaStatus()` reports it: for a health endpoint or a dashboard, since a down or lagging
 * replica does not fail reads (the primary serves them) and would otherwise go unnoticed.
 *
 * @example
 * ```ts
 * import { createDb, type ReplicaStatus } from 'sqlbound';
 *
 * const db = createDb({ connectionString: process.env.DATABASE_URL!, replicas: [{ connectionString: process.env.REPLICA_URL! }] });
 * const down: ReplicaStatus[] = db.replicaStatus().filter((replica) => replica.health.kind === 'down');
 * ```
 */
export type ReplicaStatus = { name: string; health: ReplicaHealth; pool: PoolStats };

/**
 * Why a read that could have used a replica went to the primary: the `reason` attribute of the
 * `sqlbound.replica.fallbacks` counter, so a rising count says which of replica health, lag or read-your-writes
 * is sending load back to the primary.
 *
 * @example
 * ```ts
 * import type { FallbackReason } from 'sqlbound';
 *
 * const alerting: readonly FallbackReason[] = ['down', 'error']; // 'lag' and 'read_your_writes' are expected under load
 * ```
 */
export type FallbackReason = 'down' | 'lag' | 'read_your_writes' | 'error';

export type ReplicaSet = {
  /** Runs a read on a fit replica, or on the primary through `primary` (the next step of the db's chain). */
  read<Row>(statement: Statement, values: readonly unknown[], primary: Step): Promise<Rows<Row>>;
  status(): ReplicaStatus[];
  /** Samples every replica now (tests, and the first check at start). */
  check(): Promise<void>;
  close(timeoutMs: number): Promise<void>;
};

type Member = {
  name: string;
  pool: pg.Pool;
  probe: pg.Pool;
  /** Its executor under its own observation layer: its reads are timed and counted under its pool's name. */
  step: Step;
  closePool: PoolCloser;
  closeMetrics: () => void;
  health: ReplicaHealth;
};

export type ReplicaSetOptions = {
  replicas: readonly ReplicaConfig[];
  options: ResolvedOptions;
  logger: Logger;
  meter: Meter;
  /** The primary's pool, for its WAL insert position (one cheap statement; works through PgBouncer). */
  primary: pg.Pool;
  /** The callers' last write positions (recorded by the read-your-writes layer; local, shared and per request). */
  positions: WritePositions;
};

const PROBE = 'SELECT pg_is_in_recovery() AS recovery, pg_last_wal_replay_lsn()::text AS replay';
const PRIMARY_LSN = 'SELECT pg_current_wal_insert_lsn()::text AS lsn';

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Errors after which the primary serves the read instead: the replica is gone, busy, or refused it. */
function isReplicaFailure(error: unknown): 'down' | 'refused' | null {
  if (error instanceof UnavailableError || error instanceof PoolTimeoutError) return 'down';
  const sqlState = sqlStateOf(Reflect.get(error as object, 'cause')) ?? (error as { sqlState?: string }).sqlState;
  // 25006: the statement wrote after all (a volatile function); 40001: cancelled by a conflict with recovery.
  return sqlState === '25006' || sqlState === '40001' ? 'refused' : null;
}

export function createReplicaSet(setOptions: ReplicaSetOptions): ReplicaSet {
  const { options, logger, meter, primary, positions } = setOptions;
  const maxLagSeconds = options.replicaMaxLagMs / 1000;
  const members: Member[] = setOptions.replicas.map((config, index) => {
    const name = config.name ?? `replica${index + 1}`;
    const resolved = {
      ...options,
      connectionString: config.connectionString,
      max: config.max ?? options.max,
      applicationName: options.applicationName,
    };
    const pool = createPool(resolved, logger);
    const stats = () => poolStats(pool, resolved.max);
    const metrics = createMetrics(meter, name, stats);
    const probe = new pg.Pool({
      connectionString: config.connectionString,
      max: 1,
      connectionTimeoutMillis: Math.max(500, options.replicaCheckIntervalMs),
      idleTimeoutMillis: 0,
      application_name: `${options.applicationName}:monitor`,
    });
    probe.on('error', () => undefined);
    return {
      name,
      pool,
      probe,
      step: observationLayer(
        createExecutor(pool, UNWATCHED, preparedMode(options.preparedStatements, logger)),
        createObserver(options, logger, metrics, stats),
      ),
      closePool: poolCloser(pool, config.connectionString, logger),
      closeMetrics: () => metrics.close(),
      health: { kind: 'unknown' },
    };
  });
  const poolAttribute = (name: string) => ({ 'db.system.name': 'postgresql', 'db.client.connection.pool.name': name });
  const reads = meter.createCounter('sqlbound.replica.reads', {
    description: 'Reads that could use a replica, by the pool that served them (target primary or replica).',
    unit: '{read}',
  });
  const fallbacks = meter.createCounter('sqlbound.replica.fallbacks', {
    description: 'Reads that could use a replica but went to the primary, by reason (down, lag, read_your_writes, error).',
    unit: '{read}',
  });
  const lag = meter.createObservableGauge('sqlbound.replica.lag', {
    description: 'How far each replica is behind the primary (replayed WAL against the primary, sampled).',
    unit: 's',
  });
  const observeLag = (result: { observe: (value: number, attributes: Record<string, string>) => void }) => {
    for (const member of members) {
      if (member.health.kind === 'up') result.observe(member.health.lagSeconds, poolAttribute(member.name));
    }
  };
  lag.addCallback(observeLag);
  const primaryAttributes = { ...poolAttribute(options.applicationName), target: 'primary' };

  // The primary's insert position over time: a replica whose replay position is below a sample taken at T is
  // at least (now - T) behind. Kept a little longer than the lag bound, so a lag over the bound is seen as such.
  const samples: { at: number; lsn: bigint }[] = [];
  const keepMs = options.replicaMaxLagMs * 2 + options.replicaCheckIntervalMs * 3;
  const lagOf = (replay: bigint, now: number): number => {
    const first = samples.find((sample) => sample.lsn > replay);
    return first === undefined ? 0 : (now - first.at) / 1000;
  };

  const setHealth = (member: Member, health: ReplicaHealth) => {
    const before = member.health;
    member.health = health;
    const wasFit = before.kind === 'up' && before.lagSeconds <= maxLagSeconds;
    const isFit = health.kind === 'up' && health.lagSeconds <= maxLagSeconds;
    if (health.kind === 'down' && before.kind !== 'down') {
      logger.warn({ replica: member.name, reason: health.reason }, `replica ${member.name} is down: its reads go to the primary`);
    } else if (health.kind === 'up' && !isFit && (wasFit || before.kind !== 'up')) {
      logger.warn(
        { replica: member.name, lagSeconds: health.lagSeconds, maxLagSeconds },
        `replica ${member.name} lags ${health.lagSeconds.toFixed(1)} s, over the ${maxLagSeconds} s bound: its reads go to the primary`,
      );
    } else if (isFit && !wasFit && before.kind !== 'unknown') {
      logger.info({ replica: member.name, lagSeconds: health.lagSeconds }, `replica ${member.name} serves reads again`);
    }
  };

  const probeOne = async (member: Member, now: number) => {
    try {
      const { rows } = await withTimeout(
        member.probe.query<{ recovery: boolean; replay: string | null }>(PROBE),
        options.replicaCheckIntervalMs * 2 + 500,
        'probe',
      );
      const row = rows[0];
      if (row === undefined || !row.recovery || row.replay === null) {
        // A promoted replica no longer follows this primary: reading from it could miss every write.
        setHealth(member, { kind: 'down', reason: 'not in recovery (promoted, or not a replica)' });
        return;
      }
      const replayLsn = parseLsn(row.replay);
      setHealth(member, { kind: 'up', replayLsn, lagSeconds: lagOf(replayLsn, now) });
    } catch (error) {
      setHealth(member, { kind: 'down', reason: error instanceof Error ? error.message : String(error) });
    }
  };

  let checking: Promise<void> | null = null;
  const check = () => {
    checking ??= (async () => {
      const now = Date.now();
      try {
        const { rows } = await withTimeout(
          primary.query<{ lsn: string }>(PRIMARY_LSN),
          options.replicaCheckIntervalMs * 2 + 500,
          'primary',
        );
        const lsn = rows[0]?.lsn;
        if (lsn !== undefined) samples.push({ at: now, lsn: parseLsn(lsn) });
      } catch {
        // The primary's own failures surface on its calls; the replicas' lag is judged on older samples.
      }
      while (samples.length > 1 && (samples[0]?.at ?? now) < now - keepMs) samples.shift();
      await Promise.all(members.map((member) => probeOne(member, now)));
    })().finally(() => {
      checking = null;
    });
    return checking;
  };
  const timer = setInterval(() => void check(), options.replicaCheckIntervalMs);
  timer.unref();
  void check();

  let next = 0;
  const fallBack = <Row>(reason: FallbackReason, primaryStep: Step, statement: Statement, values: readonly unknown[]) => {
    fallbacks.add(1, { 'db.system.name': 'postgresql', reason });
    reads.add(1, primaryAttributes);
    return primaryStep<Row>(statement, values);
  };

  return {
    async read<Row>(statement: Statement, values: readonly unknown[], primaryStep: Step) {
      const up = members.filter((member) => member.health.kind === 'up');
      const current = up.filter((member) => member.health.kind === 'up' && member.health.lagSeconds <= maxLagSeconds);
      // Asked only when a replica could serve: the shared store costs a round trip.
      const required = current.length === 0 ? null : await positions.required(consistencyKey());
      const caughtUp = current.filter(
        (member) => required === null || (member.health.kind === 'up' && member.health.replayLsn >= required),
      );
      if (caughtUp.length === 0) {
        return fallBack<Row>(up.length === 0 ? 'down' : current.length === 0 ? 'lag' : 'read_your_writes', primaryStep, statement, values);
      }
      const member = caughtUp[next++ % caughtUp.length] as Member;
      try {
        const result = await member.step<Row>(statement, values);
        reads.add(1, { ...poolAttribute(member.name), target: 'replica' });
        return result;
      } catch (error) {
        const failure = isReplicaFailure(error);
        if (failure === null) throw error;
        if (failure === 'down') setHealth(member, { kind: 'down', reason: error instanceof Error ? error.message : String(error) });
        else
          logger.warn(
            { replica: member.name, query: statement.name, err: (error as Error).message },
            `replica ${member.name} refused a read: the primary serves it`,
          );
        return fallBack<Row>('error', primaryStep, statement, values);
      }
    },
    status: () =>
      members.map((member) => ({ name: member.name, health: member.health, pool: poolStats(member.pool, member.pool.options.max) })),
    check,
    async close(timeoutMs) {
      clearInterval(timer);
      lag.removeCallback(observeLag);
      await settlesWithin(checking ?? Promise.resolve(), 1000);
      await Promise.all(
        members.map(async (member) => {
          member.closeMetrics();
          await Promise.all([member.closePool(timeoutMs), settlesWithin(member.probe.end(), 1000)]);
        }),
      );
    },
  };
}
