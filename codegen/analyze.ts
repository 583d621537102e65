// Stage 5b: what the parse tree proves about a statement: each output column's nullability and origin,
// whether it returns at most one row, and which tables it reads and writes.
// Rules (LESSONS.md): NOT NULL columns are non-null except on the nullable side of outer joins;
// count/EXISTS/IS NULL are never null; sum/min/max/avg are nullable; COALESCE is non-null if any argument is;
// CASE without ELSE is nullable; UNION merges branch by branch; nullability survives CTEs and subqueries.
import { child, list, names, nodeOf, str, unwrap, walk, type AstNode } from './ast.js';
import type { Catalog, CatalogTable } from './catalog.js';

export type OutputColumn = {
  name: string;
  nullable: boolean;
  origin: { table: CatalogTable; attnum: number } | null;
};

type DerivedColumns = { columns: OutputColumn[]; singleRow: boolean };

type Relation = {
  alias: string;
  /** On the nullable side of an outer join: every column may be null. */
  nullable: boolean;
  source: { kind: 'table'; table: CatalogTable } | { kind: 'derived'; derived: DerivedColumns } | { kind: 'unknown' };
};

type Scope = {
  relations: Relation[];
  ctes: Map<string, DerivedColumns>;
  parent: Scope | null;
  optionalParams: ReadonlySet<number>;
  catalog: Catalog;
};

export type StatementAnalysis = {
  columns: OutputColumn[];
  singleRow: boolean;
  tables: { read: string[]; written: string[] };
};

const AGGREGATES = new Set([
  'count', 'sum', 'min', 'max', 'avg', 'array_agg', 'string_agg', 'json_agg', 'jsonb_agg', 'json_object_agg',
  'jsonb_object_agg', 'bool_and', 'bool_or', 'every', 'bit_and', 'bit_or', 'stddev', 'variance',
]);
/** Functions that never return NULL. */
const NEVER_NULL = new Set([
  'count', 'now', 'concat', 'concat_ws', 'json_build_object', 'jsonb_build_object', 'json_build_array',
  'jsonb_build_array', 'row_number', 'rank', 'dense_rank', 'gen_random_uuid', 'clock_timestamp', 'statement_timestamp',
  'transaction_timestamp', 'random', 'pg_backend_pid', 'current_database', 'version',
]);
/** Functions that return NULL only when an argument is NULL. */
const NULL_ON_NULL_INPUT = new Set([
  'lower', 'upper', 'length', 'char_length', 'abs', 'btrim', 'ltrim', 'rtrim', 'md5', 'date_trunc', 'to_char',
  'substr', 'replace', 'round', 'floor', 'ceil', 'lpad', 'rpad', 'left', 'right', 'to_jsonb', 'to_json',
  'array_length', 'cardinality', 'extract', 'date_part', 'initcap', 'reverse', 'repeat', 'sign', 'trunc',
]);

function relationColumns(relation: Relation): OutputColumn[] {
  const { source } = relation;
  if (source.kind === 'table') {
    return [...source.table.columns.values()]
      .sort((a, b) => a.attnum - b.attnum)
      .map((column) => ({
        name: column.name,
        nullable: relation.nullable || !column.notNull,
        origin: { table: source.table, attnum: column.attnum },
      }));
  }
  if (source.kind === 'derived') {
    return source.derived.columns.map((column) => ({ ...column, nullable: relation.nullable || column.nullable }));
  }
  return [];
}

function findColumn(scope: Scope, qualifier: string | null, column: string): OutputColumn | null {
  for (let current: Scope | null = scope; current !== null; current = current.parent) {
    for (const relation of current.relations) {
      if (qualifier !== null && relation.alias !== qualifier) continue;
      const found = relationColumns(relation).find((candidate) => candidate.name === column);
      if (found) return found;
      if (qualifier !== null) return null;
    }
  }
  return null;
}

function columnRef(body: AstNode, scope: Scope): OutputColumn | null {
  const fields = names(body.fields);
  const column = fields[fields.length - 1];
  if (column === undefined || column === '*') return null;
  const qualifier = fields.length >= 2 ? (fields[fields.length - 2] ?? null) : null;
  return findColumn(scope, qualifier === '*' ? null : qualifier, column);
}

function funcName(body: AstNode): string {
  const parts = names(body.funcname);
  return (parts[parts.length - 1] ?? '').toLowerCase();
}

