import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { startDatabase } from '../../codegen/database/server.js';

const run = promisify(execFile);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('an embedded server answers queries, preloads pg_stat_statements, and is gone after stop', async (t) => {
  if (process.env.DATABASE_URL) {
    t.skip('DATABASE_URL is set: this run uses an external server');
    return;
  }
  const server = await startDatabase({ kind: 'ephemeral' });
  assert.ok(server.pid !== null);
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  const preload = await client.query<{ setting: string }>("SELECT current_setting('shared_preload_libraries') AS setting");
  assert.match(preload.rows[0]?.setting ?? '', /pg_stat_statements/);
  const slowLog = await client.query<{ setting: string }>("SELECT current_setting('log_min_duration_statement') AS setting");
  assert.equal(slowLog.rows[0]?.setting, '500ms');
  const dataDir = await client.query<{ setting: string }>("SELECT current_setting('data_directory') AS setting");
  await client.end();
  assert.ok(isAlive(server.pid));
  await server.stop();
  assert.equal(isAlive(server.pid), false, 'postmaster process is gone');
  assert.equal(existsSync(dataDir.rows[0]?.setting ?? '/'), false, 'ephemeral data directory is removed');
});

test('a failing command exits non-zero after stopping its embedded server', async (t) => {
  if (process.env.DATABASE_URL) {
    t.skip('DATABASE_URL is set: this run uses an external server');
    return;
  }
  const env = { ...process.env };
  delete env.DATABASE_URL;
  const outcome = await run(process.execPath, ['--import', 'tsx', 'test/fixtures/failing-command.ts'], { env }).then(
    () => ({ code: 0, stdout: '', stderr: '' }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
  assert.equal(outcome.code, 1);
  assert.match(outcome.stderr, /deliberate failure/);
  const { pid } = JSON.parse(outcome.stdout.trim()) as { pid: number };
  assert.equal(isAlive(pid), false, 'no orphaned postgres process');
});
