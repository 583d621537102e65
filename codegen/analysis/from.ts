// FROM items: tables and views (views through their definitions), CTEs, subqueries, functions, joins.
import type { FuncCall, Node, RangeFunction, RangeVar } from '@pgsql/types';
import { parseSync } from 'libpg-query';
import { match } from 'ts-pattern';
import type { CatalogTable, Routines } from './catalog.js';
import { functionName } from './expressions.js';
import { NO_KEYS } from './key-sets.js';
import { FROM_FUNCTIONS } from './nonnull.js';
import {
  findEntry,
  nextId,
  visible,
  type Derived,
  type Entry,
  type FromItem,
  type Join,
  type Leaf,
  type LeafColumn,
  type Origin,
  type OutputItem,
  type Scope,
} from './scope.js';
import { items, names, nodeOf, tag } from './tree.js';

const FROM_KINDS = ['RangeVar', 'RangeSubselect', 'RangeFunction', 'JoinExpr', 'RangeTableSample', 'RangeTableFunc', 'JsonTable'] as const;

function tableColumns(table: CatalogTable, ctx: Scope['ctx']): { columns: LeafColumn[]; opaque: string | null } {
  const attributes = [...table.columns.values()].sort((a, b) => a.attnum - b.attnum);
  const origin = (attnum: number): Origin => ({ tableOid: table.oid, attnum });
  if (table.kind === 'materialized') {
    ctx.notes.push(`materialized view ${table.displayName} holds the rows of its last REFRESH, so its columns are nullable`);
    return {
      columns: attributes.map((a) => ({ name: a.name, nullable: true, origin: origin(a.attnum), typeOid: a.typeOid })),
      opaque: null,
    };
  }
  if (table.kind === 'view') {
    const derived = viewItems(table, ctx);
    const columns = derived?.flatMap((item) => (item.kind === 'column' ? [item.column] : []));
    if (derived === null || columns === undefined || columns.length !== derived.length || columns.length !== attributes.length) {
      ctx.notes.push(`view ${table.displayName}: its definition could not be matched to its columns, so they are nullable`);
      return {
        columns: attributes.map((a) => ({ name: a.name, nullable: true, origin: origin(a.attnum), typeOid: a.typeOid })),
        opaque: null,
      };
    }
    return {
      columns: attributes.map((a, index) => ({
        name: a.name,
        nullable: columns[index]?.nullable ?? true,
        origin: origin(a.attnum),
        typeOid: a.typeOid,
      })),
      opaque: null,
    };
  }
  return {
    columns: attributes.map((a) => ({ name: a.name, nullable: !a.notNull, origin: origin(a.attnum), typeOid: a.typeOid })),
    opaque: null,
  };
}

/** A table's unique keys as indexes into its columns (ordered by attnum, as tableColumns lists them). */
function tableKeys(table: CatalogTable): number[][] {
  const attnums = [...table.columns.values()].map((column) => column.attnum).sort((a, b) => a - b);
  return table.uniqueKeys.flatMap((key) => {
    const indexes = key.map((attnum) => attnums.indexOf(attnum));
    return indexes.every((index) => index >= 0) ? [indexes] : [];
  });
}

