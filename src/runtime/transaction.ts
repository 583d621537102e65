// db.transaction(fn): BEGIN/COMMIT/ROLLBACK on one checked-out connection, released on every path; serialization
// failures (40001, 40P01) are retried a bounded number of times, nothing else is; nested calls use SAVEPOINTs.
import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { Queryable, Rows, Statement } from './contract.js';
import { DatabaseError, SerializationFailureError, isConnectionBroken, isSqlboundError, toSqlboundError } from './errors.js';
import type { QueryCache } from './cache.js';
import { execute } from './execute.js';
import { createKysely } from './kysely.js';
import type { Acquire, Lease } from './lease.js';
import type { EmptyDatabase } from './kysely.js';
import type { Observer } from './observe.js';
import type { ResolvedOptions } from './options.js';
import { isPreparedMismatch, type PreparedMode } from './prepared.js';
import { stream } from './stream.js';

/**
 * A transaction's isolation level, written as in `BEGIN ISOLATION LEVEL ...`. Under `'serializable'` and
 * `'repeatable read'` a conflict fails with 40001, which db.transaction retries.
 *
 * @example
 * ```ts
 * import type { IsolationLevel } from 'sqlbound';
 * import { markAlertRead } from './generated/index.js';
 *
 * declare const alertId: string, userId: string;
 * const isolationLevel: IsolationLevel = 'serializable';
 * await db.transaction(async (tx) => markAlertRead(tx, { alertId, userId }), { isolationLevel });
 * ```
 */
export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

/**
 * Options of db.transaction. The default is the server's (read committed, read write).
 *
 * @example
 * ```ts
 * import type { TransactionOptions } from 'sqlbound';
 * import { listAlerts, listExposures } from './generated/index.js';
 *
 * declare const userId: string;
 * const report: TransactionOptions = { isolationLevel: 'repeatable read', readOnly: true, maxRetries: 5 };
 * const [alerts, exposures] = await db.transaction(
 *   async (tx) => [await listAlerts(tx, { userId, limit: 100, cursor: null }), await listExposures(tx, { userId, limit: 100, cursor: null })],
 *   report,
 * );
 * ```
 */
export type TransactionOptions = {
  isolationLevel?: IsolationLevel;
  readOnly?: boolean;
  /** Retries after a serialization failure or deadlock; default the db's transactionRetries (3). */
  maxRetries?: number;
};

/**
 * A callback registered with tx.afterCommit: it runs once the outermost COMMIT succeeded, so a side effect (an
 * e-mail, a queue message) never announces a write that was rolled back, or retried.
 *
 * @example
 * ```ts
 * import { EventEmitter } from 'node:events';
 * import type { AfterCommit } from 'sqlbound';
 * import { markAlertRead } from './generated/index.js';
 *
 * declare const alertId: string, userId: string;
 * const events = new EventEmitter();
 * await db.transaction(async (tx) => {
 *   await markAlertRead(tx, { alertId, userId });
 *   const notify: AfterCommit = () => void events.emit('alert-read', alertId);
 *   tx.afterCommit(notify);
 * });
 * ```
 */
export type AfterCommit = () => void | Promise<void>;

/**
 * The handle `fn` receives: a Queryable on the transaction's connection. `DB` is the database's table types
 * (kysely-codegen's `DB`), for `tx.kysely`. Generated functions take it where they take the db, so the same
 * call runs inside or outside a transaction.
 *
 * @example
 * ```ts
 * import { createDb, type Transaction } from 'sqlbound';
 * import type { DB } from './generated/db.js';
 * import { markAlertRead } from './generated/index.js';
 *
 * const db = createDb<DB>({ connectionString: process.env.DATABASE_URL });
 * async function readAll(tx: Transaction<DB>, userId: string, alertIds: string[]): Promise<void> {
 *   for (const alertId of alertIds) await markAlertRead(tx, { alertId, userId });
 * }
 * await db.transaction((tx) => readAll(tx, '1', ['10', '11']));
 * ```
 */
