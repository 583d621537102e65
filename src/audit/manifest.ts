// Loads generated/manifest.json as data. The manifest is written by codegen and checked by `codegen --check`,
// so only its version and shape are verified here, enough to fail clearly on a stale or foreign file.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Manifest } from '../../codegen/emit.js';
import { projectRoot } from '../database/paths.js';

export const manifestPath = resolve(projectRoot, 'generated', 'manifest.json');

function isManifest(value: unknown): value is Manifest {
  return (
    typeof value === 'object' &&
    value !== null &&
    Reflect.get(value, 'version') === 1 &&
    Array.isArray(Reflect.get(value, 'queries'))
  );
}

export async function loadManifest(path: string = manifestPath): Promise<Manifest> {
  const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
  if (!isManifest(parsed)) throw new Error(`${path} is not a version 1 manifest: run npm run codegen`);
  return parsed;
}
