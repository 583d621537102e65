// The static half of the index proof: what a statement's generic plan (EXPLAIN GENERIC_PLAN on the schema, with
// enable_seqscan and enable_sort off) says no index serves. A node the planner still could not avoid is marked
// Disabled; every node is walked, not only the top one. A full index scan that filters rows is the other escape (it
// is never disabled), so it is rejected too. Codegen's verify stage calls this; the measured half is ./checks.ts.
import { walk, type PlanNode } from './explain.js';
import { indexStatement, type IndexKey } from './suggest.js';
import { readableIdentifier } from 'sqlbound';

/**
 * Why a statement's generic plan is rejected: a static property of the SQL and the indexes. The audit's
 * `PlanFinding` (./checks.ts) is the other half: what a measured plan shows on production-sized data.
 */
export type PlanRejection = { nodeType: string; table: string | null; detail: string; fix: string };

/** The column names of a table as the plan names it (unqualified), for reading its conditions. */
export type ColumnsOf = (table: string) => readonly string[];

function firstRelation(node: PlanNode): string | null {
  for (const inner of walk(node)) if (inner.relation !== null) return inner.relation;
  return null;
}

/** Columns of `table` named in a plan expression such as "((user_id = $1) AND (title = $2))". */
function columnsIn(expression: string | null, table: string | null, columnsOf: ColumnsOf): string[] {
  if (expression === null || table === null) return [];
  const columns = columnsOf(table);
  const words = expression.match(/[a-z_][a-z0-9_]*/g) ?? [];
  return [...new Set(words.filter((word) => columns.includes(word)))];
}

/** A sort key as EXPLAIN prints it (`a.created_at DESC`) as an index key. */
function sortKey(key: string): IndexKey {
  const text = key.replace(/^[a-z_][a-z0-9_]*\./, '').replace(/[()]/g, '');
  const plain = /^([a-z_][a-z0-9_]*)(?: (ASC|DESC))?$/.exec(text);
  return plain === null ? { expression: text } : { column: plain[1] ?? text, direction: plain[2] === 'DESC' ? 'DESC' : null };
}

const keyColumn = (key: IndexKey) => ('column' in key ? key.column : key.expression.split(' ')[0]);

/** A CREATE INDEX over `columns`; with no column to name (the condition is an expression), what to index instead. */
function createIndex(table: string | null, columns: readonly IndexKey[], condition: string | null): string {
  if (columns.length === 0) {
    return `add an index on ${table ?? 'the table'} that finds the rows${condition === null ? '' : ` of ${condition}`} (an expression index on the filtered expression, or filter by an indexed column)`;
  }
  return `${indexStatement(table === null ? '<table>' : readableIdentifier(table), columns, null)};`;
}

const columnKeys = (columns: readonly string[]): IndexKey[] => columns.map((column) => ({ column, direction: null }));

export function planRejections(plan: PlanNode, columnsOf: ColumnsOf, allowSeqscan: boolean): PlanRejection[] {
  const rejections: PlanRejection[] = [];
  for (const node of walk(plan)) {
    const type = node.nodeType;
    const table = node.relation ?? firstRelation(node);
    if (node.disabled && type === 'Seq Scan' && !allowSeqscan) {
      const columns = columnsIn(node.filter, table, columnsOf);
      rejections.push({
        nodeType: type,
        table,
        detail: `Seq Scan on ${table}${node.filter !== null ? ` filtering ${node.filter}` : ''}: no index serves it`,
        fix:
          columns.length > 0
            ? createIndex(table, columnKeys(columns), node.filter)
            : `filter ${table} by an indexed column, or add "-- allow: seqscan <reason>" for a tiny lookup table`,
      });
    } else if (node.disabled && type === 'Sort') {
      const keys = node.sortKey.map(sortKey);
      const scan = node.children[0];
      let prefix: string[] = [];
      if (scan !== undefined) {
        for (const inner of walk(scan)) {
          if (prefix.length === 0) prefix = columnsIn(inner.indexCond ?? inner.recheckCond ?? inner.filter, table, columnsOf);
        }
      }
      rejections.push({
        nodeType: type,
        table,
        detail: `Sort on ${node.sortKey.join(', ')}: no index provides the order`,
        fix: createIndex(table, [...columnKeys(prefix), ...keys.filter((key) => !prefix.includes(keyColumn(key) ?? ''))], null),
      });
    } else if (node.disabled && type !== 'Seq Scan') {
      rejections.push({
        nodeType: type,
        table,
        detail: `${type} is disabled in the generic plan`,
        fix: 'add an index that serves this node',
      });
    } else if ((type === 'Index Scan' || type === 'Index Only Scan') && node.indexCond === null && node.filter !== null && !allowSeqscan) {
      const columns = columnsIn(node.filter, table, columnsOf);
      rejections.push({
        nodeType: `full ${type}`,
        table,
        detail: `${type} over all of ${node.index ?? 'an index'} filtering ${node.filter}: the index only orders rows, it does not find them`,
        fix: createIndex(table, columnKeys(columns), node.filter),
      });
    }
  }
  return rejections;
}
