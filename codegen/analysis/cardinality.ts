// Row counts the analysis proves: exactly one row on any data (so a scalar subquery over it is never NULL),
// and at most one row (cardinality, for :one and :maybe).
import type { ColumnRef, Node, SelectStmt } from '@pgsql/types';
import { isAggregateCall } from './expressions.js';
import { lookupInLevel, type Leaf, type Scope } from './scope.js';
import { names, nodeOf, stripCasts, walkExpression } from './tree.js';

function isIntegerConst(node: Node | undefined, test: (value: number) => boolean): boolean {
  const constant = node === undefined ? null : nodeOf(node, 'A_Const');
  return constant !== null && constant.ival !== undefined && test(constant.ival.ival ?? 0);
}

function isNullConst(node: Node | undefined): boolean {
  return node !== undefined && nodeOf(node, 'A_Const')?.isnull === true;
}

/** Target-list nodes outside subqueries. */
function targetNodes(select: SelectStmt, visit: (node: Node) => void): void {
  for (const target of select.targetList ?? []) walkExpression(nodeOf(target, 'ResTarget')?.val, visit);
}

/** Does an aggregate of this query level appear in its target list? (An aggregate over outer columns only belongs outside.) */
function aggregatesHere(select: SelectStmt, scope: Scope): boolean {
  let found = false;
  targetNodes(select, (node) => {
    const call = nodeOf(node, 'FuncCall');
    if (call === null || !isAggregateCall(call, scope.ctx.catalog.routines)) return;
    const refs: ColumnRef[] = [];
    walkExpression([call.args, call.agg_filter], (inner) => {
      const ref = nodeOf(inner, 'ColumnRef');
      if (ref !== null) refs.push(ref);
    });
    if (refs.length === 0 || refs.some((ref) => lookupInLevel(scope.level, names(ref.fields)) !== null)) found = true;
  });
  return found;
}

/**
 * A set-returning call outside FROM: in the target list, ORDER BY or DISTINCT ON it multiplies each row by the rows
 * it returns, or removes the row when it returns none (`ORDER BY generate_series(1, 0)`).
 */
export function setReturningOutsideFrom(select: SelectStmt, scope: Scope): boolean {
  let found = false;
  const visit = (node: Node) => {
    const call = nodeOf(node, 'FuncCall');
    if (call !== null && scope.ctx.catalog.routines.setReturning.has(names(call.funcname).at(-1) ?? '')) found = true;
  };
  targetNodes(select, visit);
  for (const sort of select.sortClause ?? []) walkExpression(nodeOf(sort, 'SortBy')?.node, visit);
  for (const distinct of select.distinctClause ?? []) walkExpression(distinct, visit);
  return found;
}

/** Exactly one row on any data: no FROM, or an aggregate without GROUP BY; nothing that can drop the row. */
export function exactlyOneRow(select: SelectStmt, scope: Scope): boolean {
  if (select.groupClause !== undefined || select.havingClause !== undefined) return false;
  if (select.limitCount !== undefined && !isNullConst(select.limitCount) && !isIntegerConst(select.limitCount, (n) => n >= 1)) return false;
  if (select.limitOffset !== undefined && !isNullConst(select.limitOffset) && !isIntegerConst(select.limitOffset, (n) => n === 0))
    return false;
  if (setReturningOutsideFrom(select, scope)) return false;
  if ((select.valuesLists ?? []).length > 0) return select.valuesLists?.length === 1;
  if ((select.fromClause ?? []).length === 0 && select.whereClause === undefined) return true;
  return aggregatesHere(select, scope);
}

export function limitIsOne(select: SelectStmt): boolean {
  return isIntegerConst(select.limitCount, (n) => n <= 1);
}

/** Aggregates without GROUP BY return one row (at most one, for cardinality). */
export function aggregateWithoutGroup(select: SelectStmt, scope: Scope): boolean {
  if (select.groupClause !== undefined || select.havingClause !== undefined) return false;
  let aggregate = false;
  targetNodes(select, (node) => {
    const call = nodeOf(node, 'FuncCall');
    if (call !== null && isAggregateCall(call, scope.ctx.catalog.routines)) aggregate = true;
  });
  return aggregate;
}

