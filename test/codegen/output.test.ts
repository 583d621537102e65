// Generated files are replaced only by a run that wrote all of them: each changed file is written whole into a
// temporary folder next to the output folder first, then moved into place.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { writeFiles } from '../../codegen/output.js';

async function outFolder(): Promise<string> {
  const out = join(await mkdtemp(join(tmpdir(), 'sqlbound-out-')), 'generated');
  await writeFiles(
    out,
    new Map([
      ['a.ts', 'export const a = 1;\n'],
      ['old.ts', 'export const old = 1;\n'],
    ]),
  );
  return out;
}

test('a write that fails halfway leaves every file of the output folder as it was, and no staging folder behind', async () => {
  const out = await outFolder();
  // The second file cannot be written (a NUL in its name), after the first one changed: a write in place
  // would have replaced a.ts and deleted old.ts before failing.
  const failing = new Map([
    ['a.ts', 'export const a = 2;\n'],
    ['b\u0000.ts', 'x'],
  ]);
  await assert.rejects(writeFiles(out, failing));
  assert.equal(await readFile(join(out, 'a.ts'), 'utf8'), 'export const a = 1;\n');
  assert.equal(await readFile(join(out, 'old.ts'), 'utf8'), 'export const old = 1;\n');
  assert.deepEqual((await readdir(dirname(out))).sort(), ['generated']);
});

test('a run with no error moves the changed files into place, deletes orphans and leaves unchanged files untouched', async () => {
  const out = await outFolder();
  await writeFile(join(out, 'notes.txt'), 'not generated\n');
  const before = (await stat(join(out, 'a.ts'))).mtimeMs;
  await new Promise((resolveWait) => setTimeout(resolveWait, 20));
  const written = await writeFiles(
    out,
    new Map([
      ['a.ts', 'export const a = 1;\n'],
      ['b.ts', 'export const b = 1;\n'],
    ]),
  );
  assert.deepEqual(written, ['b.ts']);
  assert.equal((await stat(join(out, 'a.ts'))).mtimeMs, before);
  assert.deepEqual((await readdir(out)).sort(), ['a.ts', 'b.ts', 'notes.txt']);
  assert.deepEqual((await readdir(dirname(out))).sort(), ['generated']);
  assert.deepEqual(
    await writeFiles(
      out,
      new Map([
        ['a.ts', 'export const a = 1;\n'],
        ['b.ts', 'export const b = 1;\n'],
      ]),
    ),
    [],
  );
});