/** A view's columns from its definition (pg_get_viewdef), analysed like any query and cached per view. */
function viewItems(table: CatalogTable, ctx: Scope['ctx']): OutputItem[] | null {
  const cached = ctx.views.get(table.oid);
  if (cached !== undefined) return cached;
  if (table.definition === null || ctx.viewStack.includes(table.oid)) return null;
  ctx.viewStack.push(table.oid);
  try {
    const stmt = parseSync(table.definition).stmts?.[0]?.stmt;
    const derived = ctx.analyze.statement(stmt, null, new Map());
    ctx.views.set(table.oid, derived.items);
    return derived.items;
  } catch (error) {
    ctx.notes.push(`view ${table.displayName}: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  } finally {
    ctx.viewStack.pop();
  }
}

function renamed<T extends { name: string }>(columns: T[], colnames: Node[] | undefined): T[] {
  const aliases = names(colnames);
  return columns.map((column, index) => ({ ...column, name: aliases[index] ?? column.name }));
}

function derivedLeaf(ctx: Scope['ctx'], alias: string, derived: Derived, colnames: Node[] | undefined): Leaf {
  const columns: LeafColumn[] = [];
  let opaque: string | null = null;
  for (const item of derived.items) {
    if (item.kind === 'column') {
      if (opaque === null)
        columns.push({ name: item.column.name, nullable: item.column.nullable, origin: item.column.origin, typeOid: item.column.typeOid });
    } else {
      opaque ??= item.reason;
    }
  }
  return {
    kind: 'leaf',
    id: nextId(ctx),
    alias,
    schema: null,
    columns: renamed(columns, colnames),
    opaque,
    table: null,
    singleRow: derived.singleRow,
    // Keys past an opaque run point at columns this leaf does not list.
    keys: derived.keys.unique.filter((key) => key.every((index) => index < columns.length)),
    qualifiedOnly: false,
  };
}

export function rangeVarLeaf(rangeVar: RangeVar, scope: Scope): Leaf {
  const { ctx } = scope;
  const relname = rangeVar.relname ?? '';
  const alias = rangeVar.alias?.aliasname ?? relname;
  const schemaName = rangeVar.schemaname ?? null;
  const cte = schemaName === null ? scope.ctes.get(relname) : undefined;
  if (cte !== undefined) return derivedLeaf(ctx, alias, cte, rangeVar.alias?.colnames);
  const table = ctx.catalog.resolveTable(schemaName, relname);
  if (table === null) {
    ctx.notes.push(`relation ${schemaName === null ? '' : `${schemaName}.`}${relname} is not in the catalog: its columns are unknown`);
    return {
      kind: 'leaf',
      id: nextId(ctx),
      alias,
      schema: null,
      columns: [],
      opaque: `relation ${relname} is not in the catalog`,
      table: null,
      singleRow: false,
      keys: [],
      qualifiedOnly: false,
    };
  }
  const { columns, opaque } = tableColumns(table, ctx);
  return {
    kind: 'leaf',
    id: nextId(ctx),
    alias,
    schema: rangeVar.alias === undefined ? table.schema : null,
    columns: renamed(columns, rangeVar.alias?.colnames),
    opaque,
    table,
    singleRow: false,
    keys: tableKeys(table),
    qualifiedOnly: false,
  };
}

function functionLeaf(range: RangeFunction, scope: Scope): Leaf {
  const { ctx } = scope;
  const calls = (range.functions ?? []).map((item) => {
    const [call, defs] = items(item);
    return { call: call === undefined ? null : nodeOf(call, 'FuncCall'), defs: defs === undefined ? [] : items(defs) };
  });
  const firstName = calls[0]?.call === null || calls[0] === undefined ? null : names(calls[0].call.funcname).at(-1);
  const alias = range.alias?.aliasname ?? firstName ?? '?function?';
  const colnames = range.alias?.colnames;
  const columns: LeafColumn[] = [];
  let opaque: string | null = null;
  const rowsFrom = calls.length > 1;
  const coldefs = (defs: Node[]) =>
    defs.flatMap((def) => {
      const column = nodeOf(def, 'ColumnDef');
      if (column === null) return [];
      const typeName = column.typeName;
      const typeOid =
        typeName === undefined ? null : ctx.catalog.types.resolve(names(typeName.names), (typeName.arrayBounds ?? []).length > 0);
      return [{ name: column.colname ?? '?column?', nullable: true, origin: null, typeOid }];
    });
  for (const { call, defs } of calls) {
    const declared = rowsFrom ? coldefs(defs) : coldefs(range.coldeflist ?? defs);
    if (declared.length > 0) {
      columns.push(...declared);
      continue;
    }
    const known = call === null ? null : fromFunctionColumns(call, alias, ctx.catalog.routines, rowsFrom);
    if (known === null) {
      opaque = `function ${call === null ? '?' : names(call.funcname).join('.')} in FROM: its columns are not known`;
      break;
    }
    // ROWS FROM pads the shorter functions' columns with NULLs.
    columns.push(...known.map((column) => ({ ...column, nullable: column.nullable || rowsFrom })));
  }
  if (opaque === null && range.ordinality === true) columns.push({ name: 'ordinality', nullable: false, origin: null, typeOid: 20 });
  return {
    kind: 'leaf',
    id: nextId(ctx),
    alias,
    schema: null,
    columns: renamed(columns, colnames),
    opaque,
    table: null,
    singleRow: false,
    keys: [],
    qualifiedOnly: false,
  };
}

function fromFunctionColumns(call: FuncCall, alias: string, routines: Routines, rowsFrom: boolean): LeafColumn[] | null {
  const name = functionName(call, routines);
  if (name === null) return null;
  const args = call.args ?? [];
  if (name === 'unnest') {
    // One column per array, each nullable (arrays hold NULLs, and shorter arrays are padded).
    return args.map(() => ({ name: args.length === 1 && !rowsFrom ? alias : 'unnest', nullable: true, origin: null, typeOid: null }));
  }
  const spec = FROM_FUNCTIONS[name];
  if (spec === undefined || (spec.maxArgs !== undefined && args.length > spec.maxArgs)) return null;
  return spec.columns.map((column) => ({
    name: column.name ?? (rowsFrom ? name : alias),
    nullable: !column.nonNull,
    origin: null,
    typeOid: null,
  }));
}

/** Builds one FROM item; `lateral` is what a LATERAL item (and any function) may see to its left. */
export function fromItem(node: Node, scope: Scope, lateral: FromItem[]): FromItem {
  const { ctx } = scope;
  const lateralScope = (): Scope => ({
    ...scope,
    level: { items: [...scope.level.items, ...lateral], narrowed: new Set(), grouping: null },
  });
  return match(tag(node, FROM_KINDS))
    .with({ kind: 'RangeVar' }, ({ node: rangeVar }) => rangeVarLeaf(rangeVar, scope))
    .with({ kind: 'RangeSubselect' }, ({ node: sub }) => {
      // A subquery sees the enclosing query's levels; a LATERAL one also sees the FROM items before it.
      const inner = sub.lateral === true ? lateralScope() : scope;
      const select = sub.subquery === undefined ? null : nodeOf(sub.subquery, 'SelectStmt');
      const derived: Derived =
        select === null
          ? { items: [{ kind: 'opaque', reason: 'subquery' }], singleRow: false, exactlyOne: false, keys: NO_KEYS }
          : ctx.analyze.select(select, inner, scope.ctes);
      return derivedLeaf(ctx, sub.alias?.aliasname ?? '?subquery?', derived, sub.alias?.colnames);
    })
    .with({ kind: 'RangeFunction' }, ({ node: range }) => functionLeaf(range, lateralScope()))
    .with({ kind: 'JoinExpr' }, ({ node: join }) => {
      const left = join.larg === undefined ? opaqueLeaf(ctx, '?', 'join side') : fromItem(join.larg, scope, lateral);
      const right = join.rarg === undefined ? opaqueLeaf(ctx, '?', 'join side') : fromItem(join.rarg, scope, [...lateral, left]);
      let using: string[] | null = names(join.usingClause);
      if (join.isNatural === true) {
        const leftEntries = visible(left, false);
        const rightEntries = visible(right, false);
        const known = (entries: Entry[]) => entries.every((entry) => entry.kind === 'column');
        using =
          known(leftEntries) && known(rightEntries)
            ? leftEntries.flatMap((entry) => (entry.kind === 'column' && findEntry(rightEntries, entry.name) !== null ? [entry.name] : []))
            : null;
      }
      return {
        kind: 'join',
        id: nextId(ctx),
        joinType: join.jointype ?? 'JOIN_INNER',
        alias: join.alias?.aliasname ?? null,
        usingAlias: join.join_using_alias?.aliasname ?? null,
        using,
        left,
        right,
        quals: join.quals,
      } satisfies Join;
    })
    .with({ kind: 'RangeTableSample' }, ({ node: sample }) =>
      sample.relation === undefined ? opaqueLeaf(ctx, '?', 'TABLESAMPLE') : fromItem(sample.relation, scope, lateral),
    )
    .with({ kind: 'RangeTableFunc' }, ({ node: table }) => opaqueLeaf(ctx, table.alias?.aliasname ?? 'xmltable', 'XMLTABLE in FROM'))
    .with({ kind: 'JsonTable' }, ({ node: table }) => opaqueLeaf(ctx, table.alias?.aliasname ?? 'json_table', 'JSON_TABLE in FROM'))
    .with({ kind: 'other' }, ({ name }) => opaqueLeaf(ctx, '?', `FROM item ${name}`))
    .exhaustive();
}

export function opaqueLeaf(ctx: Scope['ctx'], alias: string, reason: string): Leaf {
  ctx.notes.push(`${reason} is not analysed: its columns are nullable`);
  return {
    kind: 'leaf',
    id: nextId(ctx),
    alias,
    schema: null,
    columns: [],
    opaque: reason,
    table: null,
    singleRow: false,
    keys: [],
    qualifiedOnly: false,
  };
}
