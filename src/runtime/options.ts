// createDb's options: every setting has a documented default and an environment override (docs/runtime.md).
// Precedence: an explicit option, then the environment variable, then the default.
import { randomBytes } from 'node:crypto';
import type { Meter, MeterProvider } from '@opentelemetry/api';
import { pino, type Logger } from 'pino';
import type { QueryCache, QueryCacheOptions } from './cache.js';

/** What the slow-query hook receives; parameter values only when `logParameters` is on. */
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
  parameters?: readonly unknown[];
};

export type PoolStats = { total: number; idle: number; waiting: number; max: number };

export type TimeoutsVia = 'startup' | 'none';

export type DbOptions = {
  /** Default: env DATABASE_URL. Required one way or the other. */
  connectionString?: string;
  /** Pool size. Default 20, env DB_POOL_MAX. */
  max?: number;
  /** How long a caller waits for a pooled connection (and a new connection for its handshake). Never 0. Default 5000, env DB_CONNECTION_TIMEOUT_MS. */
  connectionTimeoutMillis?: number;
  /** Idle connections above the minimum are closed after this. Default 10000, env DB_IDLE_TIMEOUT_MS. */
  idleTimeoutMillis?: number;
  /** Connections are recycled after this many seconds (0 = never). Default 1800, env DB_MAX_LIFETIME_SECONDS. */
  maxLifetimeSeconds?: number;
  /** Server-side statement_timeout. Default 30000 (0 = none), env DB_STATEMENT_TIMEOUT_MS. */
  statementTimeoutMs?: number;
  /** Server-side idle_in_transaction_session_timeout. Default 60000 (0 = none), env DB_IDLE_IN_TRANSACTION_TIMEOUT_MS. */
  idleInTransactionTimeoutMs?: number;
  /** TCP keepalive on connections. Default true, env DB_KEEP_ALIVE. */
  keepAlive?: boolean;
  /** application_name, visible in pg_stat_activity. Default 'sqlbound', env DB_APPLICATION_NAME. */
  applicationName?: string;
  /** Run generated statements as named prepared statements. Default true, env DB_PREPARED_STATEMENTS. */
  preparedStatements?: boolean;
  /** How the timeouts reach the server. Default 'startup', env DB_TIMEOUTS_VIA. */
  timeoutsVia?: TimeoutsVia;
  /** pino logger. Default: pino at env SQLBOUND_LOG_LEVEL or 'info', named 'sqlbound'. */
  logger?: Logger;
  /** Called for every statement at or above slowQueryErrorMs. */
  onSlowQuery?: (event: SlowQueryEvent) => void;
  /** Default 500, env DB_SLOW_QUERY_WARN_MS. */
  slowQueryWarnMs?: number;
  /** Default 1000, env DB_SLOW_QUERY_ERROR_MS. */
  slowQueryErrorMs?: number;
  /** Log parameter values. Default false (values are PII), env DB_LOG_PARAMETERS. */
  logParameters?: boolean;
  /**
   * A failing statement is logged once per distinct (query, error) per this interval; the others are counted and
   * reported with the next line. Default 10000, env DB_FAILURE_LOG_INTERVAL_MS.
   */
  failureLogIntervalMs?: number;
  /** Signs keyset cursors. Default env SQLBOUND_CURSOR_SECRET, else a random per-process secret (warned about). */
  cursorSecret?: string;
  /** Default: the global provider of @opentelemetry/api (metrics.getMeterProvider()). */
  meterProvider?: MeterProvider;
  /** Serialization failures (40001, 40P01) are retried this many times by db.transaction. Default 3, env DB_TRANSACTION_RETRIES. */
  transactionRetries?: number;
  /**
   * Result cache for `-- cache:` queries. Default: an in-memory store (SQLBOUND_CACHE_MAX_ITEMS entries,
   * SQLBOUND_CACHE_MAX_BYTES bytes); pass your own QueryCache (e.g. over a Redis-backed BentoCache) or false.
   */
  cache?: QueryCache | QueryCacheOptions | false;
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
  failureLogIntervalMs: number;
  cursorSecret: string;
  meter: Meter;
  transactionRetries: number;
};

type Env = Readonly<Record<string, string | undefined>>;

export class InvalidOptionsError extends Error {
  override readonly name = 'InvalidOptionsError';
}

