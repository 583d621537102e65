// The owner isolation proof over one statement's parse tree: which owned relations it touches, and whether each
// one's rows are confined to the owner params'. A row of an owned table is confined when its owner column is
// proven equal to the owner param by an equality that filters that row: the WHERE of its level, the ON of an inner
// join, the ON of an outer join for its nullable side only (the preserved side keeps every row whatever the ON
// says), or a chain of such equalities through other confined columns, enclosing levels (includes, correlated
// subqueries) and, where a composite foreign key holds the owner column on both sides, through the key.
// A filter on a derived table's column (subquery, CTE, view) confines the rows it is made of when nothing in it
// (a window, LIMIT, DISTINCT ON) sees the rows the filter removes. Anything else is not proven: the answer is a
// list of what is unconfined, never a guess.
import type { Node, RangeVar, SelectStmt, WithClause } from '@pgsql/types';
import { parseSync } from 'libpg-query';
import type { Catalog, CatalogTable } from '../analysis/catalog.js';
import { conjuncts, items, names, nodeOf, stripCasts, walkNodes } from '../analysis/tree.js';

/** One owned column of the config: rows holding `column` belong to the owner `param` names; `table` is the owner itself. */
export type OwnedColumn = { param: string; column: string; table: string };

/** An owned column with the `$n` of its param in the statement (null when the query has no such required param). */
export type OwnerSpec = OwnedColumn & { position: number | null };

/** A reference to owned rows the proof could not confine. */
export type Unconfined = {
  table: string;
  reference: string;
  column: string;
  param: string;
  why: string;
  /** How to prove it, when adding a filter is not the way (a write's owner column, a conflict target). */
  fix?: string;
};

export type Confinement = { touched: boolean; unconfined: Unconfined[] };

type Output = { name: string; source: Key | null; owner: Set<number> };
type Analysis = { outputs: Output[]; problems: Unconfined[]; pushable: boolean };
type Derive = (assumed: ReadonlyMap<string, ReadonlySet<number>>, parent: Level | null) => Analysis;

type Entry = {
  id: number;
  alias: string;
  /** Column names, or null when unknown (a function's result). */
  columns: string[] | null;
  base: CatalogTable | null;
  derive: Derive | null;
  lateral: boolean;
  /** The derived relation's own analysis, without what filters it from outside. */
  first: Analysis | null;
};

/** `entry id|column`: one column of one FROM item. */
type Key = string;
type Operand = { kind: 'param'; position: number } | { kind: 'column'; key: Key; level: Level } | { kind: 'other' };
type Equality = { left: Node | undefined; right: Node | undefined; applies: ReadonlySet<number> | 'all' };

type Level = {
  entries: Entry[];
  /** `spec|key`: the column equals owner param `spec` on every row of the entry the level lets through. */
  facts: Set<string>;
  parent: Level | null;
};

type Ctes = ReadonlyMap<string, { query: Node | undefined; columns: string[]; recursive: boolean }>;

type Context = { catalog: Catalog; specs: OwnerSpec[]; next: number; touched: boolean };

const keyOf = (entry: Entry, column: string): Key => `${entry.id}|${column}`;
const fact = (spec: number, key: Key) => `${spec}|${key}`;

/** The owned columns of a stored relation, by spec index: `id` of the owner table, the owner column elsewhere. */
function ownedColumns(ctx: Context, table: CatalogTable): { spec: number; column: string }[] {
  const columns = new Set([...table.columns.values()].map((column) => column.name));
  return ctx.specs.flatMap((spec, index) => {
    if (table.displayName === spec.table || table.name === spec.table) return columns.has('id') ? [{ spec: index, column: 'id' }] : [];
    return columns.has(spec.column) ? [{ spec: index, column: spec.column }] : [];
  });
}

function isOwnedRelation(ctx: Context, table: CatalogTable, seen = new Set<number>()): boolean {
  if (ownedColumns(ctx, table).length > 0) return true;
  if (seen.has(table.oid)) return false;
  seen.add(table.oid);
  return (ctx.catalog.dependencies.viewReads.get(table.oid) ?? []).some((oid) => {
    const source = ctx.catalog.tables.get(oid);
    return source !== undefined && isOwnedRelation(ctx, source, seen);
  });
}

function lookup(level: Level | null, fields: string[]): { entry: Entry; column: string; level: Level } | null {
  const column = fields.at(-1) ?? '';
  for (let current = level; current !== null; current = current.parent) {
    if (fields.length >= 2) {
      const qualifier = fields.at(-2);
      const entry = current.entries.find((candidate) => candidate.alias === qualifier);
      if (entry !== undefined) return { entry, column, level: current };
    } else {
      const entry = current.entries.find((candidate) => candidate.columns?.includes(column) ?? false);
      if (entry !== undefined) return { entry, column, level: current };
    }
  }
  return null;
}

