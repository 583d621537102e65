// Reads the JSON of EXPLAIN (FORMAT JSON) into a small typed tree: the one plan type of sqlbound, read by codegen's
// plan stage (EXPLAIN (GENERIC_PLAN), no execution) and by the audit (EXPLAIN (ANALYZE, BUFFERS)). Only the fields
// the checks use are kept; everything is validated from `unknown`, so a server that prints something unexpected
// fails loudly here instead of producing a silent "no findings".

export type PlanNode = {
  nodeType: string;
  /** Table scanned by this node (Seq Scan, Index Scan, Bitmap Heap Scan, ModifyTable, ...). */
  relation: string | null;
  /** Index used by this node (Index Scan, Index Only Scan, Bitmap Index Scan). */
  index: string | null;
  /** EXPLAIN prints per-loop averages; totals are these times `loops`. */
  actualRows: number;
  loops: number;
  /** Actual Total Time per loop, in ms, its inputs included (0 without ANALYZE). */
  totalMs: number;
  rowsRemovedByFilter: number;
  rowsRemovedByJoinFilter: number;
  filter: string | null;
  /** The name a scan's table goes by in the plan's conditions (its alias, else its name). */
  alias: string | null;
  /** A join's own condition (Hash Cond, Merge Cond, or Join Filter): how the rows of its inputs are matched. */
  joinCond: string | null;
  indexCond: string | null;
  recheckCond: string | null;
  sortKey: string[];
  sortMethod: string | null;
  sortSpaceType: string | null;
  sortSpaceUsedKb: number | null;
  /** The planner had to use a node its settings disabled (enable_seqscan = off, ...): nothing else could serve it. */
  disabled: boolean;
  children: PlanNode[];
};

export type Explained = {
  root: PlanNode;
  planningMs: number;
  executionMs: number;
};

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(node: Json, key: string): string | null {
  const value = node[key];
  return typeof value === 'string' ? value : null;
}

function num(node: Json, key: string): number | null {
  const value = node[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * `analyzed`: the node carries actual figures (EXPLAIN ANALYZE). Without them (EXPLAIN (GENERIC_PLAN), which runs
 * nothing) the planner's estimates stand in: rows are its Plan Rows, and every node counts as run once.
 */
function parseNode(value: unknown, path: string, analyzed = true): PlanNode {
  if (!isObject(value)) throw new Error(`EXPLAIN output: ${path} is not an object`);
  const nodeType = text(value, 'Node Type');
  if (nodeType === null) throw new Error(`EXPLAIN output: ${path} has no "Node Type"`);
  const children = value.Plans;
  const sortKey = value['Sort Key'];
  return {
    nodeType,
    relation: text(value, 'Relation Name'),
    index: text(value, 'Index Name'),
    actualRows: (analyzed ? num(value, 'Actual Rows') : num(value, 'Plan Rows')) ?? 0,
    // A node never executed (the other arm of a condition) reports 0 loops.
    loops: analyzed ? (num(value, 'Actual Loops') ?? 0) : 1,
    totalMs: analyzed ? (num(value, 'Actual Total Time') ?? 0) : 0,
    rowsRemovedByFilter: num(value, 'Rows Removed by Filter') ?? 0,
    rowsRemovedByJoinFilter: num(value, 'Rows Removed by Join Filter') ?? 0,
    filter: text(value, 'Filter'),
    alias: text(value, 'Alias'),
    joinCond: text(value, 'Hash Cond') ?? text(value, 'Merge Cond') ?? text(value, 'Join Filter'),
    indexCond: text(value, 'Index Cond'),
    recheckCond: text(value, 'Recheck Cond'),
    sortKey: Array.isArray(sortKey) ? sortKey.filter((key): key is string => typeof key === 'string') : [],
    sortMethod: text(value, 'Sort Method'),
    sortSpaceType: text(value, 'Sort Space Type'),
    sortSpaceUsedKb: num(value, 'Sort Space Used'),
    disabled: value.Disabled === true,
    children: Array.isArray(children) ? children.map((child, k) => parseNode(child, `${path}.Plans[${k}]`, analyzed)) : [],
  };
}

function topOf(queryPlan: unknown): Json {
  // node-postgres and postgres.js parse the json column already; a text column needs JSON.parse first.
  const parsed: unknown = typeof queryPlan === 'string' ? JSON.parse(queryPlan) : queryPlan;
  const top: unknown = Array.isArray(parsed) ? parsed[0] : undefined;
  if (!isObject(top)) throw new Error('EXPLAIN output is not [{ "Plan": ... }]');
  return top;
}

/** Parses the single row of `EXPLAIN (FORMAT JSON)` without ANALYZE (a generic or estimated plan). */
export function parsePlan(queryPlan: unknown): PlanNode {
  return parseNode(topOf(queryPlan).Plan, 'Plan');
}

/** Parses the single row of `EXPLAIN (ANALYZE, FORMAT JSON)`: `[{ Plan, Planning Time, Execution Time }]`. */
export function parseExplain(queryPlan: unknown): Explained {
  const top = topOf(queryPlan);
  const planningMs = num(top, 'Planning Time');
  const executionMs = num(top, 'Execution Time');
  if (planningMs === null || executionMs === null) {
    throw new Error('EXPLAIN output has no "Planning Time"/"Execution Time": was it run with ANALYZE?');
  }
  return { root: parseNode(top.Plan, 'Plan'), planningMs, executionMs };
}

/**
 * Like parsePlan, for checks written against ANALYZE figures (checks.ts): the planner's estimated rows stand in for
 * actual rows and every node counts as run once, so the live audit can run the plan audit's checks on a generic plan.
 */
export function parseEstimatedPlan(queryPlan: unknown): PlanNode {
  return parseNode(topOf(queryPlan).Plan, 'Plan', false);
}

/** Every node of the tree, parents before children (init plans and subplans included: they are children). */
export function* walk(node: PlanNode): Generator<PlanNode> {
  yield node;
  for (const child of node.children) yield* walk(child);
}

export function indexesUsed(root: PlanNode): string[] {
  const names = new Set<string>();
  for (const node of walk(root)) if (node.index !== null) names.add(node.index);
  return [...names].sort();
}

/** A one-line shape of the plan: the top node, then each scan with its table and index. */
export function summarize(root: PlanNode): string {
  const scans: string[] = [];
  for (const node of walk(root)) {
    if (node.relation === null && node.index === null) continue;
    const on = node.relation ?? '';
    const via = node.index === null ? '' : ` (${node.index})`;
    const item = node.nodeType === 'Bitmap Index Scan' ? `${node.nodeType}${via}` : `${node.nodeType} ${on}${via}`.trim();
    if (!scans.includes(item)) scans.push(item);
  }
  // A root that is itself a scan (a lookup by primary key) is named once, by its scan item.
  return (root.relation === null ? [root.nodeType, ...scans] : scans).join(' → ');
}
