// Nullability of one expression of the raw parse tree. An expression is non-null only when a rule below
// proves it; every other node kind, and every function or operator not listed in ./nonnull.ts, is nullable.
// Column references, subqueries and grouping sets are answered by the statement analysis (./analyze.ts)
// through ExprEnv, so this module knows expressions and nothing about FROM.
import type { ColumnRef, FuncCall, Node, SelectStmt } from '@pgsql/types';
import { match } from 'ts-pattern';
import type { Routines, TypeFacts } from './catalog.js';
import {
  alwaysNonNull,
  FUNCTION_FIRST_ARGUMENT_CATEGORIES,
  nonNullOnNonNull,
  nonNullOperators,
  nonNullWhenFirst,
  nonNullWindow,
  NULLABLE_CASTS,
  OPERATOR_EXCLUDED_CATEGORIES,
} from './nonnull.js';
import { items, names, nodeOf, stripCasts, tag } from './tree.js';

/** The raw expression kinds the PostgreSQL grammar produces (transformExprRecurse's cases). */
export const EXPR_KINDS = [
  'ColumnRef',
  'ParamRef',
  'A_Const',
  'A_Indirection',
  'A_ArrayExpr',
  'TypeCast',
  'CollateClause',
  'A_Expr',
  'BoolExpr',
  'FuncCall',
  'MultiAssignRef',
  'GroupingFunc',
  'MergeSupportFunc',
  'NamedArgExpr',
  'SubLink',
  'CaseExpr',
  'RowExpr',
  'CoalesceExpr',
  'MinMaxExpr',
  'SQLValueFunction',
  'XmlExpr',
  'XmlSerialize',
  'NullTest',
  'BooleanTest',
  'CurrentOfExpr',
  'SetToDefault',
  'JsonObjectConstructor',
  'JsonArrayConstructor',
  'JsonArrayQueryConstructor',
  'JsonObjectAgg',
  'JsonArrayAgg',
  'JsonIsPredicate',
  'JsonParseExpr',
  'JsonScalarExpr',
  'JsonSerializeExpr',
  'JsonFuncExpr',
] as const;

/** What a column reference resolved to. */
type ColumnAnswer =
  | { kind: 'column'; nullable: boolean; origin: { tableOid: number; attnum: number } | null; typeOid: number | null }
  | { kind: 'unknown'; reason: string };

/** A subquery's output, as far as an expression needs it. */
type SubqueryAnswer = {
  /** null when the subquery's column count is unknown (a * over a relation whose columns are not known). */
  columns: { nullable: boolean }[] | null;
  /** Returns exactly one row on any data. */
  exactlyOne: boolean;
};

export type ExprEnv = {
  routines: Routines;
  types: TypeFacts;
  optionalParams: ReadonlySet<number>;
  column: (ref: ColumnRef) => ColumnAnswer;
  subquery: (select: SelectStmt) => SubqueryAnswer;
  /** True when the expression is a grouping-set key that super-aggregate rows replace with NULL. */
  groupingNulled: (node: Node) => boolean;
  note: (message: string) => void;
};

/** A function or operator name the analysis may trust: pg_catalog's, unless a user object shares it. */
export function trustedName(parts: string[], user: ReadonlySet<string>): string | null {
  const [first, second] = parts;
  if (parts.length === 2 && first === 'pg_catalog' && second !== undefined) return second;
  if (parts.length === 1 && first !== undefined && !user.has(first)) return first;
  return null;
}

export function functionName(call: FuncCall, routines: Routines): string | null {
  return trustedName(names(call.funcname), routines.userFunctions);
}

/** An aggregate call (not a window call) of a pg_catalog aggregate. */
export function isAggregateCall(call: FuncCall, routines: Routines): boolean {
  if (call.over !== undefined) return false;
  if (call.agg_star === true || call.agg_within_group === true) return true;
  const name = functionName(call, routines);
  return name !== null && routines.aggregates.has(name);
}

