// createDb(): one pg.Pool, and everything that queries through it (generated functions, Kysely, transactions)
// timed, logged, measured and typed the same way. Here the layers of db.execute are composed, once, over the one
// executor: cache → invalidation → read-your-writes → replicas → observation → executor (./layers/).
import { metrics as otelMetrics } from '@opentelemetry/api';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import { createQueryCache, noteUncachedStatement, type QueryCache } from './cache.js';
import type { Queryable, Statement } from './contract.js';
import { createExecutor, type Acquire } from './executor.js';
import { createKysely, type EmptyDatabase, type OnKyselyWrites } from './kysely.js';
import { createReadTables, invalidateKyselyWrites } from './kysely-invalidation.js';
import { cacheLayer } from './layers/cache.js';
import { invalidationLayer } from './layers/invalidation.js';
import { compose, type Layer } from './layers/layer.js';
import { failure, observationLayer } from './layers/observation.js';
import { readYourWritesLayer } from './layers/read-your-writes.js';
import { replicaLayer } from './layers/replicas.js';
import { createMetrics } from './metrics.js';
import { createObserver } from './observe.js';
import { resolveOptions, type DbOptions, type PoolPeaks, type PoolStats, type ResolvedOptions } from './options.js';
import { createPool, poolCloser, poolStats, trackPoolPeaks } from './pool.js';
import { preparedMode } from './prepared.js';
import { parseHosts, writableHostResolver } from './writable-host.js';
import { failoverLayer } from './layers/failover.js';
import { createReadYourWrites, createWritePositions, writePositionRecorder } from './read-your-writes.js';
import { createReplicaSet, type ReplicaSet, type ReplicaStatus } from './replicas.js';
import { createSlowQueryLog, type SlowQueryEntry } from './slow-log.js';
import { stream } from './stream.js';
import { transaction, type Transaction, type TransactionOptions } from './transaction.js';
import { assertGeneratedCodeSupported } from './generated-code.js';

/**
 * The handle createDb returns. Generated functions take it (or a `Transaction`) first; `kysely` is for the
 * queries codegen does not cover, and goes through the same pool, timing and error mapping.
 *
 * @example
 * ```ts
 * import { createDb, type Db } from 'sqlbound';
 * import type { DB } from './generated/db.js';
 *
 * const db: Db<DB> = createDb<DB>({ connectionString: process.env.DATABASE_URL });
 * const user = await db.kysely.selectFrom('users').select(['id', 'email']).where('id', '=', '1').executeTakeFirst();
 * console.log(db.poolStats()); // { total, idle, waiting, max }
 * await db.close();
 * ```
 */
