// The generator's own name and version, as generated modules record them (generatedBy): read once from the
// package.json of @sqlbound/cli, found above this module both in the sources (codegen/) and in the build (codegen/dist/).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function ownPackage(): { name: string; version: string } {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const found = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
    if (found.name === '@sqlbound/cli' && typeof found.version === 'string') return { name: found.name, version: found.version };
  }
  throw new Error('the package.json of @sqlbound/cli was not found above codegen/version.ts');
}

const own = ownPackage();

/** `@sqlbound/cli <version>`: which generator wrote a module. */
export const GENERATOR = `${own.name} ${own.version}`;
