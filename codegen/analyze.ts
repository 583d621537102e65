// Stage 5b: what the parse tree proves about a statement: each output column's nullability and origin,
// whether it returns at most one row, and which tables it reads and writes.
//
// The statement is walked the way PostgreSQL's parse analysis walks it: a query level's FROM items are a
// tree of relations and joins; a column reference resolves to the nearest level whose FROM provides it,
// carrying the nulling of every outer join it sits under. A relation whose columns are not known (an
// unknown function in FROM) is opaque: a name it might provide resolves to "unknown", never to an outer
// table of the same name, and a * over it leaves a gap that Describe's columns are matched around.
// Rules for expressions live in ./expressions.ts, the proven builtins in ./nonnull.ts.
import type {
  ColumnRef,
  DeleteStmt,
  FuncCall,
  InsertStmt,
  JoinType,
  MergeStmt,
  Node,
  RangeFunction,
  RangeVar,
  ReturningClause,
  SelectStmt,
  UpdateStmt,
  WithClause,
} from '@pgsql/types';
import { parseSync } from 'libpg-query';
import { match } from 'ts-pattern';
import type { Catalog, CatalogTable } from './catalog.js';
import { outputName } from './colname.js';
import { functionName, isAggregateCall, isNullable, trustedName, typeOf, type ExprEnv } from './expressions.js';
import type { TableAccess } from './model.js';
import { FROM_FUNCTIONS, nullRejectingOperators } from './nonnull.js';
import { canonical, conjuncts, items, names, nodeOf, stripCasts, tag, walkExpression, walkNodes } from './tree.js';

export type Origin = { tableOid: number; attnum: number };
export type OutputColumn = {
  name: string;
  /** The name is an alias, a column or a function name: worth comparing with Describe's. */
  nameKnown: boolean;
  nullable: boolean;
  origin: Origin | null;
  /** The column's type when the tree tells it (columns, casts, literals); guards on builtins read it. */
  typeOid: number | null;
};
/** One output column, or a run of columns the analysis cannot see (a * over an opaque relation). */
export type OutputItem = { kind: 'column'; column: OutputColumn } | { kind: 'opaque'; reason: string };

type Derived = {
  items: OutputItem[];
  /** At most one row (cardinality, for :one and :maybe). */
  singleRow: boolean;
  /** Exactly one row on any data (a scalar subquery over it is never empty). */
  exactlyOne: boolean;
};

export type StatementAnalysis = {
  items: OutputItem[];
  singleRow: boolean;
  tables: TableAccess;
  /** Why something was left nullable or unknown; shown by codegen --debug and in golden cases. */
  notes: string[];
};

type Context = {
  catalog: Catalog;
  optionalParams: ReadonlySet<number>;
  notes: string[];
  views: Map<number, OutputItem[]>;
  viewStack: number[];
  ids: { next: number };
};

type LeafColumn = { name: string; nullable: boolean; origin: Origin | null; typeOid: number | null };

/** A relation in FROM: a table, view, CTE, subquery or function. */
type Leaf = {
  kind: 'leaf';
  id: number;
  alias: string;
  /** For schema.table.column references; null when the relation has an alias. */
  schema: string | null;
  columns: LeafColumn[];
  /** Why the relation may hold columns beyond `columns`; null when they are all known. */
  opaque: string | null;
  /** The base table, for unique-key proofs. */
  table: CatalogTable | null;
  singleRow: boolean;
  /** RETURNING's old and new: reachable as old.x only, never by a bare name or a *. */
  qualifiedOnly: boolean;
};

type Join = {
  kind: 'join';
  id: number;
  joinType: JoinType;
  alias: string | null;
  usingAlias: string | null;
  /** USING columns; for NATURAL, the common names (null when a side's columns are not known). */
  using: string[] | null;
  left: FromItem;
  right: FromItem;
  quals: Node | undefined;
};

type FromItem = Leaf | Join;

/** Grouping sets: the keys a super-aggregate row replaces with NULL. */
type Grouping = { keys: Set<string>; exprs: Set<string>; outputNames: Set<string>; positions: Set<number> };

type Level = { items: FromItem[]; narrowed: Set<string>; grouping: Grouping | null };

type Scope = { level: Level; parent: Scope | null; ctes: ReadonlyMap<string, Derived>; ctx: Context };

type Entry = { kind: 'column'; name: string; key: string; nullable: boolean; origin: Origin | null; typeOid: number | null } | { kind: 'opaque'; reason: string };
type Resolved = Extract<Entry, { kind: 'column' }> | { kind: 'unknown'; reason: string };

const STATEMENT_KINDS = ['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt'] as const;
const FROM_KINDS = ['RangeVar', 'RangeSubselect', 'RangeFunction', 'JoinExpr', 'RangeTableSample', 'RangeTableFunc', 'JsonTable'] as const;

const emptyLevel = (): Level => ({ items: [], narrowed: new Set(), grouping: null });

function nextId(ctx: Context): number {
  ctx.ids.next += 1;
  return ctx.ids.next;
}

// ---------------------------------------------------------------------------------------------------------
// Visible columns and name resolution

function sides(joinType: JoinType, nulled: boolean): { left: boolean; right: boolean } {
  return {
    left: nulled || joinType === 'JOIN_RIGHT' || joinType === 'JOIN_FULL',
    right: nulled || joinType === 'JOIN_LEFT' || joinType === 'JOIN_FULL',
  };
}

