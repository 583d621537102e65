// execute(): one statement on a leased connection, timed (pool wait apart from execution), typed errors only.
import type pg from 'pg';
import type { Rows, Statement } from './contract.js';
import { isConnectionBroken } from './errors.js';
import { failed, observeFailure, type Acquire } from './lease.js';
import type { Observer } from './observe.js';
import type { CheckoutWatch } from './pool.js';
import { fallBackToUnnamed, queryConfig, type PreparedMode } from './prepared.js';

/** Rows the caller receives: a keyset page's look-ahead row is fetched to find the next page, not returned. */
function pageRows(statement: Statement, values: readonly unknown[], rowCount: number): number {
  if (statement.lookAhead !== true) return rowCount;
  const fetched = values[values.length - 1];
  return typeof fetched === 'number' ? Math.min(rowCount, fetched - 1) : rowCount;
}

export async function execute<Row>(
  acquire: Acquire,
  observe: Observer,
  prepared: PreparedMode,
  statement: Statement,
  values: readonly unknown[],
): Promise<Rows<Row>> {
  const lease = await acquire(statement.name, values);
  const start = performance.now();
  let result;
  try {
    result = await lease.client.query(queryConfig(statement, values, prepared.named));
  } catch (cause) {
    // Inside a transaction the statement cannot be rerun (the transaction is aborted): db.transaction reruns it.
    if (prepared.named) fallBackToUnnamed(prepared, cause, statement.name);
    failed(lease, cause, { queryName: statement.name, executionMs: performance.now() - start, values }, observe);
  }
  const executionMs = performance.now() - start;
  lease.release(false);
  // pg leaves rows untyped; the generated statement's Row type is the contract codegen proved against the database.
  const rows = result.rows as Row[];
  const rowCount = result.rowCount ?? rows.length;
  observe({
    queryName: statement.name,
    waitMs: lease.waitMs,
    executionMs,
    rows: pageRows(statement, values, rowCount),
    parameters: values,
  });
  return { rows, rowCount };
}

type PoolOutcome =
  | { ok: true; result: pg.QueryResult; waitMs: number; executionMs: number }
  | { ok: false; cause: unknown; waitMs: number; executionMs: number };

/**
 * The pool path of execute(), shaped like pg's own pool.query (callback checkout and query inside one promise):
 * the hot path of every generated call, so it adds as little as possible over raw pg.
 */
function runOnPool(pool: pg.Pool, config: pg.QueryConfig, watch: CheckoutWatch): Promise<PoolOutcome> {
  return new Promise((resolve) => {
    const requested = performance.now();
    watch.before();
    pool.connect((connectError, client, release) => {
      watch.after();
      const acquired = performance.now();
      const waitMs = acquired - requested;
      if (connectError !== undefined && connectError !== null) {
        resolve({ ok: false, cause: connectError, waitMs, executionMs: 0 });
        return;
      }
      if (client === undefined) {
        resolve({ ok: false, cause: new Error('pg-pool returned no client'), waitMs, executionMs: 0 });
        return;
      }
      client.query(config, (queryError: Error | null, result: pg.QueryResult) => {
        const executionMs = performance.now() - acquired;
        if (queryError !== null && queryError !== undefined) {
          release(isConnectionBroken(queryError) ? true : undefined);
          resolve({ ok: false, cause: queryError, waitMs, executionMs });
          return;
        }
        release();
        resolve({ ok: true, result, waitMs, executionMs });
      });
    });
  });
}

export async function executeOnPool<Row>(
  pool: pg.Pool,
  watch: CheckoutWatch,
  observe: Observer,
  prepared: PreparedMode,
  statement: Statement,
  values: readonly unknown[],
): Promise<Rows<Row>> {
  // Observed after this await, so that a slow log's call site can name the awaiting caller (async stack trace).
  const named = prepared.named;
  let outcome = await runOnPool(pool, queryConfig(statement, values, named), watch);
  // A named statement refused by a pooled server connection ran nothing: rerun it unnamed, once.
  if (!outcome.ok && named && fallBackToUnnamed(prepared, outcome.cause, statement.name)) {
    outcome = await runOnPool(pool, queryConfig(statement, values, false), watch);
  }
  const { waitMs, executionMs } = outcome;
  if (!outcome.ok) observeFailure(outcome.cause, { queryName: statement.name, waitMs, executionMs, values }, observe);
  // pg leaves rows untyped; the generated statement's Row type is the contract codegen proved against the database.
  const rows = outcome.result.rows as Row[];
  const rowCount = outcome.result.rowCount ?? rows.length;
  observe({ queryName: statement.name, waitMs, executionMs, rows: pageRows(statement, values, rowCount), parameters: values });
  return { rows, rowCount };
}