export function isNullable(node: unknown, scope: Scope): boolean {
  const unwrapped = unwrap(node);
  if (unwrapped === null) return true;
  const { type, body } = unwrapped;
  const all = (items: unknown[]) => items.every((item) => !isNullable(item, scope));
  switch (type) {
    case 'ColumnRef':
      return columnRef(body, scope)?.nullable ?? true;
    case 'A_Const':
      return body.isnull === true;
    case 'ParamRef':
      return scope.optionalParams.has(Number(body.number));
    case 'TypeCast':
    case 'CollateClause':
      return isNullable(body.arg, scope);
    case 'SQLValueFunction':
    case 'NullTest':
    case 'BooleanTest':
    case 'RowExpr':
    case 'A_ArrayExpr':
      return false;
    case 'FuncCall': {
      const name = funcName(body);
      if (NEVER_NULL.has(name)) return false;
      if (AGGREGATES.has(name) || body.over !== undefined) return true;
      if (NULL_ON_NULL_INPUT.has(name)) return !all(list(body.args));
      return true;
    }
    case 'CoalesceExpr':
    case 'MinMaxExpr':
      return list(body.args).every((arg) => isNullable(arg, scope));
    case 'CaseExpr': {
      if (body.defresult === undefined) return true;
      const results = list(body.args).map((when) => nodeOf(when, 'CaseWhen')?.result);
      return !all([...results, body.defresult]);
    }
    case 'BoolExpr':
      return !all(list(body.args));
    case 'A_Expr': {
      const kind = str(body.kind);
      if (kind === 'AEXPR_DISTINCT' || kind === 'AEXPR_NOT_DISTINCT') return false;
      if (kind === 'AEXPR_NULLIF') return true;
      const operands = [body.lexpr, ...list(body.rexpr).length > 0 ? list(body.rexpr) : [body.rexpr]].filter(
        (operand) => operand !== undefined,
      );
      return !all(operands);
    }
    case 'SubLink': {
      const linkType = str(body.subLinkType);
      if (linkType === 'EXISTS_SUBLINK' || linkType === 'ARRAY_SUBLINK') return false;
      if (linkType === 'EXPR_SUBLINK') {
        const select = nodeOf(body.subselect, 'SelectStmt');
        if (select === null) return true;
        const derived = analyzeSelect(select, { ...scope, relations: [], parent: scope });
        const [only] = derived.columns;
        return !(alwaysOneRow(select) && only !== undefined && !only.nullable);
      }
      return true;
    }
    default:
      return true;
  }
}

function outputName(target: AstNode): string {
  const explicit = str(target.name);
  if (explicit !== null) return explicit;
  const value = unwrap(target.val);
  if (value === null) return '?column?';
  if (value.type === 'ColumnRef') return String(names(value.body.fields).at(-1) ?? '?column?');
  if (value.type === 'FuncCall') return funcName(value.body);
  if (value.type === 'TypeCast') {
    const inner = unwrap(value.body.arg);
    if (inner?.type === 'ColumnRef') return String(names(inner.body.fields).at(-1) ?? '?column?');
    const typeName = child(value.body, 'typeName');
    return String(names(typeName?.names).at(-1) ?? '?column?');
  }
  if (value.type === 'CoalesceExpr') return 'coalesce';
  if (value.type === 'SubLink' && str(value.body.subLinkType) === 'EXISTS_SUBLINK') return 'exists';
  if (value.type === 'CaseExpr') return 'case';
  return '?column?';
}

function targetColumns(targets: unknown[], scope: Scope): OutputColumn[] {
  const columns: OutputColumn[] = [];
  for (const item of targets) {
    const target = nodeOf(item, 'ResTarget');
    if (target === null) continue;
    const ref = nodeOf(target.val, 'ColumnRef');
    const fields = ref === null ? [] : names(ref.fields);
    if (fields.at(-1) === '*') {
      const qualifier = fields.length >= 2 ? fields[fields.length - 2] : null;
      for (const relation of scope.relations) {
        if (qualifier === null || relation.alias === qualifier) columns.push(...relationColumns(relation));
      }
      continue;
    }
    const name = outputName(target);
    const origin = ref === null ? null : (columnRef(ref, scope)?.origin ?? null);
    columns.push({ name, nullable: isNullable(target.val, scope), origin });
  }
  return columns;
}

