// The seam between generated query modules and the runtime: generated code sees only these types.
import type { ReviveSpec } from './revive.js';

/**
 * A table a statement touches, and whether the touch is confined to the rows of one user (the scope param).
 * A scoped write invalidates only that user's cached reads; an unscoped one, every cached read of the table.
 *
 * @example
 * ```ts
 * import type { TableTouch } from 'sqlbound';
 *
 * const touch: TableTouch = { table: 'alerts', scoped: true };
 * ```
 */
export type TableTouch = { readonly table: string; readonly scoped: boolean };

/**
 * The table name of a write whose targets cannot be known (a DO block, a routine in an opaque language, TRUNCATE
 * ... CASCADE): it drops every cached entry.
 *
 * @example
 * ```ts
 * import { EVERY_TABLE, type WriteEffect } from 'sqlbound';
 *
 * const effect: WriteEffect = { writes: [{ table: EVERY_TABLE, scoped: false }], scope: null };
 * ```
 */
export const EVERY_TABLE = '*';

/**
 * The param whose value confines a statement to one user's rows (by convention `userId`), and its index in the
 * statement's values (0-based: `$1` is 0).
 *
 * @example
 * ```ts
 * import type { CacheScope } from 'sqlbound';
 *
 * const scope: CacheScope = { param: 'userId', index: 0 };
 * ```
 */
export type CacheScope = { readonly param: string; readonly index: number };

/**
 * `-- cache: 30s`: results are cached per (query, every param value) and tagged by the tables they read, so a
 * write to one of them (a WriteEffect) drops them before the TTL. Codegen derives it from the SQL.
 *
 * @example
 * ```ts
 * import type { CachePolicy } from 'sqlbound';
 *
 * const cache: CachePolicy = { ttlMs: 300_000, reads: [{ table: 'users', scoped: true }], scope: { param: 'userId', index: 0 } };
 * ```
 */
export type CachePolicy = {
  readonly ttlMs: number;
  readonly reads: readonly TableTouch[];
  readonly scope: CacheScope | null;
};

/**
 * What a writing statement changes, so the runtime can drop the cached results that read it.
 *
 * @example
 * ```ts
 * import type { WriteEffect } from 'sqlbound';
 *
 * const effect: WriteEffect = { writes: [{ table: 'users', scoped: true }], scope: { param: 'userId', index: 2 } };
 * ```
 */
export type WriteEffect = {
  readonly writes: readonly TableTouch[];
  readonly scope: CacheScope | null;
};

/**
 * A generated statement: its name tags logs, metrics and the N+1 scope (and names the prepared statement); its
 * text is positional SQL.
 *
 * @example
 * ```ts
 * import type { Statement } from 'sqlbound';
 *
 * const getProfileStatement: Statement = {
 *   name: 'getProfile',
 *   text: 'SELECT id, email, full_name FROM users WHERE id = $1',
 *   cache: { ttlMs: 300_000, reads: [{ table: 'users', scoped: true }], scope: { param: 'userId', index: 0 } },
 * };
 * ```
 */
export type Statement = {
  readonly name: string;
  readonly text: string;
  readonly cache?: CachePolicy;
  readonly effect?: WriteEffect;
  /**
   * A keyset page: the last value is the page size plus one look-ahead row, which tells whether a next page
   * exists. Metrics and logs count only the rows of the page.
   */
  readonly lookAhead?: true;
  /** Proven by codegen to write nothing: a replica may serve it (when the query or the call opts in). */
  readonly readOnly?: true;
  /** `-- replica: ok`: served by a replica when one is configured and caught up with the caller's writes. */
  readonly replica?: true;
  /**
   * The fields of its rows that need reviving (JSON-borne dates, int8 text...). It travels with the statement, so
   * a generated call passes what the statement is and the call's options, never a placeholder between them.
   */
  readonly revive?: ReviveSpec;
  /**
   * Codegen's reading of its rows: pg hands them over as arrays (`rowMode: 'array'`) and `build` makes each row an
   * object literal by position, after the server's column names are checked against `columns` (the rows of a
   * statement whose columns differ are made by name, as pg would).
   */
  readonly shape?: RowShape;
};

/**
 * For generated code: a statement's output columns in order, and the row built from their values by position.
 * One object literal per row, of one hidden class: pg's own rows are a spread and a keyed store per column.
 *
 * @example
 * ```ts
 * import type { RowShape } from 'sqlbound';
 *
 * const shape: RowShape = { columns: ['id', 'email'], build: (v) => ({ id: v[0], email: v[1] }) };
 * ```
 */
export type RowShape = {
  readonly columns: readonly string[];
  readonly build: (values: readonly unknown[]) => Record<string, unknown>;
};

/**
 * What Queryable.execute resolves to. `rowCount` is the server's count (rows affected by an UPDATE), which can
 * differ from `rows.length`.
 *
 * @example
 * ```ts
 * import type { Rows } from 'sqlbound';
 *
 * const { rows, rowCount }: Rows<{ id: string }> = await db.execute({ name: 'userIds', text: 'SELECT id FROM users LIMIT 10' }, []);
 * ```
 */
export type Rows<Row> = { rows: Row[]; rowCount: number };

/**
 * Per-call options, the last argument of every generated function.
 *
 * @example
 * ```ts
 * import type { CallOptions } from 'sqlbound';
 * import { getProfile } from './generated/index.js';
 *
 * declare const userId: string;
 * // Right after the user edited it, read the profile from the database, not from the cache.
 * const fresh: CallOptions = { bypassCache: true };
 * const profile = await getProfile(db, { userId }, fresh);
 * ```
 */
export type CallOptions = {
  /** Skip the result cache for this call (no effect on uncached queries). */
  bypassCache?: boolean;
  /**
   * `true`: a read-only generated read may go to a replica although its query did not opt in; `false`: this call
   * reads from the primary although it did. Ignored for writes and inside transactions.
   */
  replica?: boolean;
};

/**
 * What every generated function takes first: the pooled database or a transaction.
 * `execute` throws only the typed errors of ./errors.ts, never a raw pg error. Write helpers against it, not
 * against Db, so they run in a transaction too.
 *
 * @example
 * ```ts
 * import type { Queryable } from 'sqlbound';
 * import { getProfile, listAlerts } from './generated/index.js';
 *
 * async function overview(db: Queryable, userId: string) {
 *   return { profile: await getProfile(db, { userId }), alerts: await listAlerts(db, { userId, limit: 10, cursor: null }) };
 * }
 * await overview(db, '1');
 * await db.transaction((tx) => overview(tx, '1'));
 * ```
 */
export interface Queryable {
  execute<Row>(statement: Statement, values: readonly unknown[], options?: CallOptions): Promise<Rows<Row>>;
  /** Server-side cursor on its own connection; batches hold at most `batchSize` rows. */
  stream<Row>(statement: Statement, values: readonly unknown[], batchSize: number): AsyncIterable<Row[]>;
  /** Key that seals and opens keyset cursors (src/runtime/cursor.ts). */
  readonly cursorSecret: string;
  /** True inside db.transaction(); caches are neither read nor filled there. */
  readonly inTransaction: boolean;
}
