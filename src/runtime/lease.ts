// A lease is a connection a statement may use: checked out of the pool for one call, or a transaction's own.
import type pg from 'pg';
import { isConnectionBroken, toSqlboundError } from './errors.js';
import type { Observer } from './observe.js';
import type { CheckoutWatch } from './pool.js';

export type Lease = {
  client: pg.PoolClient;
  /** Pool wait of this checkout; null when the connection was already held (inside a transaction). */
  waitMs: number | null;
  /** Hands the connection back; `broken` destroys it instead of pooling it. */
  release(broken: boolean): void;
};

export type Acquire = (queryName: string, values: readonly unknown[]) => Promise<Lease>;

/** Checks a connection out of the pool, timing the wait; a failure is typed and observed. */
export function poolAcquirer(
  pool: pg.Pool,
  observe: Observer,
  watch: CheckoutWatch = { before: () => undefined, after: () => undefined },
): Acquire {
  return (queryName, values) =>
    new Promise<Lease>((resolve, reject) => {
      const start = performance.now();
      watch.before();
      // Callback form, as pg's own pool.query uses: one promise per checkout.
      pool.connect((cause, client, done) => {
        watch.after();
        const waitMs = performance.now() - start;
        if ((cause !== undefined && cause !== null) || client === undefined) {
          try {
            observeFailure(cause ?? new Error('pg-pool returned no client'), { queryName, waitMs, executionMs: 0, values }, observe);
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
          return;
        }
        resolve({ client, waitMs, release: (broken) => done(broken ? true : undefined) });
      });
    });
}

/** One call as the observer sees it: what ran, with which values, how long it waited and ran. */
export type CallTiming = { queryName: string; waitMs: number | null; executionMs: number; values: readonly unknown[] };

/**
 * The one failure path of every call (pooled, leased, Kysely's, a checkout): the cause becomes a typed error, the
 * failure is observed (metrics, the rate-limited log, the slow-query hook), and the typed error is thrown.
 */
export function observeFailure(cause: unknown, call: CallTiming, observe: Observer): never {
  const error = toSqlboundError(cause, call.queryName);
  observe({ queryName: call.queryName, waitMs: call.waitMs, executionMs: call.executionMs, rows: 0, error, parameters: call.values });
  throw error;
}

/** A failed statement on a lease: the connection goes back (destroyed when broken), then the failure path. */
export function failed(lease: Lease, cause: unknown, call: Omit<CallTiming, 'waitMs'>, observe: Observer): never {
  lease.release(isConnectionBroken(cause));
  return observeFailure(cause, { ...call, waitMs: lease.waitMs }, observe);
}
