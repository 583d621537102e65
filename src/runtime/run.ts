// The few shapes every generated function reduces to. Generated modules stay thin; behaviour lives here once.
import type { CallOptions, Queryable, Statement } from './contract.js';
import { NotFoundError, TooManyRowsError } from './errors.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { assertLimit, type Cursor, type Page } from './pagination.js';
import { hasRevival, reviveRow, type ReviveSpec } from './revive.js';
import { MAX_BATCH_SIZE } from './stream.js';

function revived<Row>(rows: unknown[], revive: ReviveSpec | undefined): Row[] {
  return hasRevival(revive) ? rows.map((row) => reviveRow<Row>(revive, row)) : (rows as Row[]);
}

/**
 * The rows without the cursor columns, as new objects that copy the other columns. Not `delete`: deleting a
 * property turns a row into a slow dictionary object, which cost a 50-row page about 75 us (issue 16).
 */
function withoutColumns(rows: readonly Record<string, unknown>[], drop: readonly string[]): Record<string, unknown>[] {
  const first = rows[0];
  if (first === undefined) return [];
  const keep = Object.keys(first).filter((name) => !drop.includes(name));
  const items = new Array<Record<string, unknown>>(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const row = rows[k]!;
    const item: Record<string, unknown> = {};
    // A column named __proto__ is defined, not assigned: assignment would set the item's prototype.
    for (const name of keep) {
      if (name === '__proto__')
        Object.defineProperty(item, name, { value: row[name], enumerable: true, writable: true, configurable: true });
      else item[name] = row[name];
    }
    items[k] = item;
  }
  return items;
}

function atMostOne<Row>(statement: Statement, rows: Row[]): Row | null {
  if (rows.length > 1) {
    throw new TooManyRowsError(`${statement.name} returned ${rows.length} rows where at most one was proven`, {
      queryName: statement.name,
    });
  }
  return rows[0] ?? null;
}

/**
 * For generated code: a `:one` query. No row is a NotFoundError; more than one is a TooManyRowsError, because
 * codegen proved at most one and picking one would hide the broken proof.
 *
 * @example
 * ```ts
 * import { runOne, type CallOptions, type Queryable, type Statement } from 'sqlbound';
 *
 * const getProfileStatement: Statement = { name: 'getProfile', text: 'SELECT id, email FROM users WHERE id = $1' };
 * export function getProfile(db: Queryable, params: { userId: string }, options?: CallOptions) {
 *   return runOne<{ id: string; email: string }>(db, getProfileStatement, [params.userId], options);
 * }
 * ```
 */
export async function runOne<Row>(db: Queryable, statement: Statement, values: readonly unknown[], options?: CallOptions): Promise<Row> {
  const { rows } = await db.execute<unknown>(statement, values, options);
  const row = atMostOne(statement, revived<Row>(rows, statement.revive));
  if (row === null) throw new NotFoundError(`${statement.name} found no row`, { queryName: statement.name });
  return row;
}

/**
 * For generated code: a `:maybe` query, null when no row; more than one row is a TooManyRowsError, as for runOne.
 *
 * @example
 * ```ts
 * import { runMaybe, type Queryable, type Statement } from 'sqlbound';
 *
 * const statement: Statement = { name: 'getSubscriptionStatus', text: 'SELECT plan, status FROM subscriptions WHERE user_id = $1' };
 * export const getSubscriptionStatus = (db: Queryable, params: { userId: string }) =>
 *   runMaybe<{ plan: string; status: string }>(db, statement, [params.userId]);
 * ```
 */
export async function runMaybe<Row>(
  db: Queryable,
  statement: Statement,
  values: readonly unknown[],
  options?: CallOptions,
): Promise<Row | null> {
  const { rows } = await db.execute<unknown>(statement, values, options);
  return atMostOne(statement, revived<Row>(rows, statement.revive));
}

/**
 * For generated code: an `:exec` statement; resolves to the affected row count.
 *
 * @example
 * ```ts
 * import { runExec, type Queryable, type Statement } from 'sqlbound';
 *
 * const statement: Statement = { name: 'markAlertRead', text: 'UPDATE alerts SET read_at = now() WHERE id = $1 AND user_id = $2' };
 * export const markAlertRead = (db: Queryable, params: { alertId: string; userId: string }) =>
 *   runExec(db, statement, [params.alertId, params.userId]);
 * ```
 */
export async function runExec(db: Queryable, statement: Statement, values: readonly unknown[], options?: CallOptions): Promise<number> {
  const { rowCount } = await db.execute(statement, values, options);
  return rowCount;
}

