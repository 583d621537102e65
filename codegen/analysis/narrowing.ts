// Narrowing: a top-level predicate that is never TRUE for a NULL column proves the column non-null in the
// query's output (not under OR, not in an outer join's ON; the caller picks which predicates apply).
import type { ColumnRef, Node } from '@pgsql/types';
import { match } from 'ts-pattern';
import { trustedName } from './expressions.js';
import { nullRejectingOperators } from './nonnull.js';
import { lookupInLevel, type Scope } from './scope.js';
import { names, nodeOf, stripCasts } from './tree.js';

function nullRejectedRefs(predicate: Node, scope: Scope): ColumnRef[] {
  const castTargets = scope.ctx.catalog.routines.userCastTargets;
  const ref = (node: Node | undefined): ColumnRef[] => {
    // A user-defined cast function need not be strict: `x::e = 'a'` can hold for a NULL x, so it proves nothing.
    for (
      let cast = node === undefined ? null : nodeOf(node, 'TypeCast');
      cast !== null;
      cast = cast.arg === undefined ? null : nodeOf(cast.arg, 'TypeCast')
    ) {
      const target = names(cast.typeName?.names).at(-1) ?? '';
      if (castTargets.has(target) || castTargets.has(`_${target}`)) return [];
    }
    const stripped = stripCasts(node);
    const found = stripped === undefined ? null : nodeOf(stripped, 'ColumnRef');
    return found === null ? [] : [found];
  };
  const trusted = (name: Node[] | undefined) => {
    const operator = trustedName(names(name), scope.ctx.catalog.routines.userOperators);
    return operator !== null && nullRejectingOperators.has(operator);
  };
  const nullTest = nodeOf(predicate, 'NullTest');
  if (nullTest !== null) return nullTest.nulltesttype === 'IS_NOT_NULL' ? ref(nullTest.arg) : [];
  const boolTest = nodeOf(predicate, 'BooleanTest');
  if (boolTest !== null) return boolTest.booltesttype === 'IS_TRUE' || boolTest.booltesttype === 'IS_FALSE' ? ref(boolTest.arg) : [];
  if (nodeOf(predicate, 'ColumnRef') !== null) return ref(predicate);
  const bool = nodeOf(predicate, 'BoolExpr');
  if (bool !== null) return bool.boolop === 'NOT_EXPR' ? ref(bool.args?.[0]) : [];
  const expr = nodeOf(predicate, 'A_Expr');
  if (expr === null) return [];
  return match(expr.kind ?? 'AEXPR_OP')
    .with('AEXPR_OP', () => (trusted(expr.name) && expr.lexpr !== undefined ? [...ref(expr.lexpr), ...ref(expr.rexpr)] : []))
    .with('AEXPR_OP_ANY', 'AEXPR_IN', 'AEXPR_LIKE', 'AEXPR_ILIKE', 'AEXPR_SIMILAR', () => (trusted(expr.name) ? ref(expr.lexpr) : []))
    .with('AEXPR_BETWEEN', 'AEXPR_NOT_BETWEEN', 'AEXPR_BETWEEN_SYM', 'AEXPR_NOT_BETWEEN_SYM', () => {
      const user = scope.ctx.catalog.routines.userOperators;
      return user.has('<=') || user.has('>=') || user.has('<') || user.has('>') ? [] : ref(expr.lexpr);
    })
    .with('AEXPR_OP_ALL', 'AEXPR_DISTINCT', 'AEXPR_NOT_DISTINCT', 'AEXPR_NULLIF', () => [])
    .exhaustive();
}

export function narrow(scope: Scope, predicates: Node[]): void {
  for (const predicate of predicates) {
    for (const ref of nullRejectedRefs(predicate, scope)) {
      const resolved = lookupInLevel(scope.level, names(ref.fields));
      if (resolved !== null && resolved.kind === 'column') scope.level.narrowed.add(resolved.key);
    }
  }
}