/** Aggregates without GROUP BY return exactly one row. */
function alwaysOneRow(select: AstNode): boolean {
  if (select.groupClause !== undefined || select.havingClause !== undefined) return false;
  if (str(select.op) !== null && str(select.op) !== 'SETOP_NONE') return false;
  let aggregate = false;
  walk(select.targetList, (node) => {
    if (nodeOf(node, 'SubLink') !== null) return false;
    const call = nodeOf(node, 'FuncCall');
    if (call !== null && AGGREGATES.has(funcName(call)) && call.over === undefined) aggregate = true;
    return undefined;
  });
  return aggregate;
}

/** GROUP BY keys each fixed by an equality to a constant or param leave one group. */
function groupKeysPinned(select: AstNode, predicates: unknown[], scope: Scope): boolean {
  const keys = list(select.groupClause);
  if (keys.length === 0) return false;
  const eqs = equalities(predicates, scope).filter(
    (eq) => nodeOf(eq.other, 'A_Const') !== null || nodeOf(eq.other, 'ParamRef') !== null,
  );
  return keys.every((key) => {
    const ref = nodeOf(key, 'ColumnRef');
    const resolved = ref === null ? null : resolveRelation(ref, scope);
    return resolved !== null && eqs.some((eq) => eq.relation === resolved.relation && eq.column === resolved.column);
  });
}

function limitIsOne(select: AstNode): boolean {
  const limit = nodeOf(select.limitCount, 'A_Const');
  if (limit === null) return false;
  const value = child(limit, 'ival');
  return value !== null && (value.ival === 1 || value.ival === undefined);
}

type Equality = { relation: Relation; column: string; other: unknown };

function resolveRelation(body: AstNode, scope: Scope): { relation: Relation; column: string } | null {
  const fields = names(body.fields);
  const column = fields.at(-1);
  if (column === undefined || column === '*') return null;
  const qualifier = fields.length >= 2 ? fields[fields.length - 2] : null;
  for (const relation of scope.relations) {
    if (qualifier !== null && qualifier !== undefined ? relation.alias === qualifier : relationColumns(relation).some((c) => c.name === column)) {
      return { relation, column };
    }
  }
  return null;
}

function conjuncts(node: unknown): unknown[] {
  const bool = nodeOf(node, 'BoolExpr');
  if (bool !== null && str(bool.boolop) === 'AND_EXPR') return list(bool.args).flatMap(conjuncts);
  return node === undefined ? [] : [node];
}

function stripCasts(node: unknown): unknown {
  const cast = nodeOf(node, 'TypeCast');
  return cast === null ? node : stripCasts(cast.arg);
}

function equalities(predicates: unknown[], scope: Scope): Equality[] {
  const found: Equality[] = [];
  for (const predicate of predicates) {
    const expr = nodeOf(predicate, 'A_Expr');
    if (expr === null || str(expr.kind) !== 'AEXPR_OP' || names(expr.name)[0] !== '=') continue;
    const sides: [unknown, unknown][] = [[expr.lexpr, expr.rexpr], [expr.rexpr, expr.lexpr]];
    for (const [side, other] of sides) {
      const ref = nodeOf(stripCasts(side), 'ColumnRef');
      const resolved = ref === null ? null : resolveRelation(ref, scope);
      if (resolved !== null) found.push({ ...resolved, other: stripCasts(other) });
    }
  }
  return found;
}

/** At most one row per FROM item: a unique key pinned by equalities to constants, params, outer or proven columns. */
function fromIsSingleRow(relations: Relation[], predicates: unknown[], scope: Scope): boolean {
  const proven = new Set<Relation>();
  const eqs = equalities(predicates, scope);
  const pinned = (other: unknown): boolean => {
    if (nodeOf(other, 'A_Const') !== null || nodeOf(other, 'ParamRef') !== null) return true;
    const ref = nodeOf(other, 'ColumnRef');
    if (ref === null) return false;
    const resolved = resolveRelation(ref, scope);
    return resolved === null ? findColumn(scope, null, String(names(ref.fields).at(-1))) !== null : proven.has(resolved.relation);
  };
  let changed = true;
  while (changed) {
    changed = false;
    for (const relation of relations) {
      if (proven.has(relation)) continue;
      const { source } = relation;
      let single = false;
      if (source.kind === 'derived') single = source.derived.singleRow;
      if (source.kind === 'table') {
        const pinnedColumns = new Set(
          eqs.filter((eq) => eq.relation === relation && pinned(eq.other)).map((eq) => eq.column),
        );
        single = source.table.uniqueKeys.some((key) =>
          key.every((attnum) => {
            const column = source.table.columns.get(attnum);
            return column !== undefined && pinnedColumns.has(column.name);
          }),
        );
      }
      if (single) {
        proven.add(relation);
        changed = true;
      }
    }
  }
  return relations.every((relation) => proven.has(relation));
}