/** May the value be NULL? */
export function isNullable(node: Node | undefined, env: ExprEnv): boolean {
  if (node === undefined) return true;
  if (env.groupingNulled(node)) return true;
  const someNullable = (nodes: (Node | undefined)[]) => nodes.some((inner) => isNullable(inner, env));
  const deep = (nodes: (Node | undefined)[]) => nodes.some((inner) => mayHoldNull(inner, env));
  // An operator is trusted when it is pg_catalog's, listed, and (for a guarded name) its operand types are known.
  const operator = (name: Node[] | undefined, operands: (Node | undefined)[]) => {
    const trusted = trustedName(names(name), env.routines.userOperators);
    if (trusted === null || !nonNullOperators.has(trusted)) return false;
    const excluded = OPERATOR_EXCLUDED_CATEGORIES[trusted];
    if (excluded === undefined) return true;
    const categories = operandTypes(operands, env).map((oid) => (oid === null ? null : env.types.category(oid)));
    return categories.every((category) => category !== null && !excluded.includes(category));
  };
  return (
    match(tag(node, EXPR_KINDS))
      .with({ kind: 'ColumnRef' }, ({ node: ref }) => {
        const answer = env.column(ref);
        return answer.kind === 'column' ? answer.nullable : true;
      })
      .with({ kind: 'A_Const' }, ({ node: constant }) => constant.isnull === true)
      .with({ kind: 'ParamRef' }, ({ node: param }) => env.optionalParams.has(param.number ?? 0))
      .with({ kind: 'TypeCast' }, ({ node: cast }) => {
        // A user-defined cast function may return NULL; so do a few pg_catalog casts (NULLABLE_CASTS).
        const target = names(cast.typeName?.names).at(-1) ?? '';
        if (env.routines.userCastTargets.has(target) || env.routines.userCastTargets.has(`_${target}`)) return true;
        return isNullable(cast.arg, env) || castMayReturnNull(typeOf(cast.arg, env), typeOf(node, env), env);
      })
      .with({ kind: 'CollateClause' }, ({ node: collate }) => isNullable(collate.arg, env))
      .with({ kind: 'NamedArgExpr' }, ({ node: named }) => isNullable(named.arg, env))
      .with({ kind: 'NullTest' }, { kind: 'BooleanTest' }, { kind: 'GroupingFunc' }, () => false)
      // A row or array constructor is a value even when its fields are NULL (see mayHoldNull for comparisons).
      .with({ kind: 'RowExpr' }, { kind: 'A_ArrayExpr' }, () => false)
      .with({ kind: 'SQLValueFunction' }, ({ node: value }) => value.op === 'SVFOP_CURRENT_SCHEMA' || value.op === undefined)
      .with({ kind: 'BoolExpr' }, ({ node: bool }) => someNullable(bool.args ?? []))
      .with({ kind: 'CoalesceExpr' }, ({ node: coalesce }) => (coalesce.args ?? []).every((arg) => isNullable(arg, env)))
      // GREATEST and LEAST ignore NULL arguments: NULL only when all are.
      .with({ kind: 'MinMaxExpr' }, ({ node: minmax }) => (minmax.args ?? []).every((arg) => isNullable(arg, env)))
      .with({ kind: 'CaseExpr' }, ({ node: caseExpr }) => {
        if (caseExpr.defresult === undefined) return true;
        const results = (caseExpr.args ?? []).map((when) => nodeOf(when, 'CaseWhen')?.result);
        return someNullable([...results, caseExpr.defresult]);
      })
      .with({ kind: 'FuncCall' }, ({ node: call }) => functionNullable(call, env))
      .with({ kind: 'A_Expr' }, ({ node: expr }) =>
        match(expr.kind ?? 'AEXPR_OP')
          .with('AEXPR_DISTINCT', 'AEXPR_NOT_DISTINCT', () => false)
          .with('AEXPR_NULLIF', () => true)
          .with('AEXPR_OP', 'AEXPR_LIKE', 'AEXPR_ILIKE', 'AEXPR_SIMILAR', () => {
            const operands = [expr.lexpr, expr.rexpr].filter((side) => side !== undefined);
            return !operator(expr.name, operands) || deep(operands);
          })
          // x op ANY(array): NULL when the array holds a NULL and nothing matched. Only a literal ARRAY[...] of
          // non-null elements is proven; ALL likewise.
          .with(
            'AEXPR_OP_ANY',
            'AEXPR_OP_ALL',
            () => !operator(expr.name, [expr.lexpr]) || deep([expr.lexpr]) || !arrayElementsNonNull(stripCasts(expr.rexpr), env),
          )
          .with('AEXPR_IN', () => !operator(expr.name, [expr.lexpr]) || deep([expr.lexpr, ...listOrOne(expr.rexpr)]))
          .with('AEXPR_BETWEEN', 'AEXPR_NOT_BETWEEN', 'AEXPR_BETWEEN_SYM', 'AEXPR_NOT_BETWEEN_SYM', () => {
            const user = env.routines.userOperators;
            return user.has('<=') || user.has('>=') || deep([expr.lexpr, ...listOrOne(expr.rexpr)]);
          })
          .exhaustive(),
      )
      .with({ kind: 'SubLink' }, ({ node: link }) =>
        match(link.subLinkType ?? 'EXPR_SUBLINK')
          .with('EXISTS_SUBLINK', 'ARRAY_SUBLINK', () => false)
          .with('EXPR_SUBLINK', () => {
            const select = nodeOf(link.subselect, 'SelectStmt');
            if (select === null) return true;
            // NULL when the subquery returns no row: LIMIT 0, OFFSET, a WHERE over a table, a set-returning function.
            const answer = env.subquery(select);
            const [only] = answer.columns ?? [];
            return !(answer.exactlyOne && answer.columns?.length === 1 && only !== undefined && !only.nullable);
          })
          .with('ANY_SUBLINK', 'ALL_SUBLINK', () => {
            // x IN (SELECT ...): an empty subquery gives false (ANY) or true (ALL); NULL only from a NULL operand.
            const select = nodeOf(link.subselect, 'SelectStmt');
            const operatorName = link.operName === undefined ? ['='] : names(link.operName);
            const trusted = trustedName(operatorName, env.routines.userOperators);
            if (select === null || trusted === null || !nonNullOperators.has(trusted) || mayHoldNull(link.testexpr, env)) return true;
            const answer = env.subquery(select);
            return answer.columns === null || answer.columns.some((column) => column.nullable);
          })
          .with('ROWCOMPARE_SUBLINK', 'MULTIEXPR_SUBLINK', 'CTE_SUBLINK', () => true)
          .exhaustive(),
      )
      // JSON_OBJECT(...) and JSON_ARRAY(...) build a value (turned into json_build_object/array by the parser).
      .with({ kind: 'JsonObjectConstructor' }, { kind: 'JsonArrayConstructor' }, () => false)
      .with(
        { kind: 'A_Indirection' },
        { kind: 'MultiAssignRef' },
        { kind: 'MergeSupportFunc' },
        { kind: 'XmlExpr' },
        { kind: 'XmlSerialize' },
        { kind: 'CurrentOfExpr' },
        { kind: 'SetToDefault' },
        { kind: 'JsonArrayQueryConstructor' },
        { kind: 'JsonObjectAgg' },
        { kind: 'JsonArrayAgg' },
        { kind: 'JsonIsPredicate' },
        { kind: 'JsonParseExpr' },
        { kind: 'JsonScalarExpr' },
        { kind: 'JsonSerializeExpr' },
        { kind: 'JsonFuncExpr' },
        () => true,
      )
      .with({ kind: 'other' }, ({ name }) => {
        env.note(`expression node ${name} is not analysed: nullable`);
        return true;
      })
      .exhaustive()
  );
}

