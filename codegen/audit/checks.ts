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
/** A sort over every row of a big table (a Seq Scan or a walk of a whole index under it), or, in the live audit, over more found rows than a big table holds. */
type TableSortFinding = Located & { kind: 'table_sort'; sortKey: string[]; sortMethod: string | null; table: string | null };
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

export type PlanFinding = SeqScanFinding | TableSortFinding | FilterRatioFinding | SortSpillFinding;
export type QueryFinding = PlanFinding | OverBudgetFinding | NotSampledFinding;

export type CheckContext = {
  /** The manifest kind of a named query (`list`, `one`, ...), or `live` for any client's statement. */
  queryKind: string;
  allowSeqscan: string | null;
  /** `-- allow: sort <reason>`: a sort may run over a whole table; such a sort is listed by the report, not failed. */
  allowSort: string | null;
  /** Estimated rows per table (pg_class.reltuples). */
  tableRows: ReadonlyMap<string, number>;
  /** The table the list's order columns come from, and the order, to derive the index that removes a sort. */
  orderTable: string | null;
  order: readonly OrderTerm[];
  /** The tables and indexes a suggested index is spelled and checked against (schema-qualified, never one that exists). */
  catalog: SuggestionCatalog;
  /**
   * A sort over found rows of more than this many rows is a finding: the live audit's rule, which has no budget to
   * measure a sort against. Null for the plan audit: a sort over found rows is measured against the query's budget.
   */
  foundSortFloor: number | null;
};

/**
 * A sort seen in a measured plan: its keys, what it sorted (`found`: rows an index found; `small`: rows that include a
 * table under 10k rows read whole, the planner's cheap choice; `table`: every row of a big table, named in `table`),
 * the rows it took in (over all loops) and its own time (its total less its inputs').
 */