export interface Db<DB = EmptyDatabase> extends Queryable {
  readonly inTransaction: false;
  /** Kysely over the same pool: its queries are timed, logged, measured and typed like generated ones. */
  readonly kysely: Kysely<DB>;
  transaction<T>(fn: (tx: Transaction<DB>) => Promise<T>, options?: TransactionOptions): Promise<T>;
  poolStats(): PoolStats;
  /** The most connections in use and callers waiting at once since createDb. */
  poolPeaks(): PoolPeaks;
  /**
   * The latest calls at or above `slowQueryWarnMs`, newest first (at most `slowQueryLogSize`), without parameter
   * values: what a performance page shows as the slow-query log (`warn`) and alerts (`error`).
   */
  recentSlowQueries(): SlowQueryEntry[];
  /** Each replica's health (up with its lag, down with the reason) and pool; empty without replicas. */
  replicaStatus(): ReplicaStatus[];
  /** The settings in effect after defaults and environment overrides (logger and meter omitted). */
  readonly settings: Readonly<Omit<ResolvedOptions, 'logger' | 'meter' | 'onSlowQuery' | 'cursorSecret' | 'connectionString'>>;
  /** The result cache of `-- cache:` queries, or null when disabled. */
  readonly cache: QueryCache | null;
  /**
   * Ends the pool. Waits for running statements at most `timeoutMs` (default 5000), then cancels them and closes
   * their connections, so a statement blocked on a lock cannot hold a shutdown until statement_timeout.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

function isQueryCache(value: unknown): value is QueryCache {
  return typeof value === 'object' && value !== null && 'read' in value && 'invalidate' in value;
}

/**
 * Opens one pg.Pool and wraps it, so every statement that runs through it (generated functions, `db.kysely`,
 * transactions, streams) is timed, logged, measured, cached and turned into typed errors the same way. The pool
 * connects lazily: a wrong URL surfaces on the first query, as an `UnavailableError`. Options are validated here
 * (an `InvalidOptionsError` names the option); only `connectionString` is required. Pass `DB`, the interface
 * kysely-codegen wrote to generated/db.ts, to type `db.kysely`.
 *
 * @example
 * ```ts
 * import { createDb, optionsFromEnv } from 'sqlbound';
 * import type { DB } from './generated/db.js';
 * import { listAlerts } from './generated/index.js';
 *
 * const db = createDb<DB>({ ...optionsFromEnv(), max: 10, statementTimeoutMs: 5000 });
 * const page = await listAlerts(db, { userId: '1', severity: null, limit: 50, cursor: null });
 * await db.close();
 * ```
 */
export function createDb<DB = EmptyDatabase>(options: DbOptions = {}): Db<DB> {
  assertGeneratedCodeSupported();
  const resolved = resolveOptions(options, { meterProvider: otelMetrics.getMeterProvider() });
  const logger = resolved.logger;
  // Several hosts in the URL: connections go to the writable one, found as libpq's target_session_attrs=read-write.
  const multiHost = parseHosts(resolved.connectionString);
  const failover =
    multiHost === null || multiHost.hosts[0] === undefined
      ? undefined
      : {
          url: multiHost.urlFor(multiHost.hosts[0]),
          resolver: writableHostResolver(multiHost.hosts, multiHost.urlFor, {
            connectTimeoutMs: resolved.connectionTimeoutMillis,
            applicationName: resolved.applicationName,
            logger,
            failureLogIntervalMs: resolved.failureLogIntervalMs,
          }),
        };
  const pool: pg.Pool = createPool(resolved, logger, failover);
  const closePool = poolCloser(pool, failover?.url ?? resolved.connectionString, logger);
  const stats = () => poolStats(pool, resolved.max);
  const peaks = trackPoolPeaks(pool, resolved.max);
  const metrics = createMetrics(resolved.meter, resolved.applicationName, stats);
  const slowLog = createSlowQueryLog(resolved.slowQueryLogSize);
  const observe = createObserver(resolved, logger, metrics, stats, slowLog);
  const executor = createExecutor(pool, peaks, preparedMode(resolved.preparedStatements, logger));
  // Kysely, streams and transactions check out a connection: what they send is not covered by the result cache.
  const acquire: Acquire = (queryName, values) => {
    noteUncachedStatement();
    // A failed checkout is observed (metrics, the failure log) and rejects with its typed error.
    return executor.lease((sent) => failure(observe, queryName, values, sent));
  };
  const cacheOption = options.cache ?? {};
  const cache: QueryCache | null =
    cacheOption === false
      ? null
      : isQueryCache(cacheOption)
        ? cacheOption
        : createQueryCache({ logger, meter: resolved.meter, ...cacheOption });
  // With replicas, the callers' last write positions: recorded after writes, consulted by replica reads.
  // With a shared store (options.writePositions) every instance sees them; the request scope carries them to the client.
  const positions =
    options.replicas === undefined || options.replicas.length === 0
      ? null
      : createWritePositions(
          createReadYourWrites(resolved.readYourWritesMs),
          options.writePositions ?? null,
          resolved.readYourWritesMs,
          logger,
          resolved.failureLogIntervalMs,
        );
  const replicas: ReplicaSet | null =
    options.replicas === undefined || positions === null
      ? null
      : createReplicaSet({ replicas: options.replicas, options: resolved, logger, meter: resolved.meter, primary: pool, positions });
  // After a write (a statement, a transaction, a Kysely write or COMMIT), the writer's replica reads wait for it.
  const afterWrite = positions === null ? null : writePositionRecorder(pool, positions, logger);
  // Kysely's writes drop the cached reads of the tables they write, as generated writes do (after COMMIT in a
  // transaction); raw SQL that may write tables it does not name drops every cached read.
  const readTables = createReadTables();
  const onKyselyWrites: OnKyselyWrites | undefined =
    cache === null ? undefined : (writes, queryName) => invalidateKyselyWrites(cache, readTables, writes, queryName);
  const kysely = createKysely<DB>(acquire, observe, afterWrite ?? undefined, onKyselyWrites);
  // Outermost first. The cache answers a hit before anything else runs (no replica choice, no statement); a
  // write's tags are dropped once it has run and its WAL position is recorded; only then does routing pick a
  // replica or the primary; observation wraps the executor itself, so every statement on any pool is timed once.
  // A layer the configuration does not need (no cache, no replicas) is left out, not skipped per call.
  const layers: Layer[] = [
    cacheLayer(cache, readTables),
    ...(cache === null ? [] : [invalidationLayer(cache)]),
    ...(replicas === null || afterWrite === null ? [] : [readYourWritesLayer(afterWrite), replicaLayer(replicas)]),
    ...(failover === undefined ? [] : [failoverLayer(failover.resolver)]),
  ];
  const execute = compose(layers, observationLayer(executor, observe));
  const runtime = { acquire, executor, observe, options: resolved, cache, onKyselyWrites };
  const { logger: _logger, meter: _meter, onSlowQuery: _hook, cursorSecret, connectionString: _url, ...settings } = resolved;
  let closing: Promise<void> | null = null;
  return {
    inTransaction: false,
    cursorSecret,
    kysely,
    settings,
    cache,
    execute,
    stream<Row>(statement: Statement, values: readonly unknown[], batchSize: number): AsyncIterable<Row[]> {
      return stream<Row>(acquire, observe, resolved.connectionTimeoutMillis, statement, values, batchSize);
    },
    async transaction(fn, transactionOptions) {
      const result = await transaction(runtime, fn, transactionOptions);
      if (afterWrite !== null && transactionOptions?.readOnly !== true) await afterWrite();
      return result;
    },
    poolStats: stats,
    poolPeaks: () => peaks.peaks(),
    recentSlowQueries: () => slowLog.recent(),
    replicaStatus: () => replicas?.status() ?? [],
    close(closeOptions) {
      closing ??= (async () => {
        metrics.close();
        await cache?.close();
        // Kysely's destroy() ends the driver, not the pool: the pool is ours and is closed, bounded, below.
        await kysely.destroy();
        await Promise.all([
          closePool(closeOptions?.timeoutMs ?? 5000),
          replicas?.close(closeOptions?.timeoutMs ?? 5000),
          options.writePositions?.close?.(),
        ]);
      })();
      return closing;
    },
  };
}