function operand(node: Node | undefined, level: Level): Operand {
  const value = stripCasts(node);
  const param = nodeOf(value, 'ParamRef');
  if (param !== null) return { kind: 'param', position: param.number ?? 0 };
  // A cast of the column could be lossy (numeric to int): only the bare column is compared as stored.
  const ref = nodeOf(node, 'ColumnRef');
  if (ref === null) return { kind: 'other' };
  const found = lookup(level, names(ref.fields));
  return found === null ? { kind: 'other' } : { kind: 'column', key: keyOf(found.entry, found.column), level: found.level };
}

function holds(ctx: Context, spec: number, value: Operand): boolean {
  if (value.kind === 'param') return ctx.specs[spec]?.position === value.position;
  if (value.kind === 'other') return false;
  for (let current: Level | null = value.level; current !== null; current = current.parent) {
    if (current.facts.has(fact(spec, value.key))) return true;
  }
  return false;
}

/** The two sides of `a = b` (the builtin operator: a user `=` may mean anything), or null. */
function equalitySides(node: Node | undefined, userEquals: boolean): [Node | undefined, Node | undefined] | null {
  const expr = nodeOf(node, 'A_Expr');
  if (expr === null || expr.kind !== 'AEXPR_OP' || userEquals) return null;
  const operator = names(expr.name);
  if (operator.length !== 1 || operator[0] !== '=') return null;
  return [expr.lexpr, expr.rexpr];
}

function entryIdOf(key: Key): number {
  return Number(key.split('|')[0]);
}

/** Equalities of a level, until nothing new is proven; composite foreign keys carry the owner across a join. */
function saturate(ctx: Context, level: Level, equalities: Equality[]): void {
  const resolved = equalities.map((equality) => ({
    left: operand(equality.left, level),
    right: operand(equality.right, level),
    applies: equality.applies,
  }));
  const applies = (set: ReadonlySet<number> | 'all', key: Key) => set === 'all' || set.has(entryIdOf(key));
  const columnPairs = resolved.flatMap(({ left, right, applies: set }) =>
    left.kind === 'column' && right.kind === 'column' && left.level === level && right.level === level
      ? [{ a: left.key, b: right.key, applies: set }]
      : [],
  );
  for (let changed = true; changed;) {
    changed = false;
    const add = (spec: number, key: Key) => {
      if (level.facts.has(fact(spec, key))) return;
      level.facts.add(fact(spec, key));
      changed = true;
    };
    for (const { left, right, applies: set } of resolved) {
      ctx.specs.forEach((_, spec) => {
        if (right.kind === 'column' && right.level === level && applies(set, right.key) && holds(ctx, spec, left)) add(spec, right.key);
        if (left.kind === 'column' && left.level === level && applies(set, left.key) && holds(ctx, spec, right)) add(spec, left.key);
      });
    }
    for (const child of level.entries) {
      for (const parentEntry of level.entries) {
        if (child.base === null || parentEntry.base === null || child === parentEntry) continue;
        for (const [spec, from, to] of foreignKeyCarries(ctx, child, parentEntry, columnPairs)) {
          if (level.facts.has(fact(spec, from)) && !level.facts.has(fact(spec, to))) add(spec, to);
        }
      }
    }
  }
}

/**
 * Where a composite foreign key of `child` to `parent` pairs their owner columns, and the join equates every other
 * column of the key (a unique key of the parent), the owner of either row is the other's: [spec, from, to] both ways.
 */
