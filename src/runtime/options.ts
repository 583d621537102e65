// createDb's options: every setting has a documented default (docs/runtime.md). The runtime reads no environment
// variable; optionsFromEnv() (env.ts) turns SQLBOUND_* variables into these options, when the caller asks.
import { randomBytes } from 'node:crypto';
import type { Meter, MeterProvider } from '@opentelemetry/api';
import { pino, type Logger } from 'pino';
import type { QueryCache, QueryCacheOptions } from './cache.js';
import type { WritePositionStore } from './read-your-writes.js';

/**
 * A streaming replica of the primary: reads only. Only generated reads proven read-only are routed to it, so a
 * replica URL can never receive a write.
 *
 * @example
 * ```ts
 * import { createDb, type ReplicaConfig } from 'sqlbound';
 *
 * const replicas: ReplicaConfig[] = [{ connectionString: process.env.REPLICA_URL!, name: 'replica1', max: 10 }];
 * const db = createDb({ connectionString: process.env.DATABASE_URL!, replicas });
 * ```
 */
export type ReplicaConfig = {
  connectionString: string;
  /** Its pool's name in metrics and logs (`db.client.connection.pool.name`). Default `replica<n>`. */
  name?: string;
  /** Its pool size. Default the primary's `max`. */
  max?: number;
};

/**
 * What the slow-query hook receives; parameter values only when `logParameters` is on. Pool wait and execution
 * are apart because most pool incidents show up as wait, not as slow SQL.
 *
 * @example
 * ```ts
 * import { createDb, type SlowQueryEvent } from 'sqlbound';
 *
 * const page = (event: SlowQueryEvent) =>
 *   console.error(`${event.queryName} took ${event.durationMs} ms (waited ${event.poolWaitMs} ms) at ${event.callSite}`);
 * const db = createDb({ connectionString: process.env.DATABASE_URL, onSlowQuery: page });
 * ```
 */
export type SlowQueryEvent = {
  queryName: string;
  level: 'warn' | 'error';
  durationMs: number;
  poolWaitMs: number;
  executionMs: number;
  rows: number;
  pool: PoolStats;
  callSite: string | undefined;
  sqlState: string | undefined;
  error: string | undefined;
  /** Slow calls of this query and level not logged (nor hooked) since the previous line: the rate limit's count. */
  suppressed: number;
  parameters?: readonly unknown[];
};

/**
 * A snapshot of the pool: connections open (`total`), of which `idle`, callers `waiting` for one, and the
 * configured `max`. Waiters with `total === max` mean the pool, not the SQL, is the bottleneck.
 *
 * @example
 * ```ts
 * import { createDb, type PoolStats } from 'sqlbound';
 *
 * const db = createDb({ connectionString: process.env.DATABASE_URL });
 * const stats: PoolStats = db.poolStats(); // e.g. { total: 4, idle: 3, waiting: 0, max: 20 }
 * ```
 */
export type PoolStats = { total: number; idle: number; waiting: number; max: number };

/**
 * The most connections checked out at once (`inUse`) and callers waiting for one at once (`waiting`) since the
 * pool was created (`since`). Counted by the checkouts themselves, so a burst between two samples is not missed.
 *
 * @example
 * ```ts
 * import { createDb, type PoolPeaks } from 'sqlbound';
 *
 * const db = createDb({ connectionString: process.env.DATABASE_URL });
 * const peaks: PoolPeaks = db.poolPeaks(); // e.g. { inUse: 20, waiting: 37, since: 2026-12-02T04:18:37.000Z }
 * if (peaks.waiting > 0) console.warn(`callers waited for a connection: the pool of ${db.settings.max} was full`);
 * ```
 */
export type PoolPeaks = { inUse: number; waiting: number; since: Date };

/**
 * How statement_timeout and idle_in_transaction_session_timeout reach the server. `'startup'` sends them as
 * startup options once per connection (no round trip per query); PgBouncer in transaction mode rejects or drops
 * startup parameters, so behind it use `'none'` and store the timeouts on the role (applyRoleTimeouts);
 * transactions then still get them with `SET LOCAL`.
 *
 * @example
 * ```ts
 * import { createDb, type TimeoutsVia } from 'sqlbound';
 *
 * const timeoutsVia: TimeoutsVia = process.env.BEHIND_PGBOUNCER === '1' ? 'none' : 'startup';
 * const db = createDb({ connectionString: process.env.DATABASE_URL, timeoutsVia });
 * ```
 */
export type TimeoutsVia = 'startup' | 'none';

/**
 * createDb's options. Everything but `connectionString` has a default (docs/runtime.md lists them all), and the
 * runtime reads no environment variable unless you spread optionsFromEnv() in.
 *
 * @example
 * ```ts
 * import { createDb, type DbOptions } from 'sqlbound';
 *
 * const options: DbOptions = {
 *   connectionString: 'postgres://app@localhost/app',
 *   max: 10,
 *   statementTimeoutMs: 5000,
 *   cursorSecret: process.env.CURSOR_SECRET,
 *   cache: { maxItems: 10_000 },
 * };
 * const db = createDb(options);
 * ```
 */
