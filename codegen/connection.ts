// The two questions codegen asks the server, and nothing else: what a statement's params and columns are
// (Parse/Describe), and how it would be planned (EXPLAIN GENERIC_PLAN with seqscan and sort disabled, or, to learn how
// its rows are found, with plain index scans disabled instead), plus the indexes that exist, so a suggested index is
// never one of them. The describe stage asks the first for every statement a query needs, up front; the verify stage
// asks the others for the composed statements at the end. Nothing between them holds a connection. Both answers depend only on the statement's text and
// the schema, which is fixed for the connection's life (a migration opens a new one), so each is asked once.
import type postgres from 'postgres';
import { parseEstimatedPlan, type PlanNode } from './audit/explain.js';
import type { ExistingIndex } from './audit/suggest.js';
import { EXISTING_INDEXES_SQL } from './audit/suggestion-catalog.js';

/** What Describe tells of one statement: each param's type OID, and each column's origin (table OID, attnum) and type. */
export type StatementShape = {
  paramTypes: readonly number[];
  columns: readonly { name: string; table: number; number: number; type: number }[];
};

export type SchemaConnection = {
  /** Parse/Describe, one round trip; a statement described once is not sent again. */
  describe(text: string): Promise<StatementShape>;
  /**
   * The generic plan in one round trip; a statement planned once is not sent again. `ordered` (seqscan and sort
   * disabled) shows whether an index finds and orders the rows; `found` (seqscan, index and index-only scans disabled,
   * sorts allowed) leaves the planner only bitmap scans, which every access method offers and which need a condition
   * the index serves: it shows whether an index finds the rows when none can order them.
   */
  explain(text: string, mode?: PlanMode): Promise<PlanNode>;
  /** Every index of the database's user tables, read once. */
  indexes(): Promise<readonly ExistingIndex[]>;
};

type PlanMode = 'ordered' | 'found';

const PLANNER_SETTINGS: Record<PlanMode, string> = {
  ordered: 'SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off;',
  found: 'SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off; SET LOCAL enable_indexonlyscan = off;',
};

/**
 * The connection over a postgres.js client. The planner settings go in the same simple-protocol message as the
 * EXPLAIN: its statements run as one implicit transaction, so `SET LOCAL` ends with it and nothing leaks into a
 * Describe that follows on the same connection.
 */
export function schemaConnection(sql: postgres.Sql): SchemaConnection {
  const described = new Map<string, Promise<StatementShape>>();
  const planned = new Map<string, Promise<PlanNode>>();
  let indexes: Promise<readonly ExistingIndex[]> | null = null;
  return {
    describe(text) {
      let shape = described.get(text);
      if (shape === undefined) {
        shape = sql
          .unsafe(text)
          .describe()
          .then((statement) => ({
            paramTypes: statement.types,
            columns: statement.columns.map((column) => ({
              name: column.name,
              table: column.table,
              number: column.number,
              type: column.type,
            })),
          }));
        // A rejected statement is asked again (its error is the caller's diagnostic, and the schema may change).
        shape.catch(() => described.delete(text));
        described.set(text, shape);
      }
      return shape;
    },
    explain(text, mode = 'ordered') {
      const key = `${mode}:${text}`;
      let plan = planned.get(key);
      if (plan === undefined) {
        plan = sql
          .unsafe<postgres.Row[][]>(`${PLANNER_SETTINGS[mode]} EXPLAIN (GENERIC_PLAN, FORMAT JSON) ${text}`)
          .simple()
          .then((results) => {
            const json: unknown = results.at(-1)?.[0]?.['QUERY PLAN'];
            if (json === undefined) throw new Error('EXPLAIN returned no plan');
            // Nothing runs: a node's rows are the planner's estimate (a sort left over found rows is recorded with it).
            return parseEstimatedPlan(json);
          });
        plan.catch(() => planned.delete(key));
        planned.set(key, plan);
      }
      return plan;
    },
    indexes() {
      indexes ??= sql
        .unsafe<ExistingIndex[]>(EXISTING_INDEXES_SQL)
        .then((rows) => rows.map((row) => ({ ...row, keys: [...row.keys], descending: [...row.descending] })));
      return indexes;
    },
  };
}
