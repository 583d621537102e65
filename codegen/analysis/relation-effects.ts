// The relations a statement's rows really come from and really change, through every indirection the catalog
// records (./dependencies.ts): views and views of views to their base relations, partitions and inheritance
// children to their root (one cache tag per tree: a write to a partition drops the parent's readers and the other
// way round), a table's rules to the tables their actions write, routines to what their bodies read and write,
// TRUNCATE and REFRESH MATERIALIZED VIEW to their targets. What cannot be proven is said, not guessed.
import type { Node } from '@pgsql/types';
import { EVERY_TABLE } from 'sqlbound';
import type { Catalog, CatalogTable } from './catalog.js';
import type { RoutineFacts } from './dependencies.js';
import { names, nodeOf, walkNodes } from './tree.js';

/** A write whose targets the catalog cannot tell (a DO block, a routine in an opaque language): drops every entry. */
export const EVERY_RELATION = EVERY_TABLE;

/** `direct`: read by the statement itself, not through a view or a routine (only those may be scoped per owner). */
type ReadSource = { relation: string; direct: boolean };
export type ReadSources = { kind: 'known'; relations: ReadSource[] } | { kind: 'unknown'; reason: string; fix: string };

/** The root of a relation's partition or inheritance tree, by the name the cache tags it with. */
function rootOf(catalog: Catalog, table: CatalogTable): CatalogTable {
  let current = table;
  for (let depth = 0; depth < 64; depth++) {
    const parent = catalog.dependencies.parent.get(current.oid);
    const found = parent === undefined ? undefined : catalog.tables.get(parent);
    if (found === undefined) return current;
    current = found;
  }
  return current;
}

/** The routines a call may reach: every user overload of its name (in its schema when it is qualified). */
function routinesCalled(catalog: Catalog, trees: readonly (Node | undefined)[]): RoutineFacts[] {
  const found = new Map<number, RoutineFacts>();
  for (const tree of trees) {
    // CALL's routine is a bare FuncCall field, not a wrapped node the walk visits.
    const callStatement = nodeOf(tree, 'CallStmt');
    const calls = callStatement?.funccall === undefined ? [] : [{ FuncCall: callStatement.funccall }];
    walkNodes([tree, ...calls], (node) => {
      const call = nodeOf(node, 'FuncCall');
      if (call === null) return;
      const parts = names(call.funcname);
      const name = parts.at(-1) ?? '';
      const schema = parts.length > 1 ? parts.at(-2) : undefined;
      for (const routine of catalog.dependencies.routinesByName.get(name) ?? []) {
        if (schema === undefined || routine.schema === schema) found.set(routine.oid, routine);
      }
    });
  }
  return [...found.values()];
}

/**
 * The stored relations a read of `tables` (display names) and of the routines its statements call sees: what a
 * cached entry must be dropped by. Unknown when a view or the statement calls a routine that may read a table the
 * catalog does not record (not immutable, and not a SQL-standard body).
 */
export function readSources(catalog: Catalog, tables: readonly string[], trees: readonly (Node | undefined)[]): ReadSources {
  const relations = new Map<string, boolean>();
  const seen = new Set<number>();
  const pending: RoutineFacts[] = routinesCalled(catalog, trees);
  const visit = (table: CatalogTable, direct: boolean) => {
    if (table.kind !== 'view') {
      const name = rootOf(catalog, table).displayName;
      relations.set(name, (relations.get(name) ?? true) && direct);
      return;
    }
    if (seen.has(table.oid)) return;
    seen.add(table.oid);
    for (const oid of catalog.dependencies.viewReads.get(table.oid) ?? []) {
      const source = catalog.tables.get(oid);
      if (source !== undefined) visit(source, false);
    }
    for (const oid of catalog.dependencies.viewCalls.get(table.oid) ?? []) {
      const routine = catalog.dependencies.routines.get(oid);
      if (routine !== undefined) pending.push(routine);
    }
  };
  for (const name of tables) {
    const table = catalog.tablesByName.get(name);
    if (table !== undefined) visit(table, true);
  }
  const checked = new Set<number>();
  while (pending.length > 0) {
    const routine = pending.pop();
    if (routine === undefined || checked.has(routine.oid)) continue;
    checked.add(routine.oid);
    if (routine.volatility === 'immutable') continue;
    if (routine.reads === null) {
      return {
        kind: 'unknown',
        reason: `it calls ${routine.schema}.${routine.name}, a ${routine.volatility} routine whose body the catalog does not record, so the tables it reads are unknown`,
        fix: `give ${routine.name} a SQL-standard body (BEGIN ATOMIC ... END, or RETURN ...) so PostgreSQL records what it reads, mark it IMMUTABLE if it reads no table, or remove -- cache:`,
      };
    }
    for (const oid of routine.reads) {
      const source = catalog.tables.get(oid);
      if (source !== undefined) visit(source, false);
    }
  }
  return {
    kind: 'known',
    relations: [...relations].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([relation, direct]) => ({ relation, direct })),
  };
}