export interface Transaction<DB = EmptyDatabase> extends Queryable {
  readonly inTransaction: true;
  /**
   * Kysely on the transaction's connection, timed and logged like the rest (created on first use). Nest with
   * tx.transaction(), not with Kysely's own transaction().
   */
  readonly kysely: Kysely<DB>;
  /** A nested unit of work in a SAVEPOINT: its failure rolls back only its own statements. */
  transaction<T>(fn: (tx: Transaction<DB>) => Promise<T>): Promise<T>;
  /** Runs after the outermost COMMIT succeeds (never on rollback, nor for a rolled-back savepoint). */
  afterCommit(callback: AfterCommit): void;
}

export type TransactionRuntime = {
  acquire: Acquire;
  observe: Observer;
  /** Cached reads are not served or filled inside a transaction; its writes invalidate after COMMIT. */
  cache: QueryCache | null;
  /** Named or unnamed statements; shared with the db handle, which may switch it (see prepared.ts). */
  prepared: PreparedMode;
  options: Pick<
    ResolvedOptions,
    | 'cursorSecret'
    | 'transactionRetries'
    | 'timeoutsVia'
    | 'statementTimeoutMs'
    | 'idleInTransactionTimeoutMs'
    | 'connectionTimeoutMillis'
    | 'logger'
  >;
};

/** BEGIN, plus SET LOCAL timeouts when they cannot travel as startup parameters: one simple-protocol round trip. */
function beginStatement(runtime: TransactionRuntime, options: TransactionOptions): string {
  const modes = [
    options.isolationLevel === undefined ? '' : ` ISOLATION LEVEL ${options.isolationLevel.toUpperCase()}`,
    options.readOnly === true ? ' READ ONLY' : '',
  ].join('');
  const parts = [`BEGIN${modes}`];
  const { timeoutsVia, statementTimeoutMs, idleInTransactionTimeoutMs } = runtime.options;
  if (timeoutsVia === 'none') {
    if (statementTimeoutMs > 0) parts.push(`SET LOCAL statement_timeout = ${statementTimeoutMs}`);
    if (idleInTransactionTimeoutMs > 0) {
      parts.push(`SET LOCAL idle_in_transaction_session_timeout = ${idleInTransactionTimeoutMs}`);
    }
  }
  return parts.join('; ');
}

export async function transaction<DB, T>(
  runtime: TransactionRuntime,
  fn: (tx: Transaction<DB>) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const retries = options.maxRetries ?? runtime.options.transactionRetries;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await attemptTransaction(runtime, fn, options);
    } catch (error) {
      // A named statement refused by a pooled server connection aborted the transaction before it changed
      // anything; the handle now runs unnamed statements, so one rerun succeeds.
      if (isPreparedMismatch(error) && !runtime.prepared.named && attempt === 0) continue;
      if (!(error instanceof SerializationFailureError) || attempt >= retries) throw error;
      runtime.options.logger.info(
        { query: error.queryName, sqlState: error.sqlState, attempt: attempt + 1, retries },
        'retrying transaction after a serialization failure',
      );
    }
  }
}

/** One transaction or savepoint level; `connection` is shared by all levels of one transaction. */
type Scope = { callbacks: AfterCommit[]; finished: boolean; connection: { broken: boolean } };

async function attemptTransaction<DB, T>(
  runtime: TransactionRuntime,
  fn: (tx: Transaction<DB>) => Promise<T>,
  options: TransactionOptions,
): Promise<T> {
  const lease = await runtime.acquire('transaction', []);
  const scope: Scope = { callbacks: [], finished: false, connection: { broken: false } };
  let result: T;
  try {
    await control(runtime, lease, 'transaction:begin', beginStatement(runtime, options), lease.waitMs);
    try {
      result = await fn(transactionHandle(runtime, lease.client, scope, 0));
    } catch (error) {
      await rollback(runtime, lease.client, scope, 'ROLLBACK', 'transaction:rollback');
      throw error;
    }
    const commit = await control(runtime, lease, 'transaction:commit', 'COMMIT', null);
    // COMMIT of a transaction that an error aborted (the error was caught inside fn) reports ROLLBACK, not an error.
    if (commit.command === 'ROLLBACK') {
      throw new DatabaseError('transaction:commit: the transaction was aborted by an earlier error and rolled back', {
        queryName: 'transaction:commit',
        sqlState: '25P02',
      });
    }
  } catch (error) {
    // A typed error from a dead connection; an application error thrown by fn leaves the connection usable.
    if (isSqlboundError(error) && isConnectionBroken(error)) scope.connection.broken = true;
    throw error;
  } finally {
    scope.finished = true;
    lease.release(scope.connection.broken);
  }
  for (const callback of scope.callbacks) {
    try {
      await callback();
    } catch (error) {
      runtime.options.logger.error({ err: error }, 'afterCommit callback failed (the transaction is committed)');
    }
  }
  return result;
}

