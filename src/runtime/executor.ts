// The executor: the one module that talks to pg. Every request any path sends (a generated statement, a Kysely
// query, a transaction's control statement, a stream's cursor read) goes through `timed` here, and every checkout
// through `checkout`: pool wait is measured apart from execution, in one place each. The executor only measures;
// turning a measurement into logs, metrics and typed errors is the observation layer's job (./layers/observation.ts).
import type pg from 'pg';
import type Cursor from 'pg-cursor';
import type { Statement } from './contract.js';
import { isConnectionBroken } from './errors.js';
import type { CheckoutWatch } from './pool.js';
import { fallBackToUnnamed, queryConfig, type PreparedMode } from './prepared.js';

/** What the executor measured for one request: its outcome, pool wait (null on a held connection) and execution. */
export type Sent<T> =
  | { ok: true; value: T; waitMs: number | null; executionMs: number }
  | { ok: false; cause: unknown; waitMs: number | null; executionMs: number };

/** A connection held across requests: checked out for a transaction, a stream or a Kysely query, or a transaction's. */
export type Lease = {
  client: pg.PoolClient;
  /** Pool wait of the checkout, not yet reported: the first request sent on the lease reports it and clears it. */
  waitMs: number | null;
  /** Hands the connection back; `broken` destroys it instead of pooling it. */
  release(broken: boolean): void;
};

/** Something that lends a connection: the db's pool, or a transaction's own connection. */
export type Acquire = (queryName: string, values: readonly unknown[]) => Promise<Lease>;

/** A read of at most `rows` rows from an open cursor. */
type CursorRead = { cursor: Cursor<unknown>; rows: number };
/** A statement (extended protocol), a simple-protocol text (BEGIN; SET LOCAL ...), or a cursor read. */
type Request = pg.QueryConfig | string | CursorRead;
type Done = (error: Error | null | undefined, value: unknown, executionMs: number) => void;
type Connected = (
  error: Error | undefined,
  client: pg.PoolClient | undefined,
  release: (destroy?: boolean) => void,
  waitMs: number,
) => void;

const isCursorRead = (request: Request): request is CursorRead => typeof request === 'object' && 'cursor' in request;

/** Execution, timed: the only place a request's running time is taken. Callbacks, not promises: the hot path. */
function timed(client: pg.PoolClient, request: Request, done: Done): void {
  const start = performance.now();
  if (isCursorRead(request)) {
    request.cursor.read(request.rows, (error: Error | undefined, rows: unknown[]) => done(error, rows, performance.now() - start));
    return;
  }
  client.query(request, (error: Error | null, result: pg.QueryResult) => done(error, result, performance.now() - start));
}

/** Pool wait, timed: the only place a checkout's wait is taken (callback form, as pg's own pool.query). */
function checkout(pool: pg.Pool, watch: CheckoutWatch, connected: Connected): void {
  const requested = performance.now();
  watch.before();
  pool.connect((error, client, release) => {
    watch.after();
    const waitMs = performance.now() - requested;
    const failure = error ?? (client === undefined ? new Error('pg-pool returned no client') : undefined);
    connected(failure, client, release, waitMs);
  });
}

/** Sends `request` on a held connection; the lease's pending pool wait is reported with it. */
function sendOn<T>(lease: Lease, request: Request, prepared: PreparedMode | null, queryName: string): Promise<Sent<T>> {
  const waitMs = lease.waitMs;
  lease.waitMs = null;
  return new Promise((resolve) => {
    timed(lease.client, request, (error, value, executionMs) => {
      if (error === null || error === undefined) {
        resolve({ ok: true, value: value as T, waitMs, executionMs });
        return;
      }
      // Inside a transaction a refused named statement cannot be rerun (the transaction is aborted): the mode
      // switches here, and db.transaction reruns the whole transaction unnamed.
      if (prepared !== null) fallBackToUnnamed(prepared, error, queryName);
      resolve({ ok: false, cause: error, waitMs, executionMs });
    });
  });
}

/** A request on a held connection: a Kysely query, a control statement (BEGIN, COMMIT, SAVEPOINT...). */
export function send(lease: Lease, request: pg.QueryConfig | string): Promise<Sent<pg.QueryResult | pg.QueryResult[]>> {
  return sendOn(lease, request, null, '');
}

/** The next batch of an open cursor on a held connection (a stream). */
export function read<Row>(lease: Lease, cursor: Cursor<Row>, rows: number): Promise<Sent<Row[]>> {
  return sendOn(lease, { cursor: cursor, rows }, null, '');
}

/** One db's (or one replica's) pool, with its prepared-statement mode. */
export type Executor = {
  /** A generated statement on a connection checked out for it alone, released right after: the hot path. */
  statement(statement: Statement, values: readonly unknown[]): Promise<Sent<pg.QueryResult>>;
  /** A generated statement on a held connection (inside a transaction). */
  statementOn(lease: Lease, statement: Statement, values: readonly unknown[]): Promise<Sent<pg.QueryResult>>;
  /** A connection for several requests; the wait is the lease's, reported by its first request. */
  lease(): Promise<Sent<Lease>>;
  /** Named or unnamed statements; a pooler that shares connections switches it to unnamed (see prepared.ts). */
  readonly prepared: PreparedMode;
};

export function createExecutor(pool: pg.Pool, watch: CheckoutWatch, prepared: PreparedMode): Executor {
  return {
    prepared,
    statement(statement, values) {
      return new Promise((resolve) => {
        checkout(pool, watch, (connectError, client, release, waitMs) => {
          if (connectError !== undefined || client === undefined) {
            resolve({ ok: false, cause: connectError, waitMs, executionMs: 0 });
            return;
          }
          const named = prepared.named;
          let retried = false;
          const done: Done = (error, result, executionMs) => {
            if (error === null || error === undefined) {
              release();
              resolve({ ok: true, value: result as pg.QueryResult, waitMs, executionMs });
              return;
            }
            // A named statement refused by a pooled server connection ran nothing: rerun it unnamed, once.
            if (named && !retried && fallBackToUnnamed(prepared, error, statement.name)) {
              retried = true;
              timed(client, queryConfig(statement, values, false), done);
              return;
            }
            release(isConnectionBroken(error) ? true : undefined);
            resolve({ ok: false, cause: error, waitMs, executionMs });
          };
          timed(client, queryConfig(statement, values, named), done);
        });
      });
    },
    statementOn(lease, statement, values) {
      const named = prepared.named;
      return sendOn(lease, queryConfig(statement, values, named), named ? prepared : null, statement.name);
    },
    lease() {
      return new Promise((resolve) => {
        checkout(pool, watch, (error, client, release, waitMs) => {
          if (error !== undefined || client === undefined) {
            resolve({ ok: false, cause: error, waitMs, executionMs: 0 });
            return;
          }
          const lease: Lease = { client, waitMs, release: (broken) => release(broken ? true : undefined) };
          resolve({ ok: true, value: lease, waitMs, executionMs: 0 });
        });
      });
    },
  };
}
