// The contract between generated modules and this runtime: each module says, when it is imported, which manifest
// version (the shape of its statements and calls) and which generator wrote it; createDb refuses to start when any
// module this process imported was written for a version this runtime does not run. A runtime and a generator
// installed at different versions then fail once, at startup, with the fix, instead of at some call. Each module also
// registers what writes to its schema's relations change beyond themselves (views, partitions, rules, triggers), so a
// write through Kysely, which names only its target, drops the same cached reads a generated write would.

/**
 * The manifest versions whose generated code this runtime runs.
 *
 * @example
 * ```ts
 * import { SUPPORTED_MANIFEST_VERSIONS } from 'sqlbound';
 *
 * console.log(`this runtime runs code generated for manifest version ${SUPPORTED_MANIFEST_VERSIONS.join(' or ')}`);
 * ```
 */
export const SUPPORTED_MANIFEST_VERSIONS: readonly number[] = [4];

/**
 * What a generated module says of itself. `writeEffects`: for each relation a write to which changes more than
 * itself (a view's base tables, a partition's root, what its rules and triggers write), the cache tags of this
 * module's cached reads such a write drops; a write through `db.kysely` names only its target, so the runtime drops
 * these with it.
 *
 * @example
 * ```ts
 * import type { GeneratedModule } from 'sqlbound';
 *
 * const module: GeneratedModule = {
 *   manifestVersion: 4,
 *   generator: '@sqlbound/cli 0.2.0',
 *   source: 'sql/queries/alerts.sql',
 *   writeEffects: { alerts: ['user_counters'] },
 * };
 * ```
 */
export type GeneratedModule = {
  manifestVersion: number;
  generator: string;
  source: string;
  writeEffects?: Readonly<Record<string, readonly string[]>>;
};

const unsupported: GeneratedModule[] = [];
/** Every imported module's writeEffects, merged: a relation's tags are the union of what each module needs. */
const effects = new Map<string, Set<string>>();

/**
 * Called by every generated module when it is imported (generated code's first statement; not for hand-written code).
 *
 * @example
 * ```ts
 * import { generatedBy } from 'sqlbound';
 *
 * generatedBy({ manifestVersion: 4, generator: '@sqlbound/cli 0.2.0', source: 'sql/queries/alerts.sql' });
 * ```
 */
export function generatedBy(module: GeneratedModule): void {
  if (!SUPPORTED_MANIFEST_VERSIONS.includes(module.manifestVersion)) unsupported.push(module);
  for (const [relation, tags] of Object.entries(module.writeEffects ?? {})) {
    const known = effects.get(relation) ?? new Set<string>();
    for (const tag of tags) known.add(tag);
    effects.set(relation, known);
  }
}

const unqualified = (name: string) => name.slice(name.lastIndexOf('.') + 1);

/**
 * The cache tags, besides its own, that a write to `relation` drops, as the generated modules imported so far
 * registered them. Matched loosely (`public.t` and `t` alike): an extra invalidation is harmless, a missed one is not.
 */
export function writeEffectsOf(relation: string): string[] {
  const found = new Set<string>();
  for (const [name, tags] of effects) {
    if (name === relation || unqualified(name) === unqualified(relation)) for (const tag of tags) found.add(tag);
  }
  return [...found];
}

/**
 * Generated code this runtime cannot run: written by a generator of another manifest version. Thrown by createDb.
 *
 * @example
 * ```ts
 * import { createDb, GeneratedCodeVersionError } from 'sqlbound';
 *
 * try {
 *   createDb({ connectionString: process.env.DATABASE_URL });
 * } catch (error) {
 *   if (error instanceof GeneratedCodeVersionError) console.error(error.message, error.modules);
 * }
 * ```
 */
export class GeneratedCodeVersionError extends Error {
  override readonly name = 'GeneratedCodeVersionError';
  constructor(readonly modules: readonly GeneratedModule[]) {
    const first = modules[0];
    const which = modules.map((module) => `${module.source} (${module.generator}, manifest version ${module.manifestVersion})`);
    super(
      `generated code this sqlbound runtime cannot run: ${which.join(', ')}; this runtime runs manifest version ` +
        `${SUPPORTED_MANIFEST_VERSIONS.join(' or ')}. Install sqlbound and @sqlbound/cli at the same version, then run ` +
        `npx sqlbound codegen${first === undefined ? '' : ` (it rewrites ${first.source}'s module)`}`,
    );
  }
}

/** Throws GeneratedCodeVersionError when a generated module imported so far was written for another version. */
export function assertGeneratedCodeSupported(): void {
  if (unsupported.length > 0) throw new GeneratedCodeVersionError([...unsupported]);
}
