// Kysely over the same pool: Kysely's own PostgresDialect, given a pool whose connections send every query through
// the executor and the observation layer, so it is timed, logged and typed exactly like a generated statement.
// Query names are `kysely:<verb> <table>`, or the name in a leading `/* sqlbound:name=<name> */` comment.
import { Kysely, PostgresDialect, type PostgresCursor, type PostgresPool, type PostgresPoolClient, type PostgresQueryResult } from 'kysely';
import type pg from 'pg';
import Cursor from 'pg-cursor';
import { isConnectionBroken } from './errors.js';
import { send, type Acquire, type Lease } from './executor.js';
import { writeReportingDialect, type DoneWrites } from './kysely-driver.js';
import { failed, report } from './layers/observation.js';
import type { Observer } from './observe.js';

const names = new Map<string, string>();
const NAMED = /\/\*\s*sqlbound:name=([A-Za-z0-9_.:-]+)\s*\*\//;
const VERB = /^\s*(?:\/\*.*?\*\/\s*)*(\w+)/s;
const TABLE = /\b(?:from|into|update|join)\s+(?:"?(\w+)"?\.)?"?(\w+)"?/i;

/** A low-cardinality name for a Kysely statement, cached per SQL text. */
export function kyselyQueryName(sql: string): string {
  let name = names.get(sql);
  if (name !== undefined) return name;
  const named = NAMED.exec(sql)?.[1];
  if (named !== undefined) name = named;
  else {
    const verb = (VERB.exec(sql)?.[1] ?? 'query').toLowerCase();
    const table = ['select', 'insert', 'update', 'delete', 'with', 'merge'].includes(verb) ? TABLE.exec(sql)?.[2] : undefined;
    name = table === undefined ? `kysely:${verb}` : `kysely:${verb} ${table}`;
  }
  if (names.size > 5000) names.clear();
  names.set(sql, name);
  return name;
}

/** Per-checkout state of one pooled connection, reset on every checkout (the lease reports its wait with the first query). */
type Checkout = { lease: Lease; broken: boolean };

/**
 * The wrapper Kysely sees for one pg client. It is created once per client and reused on every checkout, so
 * Kysely's own per-client connection cache hits and nothing is allocated per query beyond the query itself.
 */
const WRITES = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'COMMIT']);

function instrumentedClient(checkout: Checkout, observe: Observer, afterWrite: (() => Promise<void>) | undefined): PostgresPoolClient {
  async function run<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    const queryName = kyselyQueryName(sql);
    // The checkout's pool wait belongs to its first statement (Kysely checks out once per query or transaction).
    // Always the extended protocol, even without parameters: there the server refuses SQL of several statements before
    // running any of them (a typed error for the caller, nothing changed), where the simple protocol would run them
    // all and answer with several results Kysely cannot read.
    // pg reads queryMode (since 8.8); its type declarations do not list it yet.
    const request: pg.QueryConfig & { queryMode: 'extended' } = { text: sql, values: parameters as unknown[], queryMode: 'extended' };
    const sent = await send(checkout.lease, request);
    if (!sent.ok) {
      // Released by Kysely afterwards: a dead connection is then destroyed, not pooled.
      if (isConnectionBroken(sent.cause)) checkout.broken = true;
      failed(observe, queryName, parameters, sent);
    }
    // One statement, extended protocol: pg answers with one result.
    const result = sent.value as pg.QueryResult;
    const rows = result.rows as R[];
    const rowCount = result.rowCount ?? rows.length;
    report(observe, queryName, parameters, sent.waitMs, sent.executionMs, rowCount);
    if (afterWrite !== undefined && WRITES.has(result.command)) await afterWrite();
    // Kysely reads only these commands' names; others are reported as SELECT.
    const command =
      result.command === 'UPDATE' ||
      result.command === 'DELETE' ||
      result.command === 'INSERT' ||
      result.command === 'MERGE' ||
      result.command === 'COMMIT' ||
      result.command === 'ROLLBACK'
        ? result.command
        : 'SELECT';
    return { command, rowCount, rows };
  }
  function query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  function query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  function query<R>(
    target: string | PostgresCursor<R>,
    parameters: ReadonlyArray<unknown> = [],
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof target === 'string') return run<R>(target, parameters);
    if (target instanceof Cursor) return checkout.lease.client.query(target);
    throw new TypeError('sqlbound: Kysely streams must use pg-cursor');
  }
  return {
    query,
    release: (destroy) => checkout.lease.release(destroy === true || checkout.broken),
  };
}

/**
 * The table types of a database nobody described: Kysely works, but knows no table. It is createDb's default
 * `DB`, so forgetting the generated types shows up as a compile error on the first `selectFrom`, not as `any`.
 *
 * @example
 * ```ts
 * import { createDb, type Db, type EmptyDatabase } from 'sqlbound';
 *
 * // Generated functions need no table types; only db.kysely does.
 * const db: Db<EmptyDatabase> = createDb({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export type EmptyDatabase = Record<string, never>;

/** Told of each durable Kysely write (tables or `unknown`), with the query name of the statement that made it. */
export type OnKyselyWrites = (writes: DoneWrites, queryName: string) => Promise<void>;

/**
 * A Kysely whose every query goes through `acquire` (the db pool, or one transaction's connection). `afterWrite` runs
 * after each write or COMMIT through the db handle's Kysely (read-your-writes with replicas). `onWrites` hears what
 * each statement wrote, once it is durable (after Kysely's COMMIT inside its transactions): the cache's invalidation.
 */
export function createKysely<DB>(
  acquire: Acquire,
  observe: Observer,
  afterWrite?: () => Promise<void>,
  onWrites?: OnKyselyWrites,
): Kysely<DB> {
  const clients = new WeakMap<pg.PoolClient, { checkout: Checkout; wrapper: PostgresPoolClient }>();
  const pool: PostgresPool = {
    connect: () =>
      acquire('kysely:connect', []).then((lease) => {
        let known = clients.get(lease.client);
        if (known === undefined) {
          const checkout: Checkout = { lease, broken: false };
          known = { checkout, wrapper: instrumentedClient(checkout, observe, afterWrite) };
          clients.set(lease.client, known);
        } else {
          known.checkout.lease = lease;
          known.checkout.broken = false;
        }
        return known.wrapper;
      }),
    // The db handle owns the pool: Kysely's destroy() must not end it.
    end: async () => {},
  };
  const dialect = new PostgresDialect({ pool, cursor: Cursor });
  return new Kysely<DB>({
    dialect: onWrites === undefined ? dialect : writeReportingDialect(dialect, (writes, sql) => onWrites(writes, kyselyQueryName(sql))),
  });
}