function aliasOf(body: AstNode, fallback: string): string {
  const alias = child(body, 'alias');
  return str(alias?.aliasname) ?? fallback;
}

function renameColumns(derived: DerivedColumns, aliasBody: AstNode | null): DerivedColumns {
  const colnames = aliasBody === null ? [] : names(aliasBody.colnames);
  if (colnames.length === 0) return derived;
  return {
    ...derived,
    columns: derived.columns.map((column, index) => ({ ...column, name: String(colnames[index] ?? column.name) })),
  };
}

/** Adds the relations of one FROM item to `into`; returns the join predicates it contributes. */
function addFromItem(item: unknown, scope: Scope, into: Relation[]): unknown[] {
  const unwrapped = unwrap(item);
  if (unwrapped === null) return [];
  const { type, body } = unwrapped;
  if (type === 'RangeVar') {
    const relname = str(body.relname) ?? '';
    const cte = str(body.schemaname) === null ? lookupCte(scope, relname) : null;
    const table = scope.catalog.tablesByName.get(relname);
    const source: Relation['source'] =
      cte !== null ? { kind: 'derived', derived: cte } : table ? { kind: 'table', table } : { kind: 'unknown' };
    into.push({ alias: aliasOf(body, relname), nullable: false, source });
    return [];
  }
  if (type === 'RangeSubselect') {
    const select = nodeOf(body.subquery, 'SelectStmt');
    // A LATERAL subquery sees the FROM items before it; any subquery sees the enclosing query's scope.
    const visible: Scope = { ...scope, relations: [...scope.relations, ...into] };
    const lateralScope: Scope = { ...scope, relations: [], parent: body.lateral === true ? visible : scope.parent };
    const derived = select === null ? { columns: [], singleRow: false } : analyzeSelect(select, lateralScope);
    into.push({
      alias: aliasOf(body, '?subquery?'),
      nullable: false,
      source: { kind: 'derived', derived: renameColumns(derived, child(body, 'alias')) },
    });
    return [];
  }
  if (type === 'JoinExpr') {
    const left: Relation[] = [];
    const right: Relation[] = [];
    const predicates = addFromItem(body.larg, scope, left);
    into.push(...left);
    predicates.push(...addFromItem(body.rarg, { ...scope, relations: [...scope.relations, ...into] }, right));
    into.push(...right);
    const joinType = str(body.jointype);
    const nullableSide = joinType === 'JOIN_LEFT' ? right : joinType === 'JOIN_RIGHT' ? left : joinType === 'JOIN_FULL' ? [...left, ...right] : [];
    for (const relation of nullableSide) relation.nullable = true;
    predicates.push(...conjuncts(body.quals));
    return predicates;
  }
  into.push({ alias: aliasOf(body, '?function?'), nullable: false, source: { kind: 'unknown' } });
  return [];
}

function lookupCte(scope: Scope, name: string): DerivedColumns | null {
  for (let current: Scope | null = scope; current !== null; current = current.parent) {
    const found = current.ctes.get(name);
    if (found) return found;
  }
  return null;
}

function withCtes(withClause: AstNode | null, scope: Scope): Scope {
  if (withClause === null) return scope;
  const ctes = new Map(scope.ctes);
  const inner: Scope = { ...scope, ctes };
  for (const item of list(withClause.ctes)) {
    const cte = nodeOf(item, 'CommonTableExpr');
    if (cte === null) continue;
    const derived = analyzeStatementNode(cte.ctequery, inner);
    const aliasNames = names(cte.aliascolnames);
    ctes.set(str(cte.ctename) ?? '', aliasNames.length > 0 ? renameColumns(derived, { colnames: cte.aliascolnames }) : derived);
  }
  return inner;
}

