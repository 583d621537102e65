// The last step of every run: write the generated files into the output folder, or, with --check, compare them
// and name the stale ones. Paths in GeneratedFiles are relative to the output folder.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export type GeneratedFiles = Map<string, string>;

/** Files in the output folder that this run no longer produces (a query file was removed or renamed). */
async function orphans(outDir: string, files: GeneratedFiles): Promise<string[]> {
  const present = await readdir(outDir).catch(() => []);
  return present.filter((name) => (name.endsWith('.ts') || name.endsWith('.json')) && !files.has(name));
}

export async function staleFiles(outDir: string, files: GeneratedFiles): Promise<string[]> {
  const stale: string[] = (await orphans(outDir, files)).map((path) => `${path} (no longer generated)`);
  for (const [path, content] of files) {
    const current = await readFile(join(outDir, path), 'utf8').catch(() => null);
    if (current !== content) stale.push(path);
  }
  return stale;
}

/**
 * Writes what changed (an unchanged file keeps its mtime, so watchers downstream stay quiet); returns the paths
 * written. Every changed file is first written whole into a temporary folder next to the output folder (the same
 * file system, so a rename is atomic); only when all of them are written do they move into place and the orphans
 * go. A write that fails halfway (a full disk, a permission, a bad path) leaves the output folder as it was.
 */
export async function writeFiles(outDir: string, files: GeneratedFiles): Promise<string[]> {
  const changed: [string, string][] = [];
  for (const [path, content] of files) {
    if ((await readFile(join(outDir, path), 'utf8').catch(() => null)) !== content) changed.push([path, content]);
  }
  const gone = await orphans(outDir, files);
  if (changed.length === 0 && gone.length === 0) return [];
  const staging = join(dirname(outDir), `.${basename(outDir)}.sqlbound-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    for (const [path, content] of changed) {
      await mkdir(dirname(join(staging, path)), { recursive: true });
      await writeFile(join(staging, path), content);
    }
    for (const [path] of changed) {
      await mkdir(dirname(join(outDir, path)), { recursive: true });
      await rename(join(staging, path), join(outDir, path));
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  for (const path of gone) await rm(join(outDir, path));
  return changed.map(([path]) => path);
}
