// The database going away: 503 with Retry-After, and the server keeps answering.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { createDb } from 'sqlbound';
import { freePort, urlFor } from '../../codegen/database/server.js';
import { buildApp } from '../../src/server/app.js';
import { issueToken } from '../../src/server/auth.js';
import { AUTH_SECRET } from './support.js';

// A port where nothing listens: every connection attempt is refused, as when the database is down.
const db = createDb({
  connectionString: urlFor(await freePort(), 'sqlbound'),
  connectionTimeoutMillis: 1000,
  logger: pino({ level: 'silent' }),
});
const app = await buildApp({ db, authSecret: AUTH_SECRET, strictScope: true });
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
assert.ok(address !== null && typeof address === 'object');
const base = `http://127.0.0.1:${address.port}`;
after(async () => {
  await app.close();
  await db.close();
});

const headers = { authorization: `Bearer ${issueToken(AUTH_SECRET, '1')}` };

test('queries and mutations answer 503 with Retry-After, and the process stays up', async () => {
  for (let round = 0; round < 2; round += 1) {
    for (const path of ['dashboard.get', 'alerts.list', 'profile.get', 'brokers.list']) {
      const response = await fetch(`${base}/trpc/${path}`, { headers });
      assert.equal(response.status, 503, path);
      assert.equal(response.headers.get('retry-after'), '5');
      const body = (await response.json()) as { error: { message: string; data: { code: string } } };
      assert.equal(body.error.data.code, 'SERVICE_UNAVAILABLE');
      assert.match(body.error.message, /database is unavailable/);
    }
    const mutation = await fetch(`${base}/trpc/alerts.markRead`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ alertId: '1' }),
    });
    assert.equal(mutation.status, 503);
    assert.equal(mutation.headers.get('retry-after'), '5');
  }
});

test('healthz is 503 with Retry-After', async () => {
  const response = await fetch(`${base}/healthz`);
  assert.equal(response.status, 503);
  assert.equal(response.headers.get('retry-after'), '5');
  assert.equal(((await response.json()) as { status: string }).status, 'unavailable');
});

test('bad input is still a 400, not a 503: validation needs no database', async () => {
  const input = encodeURIComponent(JSON.stringify({ limit: 0 }));
  assert.equal((await fetch(`${base}/trpc/alerts.list?input=${input}`, { headers })).status, 400);
  assert.equal((await fetch(`${base}/trpc/alerts.list`)).status, 401);
});