function analyzeSelect(select: AstNode, outer: Scope): DerivedColumns {
  const scope = withCtes(child(select, 'withClause'), outer);
  const op = str(select.op);
  if (op !== null && op !== 'SETOP_NONE') {
    // larg and rarg are typed SelectStmt pointers, so the tree holds them unwrapped.
    const left = analyzeSelect(child(select, 'larg') ?? {}, scope);
    const right = analyzeSelect(child(select, 'rarg') ?? {}, scope);
    return {
      columns: left.columns.map((column, index) => ({
        name: column.name,
        nullable: column.nullable || (right.columns[index]?.nullable ?? true),
        origin: null,
      })),
      singleRow: limitIsOne(select),
    };
  }
  const valuesLists = list(select.valuesLists);
  if (valuesLists.length > 0) {
    const first = list(nodeOf(valuesLists[0], 'List')?.items ?? valuesLists[0]);
    return {
      columns: first.map((_, index) => ({
        name: `column${index + 1}`,
        nullable: valuesLists.some((row) => isNullable(list(nodeOf(row, 'List')?.items ?? row)[index], scope)),
        origin: null,
      })),
      singleRow: valuesLists.length === 1,
    };
  }
  const relations: Relation[] = [];
  const fromScope: Scope = { ...scope, relations, parent: outer === scope ? outer : scope };
  const predicates: unknown[] = [];
  for (const item of list(select.fromClause)) predicates.push(...addFromItem(item, { ...fromScope, relations: [...relations] }, relations));
  predicates.push(...conjuncts(select.whereClause));
  const columns = targetColumns(list(select.targetList), fromScope);
  const singleRow =
    limitIsOne(select) ||
    alwaysOneRow(select) ||
    groupKeysPinned(select, predicates, fromScope) ||
    (select.groupClause === undefined && fromIsSingleRow(relations, predicates, fromScope));
  return { columns, singleRow };
}

function analyzeModify(body: AstNode, scope: Scope, extraFrom: unknown[]): DerivedColumns {
  const inner = withCtes(child(body, 'withClause'), scope);
  const relations: Relation[] = [];
  addFromItem({ RangeVar: child(body, 'relation') ?? {} }, inner, relations);
  for (const item of extraFrom) addFromItem(item, { ...inner, relations: [...relations] }, relations);
  const scope2: Scope = { ...inner, relations, parent: inner };
  const returning = targetColumns(list(body.returningList), scope2);
  // UPDATE/DELETE pinning a unique key touch at most one row, so `:one`/`:maybe` with RETURNING are provable.
  const target = relations.slice(0, 1);
  const singleRow = extraFrom.length === 0 && fromIsSingleRow(target, conjuncts(body.whereClause), scope2);
  return { columns: returning, singleRow };
}

function analyzeStatementNode(node: unknown, scope: Scope): DerivedColumns {
  const unwrapped = unwrap(node);
  if (unwrapped === null) return { columns: [], singleRow: false };
  const { type, body } = unwrapped;
  if (type === 'SelectStmt') return analyzeSelect(body, scope);
  if (type === 'InsertStmt') {
    const derived = analyzeModify(body, scope, []);
    const source = nodeOf(body.selectStmt, 'SelectStmt');
    const values = source === null ? [] : list(source.valuesLists);
    return { ...derived, singleRow: values.length === 1 };
  }
  if (type === 'UpdateStmt') return analyzeModify(body, scope, list(body.fromClause));
  if (type === 'DeleteStmt') return analyzeModify(body, scope, list(body.usingClause));
  return { columns: [], singleRow: false };
}

export function tablesOf(statement: unknown, catalog: Catalog): { read: string[]; written: string[] } {
  const read = new Set<string>();
  const written = new Set<string>();
  const cteNames = new Set<string>();
  walk(statement, (node) => {
    const cte = nodeOf(node, 'CommonTableExpr');
    if (cte !== null) cteNames.add(str(cte.ctename) ?? '');
    for (const type of ['InsertStmt', 'UpdateStmt', 'DeleteStmt']) {
      const modify = nodeOf(node, type);
      const relation = modify === null ? null : child(modify, 'relation');
      if (relation !== null) written.add(str(relation.relname) ?? '');
    }
    const rangeVar = nodeOf(node, 'RangeVar');
    if (rangeVar !== null) read.add(str(rangeVar.relname) ?? '');
    return undefined;
  });
  // Write targets are typed RangeVar pointers (unwrapped), so only FROM/USING/subquery relations count as read.
  const known = (name: string) => catalog.tablesByName.has(name) && !cteNames.has(name);
  return { read: [...read].filter(known).sort(), written: [...written].filter(known).sort() };
}

export function analyzeStatement(
  statement: unknown,
  catalog: Catalog,
  optionalParams: ReadonlySet<number>,
): StatementAnalysis {
  const scope: Scope = { relations: [], ctes: new Map(), parent: null, optionalParams, catalog };
  const derived = analyzeStatementNode(statement, scope);
  return { columns: derived.columns, singleRow: derived.singleRow, tables: tablesOf(statement, catalog) };
}
