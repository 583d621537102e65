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

function atMostOne<Row>(statement: Statement, rows: Row[]): Row | null {
  if (rows.length > 1) {
    throw new TooManyRowsError(`${statement.name} returned ${rows.length} rows where at most one was proven`, {
      queryName: statement.name,
    });
  }
  return rows[0] ?? null;
}

export async function runOne<Row>(
  db: Queryable,
  statement: Statement,
  values: readonly unknown[],
  revive?: ReviveSpec,
  options?: CallOptions,
): Promise<Row> {
  const { rows } = await db.execute<unknown>(statement, values, options);
  const row = atMostOne(statement, revived<Row>(rows, revive));
  if (row === null) throw new NotFoundError(`${statement.name} found no row`, { queryName: statement.name });
  return row;
}

export async function runMaybe<Row>(
  db: Queryable,
  statement: Statement,
  values: readonly unknown[],
  revive?: ReviveSpec,
  options?: CallOptions,
): Promise<Row | null> {
  const { rows } = await db.execute<unknown>(statement, values, options);
  return atMostOne(statement, revived<Row>(rows, revive));
}

export async function runExec(
  db: Queryable,
  statement: Statement,
  values: readonly unknown[],
  options?: CallOptions,
): Promise<number> {
  const { rowCount } = await db.execute(statement, values, options);
  return rowCount;
}

export type ListStatements<Query extends string> = {
  name: Query;
  /** The first page: no keyset predicate. */
  first: Statement;
  /** Later pages: the keyset predicate over the cursor's values. */
  after: Statement;
  /** Trailing output columns that carry the order values as text; stripped from items. */
  cursorColumns: readonly string[];
};

/**
 * `values` are every param of the query but the keyset and the limit: its scope (userId) and its filters.
 * The cursor is sealed to them, so a page's cursor only continues the same query for the same user and filters.
 */
export async function runList<Query extends string, Row>(
  db: Queryable,
  list: ListStatements<Query>,
  values: readonly unknown[],
  limit: unknown,
  cursor: Cursor<Query> | null | undefined,
  revive?: ReviveSpec,
  options?: CallOptions,
): Promise<Page<Row, Query>> {
  assertLimit(list.name, limit);
  const fetch = limit + 1; // one extra row says whether a next page exists
  const { rows } =
    cursor === null || cursor === undefined
      ? await db.execute<Record<string, unknown>>(list.first, [...values, fetch], options)
      : await db.execute<Record<string, unknown>>(list.after, [
          ...values,
          ...decodeCursor(db.cursorSecret, list.name, values, cursor, list.cursorColumns.length),
          fetch,
        ], options);
  const pageRows = rows.slice(0, limit);
  const last = pageRows[pageRows.length - 1];
  const nextCursor =
    rows.length > limit && last !== undefined
      ? encodeCursor(db.cursorSecret, list.name, values, list.cursorColumns.map((column) => String(last[column])))
      : null;
  const items = revived<Row>(
    pageRows.map((row) => {
      const item = { ...row };
      for (const column of list.cursorColumns) delete item[column];
      return item;
    }),
    revive,
  );
  return { items, nextCursor };
}

export async function* runStream<Row>(
  db: Queryable,
  statement: Statement,
  values: readonly unknown[],
  batchSize: number,
  revive?: ReviveSpec,
): AsyncGenerator<Row[]> {
  for await (const batch of db.stream<unknown>(statement, values, Math.min(Math.max(1, Math.trunc(batchSize)), MAX_BATCH_SIZE))) {
    yield revived<Row>(batch, revive);
  }
}