function foreignKeyCarries(
  ctx: Context,
  child: Entry,
  parent: Entry,
  pairs: { a: Key; b: Key; applies: ReadonlySet<number> | 'all' }[],
): [number, Key, Key][] {
  const childTable = child.base;
  const parentTable = parent.base;
  if (childTable === null || parentTable === null) return [];
  const carries: [number, Key, Key][] = [];
  const name = (table: CatalogTable, attnum: number | undefined) => (attnum === undefined ? '' : (table.columns.get(attnum)?.name ?? ''));
  for (const key of ctx.catalog.foreignKeyColumns) {
    if (key.table !== childTable.oid || key.refTable !== parentTable.oid) continue;
    const childOwned = ownedColumns(ctx, childTable);
    const parentOwned = ownedColumns(ctx, parentTable);
    key.columns.forEach((attnum, index) => {
      const childColumn = name(childTable, attnum);
      const parentColumn = name(parentTable, key.refColumns[index]);
      const owned = childOwned.find((owned) => owned.column === childColumn);
      if (owned === undefined || !parentOwned.some((p) => p.spec === owned.spec && p.column === parentColumn)) return;
      // MATCH SIMPLE skips the check when a column is NULL: the child's owner column must be NOT NULL.
      if (!(childTable.columns.get(attnum)?.notNull ?? false)) return;
      const others = key.columns.flatMap((other, j) => (j === index ? [] : [[other, key.refColumns[j] ?? 0] as const]));
      const refOthers = new Set(others.map(([, ref]) => ref));
      if (!parentTable.uniqueKeys.some((unique) => unique.length > 0 && unique.every((attnum) => refOthers.has(attnum)))) return;
      const joined = (receiver: Entry) =>
        others.every(([childAttnum, parentAttnum]) => {
          const a = keyOf(child, name(childTable, childAttnum));
          const b = keyOf(parent, name(parentTable, parentAttnum));
          return pairs.some(
            (pair) =>
              ((pair.a === a && pair.b === b) || (pair.a === b && pair.b === a)) &&
              (pair.applies === 'all' || pair.applies.has(receiver.id)),
          );
        });
      if (joined(parent)) carries.push([owned.spec, keyOf(child, childColumn), keyOf(parent, parentColumn)]);
      if (joined(child)) carries.push([owned.spec, keyOf(parent, parentColumn), keyOf(child, childColumn)]);
    });
  }
  return carries;
}

function aliasOf(rangeVar: RangeVar): string {
  return rangeVar.alias?.aliasname ?? rangeVar.relname ?? '';
}

function columnNames(table: CatalogTable): string[] {
  return [...table.columns.values()].sort((a, b) => a.attnum - b.attnum).map((column) => column.name);
}

/** Routines the statement calls that read owned rows, or whose reads the catalog cannot tell. */
function routineProblems(ctx: Context, tree: Node | undefined): Unconfined[] {
  const problems: Unconfined[] = [];
  const seen = new Set<number>();
  walkNodes(tree, (node) => {
    const call = nodeOf(node, 'FuncCall');
    if (call === null) return;
    const parts = names(call.funcname);
    const schema = parts.length > 1 ? parts.at(-2) : undefined;
    for (const routine of ctx.catalog.dependencies.routinesByName.get(parts.at(-1) ?? '') ?? []) {
      if ((schema !== undefined && routine.schema !== schema) || seen.has(routine.oid) || routine.volatility === 'immutable') continue;
      seen.add(routine.oid);
      const owned =
        routine.reads === null
          ? null
          : routine.reads.flatMap((oid) => {
              const table = ctx.catalog.tables.get(oid);
              return table !== undefined && isOwnedRelation(ctx, table) ? [table.displayName] : [];
            });
      if (owned !== null && owned.length === 0) continue;
      ctx.touched = true;
      problems.push({
        table: owned?.[0] ?? '(unknown)',
        reference: `${routine.schema}.${routine.name}()`,
        column: ctx.specs[0]?.column ?? '',
        param: ctx.specs[0]?.param ?? '',
        fix: `call it with :${ctx.specs[0]?.param ?? ''} and give it a SQL-standard body that filters by it, or move its SQL into the query`,
        why:
          owned === null
            ? `the routine's body is not recorded by the catalog, so the rows it reads are unknown`
            : `the routine reads ${owned.join(', ')} with no owner param`,
      });
    }
  });
  return problems;
}

/** Subqueries in expressions (WHERE, the target list, ON, SET, RETURNING...), each a level under `level`. */
function sublinkProblems(ctx: Context, ctes: Ctes, level: Level, nodes: unknown): Unconfined[] {
  const problems: Unconfined[] = [];
  walkNodes(nodes, (node) => {
    const link = nodeOf(node, 'SubLink');
    if (link === null) return undefined;
    problems.push(...analyseQuery(ctx, ctes, link.subselect, new Map(), level).problems);
    return false;
  });
  return problems;
}

function withCtes(ctx: Context, ctes: Ctes, clause: WithClause | undefined, parent: Level | null): { ctes: Ctes; problems: Unconfined[] } {
  if (clause === undefined) return { ctes, problems: [] };
  const scoped = new Map(ctes);
  const problems: Unconfined[] = [];
  for (const item of clause.ctes ?? []) {
    const cte = nodeOf(item, 'CommonTableExpr');
    if (cte === null) continue;
    const name = cte.ctename ?? '';
    const columns = names(cte.aliascolnames);
    // A data-modifying CTE runs whether or not anything reads it, and no filter outside limits what it changes.
    const modifies = ['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt'].some(
      (kind) => cte.ctequery !== undefined && kind in cte.ctequery,
    );
    if (modifies) {
      problems.push(...analyseQuery(ctx, scoped, cte.ctequery, new Map(), parent).problems);
      // Read, its RETURNING rows are the rows it wrote, proven confined above.
      scoped.set(name, { query: cte.ctequery, columns, recursive: false });
      continue;
    }
    // Inside a recursive CTE its own name is a working table of rows the CTE's arms already produced.
    scoped.set(name, { query: cte.ctequery, columns, recursive: clause.recursive === true });
  }
  return { ctes: scoped, problems };
}

