// The observation layer: what the executor measured becomes one observed call (pino line, metrics, slow-query hook,
// the request scope's count) and, on failure, a typed error. The only place a FinishedCall is built: every path
// (generated statements, replicas' reads, transactions, streams, Kysely) reports through these functions.
import type { Rows, Statement } from '../contract.js';
import { toSqlboundError, type SqlboundError } from '../errors.js';
import type { Executor, Failure, Sent } from '../executor.js';
import type { StatementResult } from '../statement-query.js';
import type { Observer } from '../observe.js';
import type { Step } from './layer.js';

/** One finished call, observed. `error` is set for a failed one (the caller throws it). */
export function report(
  observe: Observer,
  queryName: string,
  values: readonly unknown[],
  waitMs: number | null,
  executionMs: number,
  rows: number,
  error?: SqlboundError,
): void {
  observe({ queryName, waitMs, executionMs, rows, error, parameters: values });
}

/** A failed request: its cause becomes a typed error, and the failure is observed. */
export function failure(observe: Observer, queryName: string, values: readonly unknown[], sent: Failure): SqlboundError {
  const error = toSqlboundError(sent.cause, queryName);
  report(observe, queryName, values, sent.waitMs, sent.executionMs, 0, error);
  return error;
}

/** A failed request, observed, and its typed error thrown. */
export function failed(observe: Observer, queryName: string, values: readonly unknown[], sent: Failure): never {
  throw failure(observe, queryName, values, sent);
}

/** Rows the caller receives: a keyset page's look-ahead row is fetched to find the next page, not returned. */
function pageRows(statement: Statement, values: readonly unknown[], rowCount: number): number {
  if (statement.lookAhead !== true) return rowCount;
  const fetched = values[values.length - 1];
  return typeof fetched === 'number' ? Math.min(rowCount, fetched - 1) : rowCount;
}

/** A generated statement's result, observed: its rows, or its typed error thrown. */
export function statementRows<Row>(
  observe: Observer,
  statement: Statement,
  values: readonly unknown[],
  sent: Sent<StatementResult>,
): Rows<Row> {
  if (!sent.ok) failed(observe, statement.name, values, sent);
  // Rows built by ./statement-query.ts; the generated statement's Row type is the contract codegen proved against the database.
  const rows = sent.value.rows as Row[];
  const rowCount = sent.value.rowCount ?? rows.length;
  report(observe, statement.name, values, sent.waitMs, sent.executionMs, pageRows(statement, values, rowCount));
  return { rows, rowCount };
}

/**
 * The bottom step of a db handle's chain (and of each replica's): the statement on its own pooled connection,
 * observed. Observed after the await, so that a slow line's call site can name the awaiting caller (V8's async
 * stack trace).
 */
export function observationLayer(executor: Executor, observe: Observer): Step {
  return async <Row>(statement: Statement, values: readonly unknown[]) =>
    statementRows<Row>(observe, statement, values, await executor.statement(statement, values));
}
