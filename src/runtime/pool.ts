// The one pg.Pool behind a db handle: sized, with timeouts, and with 'error' listeners so that a backend that dies
// (pg_terminate_backend, failover, restart) never crashes the process.
import pg from 'pg';
import type { Logger } from 'pino';
import type { PoolStats, ResolvedOptions } from './options.js';

/** `-c name=value` startup options: the server applies them at connect, so no round trip is added per query. */
export function startupOptions(options: Pick<ResolvedOptions, 'timeoutsVia' | 'statementTimeoutMs' | 'idleInTransactionTimeoutMs'>): string | undefined {
  if (options.timeoutsVia !== 'startup') return undefined;
  return [
    `-c statement_timeout=${options.statementTimeoutMs}`,
    `-c idle_in_transaction_session_timeout=${options.idleInTransactionTimeoutMs}`,
  ].join(' ');
}

export function createPool(options: ResolvedOptions, logger: Logger): pg.Pool {
  const startup = startupOptions(options);
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max,
    connectionTimeoutMillis: options.connectionTimeoutMillis,
    idleTimeoutMillis: options.idleTimeoutMillis,
    maxLifetimeSeconds: options.maxLifetimeSeconds,
    keepAlive: options.keepAlive,
    application_name: options.applicationName,
    ...(startup === undefined ? {} : { options: startup }),
  });
  // An idle client whose backend dies: pg-pool removes it and re-emits here; without a listener Node would throw.
  pool.on('error', (error) => {
    logger.warn({ err: errorSummary(error) }, 'idle database connection failed and was removed from the pool');
  });
  // A checked-out client between statements has no idle listener; this permanent one keeps the error from crashing
  // the process. pg marks the client unqueryable, so its next use fails (typed, and logged then) and release
  // destroys it. Idle clients are reported by the pool listener above, so this one logs at debug only.
  pool.on('connect', (client) => {
    client.on('error', (error) => {
      logger.debug({ err: errorSummary(error) }, 'database connection failed');
    });
  });
  return pool;
}

export function poolStats(pool: pg.Pool, max: number): PoolStats {
  return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max };
}

/** Message and SQLSTATE only: a pg error can carry row values in its detail. */
function errorSummary(error: Error): { message: string; code: string | undefined } {
  const code: unknown = Reflect.get(error, 'code');
  return { message: error.message, code: typeof code === 'string' ? code : undefined };
}
