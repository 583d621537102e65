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
export function poolAcquirer(pool: pg.Pool, observe: Observer, watch: CheckoutWatch = { before: () => undefined, after: () => undefined }): Acquire {
  return (queryName, values) =>
    new Promise<Lease>((resolve, reject) => {
      const start = performance.now();
      watch.before();
      // Callback form, as pg's own pool.query uses: one promise per checkout.
      pool.connect((cause, client, done) => {
        watch.after();
        const waitMs = performance.now() - start;
        if ((cause !== undefined && cause !== null) || client === undefined) {
          const error = toSqlboundError(cause ?? new Error('pg-pool returned no client'), queryName);
          observe({ queryName, waitMs, executionMs: 0, rows: 0, error, parameters: values });
          reject(error);
          return;
        }
        resolve({ client, waitMs, release: (broken) => done(broken ? true : undefined) });
      });
    });
}

/** Maps and observes a failed statement, then hands the connection back (destroying it when broken). */
export function failed(
  lease: Lease,
  cause: unknown,
  call: { queryName: string; executionMs: number; rows: number; values: readonly unknown[] },
  observe: Observer,
): never {
  const error = toSqlboundError(cause, call.queryName);
  lease.release(isConnectionBroken(cause));
  observe({
    queryName: call.queryName,
    waitMs: lease.waitMs,
    executionMs: call.executionMs,
    rows: call.rows,
    error,
    parameters: call.values,
  });
  throw error;
}