function findEntry(entries: Entry[], name: string): Extract<Entry, { kind: 'column' }> | null {
  for (const entry of entries) if (entry.kind === 'column' && entry.name === name) return entry;
  return null;
}

/** The columns a FROM item shows to `*` and to its alias, in PostgreSQL's order, nulled by outer joins above it. */
function visible(item: FromItem, nulled: boolean): Entry[] {
  if (item.kind === 'leaf') {
    const columns: Entry[] = item.columns.map((column, index) => ({
      kind: 'column',
      name: column.name,
      key: `${item.id}:${index}`,
      nullable: nulled || column.nullable,
      origin: column.origin,
      typeOid: column.typeOid,
    }));
    return item.opaque === null ? columns : [...columns, { kind: 'opaque', reason: item.opaque }];
  }
  const side = sides(item.joinType, nulled);
  const left = visible(item.left, side.left);
  const right = visible(item.right, side.right);
  if (item.using === null) return [{ kind: 'opaque', reason: 'a NATURAL JOIN over a relation whose columns are not known' }];
  if (item.using.length === 0) return [...left, ...right];
  const using = item.using;
  const merged = using.map((name) => mergedColumn(item, name, nulled, left, right));
  const rest = (entries: Entry[]) => entries.filter((entry) => entry.kind !== 'column' || !using.includes(entry.name));
  return [...merged, ...rest(left), ...rest(right)];
}

/** A USING column shows once: the left value (INNER, LEFT), the right (RIGHT), COALESCE of both (FULL). */
function mergedColumn(join: Join, name: string, nulled: boolean, left: Entry[], right: Entry[]): Entry {
  const key = `${join.id}:using:${name}`;
  const l = findEntry(left, name);
  const r = findEntry(right, name);
  if (l === null || r === null) return { kind: 'column', name, key, nullable: true, origin: null, typeOid: null };
  return match(join.joinType)
    .with('JOIN_RIGHT', () => ({ ...r, key }))
    .with('JOIN_FULL', () => {
      // Every row has at least one side, so the COALESCE is NULL only where a present side's value can be.
      const ownLeft = findEntry(visible(join.left, nulled), name);
      const ownRight = findEntry(visible(join.right, nulled), name);
      return {
        kind: 'column' as const,
        name,
        key,
        nullable: ownLeft === null || ownRight === null || ownLeft.nullable || ownRight.nullable,
        origin: null,
        typeOid: l.typeOid === r.typeOid ? l.typeOid : null,
      };
    })
    .otherwise(() => ({ ...l, key }));
}

type Search = { found: Extract<Entry, { kind: 'column' }> } | { unknown: string } | null;

function searchUnqualified(item: FromItem, name: string, nulled: boolean): Search {
  if (item.kind === 'leaf') {
    if (item.qualifiedOnly) return null;
    const found = findEntry(visible(item, nulled), name);
    if (found !== null) return { found };
    return item.opaque === null ? null : { unknown: item.opaque };
  }
  if (item.using !== null && item.using.includes(name)) {
    const found = findEntry(visible(item, nulled), name);
    return found === null ? { unknown: 'a USING column' } : { found };
  }
  const side = sides(item.joinType, nulled);
  const left = searchUnqualified(item.left, name, side.left);
  if (left !== null && 'found' in left) return left;
  const right = searchUnqualified(item.right, name, side.right);
  if (right !== null && 'found' in right) return right;
  return left ?? right;
}

/** The entries reachable as `qualifier.*` inside `item`, or null when no relation there has that name. */
function searchQualified(item: FromItem, schema: string | null, qualifier: string, nulled: boolean): Entry[] | null {
  if (item.kind === 'leaf') {
    return item.alias === qualifier && (schema === null || item.schema === schema) ? visible(item, nulled) : null;
  }
  if (schema === null && item.alias === qualifier) return visible(item, nulled);
  if (schema === null && item.usingAlias === qualifier) return visible(item, nulled).slice(0, item.using?.length ?? 0);
  // A join with an alias hides the names inside it.
  if (item.alias !== null) return null;
  const side = sides(item.joinType, nulled);
  return searchQualified(item.left, schema, qualifier, side.left) ?? searchQualified(item.right, schema, qualifier, side.right);
}

function lookupInLevel(level: Level, fields: string[]): Resolved | null {
  const column = fields.at(-1);
  if (column === undefined || column === '*') return { kind: 'unknown', reason: 'a whole-row reference' };
  if (fields.length === 1) {
    let unknown: string | null = null;
    for (const item of level.items) {
      const result = searchUnqualified(item, column, false);
      if (result !== null && 'found' in result) return result.found;
      if (result !== null) unknown ??= result.unknown;
    }
    return unknown === null ? null : { kind: 'unknown', reason: unknown };
  }
  const qualifier = fields[fields.length - 2] ?? '';
  const schema = fields.length >= 3 ? (fields[fields.length - 3] ?? null) : null;
  for (const item of level.items) {
    const entries = searchQualified(item, schema, qualifier, false);
    if (entries === null) continue;
    const found = findEntry(entries, column);
    if (found !== null) return found;
    const opaque = entries.find((entry) => entry.kind === 'opaque');
    return { kind: 'unknown', reason: opaque?.kind === 'opaque' ? opaque.reason : `${qualifier}.${column} is not a plain column` };
  }
  return null;
}

