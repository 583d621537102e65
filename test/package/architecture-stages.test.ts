// docs/architecture.md's stage table cannot drift from the code: every module it names exists and exports the
// function the row names, and every stage module under codegen/stages has a row.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { projectRoot } from '../../src/server/paths.js';

type StageRow = { stage: string; module: string; exported: string };

async function stageRows(): Promise<StageRow[]> {
  const doc = await readFile(join(projectRoot, 'docs', 'architecture.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## The pipeline'), doc.indexOf('## The runtime'));
  const rows: StageRow[] = [];
  for (const line of section.split('\n')) {
    const cells = /^\| ([a-z-]+) \| `([^`]+\.ts)` \| `([A-Za-z]+)` \|/.exec(line);
    if (cells !== null) rows.push({ stage: cells[1] ?? '', module: cells[2] ?? '', exported: cells[3] ?? '' });
  }
  return rows;
}

test('every stage row names a module that exports its function', async () => {
  const rows = await stageRows();
  assert.ok(rows.length >= 10, `the stage table has its rows (found ${rows.length})`);
  const wrong: string[] = [];
  for (const row of rows) {
    const loaded: unknown = await import(pathToFileURL(join(projectRoot, row.module)).href).catch(() => null);
    if (typeof (loaded === null || typeof loaded !== 'object' ? undefined : Reflect.get(loaded, row.exported)) !== 'function')
      wrong.push(`${row.stage}: ${row.module} does not export a function ${row.exported}`);
  }
  assert.deepEqual(wrong, []);
});

test('every module under codegen/stages is named by the stage table', async () => {
  const doc = await readFile(join(projectRoot, 'docs', 'architecture.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## The pipeline'), doc.indexOf('## The runtime'));
  const modules = (await readdir(join(projectRoot, 'codegen', 'stages'))).filter((name) => name.endsWith('.ts'));
  const missing = modules.filter((name) => !section.includes(`codegen/stages/${name}`) && !section.includes(`\`${name}\``));
  assert.deepEqual(missing, [], 'modules with no mention in the pipeline section of docs/architecture.md');
});
