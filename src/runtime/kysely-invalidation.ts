// Kysely's writes drop cached reads through the same QueryCache.invalidate that generated writes use, for every
// user (nothing proves a Kysely write confined to one). Names are matched loosely, since a statement may qualify a
// table that the manifest names bare (`public.users` and `users`), and raw SQL whose tables cannot be read drops
// every table this db has cached reads of, then the whole store (other instances' entries included). A write also
// drops what the generated modules registered as its effects (./generated-code.ts): a view's base tables, a partition's
// root, the tables its rules and triggers write, as codegen derived them for generated writes.
import type { QueryCache } from './cache.js';
import type { CachePolicy, WriteEffect } from './contract.js';
import type { DoneWrites } from './kysely-driver.js';
import { writeEffectsOf } from './generated-code.js';

/** The tables of the cached reads a db has served: what "every table" means to this process. */
export type ReadTables = {
  /** Called for each cached read; cheap after the first call with a given policy (generated policies are constants). */
  note(policy: CachePolicy): void;
  /** Every table noted, as the manifest names it. */
  all(): string[];
  /** The noted tables that may be `written` under another spelling (schema-qualified or not). */
  spellings(written: string): string[];
};

const unqualified = (table: string) => table.slice(table.lastIndexOf('.') + 1);

export function createReadTables(): ReadTables {
  const seen = new WeakSet<CachePolicy>();
  const tables = new Set<string>();
  return {
    note(policy) {
      if (seen.has(policy)) return;
      seen.add(policy);
      for (const { table } of policy.reads) tables.add(table);
    },
    all: () => [...tables],
    spellings: (written) => [...tables].filter((table) => unqualified(table) === unqualified(written)),
  };
}

/** Every user's entries of these tables: `scoped: false` drops the per-user tags too. */
function everyUser(tables: Iterable<string>): WriteEffect {
  return { writes: [...new Set(tables)].map((table) => ({ table, scoped: false })), scope: null };
}

const NO_VALUES: readonly unknown[] = [];

/**
 * Drops what `writes` made stale. `tables`: each as written, unqualified, and as any cached read spelled it.
 * `unknown`: every table this process has cached reads of (their epochs keep a read already running from storing
 * its old rows), then `clear()`, which a shared store passes to the other instances.
 */
export async function invalidateKyselyWrites(cache: QueryCache, read: ReadTables, writes: DoneWrites, queryName: string): Promise<void> {
  if (writes.kind === 'tables') {
    const targets = writes.tables.flatMap((table) => [table, ...writeEffectsOf(table)]);
    const names = targets.flatMap((table) => [table, unqualified(table), ...read.spellings(table)]);
    await cache.invalidate(queryName, everyUser(names), NO_VALUES);
    return;
  }
  const known = read.all();
  if (known.length > 0) await cache.invalidate(queryName, everyUser(known), NO_VALUES);
  await cache.clear();
}