/** A SELECT, VALUES, set operation or data-modifying statement; `assumed` holds its outputs a level above confines. */
function analyseQuery(
  ctx: Context,
  ctes: Ctes,
  node: Node | undefined,
  assumed: ReadonlyMap<string, ReadonlySet<number>>,
  parent: Level | null,
): Analysis {
  const select = nodeOf(node, 'SelectStmt');
  if (select !== null) return analyseSelect(ctx, ctes, select, assumed, parent);
  if (nodeOf(node, 'InsertStmt') !== null || nodeOf(node, 'UpdateStmt') !== null || nodeOf(node, 'DeleteStmt') !== null) {
    return analyseWrite(ctx, ctes, node, parent);
  }
  if (nodeOf(node, 'MergeStmt') !== null) {
    ctx.touched = true;
    return {
      outputs: [],
      pushable: false,
      problems: [
        {
          table: '(MERGE target)',
          reference: 'MERGE',
          column: ctx.specs[0]?.column ?? '',
          param: ctx.specs[0]?.param ?? '',
          why: 'MERGE is not analysed',
        },
      ],
    };
  }
  return { outputs: [], problems: [], pushable: false };
}

function windowed(select: SelectStmt): boolean {
  let found = false;
  walkNodes(select.targetList, (node) => {
    if (nodeOf(node, 'SubLink') !== null) return false;
    if (nodeOf(node, 'FuncCall')?.over !== undefined) found = true;
    return undefined;
  });
  return found || (select.windowClause ?? []).length > 0;
}

function analyseSelect(
  ctx: Context,
  outerCtes: Ctes,
  select: SelectStmt,
  assumed: ReadonlyMap<string, ReadonlySet<number>>,
  parent: Level | null,
): Analysis {
  const { ctes, problems } = withCtes(ctx, outerCtes, select.withClause, parent);
  if (select.op !== undefined && select.op !== 'SETOP_NONE') {
    const left = analyseQuery(ctx, ctes, select.larg ? { SelectStmt: select.larg } : undefined, assumed, parent);
    // The right arm's columns are the left's by position.
    const byPosition = new Map<string, ReadonlySet<number>>();
    const rightNames = select.rarg === undefined ? [] : analyseSelect(ctx, ctes, select.rarg, new Map(), parent).outputs.map((o) => o.name);
    left.outputs.forEach((output, index) => {
      const specs = assumed.get(output.name);
      const name = rightNames[index];
      if (specs !== undefined && name !== undefined) byPosition.set(name, specs);
    });
    const right = select.rarg === undefined ? left : analyseSelect(ctx, ctes, select.rarg, byPosition, parent);
    const outputs = left.outputs.map((output, index) => ({
      name: output.name,
      source: null,
      owner: new Set([...output.owner].filter((spec) => right.outputs[index]?.owner.has(spec) ?? false)),
    }));
    return { outputs, problems: [...problems, ...left.problems, ...right.problems], pushable: left.pushable && right.pushable };
  }
  const level: Level = { entries: [], facts: new Set(), parent };
  if (select.valuesLists !== undefined) {
    const rows = select.valuesLists.map((row) => items(row));
    const width = rows[0]?.length ?? 0;
    const outputs = Array.from({ length: width }, (_, index) => ({
      name: `column${index + 1}`,
      source: null,
      owner: new Set(ctx.specs.flatMap((_, spec) => (rows.every((row) => holds(ctx, spec, operand(row[index], level))) ? [spec] : []))),
    }));
    return { outputs, problems: [...problems, ...sublinkProblems(ctx, ctes, level, select.valuesLists)], pushable: true };
  }
  const equalities: Equality[] = [];
  const quals: Node[] = [];
  for (const item of select.fromClause ?? []) fromItem(ctx, ctes, level, item, equalities, quals);
  for (const conjunct of conjuncts(select.whereClause)) addEquality(ctx, equalities, conjunct, 'all');
  const pushable =
    select.limitCount === undefined &&
    select.limitOffset === undefined &&
    !windowed(select) &&
    !(select.distinctClause ?? []).some((item) => Object.keys(item).length > 0);
  const outputs = targetOutputs(ctx, level, select.targetList ?? []);
  if (pushable) {
    for (const output of outputs) {
      const specs = assumed.get(output.name);
      if (specs !== undefined && output.source !== null) for (const spec of specs) level.facts.add(fact(spec, output.source));
    }
  }
  problems.push(...settle(ctx, level, equalities));
  problems.push(
    ...sublinkProblems(ctx, ctes, level, [
      select.targetList,
      select.whereClause,
      select.havingClause,
      select.groupClause,
      select.sortClause,
      quals,
    ]),
  );
  return { outputs: targetOutputs(ctx, level, select.targetList ?? []), problems, pushable };
}

