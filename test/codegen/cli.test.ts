// The codegen CLI as CI runs it: exit codes survive the embedded server's exit hooks.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function codegen(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', 'tsx', 'codegen/cli/main.ts', 'codegen', ...args], { env: process.env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

test('codegen --check passes on the committed generated/ and reports its time', async () => {
  const result = await codegen(['--check']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /generated\/ is fresh \(\d+ files checked in [\d.]+s\)/);
});

test('a failing codegen exits non-zero and names file, line, query and fix', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'sqlbound-queries-'));
  await writeFile(
    join(directory, 'bad.sql'),
    '-- name: alertsByTitle :list\n-- order: created_at DESC, id DESC\n-- owner: any -- an operator search, to break on its plan\nSELECT id, title, created_at FROM alerts WHERE title = :title;\n',
  );
  const result = await codegen(['--check', '--queries', directory]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /bad\.sql:1 \(query alertsByTitle\): Seq Scan on alerts/);
  assert.match(result.stderr, /fix: CREATE INDEX ON public\.alerts \(title, created_at DESC, id DESC\);/);
});

test('codegen --check names the stale files when generated/ does not match sql/', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'sqlbound-queries-'));
  await writeFile(join(directory, 'extra.sql'), '-- name: oneUser :one\nSELECT id FROM users WHERE id = :userId;\n');
  const result = await codegen(['--check', '--queries', directory]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /generated\/ is stale/);
  assert.match(result.stderr, /generated\/index\.ts/);
});

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', 'tsx', 'codegen/cli/main.ts', ...args], { env: process.env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

test('--help and -h print the usage and exit 0, for the command and each subcommand; --version prints the version', async () => {
  for (const args of [['--help'], ['-h'], ['codegen', '--help'], ['audit', '-h']]) {
    const result = await cli(args);
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stdout, /usage:\n {2}sqlbound --version \| --help\n {2}sqlbound codegen/, args.join(' '));
  }
  const version = await cli(['--version']);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^@sqlbound\/cli \d+\.\d+\.\d+/);
});

test('--queries takes a file; a path that does not exist is a usage error, not an empty project', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'sqlbound-queries-'));
  const file = join(directory, 'one.sql');
  await writeFile(file, '-- name: oneUser :one\nSELECT id FROM users WHERE id = :userId;\n');
  const single = await codegen(['--check', '--queries', file]);
  // The file was read and generated: the check then finds generated/ differs from a one-file project.
  assert.equal(single.code, 1);
  assert.match(single.stderr, /generated\/ is stale/);
  assert.match(single.stderr, /generated\/one\.ts/);
  const missing = await codegen(['--check', '--queries', join(directory, 'nothing-here.sql')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--queries .*nothing-here\.sql: no such file or folder/);
});

test('a glob that matches no file fails with the fix and deletes nothing', async () => {
  const project = await mkdtemp(join(tmpdir(), 'sqlbound-empty-glob-'));
  await mkdir(join(project, 'db'), { recursive: true });
  await mkdir(join(project, 'out'), { recursive: true });
  await writeFile(join(project, 'db', '001.sql'), 'CREATE TABLE t (id int PRIMARY KEY);');
  await writeFile(join(project, 'out', 'kept.ts'), '// generated earlier\n');
  await writeFile(
    join(project, 'sqlbound.config.json'),
    JSON.stringify({ queries: ['sql/query/*.sql'], schema: { from: 'migrations', dir: 'db' }, out: 'out' }),
  );
  const result = await codegen(['--config', project]);
  assert.equal(result.code, 1, result.stdout);
  assert.match(result.stderr, /no query file matches "sql\/query\/\*\.sql"/);
  assert.match(result.stderr, /fix: point "queries" at your \.sql files/);
  assert.equal(await readFile(join(project, 'out', 'kept.ts'), 'utf8'), '// generated earlier\n');
});

test('SQL under a misspelt name line is an error naming the line and the form it should have', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'sqlbound-queries-'));
  await writeFile(join(directory, 'tasks.sql'), '-- the tasks\n-- userTitle :one\nSELECT id FROM users WHERE id = :userId;\n');
  const result = await codegen(['--check', '--queries', directory]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /tasks\.sql:2: "-- userTitle :one" is not a name line, so the SQL below it \(line 3\) belongs to no query/);
  assert.match(result.stderr, /fix: write "-- name: userTitle :one"/);
});
