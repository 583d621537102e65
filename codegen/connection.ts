// The two questions codegen asks the server, and nothing else: what a statement's params and columns are
// (Parse/Describe), and how it would be planned (EXPLAIN GENERIC_PLAN with seqscan and sort disabled). The describe
// stage asks the first for every statement a query needs, up front; the verify stage asks both for the composed
// statements at the end. Nothing between them holds a connection. Both answers depend only on the statement's text and
// the schema, which is fixed for the connection's life (a migration opens a new one), so each is asked once.
import type postgres from 'postgres';
import { parsePlan, type PlanNode } from './audit/explain.js';

/** What Describe tells of one statement: each param's type OID, and each column's origin (table OID, attnum) and type. */
export type StatementShape = {
  paramTypes: readonly number[];
  columns: readonly { name: string; table: number; number: number; type: number }[];
};

export type SchemaConnection = {
  /** Parse/Describe, one round trip; a statement described once is not sent again. */
  describe(text: string): Promise<StatementShape>;
  /** The generic plan with seqscan and sort disabled, in one round trip; a statement planned once is not sent again. */
  explain(text: string): Promise<PlanNode>;
};

/**
 * The connection over a postgres.js client. The planner settings go in the same simple-protocol message as the
 * EXPLAIN: its statements run as one implicit transaction, so `SET LOCAL` ends with it and nothing leaks into a
 * Describe that follows on the same connection.
 */
export function schemaConnection(sql: postgres.Sql): SchemaConnection {
  const described = new Map<string, Promise<StatementShape>>();
  const planned = new Map<string, Promise<PlanNode>>();
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
    explain(text) {
      let plan = planned.get(text);
      if (plan === undefined) {
        plan = sql
          .unsafe<postgres.Row[][]>(
            `SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off; EXPLAIN (GENERIC_PLAN, FORMAT JSON) ${text}`,
          )
          .simple()
          .then((results) => {
            const json: unknown = results.at(-1)?.[0]?.['QUERY PLAN'];
            if (json === undefined) throw new Error('EXPLAIN returned no plan');
            return parsePlan(json);
          });
        plan.catch(() => planned.delete(text));
        planned.set(text, plan);
      }
      return plan;
    },
  };
}
