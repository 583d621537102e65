import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { seed } from '../../src/server/seed.js';
import { testDatabase } from '../support/database.js';

const tables = ['users', 'subscriptions', 'data_brokers', 'exposures', 'alerts', 'scans'];

async function fingerprint(url: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const prints: Record<string, string> = {};
    for (const table of tables) {
      const result = await client.query<{ digest: string }>(`SELECT md5(string_agg(t::text, '|' ORDER BY t.id)) AS digest FROM ${table} t`);
      prints[table] = result.rows[0]?.digest ?? '';
    }
    return prints;
  } finally {
    await client.end();
  }
}

test('the same seed gives the same data, another seed other data', async () => {
  const [a, b, c] = await Promise.all([testDatabase(), testDatabase(), testDatabase()]);
  const [summaryA, summaryB] = await Promise.all([
    seed(a.url, { users: 400, seed: 7 }),
    seed(b.url, { users: 400, seed: 7 }),
    seed(c.url, { users: 400, seed: 8 }),
  ]);
  assert.deepEqual({ ...summaryA, elapsedMs: 0 }, { ...summaryB, elapsedMs: 0 });
  const [printA, printB, printC] = await Promise.all([fingerprint(a.url), fingerprint(b.url), fingerprint(c.url)]);
  assert.deepEqual(printA, printB);
  for (const table of ['users', 'exposures', 'alerts']) assert.notEqual(printA[table], printC[table], table);
});

test('seeded data is skewed: most users have tens of alerts, a few have thousands', async () => {
  const db = await testDatabase();
  await seed(db.url, { users: 3000, seed: 1 });
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const result = await client.query<{ median: number; heavy: string; max: number }>(`
      SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY n) AS median,
             count(*) FILTER (WHERE n >= 1000) AS heavy, max(n) AS max
      FROM (SELECT count(*)::int AS n FROM alerts GROUP BY user_id) per_user`);
    const row = result.rows[0];
    assert.ok(row);
    assert.ok(row.median >= 10 && row.median < 100, `median alerts per user ${row.median}`);
    assert.ok(Number(row.heavy) >= 1, 'at least one heavy user');
    assert.ok(row.max >= 2000, `heaviest user has ${row.max} alerts`);
  } finally {
    await client.end();
  }
});

test('seeding a database that holds data is refused', async () => {
  const db = await testDatabase();
  await seed(db.url, { users: 10, seed: 1 });
  await assert.rejects(seed(db.url, { users: 10, seed: 1 }), /already holds data/);
});
