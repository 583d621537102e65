// Stage 7b: cache policies and write effects, derived from the tables a statement reads and writes.
// Scoping (the config's `cache` key; by default param `userId`, column `user_id`, owner table `users`): the scope
// param confines a statement to one owner's rows of every table with the scope column. A cached read with that
// param is tagged per owner; a write is per-owner only when its tree proves it (UPDATE/DELETE with
// `user_id = :userId` filtering its rows, INSERT of `user_id` from :userId: owner isolation's proof). Anything unproven invalidates every
// owner's entries for the table: stale data is the failure we refuse.
import type { Node } from '@pgsql/types';
import { confinement } from './confinement.js';
import { nodeOf } from '../analysis/tree.js';
import type { Catalog } from '../analysis/catalog.js';
import { parseSync } from 'libpg-query';
import type { DescribedQuery, FinalStatements } from './pipeline-data.js';
import { cacheTag, EVERY_RELATION, readSources, writtenRelations } from '../analysis/relation-effects.js';
import { failed, ok, type StageResult } from '../diagnostics.js';
import type { CachePolicy, CacheScope, TableTouch, WriteEffect } from 'sqlbound';

/** Who owns a row, for per-owner cache entries. */
export type CacheScoping = {
  /** The param that names the owner. */
  param: string;
  /** The column that holds a row's owner. */
  column: string;
  /** The table whose primary key is the owner itself: its rows are scoped by `id`. */
  ownerTable: string;
};

export const DEFAULT_SCOPING: CacheScoping = { param: 'userId', column: 'user_id', ownerTable: 'users' };

/** The column that holds a row's owner: `id` in the owner table itself, the scope column elsewhere. */
function scopeColumn(catalog: Catalog, table: string, scoping: CacheScoping): string | null {
  if (table === scoping.ownerTable) return 'id';
  const found = catalog.tablesByName.get(table);
  return found !== undefined && [...found.columns.values()].some((column) => column.name === scoping.column) ? scoping.column : null;
}

function hasScopeColumn(catalog: Catalog, table: string, scoping: CacheScoping): boolean {
  return scopeColumn(catalog, table, scoping) !== null;
}

function scopeOf(query: DescribedQuery, scoping: CacheScoping): CacheScope | null {
  const param = query.describedParams.find((p) => p.name === scoping.param && !p.optional);
  return param === undefined ? null : { param: param.name, index: param.position - 1 };
}

/** The parse trees of the statements a query runs (its includes composed in), for the routines they call. */
export function finalTrees(final: FinalStatements): (Node | undefined)[] {
  const texts = final.kind === 'list' ? [final.first] : [final.text];
  return texts.flatMap((text) => (parseSync(text).stmts ?? []).map((stmt) => stmt.stmt));
}

/**
 * A cached read's tags: the stored relations its rows come from, through views, partitions and routines. A
 * relation reached only through a view or a routine is never scoped per owner (the view may cross owners).
 */
export function cachePolicy(
  query: DescribedQuery,
  catalog: Catalog,
  scoping: CacheScoping,
  trees: readonly (Node | undefined)[],
): StageResult<CachePolicy | null> {
  const cache = query.annotations.cache;
  if (cache === null) return ok(null);
  const sources = readSources(catalog, query.tables.read, trees);
  if (sources.kind === 'unknown') {
    return failed({
      location: query.location,
      query: query.name,
      message: `${query.name} cannot be cached: ${sources.reason}`,
      fix: sources.fix,
    });
  }
  const scope = scopeOf(query, scoping);
  const reads: TableTouch[] = sources.relations.map(({ relation, direct }) => ({
    table: relation,
    scoped: scope !== null && direct && hasScopeColumn(catalog, relation, scoping),
  }));
  return ok({ ttlMs: cache.ttlMs, reads, scope });
}

/**
 * True when the write provably touches only the scope user's rows: owner isolation's proof (./confinement.ts) with the
 * scope column as the one owned column, so the cache and isolation agree on what "one owner's rows" means.
 */
function writeIsScoped(ast: Node | undefined, catalog: Catalog, scoping: CacheScoping, position: number): boolean {
  const result = confinement(ast, catalog, [{ param: scoping.param, column: scoping.column, table: scoping.ownerTable, position }]);
  return result.touched && result.unconfined.length === 0;
}

