// The name PostgreSQL gives an output column without an alias (FigureColname in parse_target.c), so the
// analysis can check its columns against Describe's by name as well as by position and origin.
import type { Node, SelectStmt } from '@pgsql/types';
import { match } from 'ts-pattern';
import { EXPR_KINDS } from './expressions.js';
import { names, nodeOf, tag } from './tree.js';

/** A figured name and how sure PostgreSQL's own rule is of it (2 strong, 1 weak, 0 none). */
type Figured = { name: string; strength: 0 | 1 | 2 };

const NONE: Figured = { name: '?column?', strength: 0 };

function figure(node: Node | undefined): Figured {
  if (node === undefined) return NONE;
  return match(tag(node, EXPR_KINDS))
    .returnType<Figured>()
    .with({ kind: 'ColumnRef' }, ({ node: ref }) => {
      const last = names(ref.fields).at(-1);
      return last === undefined || last === '*' ? NONE : { name: last, strength: 2 };
    })
    .with({ kind: 'A_Indirection' }, ({ node: indirection }) => {
      const fields = (indirection.indirection ?? []).map((item) => nodeOf(item, 'String')?.sval).filter((name) => name !== undefined);
      const last = fields.at(-1);
      return last !== undefined ? { name: last, strength: 2 } : figure(indirection.arg);
    })
    .with({ kind: 'FuncCall' }, ({ node: call }) => ({ name: names(call.funcname).at(-1) ?? '?column?', strength: 2 }))
    .with({ kind: 'A_Expr' }, ({ node: expr }) => (expr.kind === 'AEXPR_NULLIF' ? { name: 'nullif', strength: 2 } : NONE))
    .with({ kind: 'TypeCast' }, ({ node: cast }) => {
      const inner = figure(cast.arg);
      if (inner.strength > 1) return inner;
      const typeName = names(cast.typeName?.names).at(-1);
      return typeName === undefined ? inner : { name: typeName, strength: 1 };
    })
    .with({ kind: 'CollateClause' }, ({ node: collate }) => figure(collate.arg))
    .with({ kind: 'GroupingFunc' }, () => ({ name: 'grouping', strength: 2 }))
    .with({ kind: 'MergeSupportFunc' }, () => ({ name: 'merge_action', strength: 2 }))
    .with({ kind: 'SubLink' }, ({ node: link }) =>
      match(link.subLinkType ?? 'EXPR_SUBLINK')
        .returnType<Figured>()
        .with('EXISTS_SUBLINK', () => ({ name: 'exists', strength: 2 }))
        .with('ARRAY_SUBLINK', () => ({ name: 'array', strength: 2 }))
        .with('EXPR_SUBLINK', () => {
          const select = nodeOf(link.subselect, 'SelectStmt');
          return select === null ? NONE : { name: firstTargetName(select), strength: 2 };
        })
        .otherwise(() => NONE),
    )
    .with({ kind: 'CaseExpr' }, ({ node: caseExpr }) => {
      const inner = figure(caseExpr.defresult);
      return inner.strength > 1 ? inner : { name: 'case', strength: 1 };
    })
    .with({ kind: 'A_ArrayExpr' }, () => ({ name: 'array', strength: 2 }))
    .with({ kind: 'RowExpr' }, () => ({ name: 'row', strength: 2 }))
    .with({ kind: 'CoalesceExpr' }, () => ({ name: 'coalesce', strength: 2 }))
    .with({ kind: 'MinMaxExpr' }, ({ node: minmax }) => ({ name: minmax.op === 'IS_LEAST' ? 'least' : 'greatest', strength: 2 }))
    .with({ kind: 'SQLValueFunction' }, ({ node: value }) => ({ name: sqlValueName(value.op), strength: 2 }))
    .with({ kind: 'JsonObjectConstructor' }, () => ({ name: 'json_object', strength: 2 }))
    .with({ kind: 'JsonArrayConstructor' }, { kind: 'JsonArrayQueryConstructor' }, () => ({ name: 'json_array', strength: 2 }))
    .with({ kind: 'JsonObjectAgg' }, () => ({ name: 'json_objectagg', strength: 2 }))
    .with({ kind: 'JsonArrayAgg' }, () => ({ name: 'json_arrayagg', strength: 2 }))
    .with({ kind: 'JsonParseExpr' }, () => ({ name: 'json', strength: 2 }))
    .with({ kind: 'JsonScalarExpr' }, () => ({ name: 'json_scalar', strength: 2 }))
    .with({ kind: 'JsonSerializeExpr' }, () => ({ name: 'json_serialize', strength: 2 }))
    .otherwise(() => NONE);
}

function sqlValueName(op: string | undefined): string {
  const names: Record<string, string> = {
    SVFOP_CURRENT_DATE: 'current_date',
    SVFOP_CURRENT_TIME: 'current_time',
    SVFOP_CURRENT_TIME_N: 'current_time',
    SVFOP_CURRENT_TIMESTAMP: 'current_timestamp',
    SVFOP_CURRENT_TIMESTAMP_N: 'current_timestamp',
    SVFOP_LOCALTIME: 'localtime',
    SVFOP_LOCALTIME_N: 'localtime',
    SVFOP_LOCALTIMESTAMP: 'localtimestamp',
    SVFOP_LOCALTIMESTAMP_N: 'localtimestamp',
    SVFOP_CURRENT_ROLE: 'current_role',
    SVFOP_CURRENT_USER: 'current_user',
    SVFOP_USER: 'user',
    SVFOP_SESSION_USER: 'session_user',
    SVFOP_CURRENT_CATALOG: 'current_catalog',
    SVFOP_CURRENT_SCHEMA: 'current_schema',
  };
  return names[op ?? ''] ?? '?column?';
}

function firstTargetName(select: SelectStmt): string {
  if (select.op !== undefined && select.op !== 'SETOP_NONE' && select.larg !== undefined) return firstTargetName(select.larg);
  if ((select.valuesLists ?? []).length > 0) return 'column1';
  const first = nodeOf(select.targetList?.[0], 'ResTarget');
  if (first === null) return '?column?';
  return first.name ?? figure(first.val).name;
}

/** The output name of a target: its alias, or PostgreSQL's figured name; `known` when it is worth comparing. */
export function outputName(alias: string | undefined, value: Node | undefined): { name: string; known: boolean } {
  if (alias !== undefined) return { name: alias, known: true };
  const figured = figure(value);
  // Only the strong, simple rules are compared with Describe's names; the rest are informative.
  const simple = value !== undefined && (nodeOf(value, 'ColumnRef') !== null || nodeOf(value, 'FuncCall') !== null);
  return { name: figured.name, known: simple && figured.strength === 2 };
}
