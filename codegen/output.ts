// The last step of every run: write the generated files, or, with --check, compare them and name the stale ones.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export type GeneratedFiles = Map<string, string>;

export async function staleFiles(root: string, files: GeneratedFiles): Promise<string[]> {
  const stale: string[] = [];
  for (const [path, content] of files) {
    const current = await readFile(join(root, path), 'utf8').catch(() => null);
    if (current !== content) stale.push(path);
  }
  return stale;
}

export async function writeFiles(root: string, files: GeneratedFiles): Promise<void> {
  for (const [path, content] of files) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}
