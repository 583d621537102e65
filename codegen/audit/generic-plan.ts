// The static half of the index proof, on a statement's generic plans (EXPLAIN GENERIC_PLAN on the schema). The rule:
// every table's rows are found through an index (any access method, through a bitmap or not), and any sort runs only
// over rows an index found. Two plans answer it. The `ordered` plan (seqscan and sort off) passes when indexes find
// and order the rows: nothing is sorted. Otherwise the `found` plan (seqscan and plain index scans off, sorts on)
// leaves the planner only bitmap scans, which need a condition an index serves: it passes when no table is read whole
// and every sort is over the rows found, and that sort is recorded with the planner's row estimate. A Seq Scan, a
// walk of a whole index, or a sort over either stays an error unless the query says `-- allow: seqscan` /
// `-- allow: sort` (a :stream may read a whole table). Codegen's verify stage calls this; the measured half is
// ./checks.ts.
import { walk, type PlanNode } from './explain.js';
import { conjuncts, suggestIndex, type ExistingIndex, type TableShape } from './suggest.js';
import type { OrderTerm, PlanProof } from '../manifest/manifest.js';

/**
 * Why a statement's generic plan is rejected: a static property of the SQL and the indexes. The audit's
 * `PlanFinding` (./checks.ts) is the other half: what a measured plan shows on production-sized data.
 */
export type PlanRejection = {
  nodeType: string;
  table: string | null;
  /** The name the scanned table goes by in the plan (its alias), to trace the rejection to the SQL that reads it. */
  alias: string | null;
  detail: string;
  fix: string;
};

/** What the rule needs besides the plan: the tables as the plan names them, the indexes, the query's allowances. */
export type PlanContext = {
  /** A table by the name the plan gives it (unqualified), or null when it is not a user table. */
  tableOf: (relation: string) => TableShape | null;
  indexes: readonly ExistingIndex[];
  /** The list's order, appended to a suggested btree so one index finds and orders the rows. */
  order: readonly OrderTerm[] | null;
  /**
   * The order of the piece of SQL that scans `node`, where it is not the statement's own (an include's rows come in
   * the include's order, not the list's); undefined for the statement's own scans.
   */
  orderOf?: (node: PlanNode) => readonly OrderTerm[] | null | undefined;
  /** `-- allow: seqscan`, or a :stream: a table may be read whole. */
  wholeTable: boolean;
  /** `-- allow: sort`: a sort may run over a whole table. */
  sort: boolean;
};

const isSort = (node: PlanNode) => node.nodeType === 'Sort' || node.nodeType === 'Incremental Sort';
const isIndexWalk = (node: PlanNode) => node.nodeType === 'Index Scan' || node.nodeType === 'Index Only Scan';

/** A scan that reads every row of its table: a Seq Scan, or a walk of a whole index (no Index Cond). */
const readsWhole = (node: PlanNode) => node.nodeType === 'Seq Scan' || (isIndexWalk(node) && node.indexCond === null);

/** The nodes under `node`, without descending into another sort (its input is judged at that sort). */
function* below(node: PlanNode): Generator<PlanNode> {
  for (const child of node.children) {
    yield child;
    if (!isSort(child)) yield* below(child);
  }
}

/** Each node with its ancestors (nearest first), parents before children. */
function* withAncestors(node: PlanNode, ancestors: readonly PlanNode[] = []): Generator<[PlanNode, readonly PlanNode[]]> {
  yield [node, ancestors];
  for (const child of node.children) yield* withAncestors(child, [node, ...ancestors]);
}

/** The nodes inside a recursive CTE's plan (its Recursive Union and everything under it). */
function recursiveNodes(plan: PlanNode): Set<PlanNode> {
  const inside = new Set<PlanNode>();
  for (const node of walk(plan)) if (node.nodeType === 'Recursive Union') for (const inner of walk(node)) inside.add(inner);
  return inside;
}

/**
 * The conditions that could find a scan's rows: its filter, and the conditions of the joins above it that match its
 * rows to another input, turned round so the scan's column is on the left (`s.parent_id = t.id` for alias `s`).
 */
function conditionsOf(node: PlanNode, joins: readonly PlanNode[]): string[] {
  const own = node.filter === null ? [] : [node.filter];
  const alias = node.alias ?? node.relation;
  if (alias === null) return own;
  const side = /^"?([A-Za-z_][\w$]*)"?\.("?[A-Za-z_][\w$]*"?) = "?([A-Za-z_][\w$]*)"?\.("?[A-Za-z_][\w$]*"?)$/;
  const matched = joins.flatMap((join) =>
    conjuncts(join.joinCond ?? '').flatMap((part) => {
      const m = side.exec(part);
      if (m === null) return [];
      if (m[1] === alias && m[3] !== alias) return [`${m[2]} = ${m[3]}.${m[4]}`];
      if (m[3] === alias && m[1] !== alias) return [`${m[4]} = ${m[1]}.${m[2]}`];
      return [];
    }),
  );
  return [...own, ...matched];
}

/** A sort's keys as an order, when each is a plain column (`books.price DESC`); else null. */
function sortOrder(node: PlanNode): OrderTerm[] | null {
  const terms = node.sortKey.map((key) =>
    /^(?:[a-z_][a-z0-9_]*\.)?([a-z_][a-z0-9_]*)(?: (DESC|ASC))?$/.exec(key.replace(/ NULLS (FIRST|LAST)$/, '')),
  );
  if (terms.some((term) => term === null)) return null;
  return terms.flatMap((term) =>
    term === null ? [] : [{ column: term[1] ?? '', direction: term[2] === 'DESC' ? ('DESC' as const) : ('ASC' as const) }],
  );
}

