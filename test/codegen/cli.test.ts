// The codegen CLI as CI runs it: exit codes survive the embedded server's exit hooks.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
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
    '-- name: alertsByTitle :list\n-- order: created_at DESC, id DESC\nSELECT id, title, created_at FROM alerts WHERE title = :title;\n',
  );
  const result = await codegen(['--check', '--queries', directory]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /bad\.sql:1 \(query alertsByTitle\): Seq Scan on alerts/);
  assert.match(result.stderr, /fix: CREATE INDEX ON alerts \(title\);/);
});

test('codegen --check names the stale files when generated/ does not match sql/', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'sqlbound-queries-'));
  await writeFile(join(directory, 'extra.sql'), '-- name: oneUser :one\nSELECT id FROM users WHERE id = :userId;\n');
  const result = await codegen(['--check', '--queries', directory]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /generated\/ is stale/);
  assert.match(result.stderr, /generated\/index\.ts/);
});
