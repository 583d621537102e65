// npm start's code path: start() boots on a database, serves, and shuts down cleanly; and the real entry point
// (src/server/main.ts) does the same as a process, exiting 0 on SIGTERM. A production start prints no token.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { pino } from 'pino';
import { projectRoot } from '../../src/server/paths.js';
import { start } from '../../src/server/main.js';
import { issueToken } from '../../src/server/auth.js';
import { testDatabase } from '../support/database.js';

test('start() migrates, seeds an empty database, serves a request and closes', async () => {
  const database = await testDatabase({ migrated: false });
  const running = await start({
    databaseUrl: database.url,
    port: 0,
    seedUsers: 20,
    logger: pino({ level: 'silent' }),
    authSecret: 'start-test-auth-secret-0123456789abcdef',
    cursorSecret: 'start-test-cursor-secret-0123456789abcdef',
  });
  try {
    assert.match(running.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${running.url}/trpc/dashboard.get`, { headers: { authorization: `Bearer ${running.demoToken}` } });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { result: { data: { user_id: string } } };
    assert.equal(body.result.data.user_id, running.demoUserId);
    const metrics = await fetch(`${running.url}/metrics`);
    assert.equal(metrics.status, 200);
    const text = await metrics.text();
    // The service names itself: not the SDK's unknown_service:<node path>.
    assert.match(text, /target_info\{service_name="sqlbound-api"/);
    // The budgets the p95-over-budget alert compares with (ops/prometheus/alerts.yml) are served by npm start too.
    assert.match(text, /^sqlbound_query_budget\{db_query_summary="listAlerts",[^}]*\} [\d.]+$/m);
  } finally {
    await running.close();
  }
  await assert.rejects(fetch(`${running.url}/healthz`));
  await running.close(); // idempotent
});

/** A bearer token as auth.ts writes it: `<userId>.<expiry>.<43 base64url characters>`. */
const TOKEN_LIKE = /[1-9]\d{0,18}\.[1-9]\d{0,11}\.[A-Za-z0-9_-]{43}/;

test('the npm start entry point in production serves, prints no token anywhere, and exits 0 on SIGTERM', async () => {
  const database = await testDatabase();
  const authSecret = 'start-test-auth-secret-0123456789abcdef';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
    cwd: projectRoot,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: database.url,
      PORT: '0',
      // Every line the server logs at its default level is read for a token, not only the banner.
      SQLBOUND_LOG_LEVEL: 'info',
      SQLBOUND_AUTH_SECRET: authSecret,
      SQLBOUND_CURSOR_SECRET: 'start-test-cursor-secret-0123456789abcdef',
      SQLBOUND_ADMIN_TOKEN: 'start-test-admin-token-0123456789abcdef',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit');
  let output = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const banner = new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      // The banner ends with the performance page's lines.
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url !== undefined && output.includes('performance page')) resolve(url);
    });
    child.on('exit', (code) => reject(new Error(`exited early with ${String(code)}: ${output}`)));
  });
  try {
    const url = await banner;
    assert.match(output, /no demo token printed/);
    const token = issueToken(authSecret, '1');
    const response = await fetch(`${url}/trpc/profile.get`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 200);
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
  } finally {
    child.kill('SIGTERM');
  }
  const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  assert.equal(signal, null);
  assert.equal(code, 0);
  assert.match(output, /"msg":"stopped"/);
  assert.doesNotMatch(output, TOKEN_LIKE, 'no token-like text in anything the process wrote');
});