/** The order a suggested index for `node`'s rows should give: its piece's (an include's), else the statement's. */
function orderAt(node: PlanNode, context: PlanContext, own: readonly OrderTerm[] | null): readonly OrderTerm[] | null {
  const piece = context.orderOf?.(node);
  return piece === undefined ? own : piece;
}

function fixFor(
  node: PlanNode,
  context: PlanContext,
  conditions: readonly string[],
  order: readonly OrderTerm[] | null,
  allowHint: string,
): string {
  const table = node.relation === null ? null : context.tableOf(node.relation);
  if (table === null) return `find the rows of ${node.relation ?? 'the table'} through an index, or add ${allowHint}`;
  const suggestion = suggestIndex(table, conditions, order, context.indexes);
  return suggestion.kind === 'create' ? suggestion.statement : `${suggestion.reason}; or add ${allowHint}`;
}

/**
 * The `ordered` plan's verdict: true when indexes find the rows and return them in order, with nothing sorted. A node
 * still marked Disabled could not be avoided; a walk of a whole index with a filter is the planner's other escape.
 */
export function indexOrders(plan: PlanNode, context: PlanContext): boolean {
  return [...walk(plan)].every((node) => {
    if (isIndexWalk(node) && node.indexCond === null && node.filter !== null) return context.wholeTable;
    if (!node.disabled) return true;
    return (node.nodeType === 'Seq Scan' && context.wholeTable) || (isSort(node) && context.sort);
  });
}

/** What the sort is for, by where it is: a recursive CTE's, a window function's, DISTINCT's, or the query's own. */
function sortRole(parent: PlanNode | null, recursive: boolean): string {
  if (recursive) return "the recursive CTE's own sort";
  if (parent?.nodeType === 'WindowAgg') return "the window function's own sort";
  if (parent?.nodeType === 'Unique') return "DISTINCT's sort";
  return 'the sort';
}

function sortRewrite(parent: PlanNode | null, recursive: boolean): string {
  if (recursive)
    return 'walk the tree by key and read the rows by key outside it (SELECT ... FROM t WHERE t.id IN (SELECT id FROM tree)), so the list orders found rows';
  if (parent?.nodeType === 'WindowAgg')
    return "the list's keyset applies outside the query (to its rows), so an index on the list's order cannot remove the window's sort: find the rows the window ranks through an index (filter by an indexed column) so it sorts only those";
  return '';
}

/**
 * The `found` plan's verdict: empty when no table is read whole (allowances aside) and every sort runs over rows an
 * index found. Run when the `ordered` plan failed; its errors carry the fixes.
 */
export function foundRejections(plan: PlanNode, context: PlanContext): PlanRejection[] {
  const rejections: PlanRejection[] = [];
  const recursive = recursiveNodes(plan);
  for (const [node, ancestors] of withAncestors(plan)) {
    const table = node.relation;
    const parent = ancestors[0] ?? null;
    if (readsWhole(node)) {
      if (context.wholeTable) continue;
      const inTree = recursive.has(node) ? ' in the recursive CTE' : '';
      rejections.push({
        nodeType: 'Seq Scan',
        table,
        alias: node.alias,
        detail: `${node.nodeType} on ${table}${inTree}${node.filter === null ? ' reads every row' : ` filtering ${node.filter}`}: no index finds its rows`,
        fix: fixFor(
          node,
          context,
          conditionsOf(node, ancestors),
          orderAt(node, context, context.order),
          '"-- allow: seqscan <reason>" if reading all of it is intended',
        ),
      });
    } else if (isSort(node)) {
      const whole = [...below(node)].find(readsWhole);
      if (whole === undefined || context.sort) continue;
      const inTree = recursive.has(node);
      const role = sortRole(parent, inTree);
      const rewrite = sortRewrite(parent, inTree);
      // A scan already rejected carries the fix; the sort is named apart only when it is not the query's own.
      if (!context.wholeTable && role === 'the sort') continue;
      rejections.push({
        nodeType: node.nodeType,
        table: whole.relation,
        alias: whole.alias,
        detail: `${role} (${node.nodeType} on ${node.sortKey.join(', ')}) runs over every row of ${whole.relation ?? 'a table'}${rewrite === '' ? '' : `: ${rewrite}`}`,
        // A window's sort is not the list's order: an index on the list's order cannot serve it.
        fix: fixFor(
          whole,
          context,
          whole.filter === null ? [] : [whole.filter],
          parent?.nodeType === 'WindowAgg' ? null : (orderAt(whole, context, context.order) ?? sortOrder(node)),
          '"-- allow: sort <reason>"',
        ),
      });
    } else if (node.disabled) {
      rejections.push({
        nodeType: node.nodeType,
        table,
        alias: node.alias,
        detail: `${node.nodeType} is disabled in the generic plan`,
        fix: 'add an index that serves this node',
      });
    }
  }
  return rejections;
}

/** Which indexes find the rows (an Index Cond), which one returns them in order, and the sorts left. */
export function planProof(plan: PlanNode, { sorted, ordered }: { sorted: boolean; ordered: boolean }): PlanProof {
  const foundBy = new Set<string>();
  let orderedBy: string | null = null;
  for (const node of walk(plan)) {
    if (node.index === null) continue;
    if (node.indexCond !== null) foundBy.add(node.index);
    if (ordered && !sorted && orderedBy === null && isIndexWalk(node)) orderedBy = node.index;
  }
  // In an ordered plan only an Incremental Sort (within groups an index already orders) or an allowed sort is left.
  const sorts = [...walk(plan)].filter(isSort).map((node) => ({ keys: node.sortKey, rows: node.actualRows }));
  return { foundBy: [...foundBy].sort(), orderedBy, sorts };
}
