// The executor: the one module that talks to pg. Every request any path sends (a generated statement, a Kysely
// query, a transaction's control statement, a stream's cursor read) goes through `dispatch`, which measures the pool
// wait of a checkout, and `execute`, which measures the execution: the one timing site, pool wait apart from
// execution. The executor only measures; turning a measurement into logs, metrics and typed errors is the
// observation layer's job (./layers/observation.ts).
import type pg from 'pg';
import type Cursor from 'pg-cursor';
import type { Statement } from './contract.js';
import { isConnectionBroken } from './errors.js';
import { UNWATCHED, type CheckoutWatch } from './pool.js';
import { fallBackToUnnamed, preparedName, type PreparedMode } from './prepared.js';
import { StatementQuery, type StatementResult } from './statement-query.js';

/** What the executor measured for one request: its outcome, pool wait (null on a held connection) and execution. */
export type Sent<T> =
  | { ok: true; value: T; waitMs: number | null; executionMs: number }
  | { ok: false; cause: unknown; waitMs: number | null; executionMs: number };

/** What the executor measured for a request that failed. */
export type Failure = Extract<Sent<unknown>, { ok: false }>;

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
/** A generated statement, under its prepared name or unnamed (`name` undefined). */
type StatementRun = { statement: Statement; values: readonly unknown[]; name: string | undefined };
/** A generated statement, a Kysely query (extended protocol), a simple-protocol text (BEGIN; SET LOCAL ...), or a cursor read. */
type Request = StatementRun | pg.QueryConfig | string | CursorRead;
type Resolve = (sent: Sent<unknown>) => void;
type Release = (destroy?: boolean) => void;

const isCursorRead = (request: Request): request is CursorRead => typeof request === 'object' && 'cursor' in request;
const isStatementRun = (request: Request): request is StatementRun => typeof request === 'object' && 'statement' in request;

/**
 * The timing site, for every request on every path. With `held`, the request runs on a held connection and reports
 * the lease's pending wait; without, a connection is checked out of `pool` for it (the wait measured here) and
 * released after, or, for `request` null, handed over as a lease. Callbacks, not promises, and no closure beyond
 * pg's own two (checkout, query): this is the hot path of every generated call, shaped like pg's pool.query.
 */
function dispatch(
  pool: pg.Pool | null,
  watch: CheckoutWatch,
  held: Lease | null,
  request: Request | null,
  prepared: PreparedMode | null,
  queryName: string,
  resolve: Resolve,
): void {
  if (held !== null) {
    const waitMs = held.waitMs;
    held.waitMs = null;
    if (request !== null) execute(held.client, request, waitMs, performance.now(), null, prepared, queryName, resolve);
    return;
  }
  if (pool === null) throw new Error('sqlbound: a request needs a pool or a held connection');
  const requested = performance.now();
  watch.before();
  pool.connect((error, client, release) => {
    watch.after();
    // One clock read ends the wait and starts the execution: performance.now() costs about 0.1 µs, a tenth of
    // what the whole runtime adds to a call.
    const acquired = performance.now();
    const waitMs = acquired - requested;
    if ((error !== undefined && error !== null) || client === undefined) {
      resolve({ ok: false, cause: error ?? new Error('pg-pool returned no client'), waitMs, executionMs: 0 });
      return;
    }
    if (request === null) {
      const lease: Lease = { client, waitMs, release: (broken) => release(broken ? true : undefined) };
      resolve({ ok: true, value: lease, waitMs, executionMs: 0 });
      return;
    }
    execute(client, request, waitMs, acquired, release, prepared, queryName, resolve);
  });
}

/**
 * Execution, timed from `start` (the moment the connection was there): the one place a request's running time is
 * taken. `release` is set for a connection checked out for this request alone.
 */
function execute(
  client: pg.PoolClient,
  request: Request,
  waitMs: number | null,
  start: number,
  release: Release | null,
  prepared: PreparedMode | null,
  queryName: string,
  resolve: Resolve,
): void {
  if (isCursorRead(request)) {
    request.cursor.read(request.rows, (error: Error | null | undefined, rows: unknown[]) => {
      const executionMs = performance.now() - start;
      resolve(
        error === undefined || error === null
          ? { ok: true, value: rows, waitMs, executionMs }
          : { ok: false, cause: error, waitMs, executionMs },
      );
    });
    return;
  }
  if (isStatementRun(request)) {
    const query = new StatementQuery(request.statement, request.values, request.name);
    // Assigned, not a named const: tsx (esbuild keepNames) wraps a named closure in a defineProperty per call.
    query.callback = (error, result) => finish(client, request, waitMs, start, release, prepared, queryName, resolve, error, result);
    // pg's typings give a Submittable's submit pg's public Connection type, which lacks what a query drives.
    client.query(query as unknown as pg.Submittable);
    return;
  }
  client.query(request, (error: Error | null, result: unknown) =>
    finish(client, request, waitMs, start, release, prepared, queryName, resolve, error, result),
  );
}

