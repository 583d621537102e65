// The last step of every run: write the generated files, or, with --check, compare them and name the stale ones.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export type GeneratedFiles = Map<string, string>;

/** Files in generated/ that this run no longer produces (a query file was removed or renamed). */
async function orphans(root: string, files: GeneratedFiles): Promise<string[]> {
  const present = await readdir(join(root, 'generated')).catch(() => []);
  return present.map((name) => `generated/${name}`).filter((path) => !files.has(path));
}

export async function staleFiles(root: string, files: GeneratedFiles): Promise<string[]> {
  const stale: string[] = (await orphans(root, files)).map((path) => `${path} (no longer generated)`);
  for (const [path, content] of files) {
    const current = await readFile(join(root, path), 'utf8').catch(() => null);
    if (current !== content) stale.push(path);
  }
  return stale;
}

export async function writeFiles(root: string, files: GeneratedFiles): Promise<void> {
  for (const path of await orphans(root, files)) await rm(join(root, path));
  for (const [path, content] of files) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}