/** Resolves a column reference through the scope chain; narrowing and grouping sets apply at its level. */
function resolveColumn(scope: Scope, ref: ColumnRef): { resolved: Resolved; level: Level | null } {
  const fields = names(ref.fields);
  for (let current: Scope | null = scope; current !== null; current = current.parent) {
    const resolved = lookupInLevel(current.level, fields);
    if (resolved === null) continue;
    if (resolved.kind === 'unknown') return { resolved, level: current.level };
    const { grouping, narrowed } = current.level;
    if (grouping !== null && grouping.keys.has(resolved.key)) return { resolved: { ...resolved, nullable: true }, level: current.level };
    if (narrowed.has(resolved.key)) return { resolved: { ...resolved, nullable: false }, level: current.level };
    return { resolved, level: current.level };
  }
  return { resolved: { kind: 'unknown', reason: `no relation in scope provides ${fields.join('.')}` }, level: null };
}

function columnKey(scope: Scope, ref: ColumnRef): string | null {
  const { resolved } = resolveColumn(scope, ref);
  return resolved.kind === 'column' ? resolved.key : null;
}

function envFor(scope: Scope): ExprEnv {
  const { ctx } = scope;
  return {
    routines: ctx.catalog.routines,
    types: ctx.catalog.types,
    optionalParams: ctx.optionalParams,
    column: (ref) => {
      const { resolved } = resolveColumn(scope, ref);
      return resolved.kind === 'column' ? { kind: 'column', nullable: resolved.nullable, origin: resolved.origin, typeOid: resolved.typeOid } : resolved;
    },
    subquery: (select) => {
      const derived = analyzeSelect(select, scope, scope.ctes, ctx);
      const columns = derived.items.flatMap((item) => (item.kind === 'column' ? [{ nullable: item.column.nullable }] : []));
      return { columns: columns.length === derived.items.length ? columns : null, exactlyOne: derived.exactlyOne };
    },
    groupingNulled: (node) => {
      for (let current: Scope | null = scope; current !== null; current = current.parent) {
        const grouping = current.level.grouping;
        if (grouping !== null && grouping.exprs.size > 0 && grouping.exprs.has(canonical(node, (ref) => columnKey(scope, ref)))) return true;
      }
      return false;
    },
    note: (message) => ctx.notes.push(message),
  };
}

// ---------------------------------------------------------------------------------------------------------
// FROM

function tableColumns(table: CatalogTable, ctx: Context): { columns: LeafColumn[]; opaque: string | null } {
  const attributes = [...table.columns.values()].sort((a, b) => a.attnum - b.attnum);
  const origin = (attnum: number): Origin => ({ tableOid: table.oid, attnum });
  if (table.kind === 'view' || table.kind === 'materialized') {
    const derived = viewItems(table, ctx);
    const columns = derived?.flatMap((item) => (item.kind === 'column' ? [item.column] : []));
    if (derived === null || columns === undefined || columns.length !== derived.length || columns.length !== attributes.length) {
      ctx.notes.push(`view ${table.displayName}: its definition could not be matched to its columns, so they are nullable`);
      return { columns: attributes.map((a) => ({ name: a.name, nullable: true, origin: origin(a.attnum), typeOid: a.typeOid })), opaque: null };
    }
    return {
      columns: attributes.map((a, index) => ({ name: a.name, nullable: columns[index]?.nullable ?? true, origin: origin(a.attnum), typeOid: a.typeOid })),
      opaque: null,
    };
  }
  return { columns: attributes.map((a) => ({ name: a.name, nullable: !a.notNull, origin: origin(a.attnum), typeOid: a.typeOid })), opaque: null };
}

