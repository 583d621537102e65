// Issue 24: the runtime table of docs/architecture.md names every runtime module, so a module added to the runtime
// without a line saying its job fails here, and so does a line left behind for a module that is gone. The runtime
// folder is the folder of the `sqlbound` entry, read from tsconfig.json's `paths`, so the test follows a move.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { projectRoot } from '../../src/server/paths.js';

const DOC = 'docs/architecture.md';
const SECTION = '## The runtime';

async function runtimeFolder(): Promise<string> {
  const configPath = join(projectRoot, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, projectRoot, undefined, configPath);
  const entry = parsed.options.paths?.['sqlbound']?.[0];
  assert.ok(entry !== undefined, 'tsconfig.json maps no `sqlbound` entry in `paths`');
  return dirname(join(projectRoot, entry));
}

// The modules named in the first column of the table in the runtime section (other sections' tables name codegen
// modules, some with the same file names, so only this section counts).
function modulesInRuntimeTable(markdown: string): Set<string> {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.trim() === SECTION);
  assert.ok(start >= 0, `${DOC} has no "${SECTION}" section`);
  const end = lines.findIndex((line, index) => index > start && /^#{1,2} /.test(line));
  const section = lines.slice(start + 1, end < 0 ? undefined : end);
  // Table rows; the header row and the |---| separator name no module and so add nothing.
  const firstCells = section.filter((line) => line.startsWith('|')).map((line) => line.split('|')[1] ?? '');
  assert.ok(firstCells.length > 0, `the "${SECTION}" section of ${DOC} has no table`);
  return new Set(firstCells.flatMap((cell) => [...cell.matchAll(/`([^`]+\.ts)`/g)].map((match) => match[1] ?? '')));
}

test(`the runtime table of ${DOC} names every runtime module, and only those`, async () => {
  const folder = await runtimeFolder();
  const modules = (await readdir(folder)).filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts')).sort();
  assert.ok(modules.length > 0, `no modules in ${relative(projectRoot, folder)}`);
  const listed = modulesInRuntimeTable(await readFile(join(projectRoot, DOC), 'utf8'));
  const missing = modules.filter((name) => !listed.has(name));
  const stale = [...listed].filter((name) => !modules.includes(name)).sort();
  assert.deepEqual(
    { missing, stale },
    { missing: [], stale: [] },
    `${DOC}, "${SECTION}": add a row saying the job of each missing module of ${relative(projectRoot, folder)}/ ` +
      `(missing: ${missing.join(', ') || 'none'}), and drop the rows of modules that are gone (stale: ${stale.join(', ') || 'none'})`,
  );
});