export type DbOptions = {
  /** The PostgreSQL URL. Required. */
  connectionString?: string;
  /** Pool size. Default 20. */
  max?: number;
  /** How long a caller waits for a pooled connection (and a new connection for its handshake). Never 0. Default 5000. */
  connectionTimeoutMillis?: number;
  /** Idle connections above the minimum are closed after this. Default 10000. */
  idleTimeoutMillis?: number;
  /** Connections are recycled after this many seconds (0 = never). Default 1800. */
  maxLifetimeSeconds?: number;
  /** Server-side statement_timeout. Default 30000 (0 = none). */
  statementTimeoutMs?: number;
  /** Server-side idle_in_transaction_session_timeout. Default 60000 (0 = none). */
  idleInTransactionTimeoutMs?: number;
  /** TCP keepalive on connections. Default true. */
  keepAlive?: boolean;
  /** application_name, visible in pg_stat_activity. Default 'sqlbound'. */
  applicationName?: string;
  /** Run generated statements as named prepared statements. Default true. */
  preparedStatements?: boolean;
  /** How the timeouts reach the server. Default 'startup'. */
  timeoutsVia?: TimeoutsVia;
  /** pino logger. Default: pino at level 'info', named 'sqlbound'. */
  logger?: Logger;
  /**
   * Called for a statement at or above slowQueryErrorMs, with its error line: the first per query per
   * `slowQueryLogIntervalMs`, `suppressed` counting those held back since (metrics count every one).
   */
  onSlowQuery?: (event: SlowQueryEvent) => void;
  /** Default 500. */
  slowQueryWarnMs?: number;
  /** Default 1000. */
  slowQueryErrorMs?: number;
  /** Log parameter values. Default false (values are PII). */
  logParameters?: boolean;
  /** How many recent slow calls `db.recentSlowQueries()` keeps (never with parameter values). Default 100; 0 keeps none. */
  slowQueryLogSize?: number;
  /**
   * A failing statement is logged once per distinct (query, error) per this interval, and so is an idle connection
   * that fails (one per distinct error); the others are counted and reported with the next line. Default 10000.
   */
  failureLogIntervalMs?: number;
  /**
   * A slow statement is logged (and recorded for recentSlowQueries, and given to onSlowQuery) once per query and
   * level per this interval; the others are counted (metric `sqlbound.slow_queries.unlogged`) and reported as
   * `suppressed` on the next line. A burst that makes a thousand calls slow at once then costs one line, not a
   * stack capture per call. Default 1000; 0 logs every slow call.
   */
  slowQueryLogIntervalMs?: number;
  /** Seals keyset cursors. Default: a random per-process secret (warned about: cursors then die with the process). */
  cursorSecret?: string;
  /** Default: the global provider of @opentelemetry/api (metrics.getMeterProvider()). */
  meterProvider?: MeterProvider;
  /** Serialization failures (40001, 40P01) are retried this many times by db.transaction. Default 3. */
  transactionRetries?: number;
  /**
   * Result cache for `-- cache:` queries. Default: an in-memory store (SQLBOUND_CACHE_MAX_ITEMS entries,
   * SQLBOUND_CACHE_MAX_BYTES bytes); pass your own QueryCache (e.g. over a Redis-backed BentoCache) or false.
   */
  cache?: QueryCache | QueryCacheOptions | false;
  /**
   * Streaming replicas for reads. Generated reads proven read-only go to one when their query says
   * `-- replica: ok` or the call passes `{ replica: true }`; writes and transactions always use the primary.
   */
  replicas?: readonly ReplicaConfig[];
  /** A replica further behind than this is skipped (its reads go to the primary). Default 5000. */
  replicaMaxLagMs?: number;
  /** How often each replica's replay position (and the primary's) is sampled. Default 1000. */
  replicaCheckIntervalMs?: number;
  /** How long a caller's last write position is kept for read-your-writes. Default 60000. */
  readYourWritesMs?: number;
  /**
   * Where every instance keeps each caller's last write position (e.g. Redis), so read-your-writes holds when the
   * caller's next request reaches another process. Default: this process only (plus what the request scope's
   * `readAfter` carries). Closed by db.close().
   */
  writePositions?: WritePositionStore;
};

export type ResolvedOptions = {
  connectionString: string;
  max: number;
  connectionTimeoutMillis: number;
  idleTimeoutMillis: number;
  maxLifetimeSeconds: number;
  statementTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
  keepAlive: boolean;
  applicationName: string;
  preparedStatements: boolean;
  timeoutsVia: TimeoutsVia;
  logger: Logger;
  onSlowQuery: ((event: SlowQueryEvent) => void) | undefined;
  slowQueryWarnMs: number;
  slowQueryErrorMs: number;
  logParameters: boolean;
  slowQueryLogSize: number;
  failureLogIntervalMs: number;
  slowQueryLogIntervalMs: number;
  cursorSecret: string;
  meter: Meter;
  transactionRetries: number;
  replicaMaxLagMs: number;
  replicaCheckIntervalMs: number;
  readYourWritesMs: number;
};

