// A failed initdb shows initdb's own lines, not "exit 1": the one that says why, and the last lines it printed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PostmasterError } from '../../codegen/database/postmaster.js';
import { startDatabase } from '../../codegen/database/server.js';
import { projectRoot } from '../../src/server/paths.js';

const made: string[] = [];
after(() => Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true }))));

test('initdb on a data directory that holds a stray file: its own error line and hint are in the error', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'sqlbound-initdb-fails-'));
  made.push(dataDir);
  await writeFile(join(dataDir, 'stray.txt'), 'not a cluster\n');
  // startDatabase would use DATABASE_URL's server instead of initialising one.
  const external = process.env.DATABASE_URL;
  delete process.env.DATABASE_URL;
  try {
    const error: unknown = await startDatabase({ kind: 'persistent', dataDir }).then(
      () => null,
      (rejection: unknown) => rejection,
    );
    assert.ok(error instanceof PostmasterError, String(error));
    assert.match(error.message, /initdb failed in .* \(exit 1: error: directory ".*" exists but is not empty\)/);
    assert.match(error.logTail, /If you want to create a new database system, either remove or empty the directory/);
  } finally {
    if (external !== undefined) process.env.DATABASE_URL = external;
  }
});

test("codegen whose initdb cannot read what it needs prints initdb's last lines and exits 1", { timeout: 120_000 }, async (t) => {
  // As root the server runs as the OS user postgres: a temp folder only root may enter makes initdb itself fail
  // (not sqlbound's own mkdtemp). Under another user, that user owns the folder and initdb succeeds.
  if (userInfo().uid !== 0) return t.skip('needs root: the failure is initdb, run as postgres, refused a root-only folder');
  const locked = await mkdtemp(join(tmpdir(), 'sqlbound-locked-tmp-'));
  made.push(locked);
  await chmod(locked, 0o700);
  const project = await mkdtemp(join(tmpdir(), 'sqlbound-initdb-project-'));
  made.push(project);
  await cp(join(projectRoot, 'test', 'codegen', 'messages', 'broken_query_keeps_out', 'project'), project, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: locked };
  delete env.DATABASE_URL;
  const result = await new Promise<{ code: number; stderr: string }>((resolveRun) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(projectRoot, 'codegen', 'cli', 'main.ts'), 'codegen', '--config', project],
      { cwd: projectRoot, env },
      (error, _stdout, stderr) => resolveRun({ code: error === null ? 0 : Number(error.code), stderr }),
    );
  });
  assert.equal(result.code, 1, result.stderr);
  assert.match(
    result.stderr,
    /cannot start a database to apply db\/schema to: initdb failed in .* \(exit 1: error: could not .*Permission denied\)/,
  );
  assert.match(result.stderr, /the engine's last lines:\n( {4}.*\n)* {4}initdb: error: could not .*Permission denied/);
});
