// The one pg.Pool behind a db handle: sized, with timeouts, and with 'error' listeners so that a backend that dies
// (pg_terminate_backend, failover, restart) never crashes the process.
import pg from 'pg';
import { calendarTypes } from './calendar-date.js';
import type { Logger } from 'pino';
import type { PoolPeaks, PoolStats, ResolvedOptions } from './options.js';
import { createLogLimiter } from './log-limit.js';
import { settlesWithin } from './settle.js';
import { writableStream, type WritableHost } from './writable-host.js';

/** Several hosts (failover): connect to the writable one; `url` is the connection string for one host. */
export type Failover = { resolver: WritableHost; url: string };

/** `-c name=value` startup options: the server applies them at connect, so no round trip is added per query. */
export function startupOptions(
  options: Pick<ResolvedOptions, 'timeoutsVia' | 'statementTimeoutMs' | 'idleInTransactionTimeoutMs'>,
): string | undefined {
  if (options.timeoutsVia !== 'startup') return undefined;
  return [
    `-c statement_timeout=${options.statementTimeoutMs}`,
    `-c idle_in_transaction_session_timeout=${options.idleInTransactionTimeoutMs}`,
  ].join(' ');
}

/**
 * A connection URL without its `options` (`?options=-c search_path=app`), and those options. node-postgres lets a
 * URL's options replace the config's, which would drop sqlbound's timeouts; the pool sends both, joined.
 */
function splitUrlOptions(connectionString: string | undefined): { url: string | undefined; options: string | undefined } {
  if (connectionString === undefined || !URL.canParse(connectionString)) return { url: connectionString, options: undefined };
  const url = new URL(connectionString);
  const options = url.searchParams.get('options') ?? undefined;
  if (options === undefined) return { url: connectionString, options };
  url.searchParams.delete('options');
  return { url: url.toString(), options };
}

export function createPool(options: ResolvedOptions, logger: Logger, failover?: Failover): pg.Pool {
  const fromUrl = splitUrlOptions(failover?.url ?? options.connectionString);
  const joined = [fromUrl.options, startupOptions(options)].filter((part) => part !== undefined).join(' ');
  const startup = joined === '' ? undefined : joined;
  const pool = new pg.Pool({
    connectionString: fromUrl.url,
    ...(failover === undefined ? {} : { stream: writableStream(failover.resolver) }),
    max: options.max,
    connectionTimeoutMillis: options.connectionTimeoutMillis,
    idleTimeoutMillis: options.idleTimeoutMillis,
    maxLifetimeSeconds: options.maxLifetimeSeconds,
    keepAlive: options.keepAlive,
    application_name: options.applicationName,
    types: calendarTypes,
    ...(startup === undefined ? {} : { options: startup }),
  });
  // An idle client whose backend dies: pg-pool removes it and re-emits here; without a listener Node would throw.
  // A restart or a pg_terminate_backend sweep kills every idle connection at once: one line per distinct failure
  // per failureLogIntervalMs, like the statement failures, with the count of those held back.
  const idleFailures = createLogLimiter({
    intervalMs: options.failureLogIntervalMs,
    onQuiet: (key, suppressed) =>
      logger.warn({ failure: key, suppressed }, `${suppressed} more idle database connection failures like this were not logged`),
  });
  pool.on('error', (error) => {
    // A lost connection may be a lost primary: the next connection asks the hosts again.
    failover?.resolver.invalidate();
    const err = errorSummary(error);
    idleFailures.hit(`idle connection: ${err.code ?? ''} ${err.message}`, (suppressed) => {
      logger.warn({ err, ...(suppressed > 0 ? { suppressed } : {}) }, 'idle database connection failed and was removed from the pool');
    });
  });
  // A checked-out client between statements has no idle listener; this permanent one keeps the error from crashing
  // the process. pg marks the client unqueryable, so its next use fails (typed, and logged then) and release
  // destroys it. Idle clients are reported by the pool listener above, so this one logs at debug only.
  pool.on('connect', (client) => {
    client.on('error', (error) => {
      failover?.resolver.invalidate();
      logger.debug({ err: errorSummary(error) }, 'database connection failed');
    });
  });
  return pool;
}