/**
 * A createDb option or `SQLBOUND_*` variable that is missing or out of range. It is thrown at startup, by
 * createDb or optionsFromEnv, so a bad deploy fails before it serves a request; the message names the option.
 *
 * @example
 * ```ts
 * import { createDb, InvalidOptionsError } from 'sqlbound';
 *
 * try {
 *   createDb({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 0 });
 * } catch (error) {
 *   if (error instanceof InvalidOptionsError) console.error(error.message); // connectionTimeoutMillis: expected an integer >= 1, got 0
 * }
 * ```
 */
export class InvalidOptionsError extends Error {
  override readonly name = 'InvalidOptionsError';
}

function integer(name: string, value: number | undefined, fallback: number, range: { min: number; max?: number }): number {
  const resolved = value ?? fallback;
  if (!Number.isInteger(resolved) || resolved < range.min || (range.max !== undefined && resolved > range.max)) {
    const bounds = range.max === undefined ? `>= ${range.min}` : `${range.min}..${range.max}`;
    throw new InvalidOptionsError(`${name}: expected an integer ${bounds}, got ${String(value)}`);
  }
  return resolved;
}

let processCursorSecret: string | null = null;

export function resolveOptions(options: DbOptions, defaults: { meterProvider: MeterProvider }): ResolvedOptions {
  const { connectionString } = options;
  if (connectionString === undefined || connectionString === '') {
    throw new InvalidOptionsError('connectionString: required (optionsFromEnv() reads it from SQLBOUND_DATABASE_URL)');
  }
  // 0 would mean "wait forever" to pg-pool; the minimum is 1 ms.
  const connectionTimeoutMillis = integer('connectionTimeoutMillis', options.connectionTimeoutMillis, 5000, { min: 1 });
  const timeoutsVia = options.timeoutsVia ?? 'startup';
  if (timeoutsVia !== 'startup' && timeoutsVia !== 'none') {
    throw new InvalidOptionsError(`timeoutsVia: expected 'startup' or 'none', got ${String(timeoutsVia)}`);
  }
  const slowQueryWarnMs = integer('slowQueryWarnMs', options.slowQueryWarnMs, 500, { min: 0 });
  const slowQueryErrorMs = integer('slowQueryErrorMs', options.slowQueryErrorMs, 1000, { min: 0 });
  const logger = options.logger ?? pino({ name: 'sqlbound', level: 'info' });
  let cursorSecret = options.cursorSecret;
  if (cursorSecret === undefined || cursorSecret === '') {
    if (processCursorSecret === null) {
      processCursorSecret = randomBytes(32).toString('base64url');
      logger.warn(
        'no cursorSecret: cursors are sealed with a random per-process secret and will not survive a restart or work across instances',
      );
    }
    cursorSecret = processCursorSecret;
  }
  return {
    connectionString,
    max: integer('max', options.max, 20, { min: 1 }),
    connectionTimeoutMillis,
    idleTimeoutMillis: integer('idleTimeoutMillis', options.idleTimeoutMillis, 10_000, { min: 0 }),
    maxLifetimeSeconds: integer('maxLifetimeSeconds', options.maxLifetimeSeconds, 1800, { min: 0 }),
    statementTimeoutMs: integer('statementTimeoutMs', options.statementTimeoutMs, 30_000, { min: 0 }),
    idleInTransactionTimeoutMs: integer('idleInTransactionTimeoutMs', options.idleInTransactionTimeoutMs, 60_000, { min: 0 }),
    keepAlive: options.keepAlive ?? true,
    applicationName: options.applicationName ?? 'sqlbound',
    preparedStatements: options.preparedStatements ?? true,
    timeoutsVia,
    logger,
    onSlowQuery: options.onSlowQuery,
    slowQueryWarnMs,
    slowQueryErrorMs: Math.max(slowQueryErrorMs, slowQueryWarnMs),
    logParameters: options.logParameters ?? false,
    slowQueryLogSize: integer('slowQueryLogSize', options.slowQueryLogSize, 100, { min: 0, max: 100_000 }),
    failureLogIntervalMs: integer('failureLogIntervalMs', options.failureLogIntervalMs, 10_000, { min: 0 }),
    slowQueryLogIntervalMs: integer('slowQueryLogIntervalMs', options.slowQueryLogIntervalMs, 1000, { min: 0 }),
    cursorSecret,
    meter: (options.meterProvider ?? defaults.meterProvider).getMeter('sqlbound'),
    transactionRetries: integer('transactionRetries', options.transactionRetries, 3, { min: 0, max: 100 }),
    replicaMaxLagMs: integer('replicaMaxLagMs', options.replicaMaxLagMs, 5000, { min: 0 }),
    replicaCheckIntervalMs: integer('replicaCheckIntervalMs', options.replicaCheckIntervalMs, 1000, { min: 10 }),
    readYourWritesMs: integer('readYourWritesMs', options.readYourWritesMs, 60_000, { min: 0 }),
  };
}
