// Grouping sets: ROLLUP, CUBE and GROUPING SETS put NULL in the keys of their super-aggregate rows. A key
// (or expression) missing from any grouping set is nulled; one present in every set is not.
import type { Node } from '@pgsql/types';
import { match } from 'ts-pattern';
import { columnKey, type Grouping, type Scope } from './scope.js';
import { canonical, names, nodeOf, walkNodes } from './tree.js';

/** Expressions of a grouping-set list, with ROLLUP((a, b)) sublists flattened. */
function groupingExprs(content: Node[] | undefined): Node[] {
  return (content ?? []).flatMap((node) => {
    const set = nodeOf(node, 'GroupingSet');
    if (set !== null) return groupingExprs(set.content);
    const row = nodeOf(node, 'RowExpr');
    if (row !== null && row.row_format === 'COERCE_IMPLICIT_CAST') return row.args ?? [];
    return [node];
  });
}

/** Is `key` (a canonical expression) grouped in every grouping set this item produces? */
function inEverySet(node: Node, key: string, canon: (node: Node) => string): boolean {
  const set = nodeOf(node, 'GroupingSet');
  if (set === null) {
    const row = nodeOf(node, 'RowExpr');
    if (row !== null && row.row_format === 'COERCE_IMPLICIT_CAST') return (row.args ?? []).some((arg) => canon(arg) === key);
    return canon(node) === key;
  }
  return (
    match(set.kind ?? 'GROUPING_SET_EMPTY')
      .with('GROUPING_SET_SIMPLE', () => (set.content ?? []).some((inner) => canon(inner) === key))
      .with('GROUPING_SET_SETS', () => (set.content ?? []).every((inner) => inEverySet(inner, key, canon)))
      // ROLLUP and CUBE include the empty set: every key is NULL in the grand total row.
      .with('GROUPING_SET_ROLLUP', 'GROUPING_SET_CUBE', 'GROUPING_SET_EMPTY', () => false)
      .exhaustive()
  );
}

export function groupingOf(groupClause: Node[] | undefined, scope: Scope): Grouping | null {
  const clause = groupClause ?? [];
  const sets = clause.flatMap((node) => {
    const set = nodeOf(node, 'GroupingSet');
    return set !== null && set.kind !== 'GROUPING_SET_EMPTY' && set.kind !== 'GROUPING_SET_SIMPLE' ? [set] : [];
  });
  if (sets.length === 0) return null;
  const canon = (node: Node) => canonical(node, (ref) => columnKey(scope, ref));
  const grouping: Grouping = { keys: new Set(), exprs: new Set(), outputNames: new Set(), positions: new Set() };
  for (const expr of sets.flatMap((set) => groupingExprs(set.content))) {
    const key = canon(expr);
    if (clause.some((item) => inEverySet(item, key, canon))) continue;
    grouping.exprs.add(key);
    // Columns inside a nulled key are nulled too, so an expression written differently still reads as nullable.
    walkNodes(expr, (node) => {
      const ref = nodeOf(node, 'ColumnRef');
      const columnKeyFound = ref === null ? null : columnKey(scope, ref);
      if (columnKeyFound !== null) grouping.keys.add(columnKeyFound);
    });
    // GROUP BY may name an output column or its position.
    const ref = nodeOf(expr, 'ColumnRef');
    const [only, ...more] = ref === null ? [] : names(ref.fields);
    if (ref !== null && only !== undefined && more.length === 0 && columnKey(scope, ref) === null) grouping.outputNames.add(only);
    const constant = nodeOf(expr, 'A_Const');
    if (constant?.ival !== undefined) grouping.positions.add(constant.ival.ival ?? 0);
  }
  return grouping;
}