/** A view's columns from its definition (pg_get_viewdef), analysed like any query and cached per view. */
function viewItems(table: CatalogTable, ctx: Context): OutputItem[] | null {
  const cached = ctx.views.get(table.oid);
  if (cached !== undefined) return cached;
  if (table.definition === null || ctx.viewStack.includes(table.oid)) return null;
  ctx.viewStack.push(table.oid);
  try {
    const stmt = parseSync(table.definition).stmts?.[0]?.stmt;
    const derived = analyzeStatementNode(stmt, null, new Map(), ctx);
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

function derivedLeaf(ctx: Context, alias: string, derived: Derived, colnames: Node[] | undefined): Leaf {
  const columns: LeafColumn[] = [];
  let opaque: string | null = null;
  for (const item of derived.items) {
    if (item.kind === 'column') {
      if (opaque === null) columns.push({ name: item.column.name, nullable: item.column.nullable, origin: item.column.origin, typeOid: item.column.typeOid });
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
    qualifiedOnly: false,
  };
}

function rangeVarLeaf(rangeVar: RangeVar, scope: Scope): Leaf {
  const { ctx } = scope;
  const relname = rangeVar.relname ?? '';
  const alias = rangeVar.alias?.aliasname ?? relname;
  const schemaName = rangeVar.schemaname ?? null;
  const cte = schemaName === null ? scope.ctes.get(relname) : undefined;
  if (cte !== undefined) return derivedLeaf(ctx, alias, cte, rangeVar.alias?.colnames);
  const table = ctx.catalog.resolveTable(schemaName, relname);
  if (table === null) {
    ctx.notes.push(`relation ${schemaName === null ? '' : `${schemaName}.`}${relname} is not in the catalog: its columns are unknown`);
    return { kind: 'leaf', id: nextId(ctx), alias, schema: null, columns: [], opaque: `relation ${relname} is not in the catalog`, table: null, singleRow: false, qualifiedOnly: false };
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
    qualifiedOnly: false,
  };
}

function functionLeaf(range: RangeFunction, scope: Scope): Leaf {
  const { ctx } = scope;
  const env = envFor(scope);
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
  const coldefs = (defs: Node[]) => defs.flatMap((def) => {
    const column = nodeOf(def, 'ColumnDef');
    if (column === null) return [];
    const typeName = column.typeName;
    const typeOid = typeName === undefined ? null : ctx.catalog.types.resolve(names(typeName.names), (typeName.arrayBounds ?? []).length > 0);
    return [{ name: column.colname ?? '?column?', nullable: true, origin: null, typeOid }];
  });
  for (const { call, defs } of calls) {
    const declared = rowsFrom ? coldefs(defs) : coldefs(range.coldeflist ?? defs);
    if (declared.length > 0) {
      columns.push(...declared);
      continue;
    }
    const known = call === null ? null : fromFunctionColumns(call, alias, env, rowsFrom);
    if (known === null) {
      opaque = `function ${call === null ? '?' : names(call.funcname).join('.')} in FROM: its columns are not known`;
      break;
    }
    // ROWS FROM pads the shorter functions' columns with NULLs.
    columns.push(...known.map((column) => ({ ...column, nullable: column.nullable || rowsFrom })));
  }
  if (opaque === null && range.ordinality === true) columns.push({ name: 'ordinality', nullable: false, origin: null, typeOid: 20 });
  return { kind: 'leaf', id: nextId(ctx), alias, schema: null, columns: renamed(columns, colnames), opaque, table: null, singleRow: false, qualifiedOnly: false };
}

function fromFunctionColumns(call: FuncCall, alias: string, env: ExprEnv, rowsFrom: boolean): LeafColumn[] | null {
  const name = functionName(call, env.routines);
  if (name === null) return null;
  const args = call.args ?? [];
  if (name === 'unnest') {
    // One column per array, each nullable (arrays hold NULLs, and shorter arrays are padded).
    return args.map(() => ({ name: args.length === 1 && !rowsFrom ? alias : 'unnest', nullable: true, origin: null, typeOid: null }));
  }
  const spec = FROM_FUNCTIONS[name];
  if (spec === undefined || (spec.maxArgs !== undefined && args.length > spec.maxArgs)) return null;
  return spec.columns.map((column) => ({ name: column.name ?? (rowsFrom ? name : alias), nullable: !column.nonNull, origin: null, typeOid: null }));
}

/** Builds one FROM item; `lateral` is what a LATERAL item (and any function) may see to its left. */
function fromItem(node: Node, scope: Scope, lateral: FromItem[]): FromItem {
  const { ctx } = scope;
  const lateralScope = (): Scope => ({ ...scope, level: { items: [...scope.level.items, ...lateral], narrowed: new Set(), grouping: null } });
  return match(tag(node, FROM_KINDS))
    .with({ kind: 'RangeVar' }, ({ node: rangeVar }) => rangeVarLeaf(rangeVar, scope))
    .with({ kind: 'RangeSubselect' }, ({ node: sub }) => {
      // A subquery sees the enclosing query's levels; a LATERAL one also sees the FROM items before it.
      const inner = sub.lateral === true ? lateralScope() : scope;
      const select = sub.subquery === undefined ? null : nodeOf(sub.subquery, 'SelectStmt');
      const derived: Derived = select === null ? { items: [{ kind: 'opaque', reason: 'subquery' }], singleRow: false, exactlyOne: false } : analyzeSelect(select, inner, scope.ctes, ctx);
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
        using = known(leftEntries) && known(rightEntries)
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

function opaqueLeaf(ctx: Context, alias: string, reason: string): Leaf {
  ctx.notes.push(`${reason} is not analysed: its columns are nullable`);
  return { kind: 'leaf', id: nextId(ctx), alias, schema: null, columns: [], opaque: reason, table: null, singleRow: false, qualifiedOnly: false };
}

function leaves(item: FromItem): Leaf[] {
  return item.kind === 'leaf' ? [item] : [...leaves(item.left), ...leaves(item.right)];
}

/** Join conditions that hold for every output row: inner joins not under an outer join's nullable side. */
function preservedQuals(item: FromItem): Node[] {
  if (item.kind === 'leaf') return [];
  return match(item.joinType)
    .with('JOIN_LEFT', () => preservedQuals(item.left))
    .with('JOIN_RIGHT', () => preservedQuals(item.right))
    .with('JOIN_FULL', () => [])
    .otherwise(() => [...conjuncts(item.quals), ...preservedQuals(item.left), ...preservedQuals(item.right)]);
}

function allQuals(item: FromItem): Node[] {
  return item.kind === 'leaf' ? [] : [...conjuncts(item.quals), ...allQuals(item.left), ...allQuals(item.right)];
}

// ---------------------------------------------------------------------------------------------------------
// Narrowing: a top-level predicate that is never TRUE for a NULL column proves the column non-null.

function nullRejectedRefs(predicate: Node, scope: Scope): ColumnRef[] {
  const ref = (node: Node | undefined): ColumnRef[] => {
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

function narrow(scope: Scope, predicates: Node[]): void {
  for (const predicate of predicates) {
    for (const ref of nullRejectedRefs(predicate, scope)) {
      const resolved = lookupInLevel(scope.level, names(ref.fields));
      if (resolved !== null && resolved.kind === 'column') scope.level.narrowed.add(resolved.key);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Grouping sets

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
  return match(set.kind ?? 'GROUPING_SET_EMPTY')
    .with('GROUPING_SET_SIMPLE', () => (set.content ?? []).some((inner) => canon(inner) === key))
    .with('GROUPING_SET_SETS', () => (set.content ?? []).every((inner) => inEverySet(inner, key, canon)))
    // ROLLUP and CUBE include the empty set: every key is NULL in the grand total row.
    .with('GROUPING_SET_ROLLUP', 'GROUPING_SET_CUBE', 'GROUPING_SET_EMPTY', () => false)
    .exhaustive();
}

function groupingOf(groupClause: Node[] | undefined, scope: Scope): Grouping | null {
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

// ---------------------------------------------------------------------------------------------------------
// SELECT

function targetItems(targets: Node[] | undefined, scope: Scope): OutputItem[] {
  const env = envFor(scope);
  const out: OutputItem[] = [];
  const grouping = scope.level.grouping;
  (targets ?? []).forEach((node, index) => {
    const target = nodeOf(node, 'ResTarget');
    if (target === null) {
      out.push({ kind: 'opaque', reason: 'a target that is not a ResTarget' });
      return;
    }
    const ref = target.val === undefined ? null : nodeOf(target.val, 'ColumnRef');
    const fields = ref === null ? [] : names(ref.fields);
    if (fields.at(-1) === '*') {
      out.push(...starItems(scope, fields.slice(0, -1)));
      return;
    }
    const { name, known } = outputName(target.name, target.val);
    const groupedByName = grouping !== null && (grouping.positions.has(index + 1) || grouping.outputNames.has(name));
    const resolved = ref === null ? null : resolveColumn(scope, ref).resolved;
    out.push({
      kind: 'column',
      column: {
        name,
        nameKnown: known,
        nullable: groupedByName || isNullable(target.val, env),
        origin: resolved !== null && resolved.kind === 'column' ? resolved.origin : null,
        typeOid: typeOf(target.val, env),
      },
    });
  });
  return out;
}

function starItems(scope: Scope, qualifier: string[]): OutputItem[] {
  // Under grouping sets every column of a * is treated as a possibly nulled key.
  const toItems = (entries: Entry[], level: Level): OutputItem[] =>
    entries.map((entry) =>
      entry.kind === 'opaque'
        ? { kind: 'opaque', reason: entry.reason }
        : {
            kind: 'column',
            column: {
              name: entry.name,
              nameKnown: true,
              nullable: level.grouping !== null || (entry.nullable && !level.narrowed.has(entry.key)),
              origin: entry.origin,
              typeOid: entry.typeOid,
            },
          },
    );
  if (qualifier.length === 0) {
    return scope.level.items.flatMap((item) => (item.kind === 'leaf' && item.qualifiedOnly ? [] : toItems(visible(item, false), scope.level)));
  }
  const name = qualifier.at(-1) ?? '';
  const schema = qualifier.length >= 2 ? (qualifier.at(-2) ?? null) : null;
  for (let current: Scope | null = scope; current !== null; current = current.parent) {
    for (const item of current.level.items) {
      const entries = searchQualified(item, schema, name, false);
      if (entries !== null) return toItems(entries, current.level);
    }
  }
  return [{ kind: 'opaque', reason: `${qualifier.join('.')}.* names no relation in scope` }];
}

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

function setReturningInTargets(select: SelectStmt, scope: Scope): boolean {
  let found = false;
  targetNodes(select, (node) => {
    const call = nodeOf(node, 'FuncCall');
    if (call !== null && scope.ctx.catalog.routines.setReturning.has(names(call.funcname).at(-1) ?? '')) found = true;
  });
  return found;
}

/** Exactly one row on any data: no FROM, or an aggregate without GROUP BY; nothing that can drop the row. */
function exactlyOneRow(select: SelectStmt, scope: Scope): boolean {
  if (select.groupClause !== undefined || select.havingClause !== undefined) return false;
  if (select.limitCount !== undefined && !isNullConst(select.limitCount) && !isIntegerConst(select.limitCount, (n) => n >= 1)) return false;
  if (select.limitOffset !== undefined && !isNullConst(select.limitOffset) && !isIntegerConst(select.limitOffset, (n) => n === 0)) return false;
  if (setReturningInTargets(select, scope)) return false;
  if ((select.valuesLists ?? []).length > 0) return select.valuesLists?.length === 1;
  if ((select.fromClause ?? []).length === 0 && select.whereClause === undefined) return true;
  return aggregatesHere(select, scope);
}

function limitIsOne(select: SelectStmt): boolean {
  return isIntegerConst(select.limitCount, (n) => n <= 1);
}

/** Aggregates without GROUP BY return one row (at most one, for cardinality). */
function aggregateWithoutGroup(select: SelectStmt, scope: Scope): boolean {
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
    const pairs: [Node | undefined, Node | undefined][] = [[expr.lexpr, expr.rexpr], [expr.rexpr, expr.lexpr]];
    for (const [side, other] of pairs) {
      const stripped = stripCasts(side);
      const ref = stripped === undefined ? null : nodeOf(stripped, 'ColumnRef');
      const resolved = ref === null ? null : leafColumn(ref, all);
      if (resolved !== null) found.push({ ...resolved, other: stripCasts(other) });
    }
  }
  return found;
}

const isConstOrParam = (node: Node | undefined) => node !== undefined && (nodeOf(node, 'A_Const') !== null || nodeOf(node, 'ParamRef') !== null);

/** At most one row per FROM item: a unique key pinned by equalities to constants, params, outer or proven columns. */
function fromIsSingleRow(all: Leaf[], predicates: Node[], scope: Scope): boolean {
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
function groupKeysPinned(select: SelectStmt, all: Leaf[], predicates: Node[]): boolean {
  const keys = select.groupClause ?? [];
  if (keys.length === 0) return false;
  const eqs = equalities(predicates, all).filter((eq) => isConstOrParam(eq.other));
  return keys.every((key) => {
    const ref = nodeOf(key, 'ColumnRef');
    const resolved = ref === null ? null : leafColumn(ref, all);
    return resolved !== null && eqs.some((eq) => eq.leaf === resolved.leaf && eq.column === resolved.column);
  });
}

function withCtes(withClause: WithClause | undefined, outer: Scope | null, ctes: ReadonlyMap<string, Derived>, ctx: Context): ReadonlyMap<string, Derived> {
  if (withClause === undefined) return ctes;
  const inner = new Map(ctes);
  for (const node of withClause.ctes ?? []) {
    const cte = nodeOf(node, 'CommonTableExpr');
    if (cte === null) continue;
    const name = cte.ctename ?? '';
    const rename = (derived: Derived): Derived => {
      const aliases = names(cte.aliascolnames);
      const items: OutputItem[] = derived.items.map((item, index) =>
        item.kind === 'column' && aliases[index] !== undefined ? { kind: 'column', column: { ...item.column, name: aliases[index], nameKnown: true } } : item,
      );
      // SEARCH and CYCLE add columns of their own.
      const extra: OutputItem[] = cte.search_clause !== undefined || cte.cycle_clause !== undefined ? [{ kind: 'opaque', reason: 'SEARCH or CYCLE columns' }] : [];
      return { ...derived, items: [...items, ...extra] };
    };
    const select = cte.ctequery === undefined ? null : nodeOf(cte.ctequery, 'SelectStmt');
    let derived: Derived;
    if (!(withClause.recursive === true && select !== null && select.op !== undefined && select.op !== 'SETOP_NONE' && select.larg !== undefined)) {
      derived = rename(analyzeStatementNode(cte.ctequery, outer, inner, ctx));
    } else {
      // The recursive term reads the CTE itself: start from the non-recursive term and repeat until the
      // nullability stops changing (it only ever grows).
      derived = rename(analyzeSelect(select.larg, outer, inner, ctx));
      let stable = false;
      for (let round = 0; round < 8 && !stable; round++) {
        inner.set(name, derived);
        const next = rename(analyzeSelect(select, outer, inner, ctx));
        stable = JSON.stringify(next.items) === JSON.stringify(derived.items);
        derived = next;
      }
      if (!stable) {
        ctx.notes.push(`recursive CTE ${name} did not settle: its columns are nullable`);
        derived = { ...derived, items: derived.items.map((item) => (item.kind === 'column' ? { kind: 'column', column: { ...item.column, nullable: true } } : item)) };
      }
    }
    inner.set(name, derived);
  }
  return inner;
}

function setOperation(select: SelectStmt, outer: Scope | null, ctes: ReadonlyMap<string, Derived>, ctx: Context): Derived {
  const left = select.larg === undefined ? null : analyzeSelect(select.larg, outer, ctes, ctx);
  const right = select.rarg === undefined ? null : analyzeSelect(select.rarg, outer, ctes, ctx);
  const singleRow = limitIsOne(select);
  if (left === null || right === null) return { items: [{ kind: 'opaque', reason: 'set operation' }], singleRow, exactlyOne: false };
  const leftColumns = left.items.flatMap((item) => (item.kind === 'column' ? [item.column] : []));
  const rightColumns = right.items.flatMap((item) => (item.kind === 'column' ? [item.column] : []));
  const leftKnown = leftColumns.length === left.items.length;
  const rightKnown = rightColumns.length === right.items.length;
  if (!leftKnown || !rightKnown) {
    // Both branches have the same number of columns: a known branch tells how many, not how nullable.
    const known = leftKnown ? leftColumns : rightKnown ? rightColumns : null;
    if (known === null) return { items: [{ kind: 'opaque', reason: 'a set operation over relations whose columns are not known' }], singleRow, exactlyOne: false };
    return { items: known.map((column) => ({ kind: 'column', column: { ...column, nullable: true, origin: null, typeOid: null } })), singleRow, exactlyOne: false };
  }
  const op = select.op ?? 'SETOP_UNION';
  const items: OutputItem[] = leftColumns.map((column, index) => {
    const other = rightColumns[index];
    const nullable = match(op)
      .with('SETOP_UNION', 'SETOP_NONE', () => column.nullable || (other?.nullable ?? true))
      // INTERSECT keeps rows found in both branches: a value non-null in either is non-null.
      .with('SETOP_INTERSECT', () => column.nullable && (other?.nullable ?? true))
      .with('SETOP_EXCEPT', () => column.nullable)
      .exhaustive();
    const typeOid = column.typeOid === other?.typeOid ? column.typeOid : null;
    return { kind: 'column', column: { name: column.name, nameKnown: column.nameKnown, nullable, origin: null, typeOid } };
  });
  return { items, singleRow, exactlyOne: false };
}

function analyzeSelect(select: SelectStmt, outer: Scope | null, outerCtes: ReadonlyMap<string, Derived>, ctx: Context): Derived {
  const ctes = withCtes(select.withClause, outer, outerCtes, ctx);
  if (select.op !== undefined && select.op !== 'SETOP_NONE') return setOperation(select, outer, ctes, ctx);
  const valuesLists = select.valuesLists ?? [];
  if (valuesLists.length > 0) {
    const scope: Scope = { level: emptyLevel(), parent: outer, ctes, ctx };
    const env = envFor(scope);
    const rows = valuesLists.map((row) => items(row));
    const width = rows[0]?.length ?? 0;
    const columns: OutputItem[] = Array.from({ length: width }, (_, index) => ({
      kind: 'column',
      column: { name: `column${index + 1}`, nameKnown: true, nullable: rows.some((row) => isNullable(row[index], env)), origin: null, typeOid: null },
    }));
    return { items: columns, singleRow: valuesLists.length === 1, exactlyOne: exactlyOneRow(select, scope) };
  }
  const level = emptyLevel();
  const scope: Scope = { level, parent: outer, ctes, ctx };
  // Non-lateral items see only the enclosing levels; lateral ones (and functions) also the items to their left.
  const outerScope: Scope = { level: emptyLevel(), parent: outer, ctes, ctx };
  for (const node of select.fromClause ?? []) level.items.push(fromItem(node, outerScope, [...level.items]));
  narrow(scope, [...conjuncts(select.whereClause), ...level.items.flatMap(preservedQuals)]);
  level.grouping = groupingOf(select.groupClause, scope);
  const targets = targetItems(select.targetList, scope);
  const all = level.items.flatMap(leaves);
  const predicates = [...conjuncts(select.whereClause), ...level.items.flatMap(allQuals)];
  const singleRow =
    limitIsOne(select) ||
    aggregateWithoutGroup(select, scope) ||
    groupKeysPinned(select, all, predicates) ||
    (select.groupClause === undefined && fromIsSingleRow(all, predicates, scope));
  return { items: targets, singleRow, exactlyOne: exactlyOneRow(select, scope) };
}

// ---------------------------------------------------------------------------------------------------------
// INSERT, UPDATE, DELETE, MERGE and RETURNING

type ModifyMode = 'insert' | 'update' | 'delete' | 'merge';

function targetLeaf(relation: RangeVar | undefined, scope: Scope, mode: ModifyMode): Leaf {
  const leaf = rangeVarLeaf(relation ?? {}, { ...scope, ctes: new Map() });
  if (leaf.table !== null && leaf.table.kind !== 'table' && leaf.table.kind !== 'partitioned') {
    // Through a view, RETURNING shows whatever the view's rules or INSTEAD OF triggers produce.
    scope.ctx.notes.push(`${mode} through view ${leaf.table.displayName}: RETURNING columns are nullable`);
    return { ...leaf, columns: leaf.columns.map((column) => ({ ...column, nullable: true })) };
  }
  return leaf;
}

function returningItems(clause: ReturningClause | undefined, scope: Scope, target: Leaf, mode: ModifyMode): OutputItem[] {
  if (clause === undefined) return [];
  const { ctx } = scope;
  let oldAlias = 'old';
  let newAlias = 'new';
  for (const option of clause.options ?? []) {
    const returningOption = nodeOf(option, 'ReturningOption');
    if (returningOption?.option === 'RETURNING_OPTION_OLD') oldAlias = returningOption.value ?? oldAlias;
    if (returningOption?.option === 'RETURNING_OPTION_NEW') newAlias = returningOption.value ?? newAlias;
  }
  // OLD is NULL for an inserted row, NEW for a deleted one; MERGE may do either.
  const pseudo = (alias: string, nulled: boolean): Leaf => ({
    ...target,
    id: nextId(ctx),
    alias,
    schema: null,
    qualifiedOnly: true,
    columns: target.columns.map((column) => ({ ...column, nullable: column.nullable || nulled })),
  });
  scope.level.items.push(pseudo(oldAlias, mode === 'insert' || mode === 'merge'), pseudo(newAlias, mode === 'delete' || mode === 'merge'));
  return targetItems(clause.exprs, scope);
}

function analyzeInsert(stmt: InsertStmt, outer: Scope | null, outerCtes: ReadonlyMap<string, Derived>, ctx: Context): Derived {
  const ctes = withCtes(stmt.withClause, outer, outerCtes, ctx);
  const scope: Scope = { level: emptyLevel(), parent: outer, ctes, ctx };
  const target = targetLeaf(stmt.relation, scope, 'insert');
  // RETURNING shows the stored row (inserted, or updated by ON CONFLICT DO UPDATE): its NOT NULLs hold.
  scope.level.items.push(target);
  const items = returningItems(stmt.returningClause, scope, target, 'insert');
  const source = stmt.selectStmt === undefined ? null : nodeOf(stmt.selectStmt, 'SelectStmt');
  return { items, singleRow: (source?.valuesLists ?? []).length === 1, exactlyOne: false };
}

function analyzeUpdateOrDelete(
  stmt: UpdateStmt | DeleteStmt,
  extraFrom: Node[],
  mode: 'update' | 'delete',
  outer: Scope | null,
  outerCtes: ReadonlyMap<string, Derived>,
  ctx: Context,
): Derived {
  const ctes = withCtes(stmt.withClause, outer, outerCtes, ctx);
  const scope: Scope = { level: emptyLevel(), parent: outer, ctes, ctx };
  const target = targetLeaf(stmt.relation, scope, mode);
  scope.level.items.push(target);
  for (const node of extraFrom) scope.level.items.push(fromItem(node, { ...scope, level: emptyLevel() }, [...scope.level.items]));
  // DELETE returns the rows its WHERE kept; UPDATE returns new values, which its WHERE says nothing about.
  if (mode === 'delete') narrow(scope, conjuncts(stmt.whereClause));
  const items = returningItems(stmt.returningClause, scope, target, mode);
  const singleRow = extraFrom.length === 0 && fromIsSingleRow([target], conjuncts(stmt.whereClause), scope);
  return { items, singleRow, exactlyOne: false };
}

function analyzeMerge(stmt: MergeStmt, outer: Scope | null, outerCtes: ReadonlyMap<string, Derived>, ctx: Context): Derived {
  const ctes = withCtes(stmt.withClause, outer, outerCtes, ctx);
  const scope: Scope = { level: emptyLevel(), parent: outer, ctes, ctx };
  const target = targetLeaf(stmt.relation, scope, 'merge');
  const source = stmt.sourceRelation === undefined ? opaqueLeaf(ctx, '?', 'MERGE source') : fromItem(stmt.sourceRelation, { ...scope, level: emptyLevel() }, []);
  // WHEN NOT MATCHED BY SOURCE and BY TARGET leave either side missing: a FULL join nulls both.
  scope.level.items.push({ kind: 'join', id: nextId(ctx), joinType: 'JOIN_FULL', alias: null, usingAlias: null, using: [], left: target, right: source, quals: undefined });
  return { items: returningItems(stmt.returningClause, scope, { ...target, columns: target.columns.map((c) => ({ ...c, nullable: true })) }, 'merge'), singleRow: false, exactlyOne: false };
}

function analyzeStatementNode(node: Node | undefined, outer: Scope | null, ctes: ReadonlyMap<string, Derived>, ctx: Context): Derived {
  return match(tag(node, STATEMENT_KINDS))
    .returnType<Derived>()
    .with({ kind: 'SelectStmt' }, ({ node: select }) => analyzeSelect(select, outer, ctes, ctx))
    .with({ kind: 'InsertStmt' }, ({ node: insert }) => analyzeInsert(insert, outer, ctes, ctx))
    .with({ kind: 'UpdateStmt' }, ({ node: update }) => analyzeUpdateOrDelete(update, update.fromClause ?? [], 'update', outer, ctes, ctx))
    .with({ kind: 'DeleteStmt' }, ({ node: del }) => analyzeUpdateOrDelete(del, del.usingClause ?? [], 'delete', outer, ctes, ctx))
    .with({ kind: 'MergeStmt' }, ({ node: merge }) => analyzeMerge(merge, outer, ctes, ctx))
    .with({ kind: 'other' }, ({ name }) => {
      ctx.notes.push(`statement ${name} is not analysed: its columns are nullable`);
      return { items: [{ kind: 'opaque', reason: `statement ${name}` }], singleRow: false, exactlyOne: false };
    })
    .exhaustive();
}

// ---------------------------------------------------------------------------------------------------------
// Tables read and written

export function tablesOf(statement: Node | undefined, catalog: Catalog): TableAccess {
  const read = new Set<string>();
  const written = new Set<string>();
  const cteNames = new Set<string>();
  const display = (relation: RangeVar | undefined) =>
    relation === undefined ? null : (catalog.resolveTable(relation.schemaname ?? null, relation.relname ?? '')?.displayName ?? null);
  walkNodes(statement, (node) => {
    const cte = nodeOf(node, 'CommonTableExpr');
    if (cte !== null) cteNames.add(cte.ctename ?? '');
  });
  walkNodes(statement, (node) => {
    const modify = nodeOf(node, 'InsertStmt') ?? nodeOf(node, 'UpdateStmt') ?? nodeOf(node, 'DeleteStmt') ?? nodeOf(node, 'MergeStmt');
    const target = modify === null ? null : display(modify.relation);
    if (target !== null) written.add(target);
    // Write targets are typed RangeVar fields (not wrapped nodes), so only FROM/USING/subquery relations count as read.
    const rangeVar = nodeOf(node, 'RangeVar');
    if (rangeVar === null) return;
    if (rangeVar.schemaname === undefined && cteNames.has(rangeVar.relname ?? '')) return;
    const name = display(rangeVar);
    if (name !== null) read.add(name);
  });
  return { read: [...read].sort(), written: [...written].sort() };
}

export function analyzeStatement(statement: Node | undefined, catalog: Catalog, optionalParams: ReadonlySet<number>): StatementAnalysis {
  const ctx: Context = { catalog, optionalParams, notes: [], views: new Map(), viewStack: [], ids: { next: 0 } };
  const derived = analyzeStatementNode(statement, null, new Map(), ctx);
  return { items: derived.items, singleRow: derived.singleRow, tables: tablesOf(statement, catalog), notes: [...new Set(ctx.notes)] };
}