function envValue(env: Env, key: string): string | undefined {
  const value = env[key];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(
  name: string,
  explicit: number | undefined,
  env: Env,
  key: string,
  fallback: number,
  range: { min: number; max?: number },
): number {
  const raw = explicit ?? envValue(env, key);
  const value = raw === undefined ? fallback : typeof raw === 'number' ? raw : Number(raw);
  const source = explicit !== undefined ? name : `${key}=${String(raw)}`;
  if (!Number.isInteger(value) || value < range.min || (range.max !== undefined && value > range.max)) {
    const bounds = range.max === undefined ? `>= ${range.min}` : `${range.min}..${range.max}`;
    throw new InvalidOptionsError(`${source}: expected an integer ${bounds}, got ${String(raw)}`);
  }
  return value;
}

function boolean(name: string, explicit: boolean | undefined, env: Env, key: string, fallback: boolean): boolean {
  if (explicit !== undefined) return explicit;
  const raw = envValue(env, key);
  if (raw === undefined) return fallback;
  if (['1', 'true', 'on', 'yes'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'off', 'no'].includes(raw.toLowerCase())) return false;
  throw new InvalidOptionsError(`${key}=${raw}: expected true or false (for ${name})`);
}

let processCursorSecret: string | null = null;

export function resolveOptions(
  options: DbOptions,
  defaults: { env: Env; meterProvider: MeterProvider },
): ResolvedOptions {
  const { env } = defaults;
  const connectionString = options.connectionString ?? envValue(env, 'DATABASE_URL');
  if (connectionString === undefined) {
    throw new InvalidOptionsError('connectionString: pass it or set DATABASE_URL');
  }
  // 0 would mean "wait forever" to pg-pool; the minimum is 1 ms.
  const connectionTimeoutMillis = integer(
    'connectionTimeoutMillis',
    options.connectionTimeoutMillis,
    env,
    'DB_CONNECTION_TIMEOUT_MS',
    5000,
    { min: 1 },
  );
  const timeoutsVia = options.timeoutsVia ?? envValue(env, 'DB_TIMEOUTS_VIA') ?? 'startup';
  if (timeoutsVia !== 'startup' && timeoutsVia !== 'none') {
    throw new InvalidOptionsError(`timeoutsVia: expected 'startup' or 'none', got ${timeoutsVia}`);
  }
  const slowQueryWarnMs = integer('slowQueryWarnMs', options.slowQueryWarnMs, env, 'DB_SLOW_QUERY_WARN_MS', 500, {
    min: 0,
  });
  const slowQueryErrorMs = integer('slowQueryErrorMs', options.slowQueryErrorMs, env, 'DB_SLOW_QUERY_ERROR_MS', 1000, {
    min: 0,
  });
  const logger =
    options.logger ?? pino({ name: 'sqlbound', level: envValue(env, 'SQLBOUND_LOG_LEVEL') ?? 'info' });
  let cursorSecret = options.cursorSecret ?? envValue(env, 'SQLBOUND_CURSOR_SECRET');
  if (cursorSecret === undefined) {
    if (processCursorSecret === null) {
      processCursorSecret = randomBytes(32).toString('base64url');
      logger.warn(
        'SQLBOUND_CURSOR_SECRET is not set: cursors are signed with a random per-process secret and will not survive a restart or work across instances',
      );
    }
    cursorSecret = processCursorSecret;
  }
  return {
    connectionString,
    max: integer('max', options.max, env, 'DB_POOL_MAX', 20, { min: 1 }),
    connectionTimeoutMillis,
    idleTimeoutMillis: integer('idleTimeoutMillis', options.idleTimeoutMillis, env, 'DB_IDLE_TIMEOUT_MS', 10_000, {
      min: 0,
    }),
    maxLifetimeSeconds: integer(
      'maxLifetimeSeconds',
      options.maxLifetimeSeconds,
      env,
      'DB_MAX_LIFETIME_SECONDS',
      1800,
      { min: 0 },
    ),
    statementTimeoutMs: integer(
      'statementTimeoutMs',
      options.statementTimeoutMs,
      env,
      'DB_STATEMENT_TIMEOUT_MS',
      30_000,
      { min: 0 },
    ),
    idleInTransactionTimeoutMs: integer(
      'idleInTransactionTimeoutMs',
      options.idleInTransactionTimeoutMs,
      env,
      'DB_IDLE_IN_TRANSACTION_TIMEOUT_MS',
      60_000,
      { min: 0 },
    ),
    keepAlive: boolean('keepAlive', options.keepAlive, env, 'DB_KEEP_ALIVE', true),
    applicationName: options.applicationName ?? envValue(env, 'DB_APPLICATION_NAME') ?? 'sqlbound',
    preparedStatements: boolean(
      'preparedStatements',
      options.preparedStatements,
      env,
      'DB_PREPARED_STATEMENTS',
      true,
    ),
    timeoutsVia,
    logger,
    onSlowQuery: options.onSlowQuery,
    slowQueryWarnMs,
    slowQueryErrorMs: Math.max(slowQueryErrorMs, slowQueryWarnMs),
    logParameters: boolean('logParameters', options.logParameters, env, 'DB_LOG_PARAMETERS', false),
    failureLogIntervalMs: integer(
      'failureLogIntervalMs',
      options.failureLogIntervalMs,
      env,
      'DB_FAILURE_LOG_INTERVAL_MS',
      10_000,
      { min: 0 },
    ),
    cursorSecret,
    meter: (options.meterProvider ?? defaults.meterProvider).getMeter('sqlbound'),
    transactionRetries: integer(
      'transactionRetries',
      options.transactionRetries,
      env,
      'DB_TRANSACTION_RETRIES',
      3,
      { min: 0, max: 100 },
    ),
  };
}