/** Facts of the level, then the derived entries analysed under them, then every owned stored entry checked. */
function settle(ctx: Context, level: Level, equalities: Equality[]): Unconfined[] {
  for (const entry of level.entries) {
    if (entry.derive === null || entry.lateral) continue;
    entry.first = entry.derive(new Map(), level.parent);
    for (const output of entry.first.outputs) for (const spec of output.owner) level.facts.add(fact(spec, keyOf(entry, output.name)));
  }
  saturate(ctx, level, equalities);
  const problems: Unconfined[] = [];
  for (const entry of level.entries) {
    if (entry.derive !== null) {
      const assumed = new Map<string, Set<number>>();
      for (const column of entry.columns ?? []) {
        const specs = ctx.specs.flatMap((_, spec) => (level.facts.has(fact(spec, keyOf(entry, column))) ? [spec] : []));
        if (specs.length > 0) assumed.set(column, new Set(specs));
      }
      const first = entry.first;
      const analysis =
        first !== null && (first.problems.length === 0 || assumed.size === 0 || !first.pushable)
          ? first
          : entry.derive(assumed, entry.lateral ? level : level.parent);
      problems.push(...analysis.problems);
      continue;
    }
    if (entry.base === null) continue;
    if (entry.base.kind === 'view' && entry.base.definition !== null) continue;
    const owned = ownedColumns(ctx, entry.base);
    if (owned.length === 0) {
      if (isOwnedRelation(ctx, entry.base)) {
        ctx.touched = true;
        problems.push({
          table: entry.base.displayName,
          reference: entry.alias,
          column: ctx.specs[0]?.column ?? '',
          param: ctx.specs[0]?.param ?? '',
          why: `it is made of owned rows but has no owner column to confine`,
        });
      }
      continue;
    }
    ctx.touched = true;
    for (const { spec, column } of owned) {
      if (level.facts.has(fact(spec, keyOf(entry, column)))) continue;
      const owner = ctx.specs[spec];
      problems.push({
        table: entry.base.displayName,
        reference: entry.alias,
        column,
        param: owner?.param ?? '',
        why:
          owner?.position === null
            ? `the query has no required :${owner.param} param`
            : `nothing proves ${entry.alias}.${column} = :${owner?.param ?? ''}`,
      });
    }
  }
  return problems;
}

function addEquality(ctx: Context, equalities: Equality[], node: Node, applies: ReadonlySet<number> | 'all') {
  const sides = equalitySides(node, ctx.catalog.routines.userOperators.has('='));
  if (sides !== null) equalities.push({ left: sides[0], right: sides[1], applies });
}

/** The entries of one FROM item, added to the level; returns their ids. */
function fromItem(ctx: Context, ctes: Ctes, level: Level, node: Node, equalities: Equality[], quals: Node[]): Set<number> {
  const add = (entry: Omit<Entry, 'id' | 'first'>) => {
    const id = ctx.next++;
    level.entries.push({ ...entry, id, first: null });
    return new Set([id]);
  };
  const rangeVar = nodeOf(node, 'RangeVar');
  if (rangeVar !== null) return addRangeVar(ctx, ctes, rangeVar, add);
  const sub = nodeOf(node, 'RangeSubselect');
  if (sub !== null) {
    const alias = sub.alias?.aliasname ?? '';
    const aliasColumns = names(sub.alias?.colnames);
    const derive: Derive = (assumed, parent) =>
      renamed(analyseQuery(ctx, ctes, sub.subquery, unrename(assumed, aliasColumns, sub.subquery), parent), aliasColumns);
    const preview = renamed(analyseQuery({ ...ctx, touched: false }, ctes, sub.subquery, new Map(), level), aliasColumns);
    return add({ alias, columns: preview.outputs.map((o) => o.name), base: null, derive, lateral: sub.lateral === true });
  }
  const join = nodeOf(node, 'JoinExpr');
  if (join !== null) {
    const left = join.larg === undefined ? new Set<number>() : fromItem(ctx, ctes, level, join.larg, equalities, quals);
    const right = join.rarg === undefined ? new Set<number>() : fromItem(ctx, ctes, level, join.rarg, equalities, quals);
    const onApplies = filteredByOn(join.jointype, left, right);
    if (join.quals !== undefined) {
      quals.push(join.quals);
      for (const conjunct of conjuncts(join.quals)) addEquality(ctx, equalities, conjunct, onApplies);
    }
    for (const column of names(join.usingClause)) {
      const side = (ids: Set<number>) => level.entries.find((entry) => ids.has(entry.id) && (entry.columns?.includes(column) ?? false));
      const l = side(left);
      const r = side(right);
      if (l !== undefined && r !== undefined) {
        equalities.push({
          left: { ColumnRef: { fields: [{ String: { sval: l.alias } }, { String: { sval: column } }] } },
          right: { ColumnRef: { fields: [{ String: { sval: r.alias } }, { String: { sval: column } }] } },
          applies: onApplies,
        });
      }
    }
    return new Set([...left, ...right]);
  }
  const fn = nodeOf(node, 'RangeFunction');
  if (fn !== null) {
    quals.push({ List: { items: fn.functions ?? [] } });
    return add({ alias: fn.alias?.aliasname ?? '', columns: null, base: null, derive: null, lateral: true });
  }
  return add({ alias: '', columns: null, base: null, derive: null, lateral: false });
}