/** The user routines a statement calls that may write, and what they write (EVERY_RELATION when unknown). */
function routineWrites(catalog: Catalog, trees: readonly (Node | undefined)[]): string[] {
  const written = new Set<string>();
  for (const routine of routinesCalled(catalog, trees)) {
    // PostgreSQL refuses INSERT/UPDATE/DELETE in a STABLE or IMMUTABLE routine.
    if (routine.volatility !== 'volatile') continue;
    if (routine.writes === null && routine.reads !== null) {
      for (const oid of routine.reads) {
        const table = catalog.tables.get(oid);
        if (table !== undefined) written.add(table.displayName);
      }
    } else if (routine.writes === null) {
      written.add(EVERY_RELATION);
    } else {
      for (const parts of routine.writes) {
        const table = catalog.resolveTable(parts.length > 1 ? (parts.at(-2) ?? null) : null, parts.at(-1) ?? '');
        if (table !== undefined && table !== null) written.add(table.displayName);
      }
    }
  }
  return [...written];
}

/** Targets of the utility statements that write: TRUNCATE, REFRESH MATERIALIZED VIEW, DO. */
function utilityWrites(catalog: Catalog, tree: Node | undefined): string[] {
  const display = (schema: string | undefined, name: string | undefined) =>
    catalog.resolveTable(schema ?? null, name ?? '')?.displayName ?? null;
  const truncate = nodeOf(tree, 'TruncateStmt');
  if (truncate !== null) {
    // CASCADE reaches every table with a foreign key to these, and theirs in turn.
    if (truncate.behavior === 'DROP_CASCADE') return [EVERY_RELATION];
    return (truncate.relations ?? []).flatMap((relation) => {
      const range = nodeOf(relation, 'RangeVar');
      return display(range?.schemaname, range?.relname) ?? [];
    });
  }
  const refresh = nodeOf(tree, 'RefreshMatViewStmt');
  if (refresh !== null) return [display(refresh.relation?.schemaname, refresh.relation?.relname) ?? EVERY_RELATION];
  if (nodeOf(tree, 'DoStmt') !== null) return [EVERY_RELATION];
  return [];
}

/** What a statement writes besides its INSERT/UPDATE/DELETE/MERGE targets: utility targets and routines' writes. */
export function statementWrites(catalog: Catalog, trees: readonly (Node | undefined)[]): string[] {
  return [...new Set([...trees.flatMap((tree) => utilityWrites(catalog, tree)), ...routineWrites(catalog, trees)])].sort();
}

/**
 * Every relation a write to `written` (display names) changes, by the name the cache tags: views through to their
 * base relations, partitions and children to their root, and what the targets' rules write. Triggers are followed
 * by the cache stage, which knows each statement's event.
 */
export function writtenRelations(catalog: Catalog, written: readonly string[]): string[] {
  const result = new Set<string>();
  const seen = new Set<number>();
  const visit = (table: CatalogTable) => {
    if (seen.has(table.oid)) return;
    seen.add(table.oid);
    if (table.kind === 'view') {
      for (const oid of catalog.dependencies.viewReads.get(table.oid) ?? []) {
        const source = catalog.tables.get(oid);
        if (source !== undefined) visit(source);
      }
      return;
    }
    result.add(rootOf(catalog, table).displayName);
    for (const oid of catalog.dependencies.ruleTouches.get(table.oid) ?? []) {
      const touched = catalog.tables.get(oid);
      if (touched !== undefined) visit(touched);
    }
  };
  for (const name of written) {
    const table = catalog.tablesByName.get(name);
    if (table === undefined) result.add(name);
    else visit(table);
  }
  return [...result].sort();
}

/** The name the cache tags a relation with: its partition or inheritance root's. */
export function cacheTag(catalog: Catalog, name: string): string {
  const table = catalog.tablesByName.get(name);
  return table === undefined ? name : rootOf(catalog, table).displayName;
}