export function poolStats(pool: pg.Pool, max: number): PoolStats {
  return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max };
}

/** Calls around every pool.connect(), so the peaks see each caller queue and get its connection. */
export type CheckoutWatch = { before(): void; after(): void };

/** For pools whose peaks nobody reads (a replica's): counts nothing. */
export const UNWATCHED: CheckoutWatch = { before: () => undefined, after: () => undefined };

export type PeakTracker = CheckoutWatch & { peaks(): PoolPeaks };

/**
 * The most connections checked out and callers waiting at once since the pool was created. A sampler would miss a
 * burst between two samples; these are counted by the checkouts themselves. pg-pool's own waitingCount is no
 * help here: it queues every checkout for a tick even when a client is idle, and not those opening a connection.
 */
export function trackPoolPeaks(pool: pg.Pool, max: number): PeakTracker {
  const since = new Date();
  let checkedOut = 0;
  let pending = 0;
  let inUse = 0;
  let waiting = 0;
  pool.on('acquire', () => {
    checkedOut += 1;
    inUse = Math.max(inUse, checkedOut);
  });
  pool.on('release', () => {
    checkedOut -= 1;
  });
  return {
    before() {
      pending += 1;
      // Callers beyond the connections not checked out (idle, or still to be opened) must wait for a release.
      waiting = Math.max(waiting, pending - (max - checkedOut));
    },
    after() {
      pending -= 1;
    },
    peaks: () => ({ inUse, waiting, since }),
  };
}

/** Message and SQLSTATE only: a pg error can carry row values in its detail. */
function errorSummary(error: Error): { message: string; code: string | undefined } {
  const code: unknown = Reflect.get(error, 'code');
  return { message: error.message, code: typeof code === 'string' ? code : undefined };
}

export type PoolCloser = (timeoutMs: number) => Promise<void>;

/**
 * A bounded pool.end(). pg-pool's end() waits for every checked-out client, so a statement blocked on a lock
 * would hold a shutdown until statement_timeout. After `timeoutMs` the statements still running are cancelled
 * (pg_cancel_backend from a connection of their own), and a second later their connections are closed.
 */
export function poolCloser(pool: pg.Pool, connectionString: string, logger: Logger): PoolCloser {
  const checkedOut = new Set<pg.PoolClient>();
  pool.on('acquire', (client) => checkedOut.add(client));
  pool.on('release', (_error, client) => checkedOut.delete(client));
  pool.on('remove', (client) => checkedOut.delete(client));
  // pg-pool's end() resolves once its clients are asked to end, before their sockets close: a server stopped right
  // after db.close() then terminated live connections, and each logged a 57P01 warning. close waits for the sockets.
  const open = new Map<pg.PoolClient, Promise<void>>();
  pool.on('connect', (client) => {
    open.set(
      client,
      new Promise<void>((closed) => {
        client.once('end', () => {
          open.delete(client);
          closed();
        });
      }),
    );
  });
  const socketsClosed = () => settlesWithin(Promise.all(open.values()), 1000);
  return async (timeoutMs) => {
    const ended = pool.end();
    if (await settlesWithin(ended, timeoutMs)) {
      await socketsClosed();
      return;
    }
    const pids = [...checkedOut].map((client): unknown => Reflect.get(client, 'processID')).filter((pid) => typeof pid === 'number');
    logger.warn({ running: checkedOut.size }, 'closing the pool: cancelling the statements still running');
    await cancelBackends(connectionString, pids, logger);
    if (await settlesWithin(ended, 1000)) return;
    for (const client of checkedOut) {
      // end() on a busy client closes its socket: the pending query fails and the client is released as broken.
      void client.end().catch(() => undefined);
    }
    await settlesWithin(ended, 1000);
    await socketsClosed();
  };
}

async function cancelBackends(connectionString: string, pids: unknown[], logger: Logger): Promise<void> {
  if (pids.length === 0) return;
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 1000, query_timeout: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT pg_cancel_backend(pid) FROM unnest($1::int4[]) AS pid', [pids]);
  } catch (error) {
    logger.warn({ err: errorSummary(error instanceof Error ? error : new Error(String(error))) }, 'could not cancel running statements');
  } finally {
    await settlesWithin(client.end(), 500);
  }
}
