// The public development secrets are accepted only for the embedded default on a loopback address with a development
// NODE_ENV. Everywhere else a missing secret refuses to start with one line, before anything is started; so does a
// short or guessable secret, or one value used for two secrets, anywhere. Every worker of a cluster shares the
// cursor secret.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { freePort } from '../../codegen/database/server.js';
import { projectRoot } from '../../src/server/paths.js';
import { issueToken } from '../../src/server/auth.js';
import {
  DEV_AUTH_SECRET,
  DEV_CURSOR_SECRET,
  estimatedBits,
  isDevelopmentEnv,
  resolveSecrets,
  SecretsError,
} from '../../src/server/secrets.js';
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

  test('only an unset, empty, "development" or "test" NODE_ENV is development: every other spelling refuses the public secrets', () => {
    for (const value of [undefined, '', 'development', 'test']) assert.equal(isDevelopmentEnv(value), true, String(value));
    for (const value of ['production', 'Production', 'PRODUCTION', 'prod', 'staging', 'Development', ' development', 'dev', 'qa']) {
      assert.equal(isDevelopmentEnv(value), false, value);
      assert.throws(
        () => resolveSecrets({ ...loopback, env: { NODE_ENV: value } }),
        (error: unknown) =>
          error instanceof SecretsError &&
          error.message.startsWith('SQLBOUND_AUTH_SECRET is not set') &&
          error.message.includes(`NODE_ENV=${/^\w+$/.test(value) ? value : JSON.stringify(value)}`) &&
          error.message.includes('openssl rand -base64 48'),
        value,
      );
    }
    // The public secrets set by hand are refused under such a spelling too.
    assert.throws(
      () =>
        resolveSecrets({
          ...loopback,
          env: { NODE_ENV: 'Production', SQLBOUND_AUTH_SECRET: DEV_AUTH_SECRET, SQLBOUND_CURSOR_SECRET: CURSOR },
        }),
      /SQLBOUND_AUTH_SECRET is the public development secret, which is refused because NODE_ENV=Production/,
    );
  });

  test('a guessable secret is refused everywhere, with how to make a good one; random ones pass', () => {
    const guessable = ['a'.repeat(32), 'ab'.repeat(20), 'password'.repeat(4), '0123456789abcdef0123456789abcdef', 'a'.repeat(200)];
    for (const value of guessable) {
      for (const deployment of [loopback, { embeddedDatabase: false, host: '0.0.0.0' }]) {
        assert.throws(
          () => resolveSecrets({ ...deployment, env: { SQLBOUND_AUTH_SECRET: value, SQLBOUND_CURSOR_SECRET: CURSOR } }),
          (error: unknown) =>
            error instanceof SecretsError &&
            /^SQLBOUND_AUTH_SECRET is guessable \(about \d+ bits by its character frequencies, at least 128 needed\): make one with: openssl rand -base64 48/.test(
              error.message,
            ) &&
            !error.message.includes('\n'),
          value,
        );
      }
    }
    assert.equal(estimatedBits('a'.repeat(32)), 0);
    for (let i = 0; i < 200; i += 1) {
      const value = randomBytes(48).toString('base64');
      assert.ok(estimatedBits(value) >= 128, value);
      const other = randomBytes(32).toString('base64url');
      assert.deepEqual(resolveSecrets({ ...loopback, env: { SQLBOUND_AUTH_SECRET: value, SQLBOUND_CURSOR_SECRET: other } }), {
        authSecret: value,
        cursorSecret: other,
        development: false,
      });
    }
  });

  test('one value for both secrets is refused everywhere', () => {
    for (const deployment of [loopback, { embeddedDatabase: false, host: '0.0.0.0' }]) {
      assert.throws(
        () =>
          resolveSecrets({
            ...deployment,
            env: { NODE_ENV: 'production', SQLBOUND_AUTH_SECRET: AUTH, SQLBOUND_CURSOR_SECRET: ` ${AUTH}` },
          }),
        /^SecretsError: SQLBOUND_AUTH_SECRET and SQLBOUND_CURSOR_SECRET hold the same value: give each its own; make one with: openssl rand -base64 48/,
      );
    }
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
    ['NODE_ENV=Production', { NODE_ENV: 'Production' }, /SQLBOUND_AUTH_SECRET is not set.*NODE_ENV=Production/],
    ['NODE_ENV=staging', { NODE_ENV: 'staging' }, /NODE_ENV=staging/],
    ['a guessable secret', { SQLBOUND_AUTH_SECRET: 'a'.repeat(32) }, /SQLBOUND_AUTH_SECRET is guessable.*openssl rand -base64 48/],
    [
      'one value for both secrets',
      { SQLBOUND_AUTH_SECRET: AUTH, SQLBOUND_CURSOR_SECRET: AUTH },
      /SQLBOUND_AUTH_SECRET and SQLBOUND_CURSOR_SECRET hold the same value/,
    ],
    [
      'the admin token equal to a secret',
      { SQLBOUND_AUTH_SECRET: AUTH, SQLBOUND_CURSOR_SECRET: CURSOR, SQLBOUND_ADMIN_TOKEN: CURSOR },
      /SQLBOUND_CURSOR_SECRET and SQLBOUND_ADMIN_TOKEN hold the same value/,
    ],
    ['a guessable admin token', { SQLBOUND_ADMIN_TOKEN: 'x'.repeat(40) }, /SQLBOUND_ADMIN_TOKEN is guessable/],
  ];
  for (const [name, extra, message] of refusals) {
    test(name, async () => {
      const dataDir = join(await scratch, name.replace(/\W+/g, '_'));
      const env: NodeJS.ProcessEnv = { ...process.env, SQLBOUND_DATA_DIR: dataDir, PORT: '0', ...extra };
      for (const key of ['DATABASE_URL', 'NODE_ENV', 'HOST', 'SQLBOUND_AUTH_SECRET', 'SQLBOUND_CURSOR_SECRET', 'SQLBOUND_ADMIN_TOKEN']) {
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
