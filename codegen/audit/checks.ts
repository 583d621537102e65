// Plan checks: every node of every measured plan is inspected (sqlc vet looks at the top node only, and the
// expensive part of a plan is rarely at the top). Each finding names the node and carries the statement or
// annotation that fixes it.
import { match } from 'ts-pattern';
import { walk, type PlanNode } from './explain.js';
import { suggestIndex, type OrderTerm } from './suggest.js';
import type { SuggestionCatalog } from './suggestion-catalog.js';

/** A table this size or larger must not be read in full by a named query (PgHero's missing-index floor). */
export const SEQ_SCAN_MIN_ROWS = 10_000;
/** A node that discards more than this many times the rows it returns reads the wrong rows. */
const FILTER_RATIO = 10;
/** Below this many removed rows (over all loops) a filter is noise, whatever the ratio. */
const FILTER_FLOOR = 1_000;

type Located = {
  /** Sample cases (e.g. "heavy user, optional set, after page") whose plans showed it. */
  cases: string[];
  message: string;
  fix: string;
};

type SeqScanFinding = Located & { kind: 'seq_scan'; table: string; tableRows: number; filter: string | null };
type ListSortFinding = Located & { kind: 'list_sort'; sortKey: string[]; sortMethod: string | null };
type FilterRatioFinding = Located & {
  kind: 'filter_ratio';
  nodeType: string;
  table: string | null;
  removed: number;
  returned: number;
};
type SortSpillFinding = Located & { kind: 'sort_spill'; sortMethod: string; spaceKb: number | null };
type OverBudgetFinding = Located & { kind: 'over_budget'; p95Ms: number; budgetMs: number };
type NotSampledFinding = Located & { kind: 'not_sampled'; param: string };

export type PlanFinding = SeqScanFinding | ListSortFinding | FilterRatioFinding | SortSpillFinding;
export type QueryFinding = PlanFinding | OverBudgetFinding | NotSampledFinding;

export type CheckContext = {
  /** The manifest kind of a named query (`list`, `one`, ...), or `live` for any client's statement. */
  queryKind: string;
  allowSeqscan: string | null;
  /** Estimated rows per table (pg_class.reltuples). */
  tableRows: ReadonlyMap<string, number>;
  /** The table the list's order columns come from, and the order, to derive the index that removes a sort. */
  orderTable: string | null;
  order: readonly OrderTerm[];
  /** Rows a page fetches (limit + 1): a sort of no more than this on a small table is not flagged. */
  pageRows: number;
  /** The tables and indexes a suggested index is spelled and checked against (schema-qualified, never one that exists). */
  catalog: SuggestionCatalog;
};

const isScan = (node: PlanNode) => node.relation !== null;

/** The scan nodes under (and including) `node` on `table`. */
function scansOf(node: PlanNode, table: string | null): PlanNode[] {
  return [...walk(node)].filter((candidate) => isScan(candidate) && (table === null || candidate.relation === table));
}

function conditions(nodes: PlanNode[]): string[] {
  return nodes.flatMap((node) => [node.indexCond, node.recheckCond, node.filter]).filter((condition) => condition !== null);
}

/**
 * The CREATE INDEX that serves the nodes' conditions (and the order, on the order's table), spelled by suggestIndex as
 * codegen's plan check spells it; when none can be suggested, why, then `fallback`.
 */
function suggestedFix(table: string, nodes: PlanNode[], order: readonly OrderTerm[], context: CheckContext, fallback: string): string {
  const shape = context.catalog.tableOf(table);
  if (shape === null) return fallback;
  const suggestion = suggestIndex(shape, conditions(nodes), order, context.catalog.indexes);
  return suggestion.kind === 'create' ? suggestion.statement : `${suggestion.reason}; or ${fallback}`;
}

function indexFix(table: string, nodes: PlanNode[], context: CheckContext, fallback: string): string {
  const ordered = context.queryKind === 'list' || context.queryKind === 'live';
  const order = ordered && context.orderTable === table ? context.order : [];
  return suggestedFix(table, nodes, order, context, fallback);
}

function seqScan(node: PlanNode, context: CheckContext): SeqScanFinding | null {
  if (!node.nodeType.includes('Seq Scan') || node.relation === null || node.loops === 0) return null;
  if (context.allowSeqscan !== null) return null;
  const tableRows = context.tableRows.get(node.relation) ?? 0;
  if (tableRows < SEQ_SCAN_MIN_ROWS) return null;
  return {
    kind: 'seq_scan',
    table: node.relation,
    tableRows,
    filter: node.filter,
    cases: [],
    message:
      `${node.nodeType} on ${node.relation} (~${Math.round(tableRows)} rows)` +
      (node.filter === null ? '' : ` filtering ${node.filter}`) +
      ': every call reads the whole table.',
    fix: indexFix(
      node.relation,
      [node],
      context,
      `add an index that serves the filter on ${node.relation}, or declare "-- allow: seqscan <reason>" on the query`,
    ),
  };
}

/**
 * The scans under a Sort that no Limit between them bounds. A scan under a Limit (the page of a subquery, an
 * include's `LIMIT 3`) feeds the Sort at most that many rows: listExposures re-sorts its 51-row page after a hash
 * join with data_brokers, and that sort costs nothing. The Sort that costs is the one whose rows come from an
 * unbounded scan: it must read and sort every matching row to return the first page.
 */
