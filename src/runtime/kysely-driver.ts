// Kysely's driver, wrapped so that each statement's writes (./kysely-writes.ts, read from the tree Kysely compiled)
// are reported once they are durable: right after the statement, or, inside Kysely's own transaction, after its
// COMMIT, never after a ROLLBACK. A plugin's transformResult sees each statement too, but cannot tell whether it
// ran inside a transaction; a cache dropped before COMMIT can be refilled with the old rows by a read in between.
import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult, TransactionSettings } from 'kysely';
import { combineWrites, kyselyWrites, type KyselyWrites } from './kysely-writes.js';

/** Writes that happened: the tables named, or `unknown` (raw SQL that may write anything). */
export type DoneWrites = Extract<KyselyWrites, { kind: 'tables' | 'unknown' }>;

/** Told of each durable write, with the SQL of the (first) statement that made it. */
export type OnWrites = (writes: DoneWrites, sql: string) => Promise<void>;

/** One connection's checkout: whether Kysely (or raw BEGIN) opened a transaction, and the writes it holds back. */
type State = { inner: DatabaseConnection; inTransaction: boolean; pending: KyselyWrites; sql: string };

const NONE: KyselyWrites = { kind: 'none' };

function isDone(writes: KyselyWrites): writes is DoneWrites {
  return writes.kind === 'tables' || writes.kind === 'unknown';
}

/** A dialect whose driver reports writes to `onWrites`; everything else is `base`'s own. */
export function writeReportingDialect(base: Dialect, onWrites: OnWrites): Dialect {
  return {
    createAdapter: () => base.createAdapter(),
    createQueryCompiler: () => base.createQueryCompiler(),
    createIntrospector: (db) => base.createIntrospector(db),
    createDriver: () => writeReportingDriver(base.createDriver(), onWrites),
  };
}

function writeReportingDriver(driver: Driver, onWrites: OnWrites): Driver {
  // One wrapper per underlying connection (the driver reuses those per pg client), so a checkout allocates nothing.
  const wrappers = new WeakMap<DatabaseConnection, DatabaseConnection>();
  const states = new WeakMap<DatabaseConnection, State>();

  const stateOf = (connection: DatabaseConnection): State => {
    const state = states.get(connection);
    if (state === undefined) throw new TypeError('sqlbound: a connection this driver did not hand out');
    return state;
  };

  async function flush(state: State): Promise<void> {
    const { pending, sql } = state;
    state.pending = NONE;
    state.inTransaction = false;
    if (isDone(pending)) await onWrites(pending, sql);
  }

  async function settle(state: State, compiled: CompiledQuery): Promise<void> {
    const writes = kyselyWrites(compiled.query);
    if (writes.kind === 'none') return;
    if (writes.kind === 'control') {
      // Raw BEGIN/COMMIT/ROLLBACK (db.connection() with sql`begin`): the same rules as Kysely's own transaction.
      if (writes.control === 'begin') state.inTransaction = true;
      else if (writes.control === 'commit') await flush(state);
      else {
        state.pending = NONE;
        state.inTransaction = false;
      }
      return;
    }
    if (!state.inTransaction) return onWrites(writes, compiled.sql);
    if (state.pending.kind === 'none') state.sql = compiled.sql;
    state.pending = combineWrites(state.pending, writes);
  }

  function wrap(inner: DatabaseConnection): DatabaseConnection {
    const state: State = { inner, inTransaction: false, pending: NONE, sql: '' };
    const wrapper: DatabaseConnection = {
      async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
        // A failed statement wrote nothing: only a success is reported.
        const result = await inner.executeQuery<R>(compiled);
        await settle(state, compiled);
        return result;
      },
      async *streamQuery<R>(compiled: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
        try {
          yield* inner.streamQuery<R>(compiled, chunkSize);
        } finally {
          // A write streamed through a cursor (RETURNING) may have run even if the reader stopped early or failed:
          // reported in every case, since an extra invalidation is harmless and a missed one is not.
          await settle(state, compiled);
        }
      },
    };
    states.set(wrapper, state);
    return wrapper;
  }

  return {
    init: () => driver.init(),
    async acquireConnection() {
      const inner = await driver.acquireConnection();
      let wrapper = wrappers.get(inner);
      if (wrapper === undefined) {
        wrapper = wrap(inner);
        wrappers.set(inner, wrapper);
      }
      const state = stateOf(wrapper);
      state.inTransaction = false;
      state.pending = NONE;
      return wrapper;
    },
    async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
      const state = stateOf(connection);
      await driver.beginTransaction(state.inner, settings);
      state.inTransaction = true;
      state.pending = NONE;
    },
    async commitTransaction(connection: DatabaseConnection) {
      const state = stateOf(connection);
      try {
        await driver.commitTransaction(state.inner);
      } finally {
        // A COMMIT that failed may still have committed (the connection died after the server did): drop anyway.
        await flush(state);
      }
    },
    async rollbackTransaction(connection: DatabaseConnection) {
      const state = stateOf(connection);
      state.pending = NONE;
      state.inTransaction = false;
      await driver.rollbackTransaction(state.inner);
    },
    // Savepoints keep the writes pending: a rolled-back savepoint's writes are still dropped at COMMIT (harmless).
    async savepoint(connection, name, compileQuery) {
      if (driver.savepoint === undefined) throw new TypeError('sqlbound: the driver has no savepoints');
      await driver.savepoint(stateOf(connection).inner, name, compileQuery);
    },
    async rollbackToSavepoint(connection, name, compileQuery) {
      if (driver.rollbackToSavepoint === undefined) throw new TypeError('sqlbound: the driver has no savepoints');
      await driver.rollbackToSavepoint(stateOf(connection).inner, name, compileQuery);
    },
    async releaseSavepoint(connection, name, compileQuery) {
      if (driver.releaseSavepoint === undefined) throw new TypeError('sqlbound: the driver has no savepoints');
      await driver.releaseSavepoint(stateOf(connection).inner, name, compileQuery);
    },
    async releaseConnection(connection: DatabaseConnection) {
      const state = stateOf(connection);
      // A raw BEGIN never ended (the connection goes back mid-transaction): what it wrote may commit later; drop now.
      if (state.inTransaction) await flush(state);
      await driver.releaseConnection(state.inner);
    },
    destroy: () => driver.destroy(),
  };
}