export type SortSeen = {
  keys: string[];
  over: 'found' | 'small' | 'table';
  method: string | null;
  inputRows: number;
  ms: number;
  table: string | null;
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

/** `-- allow: seqscan`, or a :stream (an export reads a whole table by design): a table may be read whole. */
const wholeTableAllowed = (context: CheckContext) => context.allowSeqscan !== null || context.queryKind === 'stream';

function seqScan(node: PlanNode, context: CheckContext): SeqScanFinding | null {
  if (!node.nodeType.includes('Seq Scan') || node.relation === null || node.loops === 0) return null;
  if (wholeTableAllowed(context)) return null;
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

const isSort = (node: PlanNode) => node.nodeType === 'Sort' || node.nodeType === 'Incremental Sort';

/** A scan that reads every row of its table: a Seq Scan, or a walk of a whole index (no Index Cond). */
const readsWhole = (node: PlanNode) =>
  node.nodeType.includes('Seq Scan') ||
  ((node.nodeType === 'Index Scan' || node.nodeType === 'Index Only Scan') && node.indexCond === null);

/**
 * The scans under a Sort that no Limit between them bounds, without descending into another sort (its input is
 * judged there). A scan under a Limit (the page of a subquery, an include's `LIMIT 3`) feeds the Sort at most that
 * many rows: listExposures re-sorts its 51-row page after a hash join with data_brokers, and that sort costs nothing.
 */
function unboundedScans(node: PlanNode): PlanNode[] {
  const found: PlanNode[] = [];
  const visit = (current: PlanNode) => {
    for (const child of current.children) {
      if (child.nodeType === 'Limit' || isSort(child)) continue;
      if (isScan(child)) found.push(child);
      visit(child);
    }
  };
  visit(node);
  return found;
}

/** The scan that makes a sort one over a whole table: an unbounded read of every row of a table of 10k rows or more. */
function wholeTableUnder(node: PlanNode, context: CheckContext): PlanNode | null {
  return (
    unboundedScans(node).find((scan) => readsWhole(scan) && (context.tableRows.get(scan.relation ?? '') ?? 0) >= SEQ_SCAN_MIN_ROWS) ?? null
  );
}

/** The rows a node took in, over all its loops. */
const inputRows = (node: PlanNode) => node.children.reduce((sum, child) => sum + child.actualRows * child.loops, 0);

/** Every sort a measured plan ran, with what it sorted (found rows or a whole table) and its own time. */
export function sortsOf(root: PlanNode, context: CheckContext): SortSeen[] {
  return [...walk(root)]
    .filter((node) => isSort(node) && node.loops > 0)
    .map((node) => {
      const whole = wholeTableUnder(node, context);
      const small = unboundedScans(node).find(readsWhole);
      const inputs = node.children.reduce((sum, child) => sum + child.totalMs * child.loops, 0);
      return {
        keys: node.sortKey,
        over: whole !== null ? ('table' as const) : small === undefined ? ('found' as const) : ('small' as const),
        method: node.sortMethod,
        inputRows: inputRows(node),
        ms: Math.max(0, node.totalMs * node.loops - inputs),
        table: whole?.relation ?? null,
      };
    });
}

/**
 * A sort over every row of a big table is an error unless the query says `-- allow: sort`; a sort over rows an index
 * found is measured against the query's budget instead (plan-audit.ts), except in the live audit, which has no
 * budget: there a sort of more found rows than `foundSortFloor` is a finding as well.
 */
function tableSort(node: PlanNode, context: CheckContext): TableSortFinding | null {
  if (!isSort(node) || node.loops === 0 || context.allowSort !== null) return null;
  const whole = wholeTableUnder(node, context);
  const floor = context.foundSortFloor;
  if (whole === null && (floor === null || inputRows(node) <= floor || unboundedScans(node).length === 0)) return null;
  const table = context.orderTable;
  const hatch = whole === null ? '' : ', or declare "-- allow: sort <reason>" if sorting all of it is intended';
  const fallback = `create an index whose leading columns match the WHERE equalities and then ${node.sortKey.join(', ')}${hatch}`;
  const fix = table === null ? fallback : indexFix(table, scansOf(node, table), context, fallback);
  return {
    kind: 'table_sort',
    sortKey: node.sortKey,
    sortMethod: node.sortMethod,
    table: whole?.relation ?? null,
    cases: [],
    message:
      `${node.nodeType} on ${node.sortKey.join(', ')}` +
      (node.sortMethod === null ? '' : ` (${node.sortMethod})`) +
      (whole === null
        ? ': no index gives this order, so every matching row is read and sorted.'
        : ` over every row of ${whole.relation ?? 'a table'} (~${Math.round(context.tableRows.get(whole.relation ?? '') ?? 0)} rows, ${whole.nodeType}): ` +
          'a sort may run only over rows an index found.'),
    fix,
  };
}

function filterRatio(node: PlanNode, context: CheckContext): FilterRatioFinding | null {
  const perLoop = Math.max(node.rowsRemovedByFilter, node.rowsRemovedByJoinFilter);
  const removed = perLoop * node.loops;
  const returned = node.actualRows * node.loops;
  if (removed < FILTER_FLOOR || removed <= FILTER_RATIO * returned) return null;
  // A Seq Scan the query allows filters the whole table by definition; the annotation covers both findings.
  if (wholeTableAllowed(context) && node.nodeType.includes('Seq Scan')) return null;
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
  // A sort the query allows over a whole table is listed with its method by the report, not failed.
  if (context.allowSort !== null) return null;
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
    for (const finding of [seqScan(node, context), tableSort(node, context), filterRatio(node, context), sortSpill(node, context)]) {
      if (finding !== null) findings.push(finding);
    }
  }
  return findings;
}

/** Identity of a finding across runs and cases, so one problem seen in 30 plans is reported once. */
export function findingKey(finding: QueryFinding): string {
  return match(finding)
    .with({ kind: 'seq_scan' }, (f) => `seq_scan|${f.table}|${f.fix}`)
    .with({ kind: 'table_sort' }, (f) => `table_sort|${f.sortKey.join(',')}|${f.fix}`)
    .with({ kind: 'filter_ratio' }, (f) => `filter_ratio|${f.nodeType}|${f.table ?? ''}|${f.fix}`)
    .with({ kind: 'sort_spill' }, (f) => `sort_spill|${f.fix}`)
    .with({ kind: 'over_budget' }, () => 'over_budget')
    .with({ kind: 'not_sampled' }, (f) => `not_sampled|${f.param}`)
    .exhaustive();
}
