// Two workers of npm run start:cluster without Redis: each caches in its own memory (query results and the front
// door's held answers). A write served by one worker must reach what the other holds: before the relay
// (src/server/cluster-cache.ts), the other worker kept answering the old profile until its 5-minute TTL.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { issueToken } from '../../src/server/auth.js';
import { seed } from '../../src/server/seed.js';
import { startCluster } from '../support/cluster.js';
import { testDatabase } from '../support/database.js';

const AUTH_SECRET = 'cluster-cache-auth-secret-0123456789abcdef';
const database = await testDatabase();
await seed(database.url, { users: 20, seed: 1 });

async function firstUserId(): Promise<string> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string }>('SELECT id::text AS id FROM users ORDER BY id LIMIT 1');
    const id = rows[0]?.id;
    assert.ok(id !== undefined, 'the seed made users');
    return id;
  } finally {
    await client.end();
  }
}

test('a write on one worker drops what the other worker cached and held, without Redis', { timeout: 120_000 }, async () => {
  const cluster = await startCluster(2, {
    DATABASE_URL: database.url,
    SQLBOUND_CACHE: 'on',
    SQLBOUND_RESPONSE_CACHE: 'on',
    SQLBOUND_REDIS_URL: '',
    SQLBOUND_AUTH_SECRET: AUTH_SECRET,
    SQLBOUND_CURSOR_SECRET: 'cluster-cache-cursor-secret-0123456789abcdef',
  });
  const { url } = cluster;
  try {
    const authorization = `Bearer ${issueToken(AUTH_SECRET, await firstUserId())}`;
    // A new connection per request: the primary hands connections to the workers in turn, so both serve.
    const headers = { authorization, connection: 'close' };
    const profiles = async (count: number) => {
      const bodies: string[] = [];
      for (let i = 0; i < count; i += 1) {
        const response = await fetch(`${url}/trpc/profile.get`, { headers });
        assert.equal(response.status, 200);
        bodies.push(await response.text());
      }
      return bodies;
    };
    const before = await profiles(8);
    assert.equal(new Set(before).size, 1, 'every worker answers the same profile');
    assert.ok(!before[0]?.includes('Relayed Name'));

    const update = await fetch(`${url}/trpc/profile.update`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ fullName: 'Relayed Name' }),
    });
    assert.equal(update.status, 200, await update.text());
    // The relay is a message through the primary, as a Redis bus is a message through Redis: allow it a moment.
    await sleep(300);
    const after = await profiles(8);
    for (const body of after) assert.ok(body.includes('Relayed Name'), `a worker answered the old profile: ${body}`);
  } finally {
    await cluster.stop();
  }
});
