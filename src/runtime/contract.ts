// The seam between generated query modules and the runtime: generated code sees only these types.

/** A generated statement: its name tags logs, metrics and the N+1 scope; its text is positional SQL. */
export type Statement = {
  readonly name: string;
  readonly text: string;
};

export type Rows<Row> = { rows: Row[]; rowCount: number };

export type CallOptions = {
  /** Skip the result cache for this call (no effect on uncached queries). */
  bypassCache?: boolean;
};

/**
 * What every generated function takes first: the pooled database or a transaction.
 * `execute` throws only the typed errors of ./errors.ts, never a raw pg error.
 */
export interface Queryable {
  execute<Row>(statement: Statement, values: readonly unknown[]): Promise<Rows<Row>>;
  /** Server-side cursor on its own connection; batches hold at most `batchSize` rows. */
  stream<Row>(statement: Statement, values: readonly unknown[], batchSize: number): AsyncIterable<Row[]>;
  /** Key that signs and verifies keyset cursors. */
  readonly cursorSecret: string;
  /** True inside db.transaction(); caches are neither read nor filled there. */
  readonly inTransaction: boolean;
}