/** Which entries a join's ON filters: both sides of an inner join, only the nullable side of an outer one. */
function filteredByOn(jointype: string | undefined, left: Set<number>, right: Set<number>): ReadonlySet<number> {
  if (jointype === 'JOIN_LEFT') return right;
  if (jointype === 'JOIN_RIGHT') return left;
  if (jointype === 'JOIN_FULL') return new Set();
  return new Set([...left, ...right]);
}

/** Problems inside a view or CTE say which one they were read through. */
function through(analysis: Analysis, what: string): Analysis {
  return { ...analysis, problems: analysis.problems.map((problem) => ({ ...problem, why: `${problem.why} (read through ${what})` })) };
}

function renamed(analysis: Analysis, columns: string[]): Analysis {
  if (columns.length === 0) return analysis;
  return { ...analysis, outputs: analysis.outputs.map((output, index) => ({ ...output, name: columns[index] ?? output.name })) };
}

/** Assumptions on an aliased derived table's columns, by its query's own output names. */
function unrename(
  assumed: ReadonlyMap<string, ReadonlySet<number>>,
  columns: string[],
  _query: Node | undefined,
): ReadonlyMap<string, ReadonlySet<number>> {
  if (columns.length === 0) return assumed;
  const query = nodeOf(_query, 'SelectStmt');
  const targets = (query?.targetList ?? []).map((target) => {
    const res = nodeOf(target, 'ResTarget');
    return res?.name ?? names(nodeOf(res?.val, 'ColumnRef')?.fields).at(-1) ?? '';
  });
  const out = new Map<string, ReadonlySet<number>>();
  columns.forEach((column, index) => {
    const specs = assumed.get(column);
    const name = targets[index];
    if (specs !== undefined && name !== undefined) out.set(name, specs);
  });
  return out;
}

function addRangeVar(ctx: Context, ctes: Ctes, rangeVar: RangeVar, add: (entry: Omit<Entry, 'id' | 'first'>) => Set<number>): Set<number> {
  const alias = aliasOf(rangeVar);
  const cte = rangeVar.schemaname === undefined ? ctes.get(rangeVar.relname ?? '') : undefined;
  if (cte !== undefined) {
    if (cte.query === undefined || cte.recursive) {
      // A recursive CTE's rows come from its arms, each analysed where it is defined (below) with no outside filter.
      const inner = new Map(ctes);
      inner.set(rangeVar.relname ?? '', { query: undefined, columns: cte.columns, recursive: false });
      const analysis = cte.query === undefined ? null : renamed(analyseQuery(ctx, inner, cte.query, new Map(), null), cte.columns);
      const columns = cte.columns.length > 0 ? cte.columns : (analysis?.outputs.map((o) => o.name) ?? null);
      const problems = analysis?.problems ?? [];
      const outputs = analysis?.outputs ?? [];
      return add({ alias, columns, base: null, derive: () => ({ outputs, problems, pushable: false }), lateral: false });
    }
    // Analysed at each reference, under that reference's filters.
    const query = cte.query;
    const derive: Derive = (assumed) => renamed(analyseQuery(ctx, ctes, query, unrename(assumed, cte.columns, query), null), cte.columns);
    const preview = renamed(analyseQuery({ ...ctx, touched: false }, ctes, query, new Map(), null), cte.columns);
    return add({ alias, columns: preview.outputs.map((o) => o.name), base: null, derive, lateral: false });
  }
  const table = ctx.catalog.resolveTable(rangeVar.schemaname ?? null, rangeVar.relname ?? '');
  if (table === null) return add({ alias, columns: null, base: null, derive: null, lateral: false });
  if (table.kind === 'view' && table.definition !== null && isOwnedRelation(ctx, table)) {
    const definition = parseSync(table.definition).stmts?.[0]?.stmt;
    const derive: Derive = (assumed) => through(analyseQuery(ctx, new Map(), definition, assumed, null), `view ${table.displayName}`);
    return add({ alias, columns: columnNames(table), base: table, derive, lateral: false });
  }
  return add({ alias, columns: columnNames(table), base: table, derive: null, lateral: false });
}

