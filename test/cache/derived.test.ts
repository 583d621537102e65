// Values derived from cached reads (the API caches a procedure's response bytes this way): stored only when every
// statement went through the cache, dropped by the writes that drop those reads, never stored across a write.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { getDashboard, getProfile, listAlerts, markAlertRead, updateProfile } from '../../generated/index.js';
import { seed } from '../../src/server/seed.js';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { cacheSerializer, createDb, createQueryCache, type Derived, type QueryCache } from 'sqlbound';
import type { DB } from '../../generated/db.js';
import { poolerOptions, testDatabase } from '../support/database.js';
import { withClient } from '../support/seed-data.js';

const database = await testDatabase();
await seed(database.url, { users: 30, seed: 7 });
const db = createDb<DB>({ ...poolerOptions(), connectionString: database.url, cursorSecret: 'derived' });
after(() => db.close());
const cache = db.cache as QueryCache;

const [userA, userB] = await withClient(database.url, async (client) => {
  const result = await client.query<{ user_id: string }>(
    `SELECT user_id FROM alerts WHERE read_at IS NULL GROUP BY user_id HAVING count(*) >= 3 ORDER BY user_id LIMIT 2`,
  );
  return result.rows.map((row) => row.user_id);
});
assert.ok(userA !== undefined && userB !== undefined);

async function unreadAlertOf(userId: string): Promise<string> {
  const page = await listAlerts(db, { userId, unreadOnly: true, limit: 1, cursor: null });
  const id = page.items[0]?.id;
  assert.ok(id !== undefined);
  return id;
}

/** The dashboard as the API answers it: the serialized bytes, computed by counting how often that happens. */
function dashboardBytes(userId: string) {
  let computed = 0;
  const derive = () =>
    cache.derive('dashboard.get', `dashboard.get:${userId}`, async () => {
      computed += 1;
      return JSON.stringify(await getDashboard(db, { userId }));
    });
  return { derive, computed: () => computed };
}

test('a value computed from cached reads is stored, then served without computing', async () => {
  await cache.clear();
  const bytes = dashboardBytes(userA);
  const first = await bytes.derive();
  assert.equal(first.outcome, 'stored');
  const second = await bytes.derive();
  assert.equal(second.outcome, 'hit');
  assert.equal(second.value, first.value);
  assert.equal(bytes.computed(), 1);
});

test("a write that drops the reads' entries drops the derived value; another user's write does not", async () => {
  await cache.clear();
  const a = dashboardBytes(userA);
  const b = dashboardBytes(userB);
  const before = JSON.parse((await a.derive()).value) as { unread_alerts: number };
  await b.derive();
  await markAlertRead(db, { alertId: await unreadAlertOf(userA), userId: userA });
  const afterWrite = await a.derive();
  assert.equal(afterWrite.outcome, 'stored', 'computed again');
  assert.equal((JSON.parse(afterWrite.value) as { unread_alerts: number }).unread_alerts, before.unread_alerts - 1);
  assert.equal((await b.derive()).outcome, 'hit', "userB's value survives userA's write");
  // A write to another table the dashboard reads (the user's profile) drops it as well.
  await updateProfile(db, { userId: userA, fullName: 'Derived Value', phone: null });
  assert.equal((await a.derive()).outcome, 'stored');
});

test('a computation that sends a statement outside the cache is never stored', async () => {
  await cache.clear();
  for (let k = 0; k < 2; k += 1) {
    const derived: Derived<string> = await cache.derive('alerts.list', `alerts.list:${userA}`, async () =>
      JSON.stringify([await getProfile(db, { userId: userA }), await listAlerts(db, { userId: userA, limit: 5, cursor: null })]),
    );
    assert.equal(derived.outcome, 'uncached', 'listAlerts is not a cached query');
  }
  const viaKysely = await cache.derive('kysely', `kysely:${userA}`, async () => {
    const profile = await getProfile(db, { userId: userA });
    const rows = await db.kysely.selectFrom('users').select('id').where('id', '=', userA).execute();
    return JSON.stringify([profile, rows]);
  });
  assert.equal(viaKysely.outcome, 'uncached', 'a Kysely query is not covered by any tag');
  const nothingRead = await cache.derive('constant', 'constant', async () => 'no reads');
  assert.equal(nothingRead.outcome, 'uncached', 'a value that read nothing through the cache has no tags to drop it by');
});

test('a write between the read and the store leaves the value unstored', async () => {
  await cache.clear();
  let readDone: () => void = () => undefined;
  const read = new Promise<void>((resolve) => (readDone = resolve));
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const derived = cache.derive('dashboard.get', `dashboard.get:${userB}`, async () => {
    const dashboard = await getDashboard(db, { userId: userB });
    readDone();
    await gate;
    return JSON.stringify(dashboard);
  });
  await read;
  // Outside the computation: another request's write, while the first still holds the value it read.
  await markAlertRead(db, { alertId: await unreadAlertOf(userB), userId: userB });
  release();
  assert.equal((await derived).outcome, 'raced');
  assert.equal((await dashboardBytes(userB).derive()).outcome, 'stored', 'the next computation reads the write and is stored');
});

test("a computation that joined another one's query run is not stored, and does not make its procedure uncacheable", async () => {
  await cache.clear();
  const outcomes = (await Promise.all([dashboardBytes(userA).derive(), dashboardBytes(userA).derive()])).map((d) => d.outcome);
  assert.deepEqual(outcomes.sort(), ['raced', 'stored']);
  assert.equal((await dashboardBytes(userA).derive()).outcome, 'hit');
});

test('peekDerived returns synchronously what derive would serve as a hit, and nothing once a write drops it or the cache is cleared', async () => {
  await cache.clear();
  const key = `dashboard.get:${userA}`;
  assert.equal(cache.peekDerived(key), undefined, 'nothing derived yet');
  const stored = await dashboardBytes(userA).derive();
  assert.equal(stored.outcome, 'stored');
  assert.equal(cache.peekDerived(key), stored.value);
  assert.equal(cache.peekDerived(`dashboard.get:${userB}`), undefined, 'another key');
  await markAlertRead(db, { alertId: await unreadAlertOf(userA), userId: userA });
  assert.equal(cache.peekDerived(key), undefined, "the write dropped its reads' entries, so the derived value too");
  const again = await dashboardBytes(userA).derive();
  assert.equal(again.outcome, 'stored');
  assert.equal(cache.peekDerived(key), again.value);
  await cache.clear();
  assert.equal(cache.peekDerived(key), undefined, 'cleared');
});

test('with a store of your own, peekDerived holds nothing: other instances invalidate through that store', async () => {
  const bento = new BentoCache({
    default: 'queries',
    serializer: cacheSerializer,
    stores: { queries: bentostore().useL1Layer(memoryDriver({ maxItems: 1000 })) },
  });
  const own = createQueryCache({ bento });
  const sharedDb = createDb<DB>({ ...poolerOptions(), connectionString: database.url, cursorSecret: 'derived', cache: own });
  after(() => sharedDb.close());
  const derive = () =>
    own.derive('dashboard.get', `dashboard.get:${userB}`, async () => JSON.stringify(await getDashboard(sharedDb, { userId: userB })));
  assert.equal((await derive()).outcome, 'stored');
  assert.equal((await derive()).outcome, 'hit', 'held by the store');
  assert.equal(own.peekDerived(`dashboard.get:${userB}`), undefined);
});
