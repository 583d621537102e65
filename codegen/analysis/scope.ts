// The scope of a query level, as PostgreSQL's parse analysis sees it: FROM items form a tree of relations and
// joins; a column reference resolves to the nearest level whose FROM provides it, carrying the nulling of
// every outer join above it. A relation whose columns are not known (an unknown function in FROM) is
// opaque: a name it might provide resolves to "unknown", never to an outer table of the same name.
import type { ColumnRef, JoinType, Node, SelectStmt } from '@pgsql/types';
import { match } from 'ts-pattern';
import type { Catalog, CatalogTable } from './catalog.js';
import type { Keys } from './key-sets.js';
import { conjuncts, names } from './tree.js';

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

export type Derived = {
  items: OutputItem[];
  /** At most one row (cardinality, for :one and :maybe). */
  singleRow: boolean;
  /** Exactly one row on any data (a scalar subquery over it is never empty). */
  exactlyOne: boolean;
  /** Output items whose values are unique across the rows (./keys.ts). */
  keys: Keys;
};

/** One statement's analysis: the catalog, what it has learned so far, and the statement analysers (./analyze.ts). */
export type Context = {
  catalog: Catalog;
  analyze: {
    select: (select: SelectStmt, outer: Scope | null, ctes: ReadonlyMap<string, Derived>) => Derived;
    statement: (node: Node | undefined, outer: Scope | null, ctes: ReadonlyMap<string, Derived>) => Derived;
  };
  optionalParams: ReadonlySet<number>;
  notes: string[];
  views: Map<number, OutputItem[]>;
  viewStack: number[];
  ids: { next: number };
};

export type LeafColumn = { name: string; nullable: boolean; origin: Origin | null; typeOid: number | null };

/** A relation in FROM: a table, view, CTE, subquery or function. */
export type Leaf = {
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
  /** Column indexes unique across the relation's own rows: a table's unique keys, a subquery's keys. */
  keys: number[][];
  /** RETURNING's old and new: reachable as old.x only, never by a bare name or a *. */
  qualifiedOnly: boolean;
};

export type Join = {
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

export type FromItem = Leaf | Join;

/** Grouping sets: the keys a super-aggregate row replaces with NULL. */
export type Grouping = { keys: Set<string>; exprs: Set<string>; outputNames: Set<string>; positions: Set<number> };

export type Level = { items: FromItem[]; narrowed: Set<string>; grouping: Grouping | null };

export type Scope = { level: Level; parent: Scope | null; ctes: ReadonlyMap<string, Derived>; ctx: Context };

export type Entry =
  | { kind: 'column'; name: string; key: string; nullable: boolean; origin: Origin | null; typeOid: number | null }
  | { kind: 'opaque'; reason: string };
export type Resolved = Extract<Entry, { kind: 'column' }> | { kind: 'unknown'; reason: string };

export const emptyLevel = (): Level => ({ items: [], narrowed: new Set(), grouping: null });

export function nextId(ctx: Context): number {
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

export function findEntry(entries: Entry[], name: string): Extract<Entry, { kind: 'column' }> | null {
  for (const entry of entries) if (entry.kind === 'column' && entry.name === name) return entry;
  return null;
}

/** The columns a FROM item shows to `*` and to its alias, in PostgreSQL's order, nulled by outer joins above it. */
export function visible(item: FromItem, nulled: boolean): Entry[] {
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
export function searchQualified(item: FromItem, schema: string | null, qualifier: string, nulled: boolean): Entry[] | null {
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

export function lookupInLevel(level: Level, fields: string[]): Resolved | null {
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
export function resolveColumn(scope: Scope, ref: ColumnRef): { resolved: Resolved; level: Level | null } {
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

export function columnKey(scope: Scope, ref: ColumnRef): string | null {
  const { resolved } = resolveColumn(scope, ref);
  return resolved.kind === 'column' ? resolved.key : null;
}

export function leaves(item: FromItem): Leaf[] {
  return item.kind === 'leaf' ? [item] : [...leaves(item.left), ...leaves(item.right)];
}

/** Join conditions that hold for every output row: inner joins not under an outer join's nullable side. */
export function preservedQuals(item: FromItem): Node[] {
  if (item.kind === 'leaf') return [];
  return match(item.joinType)
    .with('JOIN_LEFT', () => preservedQuals(item.left))
    .with('JOIN_RIGHT', () => preservedQuals(item.right))
    .with('JOIN_FULL', () => [])
    .otherwise(() => [...conjuncts(item.quals), ...preservedQuals(item.left), ...preservedQuals(item.right)]);
}

export function allQuals(item: FromItem): Node[] {
  return item.kind === 'leaf' ? [] : [...conjuncts(item.quals), ...allQuals(item.left), ...allQuals(item.right)];
}