/**
 * May the value be NULL or, for a row constructor, hold a NULL field? A comparison of ROW(a, b) with a NULL
 * field is NULL, so operator operands must be non-null all the way down.
 */
function mayHoldNull(node: Node | undefined, env: ExprEnv): boolean {
  if (isNullable(node, env)) return true;
  const row = node === undefined ? null : nodeOf(node, 'RowExpr');
  return row !== null && (row.args ?? []).some((arg) => mayHoldNull(arg, env));
}

/** A cast from `source` to `target` that can turn a non-null value into NULL (unknown source: assume it can). */
function castMayReturnNull(source: number | null, target: number | null, env: ExprEnv): boolean {
  const targetName = target === null ? null : env.types.name(env.types.base(target));
  const risky = NULLABLE_CASTS.filter(([, to]) => to === targetName);
  if (risky.length === 0) return false;
  // An untyped literal or a param is read by the target type's input function, which never returns NULL.
  if (source === UNKNOWN) return false;
  if (source === null) return true;
  const sourceName = env.types.name(env.types.base(source));
  return risky.some(([from]) => from === sourceName);
}

function listOrOne(node: Node | undefined): Node[] {
  if (node === undefined) return [];
  return nodeOf(node, 'List') !== null ? items(node) : [node];
}

function arrayElementsNonNull(node: Node | undefined, env: ExprEnv): boolean {
  const array = node === undefined ? null : nodeOf(node, 'A_ArrayExpr');
  if (array === null) return false;
  return (array.elements ?? []).every((element) => {
    const inner = nodeOf(element, 'A_ArrayExpr');
    return inner !== null ? arrayElementsNonNull(element, env) : !mayHoldNull(element, env);
  });
}

