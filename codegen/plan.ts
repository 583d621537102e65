// Stage 7c (plan): prove that an index serves every statement. EXPLAIN (GENERIC_PLAN) with enable_seqscan
// and enable_sort off: a node the planner still could not avoid is marked Disabled. Every node is walked,
// not only the top one. A full index scan that filters rows is the other escape (it is never disabled),
// so it fails too. This runs on the empty schema: it is a property of the SQL and the indexes, not the data.
import type postgres from 'postgres';
import type { Catalog } from './catalog.js';
import type { CodegenError, DescribedQuery } from './model.js';

export type PlanNode = {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Filter?: string;
  'Recheck Cond'?: string;
  'Sort Key'?: string[];
  Disabled?: boolean;
  Plans?: PlanNode[];
};

export type PlanFinding = { nodeType: string; table: string | null; detail: string; fix: string };

export function walkPlan(node: PlanNode, visit: (node: PlanNode) => void): void {
  visit(node);
  for (const inner of node.Plans ?? []) walkPlan(inner, visit);
}

function firstRelation(node: PlanNode): string | null {
  let found: string | null = null;
  walkPlan(node, (inner) => {
    found ??= inner['Relation Name'] ?? null;
  });
  return found;
}

/** Columns of `table` named in a plan expression such as "((user_id = $1) AND (title = $2))". */
function columnsIn(expression: string | undefined, table: string | null, catalog: Catalog): string[] {
  if (expression === undefined || table === null) return [];
  const columns = [...(catalog.tablesByName.get(table)?.columns.values() ?? [])].map((column) => column.name);
  const words = expression.match(/[a-z_][a-z0-9_]*/g) ?? [];
  return [...new Set(words.filter((word) => columns.includes(word)))];
}

function sortColumns(keys: string[] | undefined): string[] {
  return (keys ?? []).map((key) => key.replace(/^[a-z_][a-z0-9_]*\./, '').replace(/[()]/g, ''));
}

export function planFindings(plan: PlanNode, catalog: Catalog, allowSeqscan: boolean): PlanFinding[] {
  const findings: PlanFinding[] = [];
  walkPlan(plan, (node) => {
    const type = node['Node Type'];
    const table = node['Relation Name'] ?? firstRelation(node);
    if (node.Disabled === true && type === 'Seq Scan' && !allowSeqscan) {
      const columns = columnsIn(node.Filter, table, catalog);
      findings.push({
        nodeType: type,
        table,
        detail: `Seq Scan on ${table}${node.Filter ? ` filtering ${node.Filter}` : ''}: no index serves it`,
        fix: columns.length > 0 ? `CREATE INDEX ON ${table} (${columns.join(', ')});` : `filter ${table} by an indexed column, or add "-- allow: seqscan <reason>" for a tiny lookup table`,
      });
    } else if (node.Disabled === true && type === 'Sort') {
      const keys = sortColumns(node['Sort Key']);
      const scan = (node.Plans ?? [])[0];
      let prefix: string[] = [];
      if (scan) walkPlan(scan, (inner) => {
        if (prefix.length === 0) prefix = columnsIn(inner['Index Cond'] ?? inner['Recheck Cond'] ?? inner.Filter, table, catalog);
      });
      findings.push({
        nodeType: type,
        table,
        detail: `Sort on ${(node['Sort Key'] ?? []).join(', ')}: no index provides the order`,
        fix: `CREATE INDEX ON ${table ?? '<table>'} (${[...prefix, ...keys.filter((k) => !prefix.includes(k.split(' ')[0] ?? ''))].join(', ')});`,
      });
    } else if (node.Disabled === true && type !== 'Seq Scan') {
      findings.push({ nodeType: type, table, detail: `${type} is disabled in the generic plan`, fix: 'add an index that serves this node' });
    } else if ((type === 'Index Scan' || type === 'Index Only Scan') && node['Index Cond'] === undefined && node.Filter !== undefined && !allowSeqscan) {
      const columns = columnsIn(node.Filter, table, catalog);
      findings.push({
        nodeType: `full ${type}`,
        table,
        detail: `${type} over all of ${node['Index Name'] ?? 'an index'} filtering ${node.Filter}: the index only orders rows, it does not find them`,
        fix: `CREATE INDEX ON ${table} (${columns.join(', ')});`,
      });
    }
  });
  return findings;
}

export async function explainGeneric(sql: postgres.Sql, text: string): Promise<PlanNode> {
  return sql.begin(async (tx) => {
    await tx.unsafe('SET LOCAL enable_seqscan = off');
    await tx.unsafe('SET LOCAL enable_sort = off');
    const rows = await tx.unsafe<{ 'QUERY PLAN': { Plan: PlanNode }[] }[]>(`EXPLAIN (GENERIC_PLAN, FORMAT JSON) ${text}`);
    const plan = rows[0]?.['QUERY PLAN'][0]?.Plan;
    if (plan === undefined) throw new Error('EXPLAIN returned no plan');
    return plan;
  });
}

export async function checkPlans(sql: postgres.Sql, catalog: Catalog, query: DescribedQuery): Promise<CodegenError[]> {
  const texts = query.final.kind === 'single' ? [query.final.text] : [query.final.first, query.final.after];
  const errors: CodegenError[] = [];
  const seen = new Set<string>();
  for (const text of texts) {
    const plan = await explainGeneric(sql, text);
    for (const finding of planFindings(plan, catalog, query.annotations.allowSeqscan !== null)) {
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
