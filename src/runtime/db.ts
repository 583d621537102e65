// createDb(): one pg.Pool, and everything that queries through it (generated functions, Kysely, transactions)
// timed, logged, measured and typed the same way.
import { metrics as otelMetrics } from '@opentelemetry/api';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import { createQueryCache, noteUncachedStatement, type QueryCache } from './cache.js';
import type { CallOptions, Queryable, Rows, Statement } from './contract.js';
import { executeOnPool } from './execute.js';
import { createKysely, type EmptyDatabase } from './kysely.js';
import { poolAcquirer } from './lease.js';
import { createMetrics } from './metrics.js';
import { createObserver } from './observe.js';
import { resolveOptions, type DbOptions, type PoolPeaks, type PoolStats, type ResolvedOptions } from './options.js';
import { createPool, poolCloser, poolStats, trackPoolPeaks } from './pool.js';
import { preparedMode } from './prepared.js';
import { createReplicaSet, type ReplicaSet, type ReplicaStatus } from './replicas.js';
import { createSlowQueryLog, type SlowQueryEntry } from './slow-log.js';
import { stream } from './stream.js';
import { transaction, type Transaction, type TransactionOptions } from './transaction.js';

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
  const resolved = resolveOptions(options, { meterProvider: otelMetrics.getMeterProvider() });
  const logger = resolved.logger;
  const pool: pg.Pool = createPool(resolved, logger);
  const closePool = poolCloser(pool, resolved.connectionString, logger);
  const stats = () => poolStats(pool, resolved.max);
  const peaks = trackPoolPeaks(pool, resolved.max);
  const metrics = createMetrics(resolved.meter, resolved.applicationName, stats);
  const slowLog = createSlowQueryLog(resolved.slowQueryLogSize);
  const observe = createObserver(resolved, logger, metrics, stats, slowLog);
  const pooled = poolAcquirer(pool, observe, peaks);
  // Kysely, streams and transactions check out a connection: what they send is not covered by the result cache.
  const acquire: typeof pooled = (...args) => {
    noteUncachedStatement();
    return pooled(...args);
  };
  // Set below, once the replica set exists: Kysely writes must hold the writer's replica reads back too.
  let afterKyselyWrite: (() => Promise<void>) | undefined;
  const kysely = createKysely<DB>(acquire, observe, () => afterKyselyWrite?.() ?? Promise.resolve());
  const cacheOption = options.cache ?? {};
  const cache: QueryCache | null =
    cacheOption === false
      ? null
      : isQueryCache(cacheOption)
        ? cacheOption
        : createQueryCache({ logger, meter: resolved.meter, ...cacheOption });
  const prepared = preparedMode(resolved.preparedStatements, logger);
  const runtime = { acquire, observe, options: resolved, cache, prepared };
  const onPrimary = <Row>(statement: Statement, values: readonly unknown[]) =>
    executeOnPool<Row>(pool, peaks, observe, prepared, statement, values);
  const replicas: ReplicaSet | null =
    options.replicas === undefined || options.replicas.length === 0
      ? null
      : createReplicaSet({ replicas: options.replicas, options: resolved, logger, meter: resolved.meter, primary: pool });
  if (replicas !== null) afterKyselyWrite = () => replicas.afterWrite();
  // A read goes to a replica only when codegen proved it read-only and the query or the call opts in.
  const routed = (statement: Statement, callOptions: CallOptions | undefined) =>
    replicas !== null && statement.readOnly === true && (callOptions?.replica ?? statement.replica === true);
  const run = async <Row>(statement: Statement, values: readonly unknown[], callOptions: CallOptions | undefined) => {
    if (replicas === null) return onPrimary<Row>(statement, values);
    if (routed(statement, callOptions)) return replicas.read<Row>(statement, values, () => onPrimary<Row>(statement, values));
    const result = await onPrimary<Row>(statement, values);
    if (statement.readOnly !== true) await replicas.afterWrite();
    return result;
  };
  const { logger: _logger, meter: _meter, onSlowQuery: _hook, cursorSecret, connectionString: _url, ...settings } = resolved;
  let closing: Promise<void> | null = null;
  return {
    inTransaction: false,
    cursorSecret,
    kysely,
    settings,
    cache,
    async execute<Row>(statement: Statement, values: readonly unknown[], callOptions?: CallOptions): Promise<Rows<Row>> {
      const { cache: policy, effect } = statement;
      if (cache !== null && policy !== undefined && callOptions?.bypassCache !== true) {
        // A result that fills the cache comes from the primary: a lagging replica must not store, for every
        // instance, a result that a write has just invalidated.
        return cache.read(statement.name, policy, values, () => run<Row>(statement, values, { ...callOptions, replica: false }));
      }
      noteUncachedStatement();
      const result = await run<Row>(statement, values, callOptions);
      if (cache !== null && effect !== undefined) await cache.invalidate(statement.name, effect, values);
      return result;
    },
    stream<Row>(statement: Statement, values: readonly unknown[], batchSize: number): AsyncIterable<Row[]> {
      return stream<Row>(acquire, observe, resolved.connectionTimeoutMillis, statement, values, batchSize);
    },
    async transaction(fn, transactionOptions) {
      const result = await transaction(runtime, fn, transactionOptions);
      if (replicas !== null && transactionOptions?.readOnly !== true) await replicas.afterWrite();
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
        await Promise.all([closePool(closeOptions?.timeoutMs ?? 5000), replicas?.close(closeOptions?.timeoutMs ?? 5000)]);
      })();
      return closing;
    },
  };
}
