// Seeding is atomic: SIGTERM while the first `npm start` seeds its demo data stops it cleanly (exit 0, no stack,
// PostgreSQL stopped), and leaves a database the next start sees as empty and seeds in full. The signal handlers are
// in place before the first database work, so the signal is npm start's, not the embedded server's default.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { projectRoot } from '../../src/server/paths.js';
import { embeddedEnv, isAlive, npmStart, postmasterPid } from './support.js';

const external = process.env.DATABASE_URL !== undefined && process.env.DATABASE_URL !== '';
let dataDir = '';

before(async () => {
  const parent = await mkdtemp(join(tmpdir(), 'sqlbound-seed-signal-'));
  // As root the server runs as the OS user postgres, which must be able to reach the data directory.
  await chmod(parent, 0o755);
  dataDir = join(parent, 'pg');
});
after(async () => {
  if (dataDir === '') return;
  const pid = await postmasterPid(dataDir);
  if (pid !== null && isAlive(pid)) process.kill(pid, 'SIGINT');
  await new Promise((resolveWait) => setTimeout(resolveWait, 1000));
  await rm(join(dataDir, '..'), { recursive: true, force: true });
});

async function until(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 20));
  }
}

test(
  'SIGTERM during the first start’s seeding: exit 0, then the next start seeds in full',
  { skip: external ? 'DATABASE_URL is set: this case needs the embedded server' : false, timeout: 180_000 },
  async () => {
    // Enough users that seeding takes seconds, so the signal surely lands inside it.
    const child = spawn('npm', ['start'], {
      cwd: projectRoot,
      env: embeddedEnv(dataDir, { SQLBOUND_SEED_USERS: '20000' }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
      child.on('exit', (code, signal) => resolveExit({ code, signal })),
    );
    try {
      await until(() => output.includes('empty database: seeding demo data'), 'seeding to begin', 90_000);
      await new Promise((resolveWait) => setTimeout(resolveWait, 300));
      const postmaster = await postmasterPid(dataDir);
      assert.ok(postmaster !== null);
      child.kill('SIGTERM');
      const exit = await exited;
      assert.doesNotMatch(output, /seeded demo data/, 'the signal landed during the seed');
      assert.deepEqual([exit.code, exit.signal], [0, null], output);
      assert.match(output, /SIGTERM before the API was ready: stopping/);
      assert.doesNotMatch(output, /\n\s+at /, 'no stack trace');
      assert.equal(isAlive(postmaster), false, 'PostgreSQL stopped');
    } finally {
      if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }

    const second = await npmStart(embeddedEnv(dataDir));
    try {
      assert.match(second.output(), /empty database: seeding demo data/, 'the cut seed left nothing behind');
      const client = new pg.Client({ connectionString: second.databaseUrl });
      await client.connect();
      try {
        const { rows } = await client.query<{ users: number; alerts: number; exposures: number }>(
          'SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM alerts)::int AS alerts, (SELECT count(*) FROM exposures)::int AS exposures',
        );
        const counts = rows[0];
        assert.ok(counts !== undefined);
        assert.equal(counts.users, 200, 'the default demo seed, not a remainder of the cut one');
        assert.ok(counts.alerts > 0 && counts.exposures > 0, JSON.stringify(counts));
      } finally {
        await client.end();
      }
    } finally {
      second.child.kill('SIGTERM');
      assert.equal((await second.exited).code, 0, second.output());
    }
  },
);