/**
 * For generated code: a `:list` query as codegen writes it, one statement for the first page and one with the
 * keyset predicate for the next ones, each ending in `LIMIT $n` (page size plus one). Two statements, not one
 * with an optional predicate, so each gets its own plan.
 *
 * @example
 * ```ts
 * import type { ListStatements } from 'sqlbound';
 *
 * const listBrokersStatements: ListStatements<'listBrokers'> = {
 *   name: 'listBrokers',
 *   first: { name: 'listBrokers', lookAhead: true, text: 'SELECT id, name, id::text AS __cursor_0 FROM data_brokers ORDER BY id LIMIT $1::int4' },
 *   after: {
 *     name: 'listBrokers:after',
 *     lookAhead: true,
 *     text: 'SELECT id, name, id::text AS __cursor_0 FROM data_brokers WHERE id > $1::int8 ORDER BY id LIMIT $2::int4',
 *   },
 *   cursorColumns: ['__cursor_0'],
 *   item: (row) => ({ id: row['id'], name: row['name'] }),
 * };
 * ```
 */
export type ListStatements<Query extends string> = {
  name: Query;
  /** The first page: no keyset predicate. */
  first: Statement;
  /** Later pages: the keyset predicate over the cursor's values. */
  after: Statement;
  /** Trailing output columns that carry the order values as text; stripped from items. */
  cursorColumns: readonly string[];
  /**
   * Builds a page item from a row: every output column but the cursor columns, as an object literal. Codegen emits
   * it; without it the runtime copies the columns by name, which cost a 51-row page about 10 us more (issue 16).
   */
  item?: (row: Readonly<Record<string, unknown>>) => Record<string, unknown>;
  /** The fields of a page item that need reviving (include JSON, int8 text), applied after `item`. */
  revive?: ReviveSpec;
};

function itemsOf(rows: readonly Record<string, unknown>[], list: ListStatements<string>): Record<string, unknown>[] {
  const build = list.item;
  return build === undefined ? withoutColumns(rows, list.cursorColumns) : rows.map((row) => build(row));
}

/**
 * `values` are every param of the query but the keyset and the limit: its scope (userId) and its filters.
 * The cursor is sealed to them, so a page's cursor only continues the same query for the same user and filters.
 * For generated code: a `:list` query; the limit is checked at runtime too (InvalidInputError), for callers that
 * cast their way past `Limit`.
 *
 * @example
 * ```ts
 * import { runList, type Cursor, type Limit, type ListStatements, type Page, type Queryable } from 'sqlbound';
 *
 * declare const listBrokersStatements: ListStatements<'listBrokers'>; // as in ListStatements' example
 * type BrokerRow = { id: string; name: string };
 * export function listBrokers(db: Queryable, params: { limit: Limit; cursor: Cursor<'listBrokers'> | null }): Promise<Page<BrokerRow, 'listBrokers'>> {
 *   return runList(db, listBrokersStatements, [], params.limit, params.cursor);
 * }
 * ```
 */
export async function runList<Query extends string, Row>(
  db: Queryable,
  list: ListStatements<Query>,
  values: readonly unknown[],
  limit: unknown,
  cursor: Cursor<Query> | null | undefined,
  options?: CallOptions,
): Promise<Page<Row, Query>> {
  assertLimit(list.name, limit);
  const fetch = limit + 1; // one extra row says whether a next page exists
  const { rows } =
    cursor === null || cursor === undefined
      ? await db.execute<Record<string, unknown>>(list.first, [...values, fetch], options)
      : await db.execute<Record<string, unknown>>(
          list.after,
          [...values, ...decodeCursor(db.cursorSecret, list.name, values, cursor, list.cursorColumns.length), fetch],
          options,
        );
  const pageRows = rows.length > limit ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  const nextCursor =
    rows.length > limit && last !== undefined
      ? encodeCursor(
          db.cursorSecret,
          list.name,
          values,
          list.cursorColumns.map((column) => String(last[column])),
        )
      : null;
  const items = revived<Row>(itemsOf(pageRows, list), list.revive);
  return { items, nextCursor };
}

/**
 * For generated code: a `:stream` query, batches from a server-side cursor on a connection of its own, which is
 * released however the loop ends (break, throw). The batch size is clamped to 1..100.
 *
 * @example
 * ```ts
 * import { runStream, type Queryable, type Statement } from 'sqlbound';
 *
 * declare const writeCsv: (rows: { id: string; title: string }[]) => Promise<void>;
 * const statement: Statement = { name: 'exportAlerts', text: 'SELECT id, title FROM alerts WHERE user_id = $1 ORDER BY id' };
 * const exportAlerts = (db: Queryable, params: { userId: string }) => runStream<{ id: string; title: string }>(db, statement, [params.userId], 100);
 * for await (const batch of exportAlerts(db, { userId: '1' })) await writeCsv(batch);
 * ```
 */
export async function* runStream<Row>(
  db: Queryable,
  statement: Statement,
  values: readonly unknown[],
  batchSize: number,
): AsyncGenerator<Row[]> {
  const { revive } = statement;
  for await (const batch of db.stream<unknown>(statement, values, Math.min(Math.max(1, Math.trunc(batchSize)), MAX_BATCH_SIZE))) {
    yield revived<Row>(batch, revive);
  }
}