function unboundedScans(node: PlanNode): PlanNode[] {
  const found: PlanNode[] = [];
  const visit = (current: PlanNode) => {
    for (const child of current.children) {
      if (child.nodeType === 'Limit') continue;
      if (isScan(child)) found.push(child);
      visit(child);
    }
  };
  visit(node);
  return found;
}

function listSort(node: PlanNode, context: CheckContext): ListSortFinding | null {
  // 'live': any client's statement (the live audit), where every ORDER BY over a big unindexed read counts.
  if ((context.queryKind !== 'list' && context.queryKind !== 'live') || !node.nodeType.endsWith('Sort') || node.loops === 0) return null;
  const unbounded = unboundedScans(node);
  if (unbounded.length === 0) return null;
  // The same floor as for Seq Scans: on a small table a sort of a few rows is the planner's cheapest choice,
  // not a missing index. On a big table, or over more than a page of rows, it is the missing index.
  const input = node.children.reduce((sum, child) => sum + child.actualRows * child.loops, 0);
  const big = unbounded.some((scan) => (context.tableRows.get(scan.relation ?? '') ?? 0) >= SEQ_SCAN_MIN_ROWS);
  if (!big && input <= context.pageRows) return null;
  const table = context.orderTable;
  const fallback = `create an index whose leading columns match the WHERE equalities and then ${node.sortKey.join(', ')}`;
  return {
    kind: 'list_sort',
    sortKey: node.sortKey,
    sortMethod: node.sortMethod,
    cases: [],
    message:
      `${node.nodeType} on ${node.sortKey.join(', ')}` +
      (node.sortMethod === null ? '' : ` (${node.sortMethod})`) +
      (context.queryKind === 'list'
        ? ': a keyset page must come in index order, not read every matching row and sort them.'
        : ': no index gives this order, so every matching row is read and sorted.'),
    fix: table === null ? fallback : indexFix(table, scansOf(node, table), context, fallback),
  };
}

function filterRatio(node: PlanNode, context: CheckContext): FilterRatioFinding | null {
  const perLoop = Math.max(node.rowsRemovedByFilter, node.rowsRemovedByJoinFilter);
  const removed = perLoop * node.loops;
  const returned = node.actualRows * node.loops;
  if (removed < FILTER_FLOOR || removed <= FILTER_RATIO * returned) return null;
  // A Seq Scan the query allows filters the whole table by definition; the annotation covers both findings.
  if (context.allowSeqscan !== null && node.nodeType.includes('Seq Scan')) return null;
  const table = node.relation;
  const fallback = `make the filtered condition an index condition (an index leading with its columns), or annotate why not`;
  return {
    kind: 'filter_ratio',
    nodeType: node.nodeType,
    table,
    removed,
    returned,
    cases: [],
    message:
      `${node.nodeType}${table === null ? '' : ` on ${table}`}${node.index === null ? '' : ` using ${node.index}`} ` +
      `removed ${removed} rows by filter to return ${returned}` +
      (node.filter === null ? '' : ` (filter ${node.filter})`) +
      '.',
    fix: table === null ? fallback : indexFix(table, [node], context, fallback),
  };
}

function sortSpill(node: PlanNode, context: CheckContext): SortSpillFinding | null {
  const method = node.sortMethod;
  if (method === null || !(method.includes('external') || node.sortSpaceType === 'Disk')) return null;
  const table = context.orderTable;
  const fallback = `serve the order from an index, or raise work_mem above ${node.sortSpaceUsedKb ?? '?'} kB for this query`;
  return {
    kind: 'sort_spill',
    sortMethod: method,
    spaceKb: node.sortSpaceUsedKb,
    cases: [],
    message: `Sort on ${node.sortKey.join(', ')} spilled to disk (${method}, ${node.sortSpaceUsedKb ?? '?'} kB).`,
    fix: table === null ? fallback : suggestedFix(table, scansOf(node, table), context.order, context, fallback),
  };
}

/** Every finding of one plan, node by node, in tree order. */
export function checkPlan(root: PlanNode, context: CheckContext): PlanFinding[] {
  const findings: PlanFinding[] = [];
  for (const node of walk(root)) {
    for (const finding of [seqScan(node, context), listSort(node, context), filterRatio(node, context), sortSpill(node, context)]) {
      if (finding !== null) findings.push(finding);
    }
  }
  return findings;
}

/** Identity of a finding across runs and cases, so one problem seen in 30 plans is reported once. */
export function findingKey(finding: QueryFinding): string {
  return match(finding)
    .with({ kind: 'seq_scan' }, (f) => `seq_scan|${f.table}|${f.fix}`)
    .with({ kind: 'list_sort' }, (f) => `list_sort|${f.sortKey.join(',')}|${f.fix}`)
    .with({ kind: 'filter_ratio' }, (f) => `filter_ratio|${f.nodeType}|${f.table ?? ''}|${f.fix}`)
    .with({ kind: 'sort_spill' }, (f) => `sort_spill|${f.fix}`)
    .with({ kind: 'over_budget' }, () => 'over_budget')
    .with({ kind: 'not_sampled' }, (f) => `not_sampled|${f.param}`)
    .exhaustive();
}
