// The seam between generated query modules and the runtime: generated code sees only these types.

/** A table a statement touches, and whether the touch is confined to the rows of one user (the scope param). */
export type TableTouch = { readonly table: string; readonly scoped: boolean };

/** The param whose value confines a statement to one user's rows (by convention `userId`), and its $n index. */
export type CacheScope = { readonly param: string; readonly index: number };

/** `-- cache: 30s`: results are cached per (query, every param value) and tagged by the tables they read. */
export type CachePolicy = {
  readonly ttlMs: number;
  readonly reads: readonly TableTouch[];
  readonly scope: CacheScope | null;
};

/** What a writing statement changes, so the runtime can drop the cached results that read it. */
export type WriteEffect = {
  readonly writes: readonly TableTouch[];
  readonly scope: CacheScope | null;
};

/** A generated statement: its name tags logs, metrics and the N+1 scope; its text is positional SQL. */
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
};

export type Rows<Row> = { rows: Row[]; rowCount: number };

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
 * `execute` throws only the typed errors of ./errors.ts, never a raw pg error.
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