/** The target list's columns: their names, the FROM column each one is, and the owner params it is proven to hold. */
function targetOutputs(ctx: Context, level: Level, targets: Node[]): Output[] {
  const owners = (source: Operand) => new Set(ctx.specs.flatMap((_, spec) => (holds(ctx, spec, source) ? [spec] : [])));
  return targets.flatMap((target): Output[] => {
    const res = nodeOf(target, 'ResTarget');
    const ref = nodeOf(res?.val, 'ColumnRef');
    const fields = ref === null ? [] : names(ref.fields);
    if (fields.at(-1) === '*') {
      const qualifier = fields.length >= 2 ? fields.at(-2) : undefined;
      return level.entries
        .filter((entry) => qualifier === undefined || entry.alias === qualifier)
        .flatMap((entry) =>
          (entry.columns ?? []).map((column) => {
            const key = keyOf(entry, column);
            return { name: column, source: key, owner: owners({ kind: 'column', key, level }) };
          }),
        );
    }
    const value = operand(res?.val, level);
    const name = res?.name ?? (fields.at(-1) || '?column?');
    return [{ name, source: value.kind === 'column' && value.level === level ? value.key : null, owner: owners(value) }];
  });
}

function ownerParamProblem(
  ctx: Context,
  spec: number,
  table: string,
  reference: string,
  column: string,
  why: string,
  fix: string,
): Unconfined {
  return { table, reference, column, param: ctx.specs[spec]?.param ?? '', why, fix };
}

/** INSERT, UPDATE, DELETE: the rows they change and the owner they give them. */
function analyseWrite(ctx: Context, outerCtes: Ctes, node: Node | undefined, parent: Level | null): Analysis {
  const insert = nodeOf(node, 'InsertStmt');
  const update = nodeOf(node, 'UpdateStmt');
  const del = nodeOf(node, 'DeleteStmt');
  const statement = insert ?? update ?? del;
  if (statement === null || statement.relation === undefined) return { outputs: [], problems: [], pushable: false };
  const { ctes, problems } = withCtes(ctx, outerCtes, statement.withClause, parent);
  const level: Level = { entries: [], facts: new Set(), parent };
  const equalities: Equality[] = [];
  const quals: Node[] = [];
  const target = ctx.catalog.resolveTable(statement.relation.schemaname ?? null, statement.relation.relname ?? '');
  const alias = aliasOf(statement.relation);
  const id = ctx.next++;
  const targetEntry: Entry = {
    id,
    alias,
    columns: target === null ? null : columnNames(target),
    base: target,
    derive: null,
    lateral: false,
    first: null,
  };
  const owned = target === null ? [] : ownedColumns(ctx, target);
  if (owned.length > 0) ctx.touched = true;
  const returning = statement.returningClause?.exprs ?? [];
  if (insert !== null) {
    // The inserted rows: the owner column of each must come from the owner param.
    const columns =
      insert.cols !== undefined ? insert.cols.map((col) => nodeOf(col, 'ResTarget')?.name ?? '') : (targetEntry.columns ?? []);
    const source = analyseQuery(ctx, ctes, insert.selectStmt, new Map(), null);
    problems.push(...source.problems);
    for (const { spec, column } of owned) {
      const index = columns.indexOf(column);
      if (index >= 0 && (source.outputs[index]?.owner.has(spec) ?? false)) continue;
      problems.push(
        ownerParamProblem(
          ctx,
          spec,
          target?.displayName ?? '',
          alias,
          column,
          index < 0
            ? `the INSERT leaves ${column} to its default`
            : `the inserted ${column} is not proven to be :${ctx.specs[spec]?.param ?? ''}`,
          `insert :${ctx.specs[spec]?.param ?? ''} as ${column} (in VALUES, or a SELECT whose ${column} is confined to it)`,
        ),
      );
    }
    const conflict = insert.onConflictClause;
    if (conflict?.action === 'ONCONFLICT_UPDATE') {
      // DO UPDATE changes the row already stored: confined when the arbiter index holds the owner column (the stored
      // row then has the new row's owner), or its WHERE proves it.
      level.entries.push(targetEntry, {
        id: ctx.next++,
        alias: 'excluded',
        columns: targetEntry.columns,
        base: null,
        derive: null,
        lateral: false,
        first: null,
      });
      const excluded = level.entries[1];
      const arbiter = (conflict.infer?.indexElems ?? []).map((elem) => nodeOf(elem, 'IndexElem')?.name ?? '');
      for (const { spec, column } of owned) {
        if (excluded !== undefined) level.facts.add(fact(spec, keyOf(excluded, column)));
        if (arbiter.includes(column)) level.facts.add(fact(spec, keyOf(targetEntry, column)));
      }
      for (const conjunct of conjuncts(conflict.whereClause)) addEquality(ctx, equalities, conjunct, 'all');
      saturate(ctx, level, equalities);
      problems.push(
        ...checkTarget(ctx, level, targetEntry, owned, 'ON CONFLICT DO UPDATE of'),
        ...setProblems(ctx, level, targetEntry, owned, conflict.targetList ?? []),
      );
      problems.push(...sublinkProblems(ctx, ctes, level, [conflict.targetList, conflict.whereClause]));
    }
    return { outputs: returningOutputs(ctx, level, targetEntry, owned, returning, true), problems, pushable: false };
  }
  level.entries.push(targetEntry);
  const from = update !== null ? (update.fromClause ?? []) : (del?.usingClause ?? []);
  for (const item of from) fromItem(ctx, ctes, level, item, equalities, quals);
  const where = update?.whereClause ?? del?.whereClause;
  for (const conjunct of conjuncts(where)) addEquality(ctx, equalities, conjunct, 'all');
  problems.push(...settle(ctx, level, equalities));
  if (update !== null) problems.push(...setProblems(ctx, level, targetEntry, owned, update.targetList ?? []));
  problems.push(...sublinkProblems(ctx, ctes, level, [update?.targetList, where, returning, quals]));
  return { outputs: returningOutputs(ctx, level, targetEntry, owned, returning, false), problems, pushable: false };
}

