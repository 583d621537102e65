// A lease is a connection a statement may use: checked out of the pool for one call, or a transaction's own.
import type pg from 'pg';
import { isConnectionBroken, toSqlboundError } from './errors.js';
import type { Observer } from './observe.js';

export type Lease = {
  client: pg.PoolClient;
  /** Pool wait of this checkout; null when the connection was already held (inside a transaction). */
  waitMs: number | null;
  /** Hands the connection back; `broken` destroys it instead of pooling it. */
  release(broken: boolean): void;
};

export type Acquire = (queryName: string, values: readonly unknown[]) => Promise<Lease>;

/** Checks a connection out of the pool, timing the wait; a failure is typed and observed. */
export function poolAcquirer(pool: pg.Pool, observe: Observer): Acquire {
  return async (queryName, values) => {
    const start = performance.now();
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (cause) {
      const error = toSqlboundError(cause, queryName);
      observe({ queryName, waitMs: performance.now() - start, executionMs: 0, rows: 0, error, parameters: values });
      throw error;
    }
    const waitMs = performance.now() - start;
    return { client, waitMs, release: (broken) => client.release(broken ? true : undefined) };
  };
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