/** A request's outcome, timed; a named statement a pooler refused is rerun unnamed (see below). */
function finish(
  client: pg.PoolClient,
  request: Request,
  waitMs: number | null,
  start: number,
  release: Release | null,
  prepared: PreparedMode | null,
  queryName: string,
  resolve: Resolve,
  error: Error | null | undefined,
  result: unknown,
): void {
  const executionMs = performance.now() - start;
  if (error === null || error === undefined) {
    if (release !== null) release();
    resolve({ ok: true, value: result, waitMs, executionMs });
    return;
  }
  // A named statement refused by a pooled server connection ran nothing. On a connection of its own it is rerun
  // unnamed, once (`prepared` null: no further rerun); inside a transaction it cannot be (the transaction is
  // aborted): the mode switches, and db.transaction reruns the whole transaction unnamed.
  if (prepared !== null && fallBackToUnnamed(prepared, error, queryName) && release !== null && typeof request === 'object') {
    execute(client, { ...request, name: undefined }, waitMs, performance.now(), release, null, queryName, resolve);
    return;
  }
  if (release !== null) release(isConnectionBroken(error) ? true : undefined);
  resolve({ ok: false, cause: error, waitMs, executionMs });
}

/** A request on a held connection: a Kysely query, a control statement (BEGIN, COMMIT, SAVEPOINT...). */
export function send(lease: Lease, request: pg.QueryConfig | string): Promise<Sent<pg.QueryResult | pg.QueryResult[]>> {
  return new Promise((resolve) => dispatch(null, UNWATCHED, lease, request, null, '', resolve as Resolve));
}

/** The next batch of an open cursor on a held connection (a stream). */
export function read<Row>(lease: Lease, cursor: Cursor<Row>, rows: number): Promise<Sent<Row[]>> {
  return new Promise((resolve) => dispatch(null, UNWATCHED, lease, { cursor, rows }, null, '', resolve as Resolve));
}

/** One db's (or one replica's) pool, with its prepared-statement mode. */
export type Executor = {
  /** A generated statement on a connection checked out for it alone, released right after: the hot path. */
  statement(statement: Statement, values: readonly unknown[]): Promise<Sent<StatementResult>>;
  /** A generated statement on a held connection (inside a transaction). */
  statementOn(lease: Lease, statement: Statement, values: readonly unknown[]): Promise<Sent<StatementResult>>;
  /**
   * A connection for several requests; the wait is the lease's, reported by its first request. A failed checkout
   * rejects with what `refused` makes of it (the observation layer's typed, observed error).
   */
  lease(refused: (sent: Failure) => Error): Promise<Lease>;
  /** Named or unnamed statements; a pooler that shares connections switches it to unnamed (see prepared.ts). */
  readonly prepared: PreparedMode;
};

export function createExecutor(pool: pg.Pool, watch: CheckoutWatch, prepared: PreparedMode): Executor {
  return {
    prepared,
    statement(statement, values) {
      return new Promise((resolve) => {
        const named = prepared.named;
        const run: StatementRun = { statement, values, name: named ? preparedName(statement) : undefined };
        dispatch(pool, watch, null, run, named ? prepared : null, statement.name, resolve as Resolve);
      });
    },
    statementOn(lease, statement, values) {
      return new Promise((resolve) => {
        const named = prepared.named;
        const run: StatementRun = { statement, values, name: named ? preparedName(statement) : undefined };
        dispatch(pool, watch, lease, run, named ? prepared : null, statement.name, resolve as Resolve);
      });
    },
    lease(refused) {
      return new Promise((resolve, reject) =>
        dispatch(pool, watch, null, null, null, '', (sent) => (sent.ok ? resolve(sent.value as Lease) : reject(refused(sent)))),
      );
    },
  };
}
