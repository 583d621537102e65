// The last step of every run: write the generated files into the output folder, or, with --check, compare them
// and name the stale ones. Paths in GeneratedFiles are relative to the output folder.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

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

/** Writes what changed (an unchanged file keeps its mtime, so watchers downstream stay quiet); returns the paths written. */
export async function writeFiles(outDir: string, files: GeneratedFiles): Promise<string[]> {
  for (const path of await orphans(outDir, files)) await rm(join(outDir, path));
  const written: string[] = [];
  for (const [path, content] of files) {
    const target = join(outDir, path);
    if ((await readFile(target, 'utf8').catch(() => null)) === content) continue;
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
    written.push(path);
  }
  return written;
}