function functionNullable(call: FuncCall, env: ExprEnv): boolean {
  const name = functionName(call, env.routines);
  if (name === null) return true;
  const args = call.args ?? [];
  const anyNullable = () => args.some((arg) => isNullable(arg, env));
  if (call.over !== undefined) {
    // Window functions: ranks and counts never see a NULL; lag, first_value and aggregates over a frame can.
    if (name === 'count') return false;
    return !nonNullWindow.has(name) || anyNullable();
  }
  if (isAggregateCall(call, env.routines)) return name !== 'count';
  // VARIADIC passes one array that may itself be NULL: concat(VARIADIC NULL::text[]) is NULL.
  if (call.func_variadic === true) {
    return !(alwaysNonNull.has(name) || nonNullOnNonNull.has(name) || nonNullWhenFirst.has(name)) || anyNullable();
  }
  if (alwaysNonNull.has(name)) return false;
  if (nonNullOnNonNull.has(name)) {
    const allowed = FUNCTION_FIRST_ARGUMENT_CATEGORIES[name];
    if (allowed !== undefined) {
      const oid = typeOf(args[0], env);
      const category = oid === null ? null : oid === UNKNOWN ? 'S' : env.types.category(oid);
      if (category === null || !allowed.includes(category)) return true;
    }
    return anyNullable();
  }
  if (nonNullWhenFirst.has(name)) return isNullable(args[0], env);
  return true;
}

// Type OIDs the inference below names.
const BOOL = 16;
const INT8 = 20;
const INT4 = 23;
const TEXT = 25;
const UNKNOWN = 705;
const BIT = 1560;
const NUMERIC = 1700;

/** Operand types, an untyped literal taking the type of the other operand as PostgreSQL does. */
function operandTypes(operands: (Node | undefined)[], env: ExprEnv): (number | null)[] {
  const types = operands.map((operand) => typeOf(operand, env));
  const known = types.find((oid) => oid !== null && oid !== UNKNOWN);
  return types.map((oid) => (oid === UNKNOWN ? (known ?? TEXT) : oid));
}

/**
 * The type of an expression where the tree tells it without PostgreSQL's full resolution: columns, literals,
 * casts, functions with a single return type, and operators over known types. null when not known.
 */
export function typeOf(node: Node | undefined, env: ExprEnv): number | null {
  if (node === undefined) return null;
  return (
    match(tag(node, EXPR_KINDS))
      .returnType<number | null>()
      .with({ kind: 'ColumnRef' }, ({ node: ref }) => {
        const answer = env.column(ref);
        return answer.kind === 'column' ? answer.typeOid : null;
      })
      .with({ kind: 'A_Const' }, ({ node: constant }) => {
        if (constant.ival !== undefined) return INT4;
        if (constant.fval !== undefined) return NUMERIC;
        if (constant.boolval !== undefined) return BOOL;
        if (constant.bsval !== undefined) return BIT;
        return UNKNOWN;
      })
      .with({ kind: 'TypeCast' }, ({ node: cast }) =>
        cast.typeName === undefined ? null : env.types.resolve(names(cast.typeName.names), (cast.typeName.arrayBounds ?? []).length > 0),
      )
      .with({ kind: 'CollateClause' }, ({ node: collate }) => typeOf(collate.arg, env))
      // A param's type comes from its context (usually the cast around it): like an untyped literal.
      .with({ kind: 'ParamRef' }, () => UNKNOWN)
      .with({ kind: 'NullTest' }, { kind: 'BooleanTest' }, { kind: 'BoolExpr' }, () => BOOL)
      .with({ kind: 'CoalesceExpr' }, { kind: 'MinMaxExpr' }, ({ node: call }) => {
        const types = operandTypes(call.args ?? [], env);
        return types.every((oid) => oid === types[0]) ? (types[0] ?? null) : null;
      })
      .with({ kind: 'FuncCall' }, ({ node: call }) => {
        const name = functionName(call, env.routines);
        if (name === null) return null;
        if (call.agg_star === true && name === 'count') return INT8;
        // lower(text) is text; lower(range) is the range's element.
        if (name in FUNCTION_FIRST_ARGUMENT_CATEGORIES) {
          const first = typeOf(call.args?.[0], env);
          return first === UNKNOWN ? TEXT : first !== null && env.types.category(first) === 'S' ? first : null;
        }
        return env.routines.returnTypes.get(name) ?? null;
      })
      .with({ kind: 'A_Expr' }, ({ node: expr }) => {
        if ((expr.kind ?? 'AEXPR_OP') !== 'AEXPR_OP') return expr.kind === 'AEXPR_NULLIF' ? typeOf(expr.lexpr, env) : BOOL;
        const name = trustedName(names(expr.name), env.routines.userOperators);
        if (name === null) return null;
        const [left, right] = expr.lexpr === undefined ? [0, typeOf(expr.rexpr, env)] : operandTypes([expr.lexpr, expr.rexpr], env);
        if (left === null || right === null || left === undefined || right === undefined) return null;
        return env.routines.operators.get(`${name}:${left}:${right}`) ?? null;
      })
      .otherwise(() => null)
  );
}