type Equality = { leaf: Leaf; column: string; other: Node | undefined };

function leafColumn(ref: ColumnRef, all: Leaf[]): { leaf: Leaf; column: string } | null {
  const fields = names(ref.fields);
  const column = fields.at(-1);
  if (column === undefined || column === '*') return null;
  const qualifier = fields.length >= 2 ? fields[fields.length - 2] : null;
  for (const leaf of all) {
    if (leaf.qualifiedOnly) continue;
    if (qualifier !== null ? leaf.alias === qualifier : leaf.columns.some((c) => c.name === column)) return { leaf, column };
  }
  return null;
}

function equalities(predicates: Node[], all: Leaf[]): Equality[] {
  const found: Equality[] = [];
  for (const predicate of predicates) {
    const expr = nodeOf(predicate, 'A_Expr');
    if (expr === null || (expr.kind ?? 'AEXPR_OP') !== 'AEXPR_OP' || names(expr.name)[0] !== '=') continue;
    const pairs: [Node | undefined, Node | undefined][] = [
      [expr.lexpr, expr.rexpr],
      [expr.rexpr, expr.lexpr],
    ];
    for (const [side, other] of pairs) {
      const stripped = stripCasts(side);
      const ref = stripped === undefined ? null : nodeOf(stripped, 'ColumnRef');
      const resolved = ref === null ? null : leafColumn(ref, all);
      if (resolved !== null) found.push({ ...resolved, other: stripCasts(other) });
    }
  }
  return found;
}

const isConstOrParam = (node: Node | undefined) =>
  node !== undefined && (nodeOf(node, 'A_Const') !== null || nodeOf(node, 'ParamRef') !== null);

/** At most one row per FROM item: a unique key pinned by equalities to constants, params, outer or proven columns. */
export function fromIsSingleRow(all: Leaf[], predicates: Node[], scope: Scope): boolean {
  const proven = new Set<Leaf>();
  const eqs = equalities(predicates, all);
  const pinned = (other: Node | undefined): boolean => {
    if (isConstOrParam(other)) return true;
    const ref = other === undefined ? null : nodeOf(other, 'ColumnRef');
    if (ref === null) return false;
    const resolved = leafColumn(ref, all);
    if (resolved !== null) return proven.has(resolved.leaf);
    // A column of an enclosing query is one value per evaluation.
    for (let current = scope.parent; current !== null; current = current.parent) {
      const outer = lookupInLevel(current.level, names(ref.fields));
      if (outer !== null) return outer.kind === 'column';
    }
    return false;
  };
  let changed = true;
  while (changed) {
    changed = false;
    for (const leaf of all) {
      if (proven.has(leaf)) continue;
      let single = leaf.singleRow;
      const table = leaf.table;
      if (!single && table !== null && leaf.opaque === null) {
        const pinnedColumns = new Set(eqs.filter((eq) => eq.leaf === leaf && pinned(eq.other)).map((eq) => eq.column));
        const attnums = [...table.columns.values()].sort((a, b) => a.attnum - b.attnum);
        single = table.uniqueKeys.some((key) =>
          key.every((attnum) => {
            const index = attnums.findIndex((column) => column.attnum === attnum);
            const name = leaf.columns[index]?.name;
            return name !== undefined && pinnedColumns.has(name);
          }),
        );
      }
      if (single) {
        proven.add(leaf);
        changed = true;
      }
    }
  }
  return all.every((leaf) => proven.has(leaf));
}

/** GROUP BY keys each fixed by an equality to a constant or param leave one group. */
export function groupKeysPinned(select: SelectStmt, all: Leaf[], predicates: Node[]): boolean {
  const keys = select.groupClause ?? [];
  if (keys.length === 0) return false;
  const eqs = equalities(predicates, all).filter((eq) => isConstOrParam(eq.other));
  return keys.every((key) => {
    const ref = nodeOf(key, 'ColumnRef');
    const resolved = ref === null ? null : leafColumn(ref, all);
    return resolved !== null && eqs.some((eq) => eq.leaf === resolved.leaf && eq.column === resolved.column);
  });
}