function statementEvent(ast: Node | undefined): 'insert' | 'update' | 'delete' | null {
  if (nodeOf(ast, 'InsertStmt') !== null) return 'insert';
  if (nodeOf(ast, 'UpdateStmt') !== null) return 'update';
  if (nodeOf(ast, 'DeleteStmt') !== null) return 'delete';
  return null;
}

/**
 * Tables that triggers write when `tables` are written by an `event` statement, followed through triggers
 * of triggers. A row-level maintenance trigger keeps to the rows' user, so a derived table with a scope
 * column inherits the write's scope; one without a scope column is invalidated for everyone.
 */
function triggerWrites(catalog: Catalog, tables: string[], event: 'insert' | 'update' | 'delete' | null): string[] {
  const found = new Set<string>();
  const queue = [...tables];
  while (queue.length > 0) {
    const table = queue.shift();
    for (const trigger of catalog.triggers) {
      if (trigger.table !== table) continue;
      // The first hop fires on the statement's own event; deeper hops on whatever the trigger body does.
      if (tables.includes(trigger.table) && event !== null && !trigger.events.includes(event)) continue;
      for (const written of trigger.writes) {
        if (found.has(written) || tables.includes(written)) continue;
        found.add(written);
        queue.push(written);
      }
    }
  }
  return [...found].sort();
}

/**
 * What a write drops: its targets by their cache tag (partition root; a view's base relations), what their rules
 * and triggers write, and EVERY_RELATION when the catalog cannot tell. Per owner only for a single plain-table
 * target whose tree proves it, and for what that target's row-level triggers maintain.
 */
export function writeEffect(query: DescribedQuery, ast: Node | undefined, catalog: Catalog, scoping: CacheScoping): WriteEffect | null {
  const written = query.tables.written;
  if (written.length === 0) return null;
  const scope = scopeOf(query, scoping);
  const [target] = written;
  const plainTarget = written.length === 1 && target !== undefined && catalog.tablesByName.get(target)?.kind !== 'view';
  const column = plainTarget && target !== undefined ? scopeColumn(catalog, target, scoping) : null;
  const scoped = scope !== null && column !== null && writeIsScoped(ast, catalog, scoping, scope.index + 1);
  const triggered = triggerWrites(catalog, written, statementEvent(ast));
  const maintained = new Set([...written, ...triggered].map((table) => cacheTag(catalog, table)));
  const tables = [...new Set([...writtenRelations(catalog, written), ...writtenRelations(catalog, triggered)])];
  if (tables.includes(EVERY_RELATION)) return { writes: [{ table: EVERY_RELATION, scoped: false }], scope: null };
  return {
    writes: tables.map((table) => ({
      table,
      scoped: scoped && maintained.has(table) && hasScopeColumn(catalog, table, scoping),
    })),
    scope: scoped ? scope : null,
  };
}

/**
 * What a write to each relation changes, by cache tag, where that is more than the relation itself: a view's base
 * relations, a partition's root, what its rules and triggers (any event, followed through triggers of triggers) write.
 * A write through Kysely names only its target; the runtime drops these tags with it (docs/runtime.md).
 */
export function relationWriteEffects(catalog: Catalog): Map<string, string[]> {
  const effects = new Map<string, string[]>();
  for (const name of [...catalog.tablesByName.keys()].sort()) {
    const triggered = triggerWrites(catalog, [name], null);
    const tags = [...new Set([...writtenRelations(catalog, [name]), ...writtenRelations(catalog, triggered)])].sort();
    if (tags.length !== 1 || tags[0] !== name) effects.set(name, tags);
  }
  return effects;
}

/**
 * The effects a module's cached reads need: for each relation, the tags of those reads a write to it drops (besides
 * its own name, which the runtime drops anyway). A write whose effects are unknown (EVERY_RELATION) is kept whole.
 */
export function effectsForReads(
  effects: ReadonlyMap<string, string[]>,
  policies: readonly (CachePolicy | null)[],
): Record<string, string[]> {
  const read = new Set(policies.flatMap((policy) => (policy === null ? [] : policy.reads.map((touch) => touch.table))));
  const needed: Record<string, string[]> = {};
  if (read.size === 0) return needed;
  for (const [relation, tags] of effects) {
    const dropped = tags.filter((tag) => tag !== relation && (read.has(tag) || tag === EVERY_RELATION));
    if (dropped.length > 0) needed[relation] = dropped;
  }
  return needed;
}
