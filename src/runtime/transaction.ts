// db.transaction(fn): BEGIN/COMMIT/ROLLBACK on one checked-out connection, released on every path; serialization
// failures (40001, 40P01) are retried a bounded number of times, nothing else is; nested calls use SAVEPOINTs.
// Every statement of a transaction (control, generated, Kysely, a stream's reads) goes through the executor's
// held-connection entries and the observation layer: timed and observed where every other call is.
import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { CallOptions, Queryable, Statement } from './contract.js';
import { DatabaseError, SerializationFailureError, isConnectionBroken, isSqlboundError } from './errors.js';
import type { QueryCache } from './cache.js';
import { send, type Acquire, type Executor, type Lease } from './executor.js';
import { createKysely } from './kysely.js';
import type { EmptyDatabase, OnKyselyWrites } from './kysely.js';
import { deferredInvalidation } from './layers/invalidation.js';
import { compose, type Step } from './layers/layer.js';
import { failed, report, statementRows } from './layers/observation.js';
import type { Observer } from './observe.js';
import type { ResolvedOptions } from './options.js';
import { isPreparedMismatch } from './prepared.js';
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
  /** Checks the transaction's connection out of the db's pool. */
  acquire: Acquire;
  /** The db's executor: its held-connection entry runs generated statements, in its prepared-statement mode. */
  executor: Executor;
  observe: Observer;
  /** Cached reads are not served or filled inside a transaction; its writes invalidate after COMMIT. */
  cache: QueryCache | null;
  /** What tx.kysely's writes are reported to after the outermost COMMIT (the cache's invalidation); none without a cache. */
  onKyselyWrites: OnKyselyWrites | undefined;
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
      if (isPreparedMismatch(error) && !runtime.executor.prepared.named && attempt === 0) continue;
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
    // BEGIN is the lease's first request: it reports the checkout's pool wait; nothing after it waits.
    await control(runtime, lease, 'transaction:begin', beginStatement(runtime, options));
    try {
      result = await fn(transactionHandle(runtime, lease.client, scope, 0));
    } catch (error) {
      await rollback(runtime, lease.client, scope, 'ROLLBACK', 'transaction:rollback');
      throw error;
    }
    const commit = await control(runtime, lease, 'transaction:commit', 'COMMIT');
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

const NO_VALUES: readonly unknown[] = [];

/** A control statement (BEGIN, COMMIT, SAVEPOINT...) on the transaction's connection, timed and typed. */
async function control(runtime: TransactionRuntime, lease: Lease, queryName: string, text: string): Promise<pg.QueryResult> {
  const sent = await send(lease, text);
  if (!sent.ok) failed(runtime.observe, queryName, NO_VALUES, sent);
  // BEGIN with SET LOCAL is several statements in one simple-protocol message: pg answers with one result each.
  const last = Array.isArray(sent.value) ? sent.value.at(-1) : sent.value;
  report(runtime.observe, queryName, NO_VALUES, sent.waitMs, sent.executionMs, 0);
  if (last === undefined) throw new DatabaseError(`${queryName}: no result`, { queryName });
  return last;
}

/** Rolls back (or to a savepoint); a failure here means the connection is unusable, so it is marked for destroy. */
async function rollback(runtime: TransactionRuntime, client: pg.PoolClient, scope: Scope, text: string, queryName: string): Promise<void> {
  if (scope.connection.broken) return;
  try {
    await control(runtime, heldLease(client, scope), queryName, text);
  } catch {
    scope.connection.broken = true;
  }
}

/** The transaction's connection as a lease for one request: no pool wait; a broken connection is only marked. */
function heldLease(client: pg.PoolClient, scope: Scope): Lease {
  return {
    client,
    waitMs: null,
    release: (broken) => {
      if (broken) scope.connection.broken = true;
    },
  };
}

function transactionHandle<DB>(runtime: TransactionRuntime, client: pg.PoolClient, scope: Scope, depth: number): Transaction<DB> {
  const { observe, options, executor } = runtime;
  // Statements inside a transaction run on its connection: no pool wait, and the connection is only marked broken.
  const acquire: Acquire = async (queryName) => {
    if (scope.finished) {
      throw new DatabaseError(`${queryName}: the transaction has already finished; use the db handle`, { queryName });
    }
    return heldLease(client, scope);
  };
  // The bottom step inside a transaction: the executor's held-connection entry, observed. No cache and no replica
  // layer: reads inside a transaction neither use nor fill the cache, and see the transaction's own writes.
  const onConnection: Step = async <Row>(statement: Statement, values: readonly unknown[]) => {
    const lease = await acquire(statement.name, values);
    const sent = await executor.statementOn(lease, statement, values);
    if (!sent.ok && isConnectionBroken(sent.cause)) lease.release(true);
    return statementRows<Row>(observe, statement, values, sent);
  };
  let kysely: Kysely<DB> | undefined;
  let execute: Step = onConnection;
  const handle: Transaction<DB> = {
    inTransaction: true,
    get kysely() {
      // Its writes wait for the outermost COMMIT, as a generated write's invalidation does (deferredInvalidation).
      const { onKyselyWrites } = runtime;
      kysely ??= createKysely<DB>(
        acquire,
        observe,
        undefined,
        onKyselyWrites === undefined ? undefined : async (writes, queryName) => handle.afterCommit(() => onKyselyWrites(writes, queryName)),
      );
      return kysely;
    },
    cursorSecret: options.cursorSecret,
    execute<Row>(statement: Statement, values: readonly unknown[], callOptions?: CallOptions) {
      return execute<Row>(statement, values, callOptions);
    },
    stream<Row>(statement: Statement, values: readonly unknown[], batchSize: number): AsyncIterable<Row[]> {
      return stream<Row>(acquire, observe, options.connectionTimeoutMillis, statement, values, batchSize);
    },
    async transaction<T>(fn: (tx: Transaction<DB>) => Promise<T>): Promise<T> {
      if (scope.finished) throw new DatabaseError('savepoint: the transaction has already finished');
      const name = `sqlbound_sp_${depth + 1}`;
      const lease = heldLease(client, scope);
      await control(runtime, lease, 'transaction:savepoint', `SAVEPOINT ${name}`);
      const inner: Scope = { callbacks: [], finished: false, connection: scope.connection };
      try {
        const result = await fn(transactionHandle<DB>(runtime, client, inner, depth + 1));
        await control(runtime, lease, 'transaction:release', `RELEASE SAVEPOINT ${name}`);
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
  // Writes drop cached results after the outermost COMMIT, through this handle's afterCommit.
  if (runtime.cache !== null)
    execute = compose([deferredInvalidation(runtime.cache, (callback) => handle.afterCommit(callback))], onConnection);
  return handle;
}
