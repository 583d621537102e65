// The contract between generated modules and this runtime: each module says, when it is imported, which manifest
// version (the shape of its statements and calls) and which generator wrote it; createDb refuses to start when any
// module this process imported was written for a version this runtime does not run. A runtime and a generator
// installed at different versions then fail once, at startup, with the fix, instead of at some call.

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
export const SUPPORTED_MANIFEST_VERSIONS: readonly number[] = [3];

/**
 * What a generated module says of itself.
 *
 * @example
 * ```ts
 * import type { GeneratedModule } from 'sqlbound';
 *
 * const module: GeneratedModule = { manifestVersion: 3, generator: '@sqlbound/cli 0.2.0', source: 'sql/queries/alerts.sql' };
 * ```
 */
export type GeneratedModule = { manifestVersion: number; generator: string; source: string };

const unsupported: GeneratedModule[] = [];

/**
 * Called by every generated module when it is imported (generated code's first statement; not for hand-written code).
 *
 * @example
 * ```ts
 * import { generatedBy } from 'sqlbound';
 *
 * generatedBy({ manifestVersion: 3, generator: '@sqlbound/cli 0.2.0', source: 'sql/queries/alerts.sql' });
 * ```
 */
export function generatedBy(module: GeneratedModule): void {
  if (!SUPPORTED_MANIFEST_VERSIONS.includes(module.manifestVersion)) unsupported.push(module);
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
