// The public development secrets are accepted only for the embedded default on a loopback address. Everywhere else
// a missing or short secret refuses to start with one line, before anything is started; and every worker of a
// cluster shares the cursor secret.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { freePort } from '../../codegen/database/server.js';
import { projectRoot } from '../../src/server/paths.js';
import { issueToken } from '../../src/server/auth.js';
import { DEV_AUTH_SECRET, DEV_CURSOR_SECRET, resolveSecrets, SecretsError } from '../../src/server/secrets.js';
import { testDatabase } from '../support/database.js';
import { postmasterPid } from './support.js';

const run = promisify(execFile);
const AUTH = 'secrets-test-auth-secret-0123456789abcdefgh';
const CURSOR = 'secrets-test-cursor-secret-0123456789abcdefgh';

describe('resolveSecrets', () => {
  const loopback = { embeddedDatabase: true, host: '127.0.0.1' };

  test('the embedded default on a loopback address may use the development secrets', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '127.0.0.2']) {
      const secrets = resolveSecrets({ env: {}, embeddedDatabase: true, host });
      assert.deepEqual(secrets, { authSecret: DEV_AUTH_SECRET, cursorSecret: DEV_CURSOR_SECRET, development: true }, host);
    }
  });

  test('NODE_ENV=production, a DATABASE_URL or a non-loopback host refuse a missing secret, naming the variable and why', () => {
    const cases: [Parameters<typeof resolveSecrets>[0], RegExp][] = [
      [{ ...loopback, env: { NODE_ENV: 'production' } }, /SQLBOUND_AUTH_SECRET is not set.*NODE_ENV=production/],
      [{ ...loopback, embeddedDatabase: false, env: {} }, /SQLBOUND_AUTH_SECRET is not set.*DATABASE_URL is set/],
      [{ ...loopback, host: '0.0.0.0', env: {} }, /SQLBOUND_AUTH_SECRET is not set.*listens on 0\.0\.0\.0/],
      [{ ...loopback, host: '10.0.0.5', env: {} }, /listens on 10\.0\.0\.5/],
      [{ ...loopback, host: '0.0.0.0', env: { SQLBOUND_AUTH_SECRET: AUTH } }, /SQLBOUND_CURSOR_SECRET is not set/],
    ];
    for (const [deployment, message] of cases) {
      assert.throws(
        () => resolveSecrets(deployment),
        (error: unknown) => error instanceof SecretsError && message.test(error.message),
      );
    }
  });

  test('a short secret is refused everywhere, and the public ones are refused outside development', () => {
    assert.throws(
      () => resolveSecrets({ ...loopback, env: { SQLBOUND_AUTH_SECRET: 'short' } }),
      /SQLBOUND_AUTH_SECRET is too short \(5 characters\)/,
    );
    assert.throws(
      () =>
        resolveSecrets({
          ...loopback,
          env: { NODE_ENV: 'production', SQLBOUND_AUTH_SECRET: DEV_AUTH_SECRET, SQLBOUND_CURSOR_SECRET: CURSOR },
        }),
      /SQLBOUND_AUTH_SECRET is the public development secret/,
    );
  });

  test('configured secrets are used as given', () => {
    const secrets = resolveSecrets({
      embeddedDatabase: false,
      host: '0.0.0.0',
      env: { NODE_ENV: 'production', SQLBOUND_AUTH_SECRET: AUTH, SQLBOUND_CURSOR_SECRET: CURSOR },
    });
    assert.deepEqual(secrets, { authSecret: AUTH, cursorSecret: CURSOR, development: false });
  });
});

describe('npm start refuses before starting anything', () => {
  const scratch = mkdtemp(join(tmpdir(), 'sqlbound-secrets-'));
  after(async () => rm(await scratch, { recursive: true, force: true }));

  const refusals: [string, Record<string, string>, RegExp][] = [
    [
      'DATABASE_URL without secrets',
      { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' },
      /SQLBOUND_AUTH_SECRET is not set.*DATABASE_URL is set/,
    ],
    ['NODE_ENV=production', { NODE_ENV: 'production' }, /NODE_ENV=production/],
    ['a non-loopback host', { HOST: '0.0.0.0' }, /listens on 0\.0\.0\.0/],
    ['a short secret', { SQLBOUND_AUTH_SECRET: 'too-short' }, /SQLBOUND_AUTH_SECRET is too short/],
  ];
  for (const [name, extra, message] of refusals) {
    test(name, async () => {
      const dataDir = join(await scratch, name.replace(/\W+/g, '_'));
      const env: NodeJS.ProcessEnv = { ...process.env, SQLBOUND_DATA_DIR: dataDir, PORT: '0', ...extra };
      for (const key of ['DATABASE_URL', 'NODE_ENV', 'HOST', 'SQLBOUND_AUTH_SECRET', 'SQLBOUND_CURSOR_SECRET']) {
        if (!(key in extra)) delete env[key];
      }
      const outcome = await run(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], { cwd: projectRoot, env }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => error,
      );
      assert.equal(outcome.code, 1);
      const lines = outcome.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line, got:\n${outcome.stderr}`);
      assert.match(lines[0] ?? '', message);
      assert.equal(await postmasterPid(dataDir), null, 'no database was started');
    });
  }
});

describe('start:cluster', () => {
  test('every worker shares the cursor secret: a cursor from one worker pages on any other', { timeout: 120_000 }, async () => {
    const database = await testDatabase();
    await run(process.execPath, ['--import', 'tsx', 'scripts/seed.ts', '--users', '5'], {
      cwd: projectRoot,
      env: { ...process.env, DATABASE_URL: database.url },
    });
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/cluster.ts'], {
      cwd: projectRoot,
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        PORT: String(port),
        WEB_CONCURRENCY: '2',
        SQLBOUND_LOG_LEVEL: 'warn',
        SQLBOUND_AUTH_SECRET: AUTH,
        SQLBOUND_CURSOR_SECRET: CURSOR,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(child, 'exit');
    try {
      const base = `http://127.0.0.1:${port}`;
      // Both workers print the banner once they listen.
      const deadline = Date.now() + 90_000;
      while ((output.match(/listening on/g) ?? []).length < 2) {
        assert.ok(child.exitCode === null && Date.now() < deadline, `cluster did not come up:\n${output}`);
        await new Promise((resolveWait) => setTimeout(resolveWait, 100));
      }
      const headers = { authorization: `Bearer ${issueToken(AUTH, '1')}`, connection: 'close' };
      const first = await fetch(`${base}/trpc/alerts.list?input=${encodeURIComponent(JSON.stringify({ limit: 1 }))}`, { headers });
      assert.equal(first.status, 200);
      const cursor = ((await first.json()) as { result: { data: { nextCursor: string | null } } }).result.data.nextCursor;
      assert.ok(cursor !== null);
      // New connections are spread over the workers; with per-worker secrets about half of these would be a 400.
      const statuses = await Promise.all(
        Array.from({ length: 12 }, () =>
          fetch(`${base}/trpc/alerts.list?input=${encodeURIComponent(JSON.stringify({ limit: 1, cursor }))}`, { headers }).then(
            (r) => r.status,
          ),
        ),
      );
      assert.deepEqual(
        statuses,
        Array.from({ length: 12 }, () => 200),
      );
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