function checkTarget(ctx: Context, level: Level, entry: Entry, owned: { spec: number; column: string }[], what: string): Unconfined[] {
  return owned.flatMap(({ spec, column }) =>
    level.facts.has(fact(spec, keyOf(entry, column)))
      ? []
      : [
          ownerParamProblem(
            ctx,
            spec,
            entry.base?.displayName ?? '',
            entry.alias,
            column,
            `${what} a row whose ${column} is not proven to be :${ctx.specs[spec]?.param ?? ''}`,
            `name ${column} in the conflict target (ON CONFLICT (${column}, ...)), or add "WHERE ${entry.alias}.${column} = :${ctx.specs[spec]?.param ?? ''}" to DO UPDATE`,
          ),
        ],
  );
}

/** SET of an owner column hands the row to whoever the value names: it must be the owner param again. */
function setProblems(ctx: Context, level: Level, entry: Entry, owned: { spec: number; column: string }[], targets: Node[]): Unconfined[] {
  return targets.flatMap((target) => {
    const res = nodeOf(target, 'ResTarget');
    const set = owned.find((o) => o.column === res?.name);
    if (res === null || set === undefined) return [];
    if (holds(ctx, set.spec, operand(res.val, level))) return [];
    return [
      ownerParamProblem(
        ctx,
        set.spec,
        entry.base?.displayName ?? '',
        entry.alias,
        set.column,
        `SET ${set.column} gives the row to an owner other than :${ctx.specs[set.spec]?.param ?? ''}`,
        `leave ${set.column} out of SET, or set it to :${ctx.specs[set.spec]?.param ?? ''}`,
      ),
    ];
  });
}

function returningOutputs(
  ctx: Context,
  level: Level,
  entry: Entry,
  owned: { spec: number; column: string }[],
  returning: Node[],
  inserted: boolean,
): Output[] {
  // The rows written are the owner's once the checks above pass: their owner column holds the param.
  const proven = new Set([...level.facts]);
  if (inserted) for (const { spec, column } of owned) proven.add(fact(spec, keyOf(entry, column)));
  const view: Level = { ...level, entries: level.entries.length > 0 ? level.entries : [entry], facts: proven };
  return targetOutputs(ctx, view, returning);
}

/**
 * What a statement touches of the owned relations and which references to them are not confined. `specs` carries
 * each owned column with the `$n` of its param in this statement.
 */
export function confinement(tree: Node | undefined, catalog: Catalog, specs: OwnerSpec[]): Confinement {
  const ctx: Context = { catalog, specs, next: 1, touched: false };
  const analysis = analyseQuery(ctx, new Map(), tree, new Map(), null);
  // Routine calls anywhere in the statement, subqueries included.
  const problems = [...analysis.problems, ...routineProblems(ctx, tree)];
  const unique = new Map(problems.map((problem) => [`${problem.table}|${problem.reference}|${problem.column}|${problem.why}`, problem]));
  return { touched: ctx.touched || unique.size > 0, unconfined: [...unique.values()] };
}