/** A control statement (BEGIN, COMMIT, SAVEPOINT...) on the transaction's connection, timed and typed. */
async function control(
  runtime: TransactionRuntime,
  lease: Pick<Lease, 'client'>,
  queryName: string,
  text: string,
  waitMs: number | null,
): Promise<pg.QueryResult> {
  const start = performance.now();
  try {
    const result = await lease.client.query(text);
    const last = Array.isArray(result) ? (result as pg.QueryResult[]).at(-1) : result;
    runtime.observe({ queryName, waitMs, executionMs: performance.now() - start, rows: 0, parameters: [] });
    if (last === undefined) throw new DatabaseError(`${queryName}: no result`, { queryName });
    return last;
  } catch (cause) {
    const error = toSqlboundError(cause, queryName);
    runtime.observe({ queryName, waitMs, executionMs: performance.now() - start, rows: 0, error, parameters: [] });
    throw error;
  }
}

/** Rolls back (or to a savepoint); a failure here means the connection is unusable, so it is marked for destroy. */
async function rollback(runtime: TransactionRuntime, client: pg.PoolClient, scope: Scope, text: string, queryName: string): Promise<void> {
  if (scope.connection.broken) return;
  try {
    await control(runtime, { client }, queryName, text, null);
  } catch {
    scope.connection.broken = true;
  }
}

function transactionHandle<DB>(runtime: TransactionRuntime, client: pg.PoolClient, scope: Scope, depth: number): Transaction<DB> {
  const { observe, options } = runtime;
  // Statements inside a transaction run on its connection: no pool wait, and the connection is only marked broken.
  const acquire: Acquire = async (queryName) => {
    if (scope.finished) {
      throw new DatabaseError(`${queryName}: the transaction has already finished; use the db handle`, { queryName });
    }
    return {
      client,
      waitMs: null,
      release: (broken) => {
        if (broken) scope.connection.broken = true;
      },
    };
  };
  let kysely: Kysely<DB> | undefined;
  const handle: Transaction<DB> = {
    inTransaction: true,
    get kysely() {
      kysely ??= createKysely<DB>(acquire, observe);
      return kysely;
    },
    cursorSecret: options.cursorSecret,
    async execute<Row>(statement: Statement, values: readonly unknown[]): Promise<Rows<Row>> {
      const result = await execute<Row>(acquire, observe, runtime.prepared, statement, values);
      const { cache } = runtime;
      const { effect } = statement;
      if (cache !== null && effect !== undefined) {
        handle.afterCommit(() => cache.invalidate(statement.name, effect, values));
      }
      return result;
    },
    stream<Row>(statement: Statement, values: readonly unknown[], batchSize: number): AsyncIterable<Row[]> {
      return stream<Row>(acquire, observe, options.connectionTimeoutMillis, statement, values, batchSize);
    },
    async transaction<T>(fn: (tx: Transaction<DB>) => Promise<T>): Promise<T> {
      if (scope.finished) throw new DatabaseError('savepoint: the transaction has already finished');
      const name = `sqlbound_sp_${depth + 1}`;
      const lease = { client };
      await control(runtime, lease, 'transaction:savepoint', `SAVEPOINT ${name}`, null);
      const inner: Scope = { callbacks: [], finished: false, connection: scope.connection };
      try {
        const result = await fn(transactionHandle<DB>(runtime, client, inner, depth + 1));
        await control(runtime, lease, 'transaction:release', `RELEASE SAVEPOINT ${name}`, null);
        scope.callbacks.push(...inner.callbacks);
        return result;
      } catch (error) {
        await rollback(runtime, client, scope, `ROLLBACK TO SAVEPOINT ${name}`, 'transaction:rollback_to_savepoint');
        throw error;
      } finally {
        inner.finished = true;
      }
    },
    afterCommit(callback: AfterCommit): void {
      if (scope.finished) throw new DatabaseError('afterCommit: the transaction has already finished');
      scope.callbacks.push(callback);
    },
  };
  return handle;
}
