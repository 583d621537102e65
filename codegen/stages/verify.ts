// Stage 7c (plan): prove that an index serves every statement. EXPLAIN (GENERIC_PLAN) with enable_seqscan
// and enable_sort off: a node the planner still could not avoid is marked Disabled. Every node is walked,
// not only the top one. A full index scan that filters rows is the other escape (it is never disabled),
// so it fails too. This runs on the empty schema: it is a property of the SQL and the indexes, not the data.
import type postgres from 'postgres';
import { parsePlan, walk, type PlanNode } from '../../src/audit/explain.js';
import type { Catalog } from '../analysis/catalog.js';
import type { CodegenError, DescribedQuery } from './pipeline-data.js';

/**
 * Why codegen rejects a statement's generic plan (on the empty schema, with seqscan and sort disabled): a static
 * property of the SQL and the indexes. The audit's `PlanFinding` (src/audit/checks.ts) is the other half: what a
 * measured plan shows on production-sized data.
 */
export type PlanRejection = { nodeType: string; table: string | null; detail: string; fix: string };

function firstRelation(node: PlanNode): string | null {
  for (const inner of walk(node)) if (inner.relation !== null) return inner.relation;
  return null;
}

/** Columns of `table` named in a plan expression such as "((user_id = $1) AND (title = $2))". */
function columnsIn(expression: string | null, table: string | null, catalog: Catalog): string[] {
  if (expression === null || table === null) return [];
  const columns = [...(catalog.tablesByName.get(table)?.columns.values() ?? [])].map((column) => column.name);
  const words = expression.match(/[a-z_][a-z0-9_]*/g) ?? [];
  return [...new Set(words.filter((word) => columns.includes(word)))];
}

function sortColumns(keys: readonly string[]): string[] {
  return keys.map((key) => key.replace(/^[a-z_][a-z0-9_]*\./, '').replace(/[()]/g, ''));
}

export function planRejections(plan: PlanNode, catalog: Catalog, allowSeqscan: boolean): PlanRejection[] {
  const rejections: PlanRejection[] = [];
  for (const node of walk(plan)) {
    const type = node.nodeType;
    const table = node.relation ?? firstRelation(node);
    if (node.disabled && type === 'Seq Scan' && !allowSeqscan) {
      const columns = columnsIn(node.filter, table, catalog);
      rejections.push({
        nodeType: type,
        table,
        detail: `Seq Scan on ${table}${node.filter !== null ? ` filtering ${node.filter}` : ''}: no index serves it`,
        fix:
          columns.length > 0
            ? `CREATE INDEX ON ${table} (${columns.join(', ')});`
            : `filter ${table} by an indexed column, or add "-- allow: seqscan <reason>" for a tiny lookup table`,
      });
    } else if (node.disabled && type === 'Sort') {
      const keys = sortColumns(node.sortKey);
      const scan = node.children[0];
      let prefix: string[] = [];
      if (scan !== undefined) {
        for (const inner of walk(scan)) {
          if (prefix.length === 0) prefix = columnsIn(inner.indexCond ?? inner.recheckCond ?? inner.filter, table, catalog);
        }
      }
      rejections.push({
        nodeType: type,
        table,
        detail: `Sort on ${node.sortKey.join(', ')}: no index provides the order`,
        fix: `CREATE INDEX ON ${table ?? '<table>'} (${[...prefix, ...keys.filter((k) => !prefix.includes(k.split(' ')[0] ?? ''))].join(', ')});`,
      });
    } else if (node.disabled && type !== 'Seq Scan') {
      rejections.push({
        nodeType: type,
        table,
        detail: `${type} is disabled in the generic plan`,
        fix: 'add an index that serves this node',
      });
    } else if ((type === 'Index Scan' || type === 'Index Only Scan') && node.indexCond === null && node.filter !== null && !allowSeqscan) {
      const columns = columnsIn(node.filter, table, catalog);
      rejections.push({
        nodeType: `full ${type}`,
        table,
        detail: `${type} over all of ${node.index ?? 'an index'} filtering ${node.filter}: the index only orders rows, it does not find them`,
        fix: `CREATE INDEX ON ${table} (${columns.join(', ')});`,
      });
    }
  }
  return rejections;
}

export async function explainGeneric(sql: postgres.Sql, text: string): Promise<PlanNode> {
  return sql.begin(async (tx) => {
    await tx.unsafe('SET LOCAL enable_seqscan = off');
    await tx.unsafe('SET LOCAL enable_sort = off');
    const rows = await tx.unsafe<{ 'QUERY PLAN': unknown }[]>(`EXPLAIN (GENERIC_PLAN, FORMAT JSON) ${text}`);
    if (rows[0] === undefined) throw new Error('EXPLAIN returned no plan');
    return parsePlan(rows[0]['QUERY PLAN']);
  });
}

export async function checkPlans(sql: postgres.Sql, catalog: Catalog, query: DescribedQuery): Promise<CodegenError[]> {
  const texts = query.final.kind === 'single' ? [query.final.text] : [query.final.first, query.final.after];
  const errors: CodegenError[] = [];
  const seen = new Set<string>();
  for (const text of texts) {
    const plan = await explainGeneric(sql, text);
    for (const finding of planRejections(plan, catalog, query.annotations.allowSeqscan !== null)) {
      const key = `${finding.nodeType}:${finding.table}`;
      if (seen.has(key)) continue;
      seen.add(key);
      errors.push({
        location: query.location,
        query: query.name,
        message: `${finding.detail} (table ${finding.table ?? 'unknown'})`,
        fix: finding.fix,
      });
    }
  }
  return errors;
}
