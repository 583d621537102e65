import assert from 'node:assert/strict';
import { after, mock, test } from 'node:test';
import { getDashboard, getProfile, getSubscriptionStatus, listAlerts, markAlertRead, updateProfile } from '../../generated/index.js';
import { seed } from '../../src/server/seed.js';
import { createDb, withQueryScope } from 'sqlbound';
import { createQueryCache } from '../../src/runtime/cache.js';
import type { Statement } from '../../src/runtime/contract.js';
import { isSqlboundError } from '../../src/runtime/errors.js';
import { runOne } from '../../src/runtime/run.js';
import { createPrometheusMetrics } from '../../src/server/prometheus.js';
import { capturingLogger } from '../runtime/support.js';
import { testDatabase } from '../support/database.js';
import { withClient } from '../support/seed-data.js';

const database = await testDatabase();
await seed(database.url, { users: 40, seed: 5 });
const db = createDb({ connectionString: database.url, cursorSecret: 'cache' });
after(() => db.close());

// Two users with unread alerts.
const [userA, userB] = await withClient(database.url, async (client) => {
  const result = await client.query<{ user_id: string }>(
    `SELECT user_id FROM alerts WHERE read_at IS NULL GROUP BY user_id HAVING count(*) >= 2 ORDER BY user_id LIMIT 2`,
  );
  return result.rows.map((row) => row.user_id);
});
assert.ok(userA && userB);

/** Statements a call runs, counted by the request scope: 0 means it was served from the cache. */
async function statements<T>(fn: () => Promise<T>): Promise<{ result: T; count: number }> {
  const { result, scope } = await withQueryScope(fn);
  return { result, count: scope.total };
}

test('a hit makes no database round trip; keys hold every param, so two users never share an entry', async () => {
  await db.cache?.clear();
  const first = await statements(() => getProfile(db, { userId: userA }));
  assert.equal(first.count, 1);
  const again = await statements(() => getProfile(db, { userId: userA }));
  assert.equal(again.count, 0, 'served from cache');
  assert.deepEqual(again.result, first.result);
  assert.ok(again.result.created_at instanceof Date, 'cached rows keep their types');
  const other = await statements(() => getProfile(db, { userId: userB }));
  assert.equal(other.count, 1, 'another user is another key');
  assert.equal(other.result.id, userB);
  assert.equal((await getProfile(db, { userId: userA })).id, userA);
  const bypass = await statements(() => getProfile(db, { userId: userA }, { bypassCache: true }));
  assert.equal(bypass.count, 1, 'bypassCache runs the statement');
});

test('100 concurrent callers on a cold key run exactly one statement', async () => {
  await db.cache?.clear();
  const { result, count } = await statements(() => Promise.all(Array.from({ length: 100 }, () => getDashboard(db, { userId: userA }))));
  assert.equal(count, 1);
  assert.ok(result.every((dashboard) => dashboard.user_id === userA));
  // Each caller owns its result (rows are revived in place): no two share an object, and every one is revived.
  assert.equal(new Set(result).size, 100, 'a result object per caller');
  assert.equal(new Set(result.map((dashboard) => dashboard.recentAlerts)).size, 100, 'nested rows per caller');
  for (const dashboard of result) {
    assert.ok(dashboard.member_since instanceof Date);
    assert.ok(dashboard.recentAlerts.length > 0 && dashboard.recentAlerts.every((alert) => alert.created_at instanceof Date));
    assert.ok(dashboard.latestScan === null || dashboard.latestScan.created_at instanceof Date);
  }
  assert.deepEqual(result[99], result[0]);
});

test('a failing query is not cached and every waiter receives the error', async () => {
  const cache = createQueryCache();
  const local = createDb({ connectionString: database.url, cursorSecret: 'cache', cache });
  after(() => local.close());
  const failing: Statement = {
    name: 'failingCached',
    text: 'SELECT 1 / (SELECT count(*) FROM users WHERE id < 0)::int AS n',
    cache: { ttlMs: 60_000, reads: [{ table: 'users', scoped: false }], scope: null },
  };
  const { result: outcomes, count } = await statements(() =>
    Promise.allSettled(Array.from({ length: 10 }, () => runOne(local, failing, []))),
  );
  assert.equal(count, 1, 'one run for ten concurrent callers');
  for (const outcome of outcomes) {
    assert.equal(outcome.status, 'rejected');
    assert.ok(outcome.status === 'rejected' && isSqlboundError(outcome.reason), 'each waiter gets the typed error');
  }
  const retried = await statements(() =>
    runOne(local, failing, []).then(
      () => null,
      (error: unknown) => error,
    ),
  );
  assert.equal(retried.count, 1, 'the failure was not cached');
  assert.ok(isSqlboundError(retried.result), `the retry fails again with the typed error, got ${String(retried.result)}`);
});

test('after markAlertRead the same user sees the new unread count at once; another user stays cached', async () => {
  await db.cache?.clear();
  const before = await getDashboard(db, { userId: userA });
  await getDashboard(db, { userId: userB });
  const page = await listAlerts(db, { userId: userA, unreadOnly: true, limit: 1, cursor: null });
  const alert = page.items[0];
  assert.ok(alert);
  assert.equal(await markAlertRead(db, { userId: userA, alertId: alert.id }), 1);
  const after = await statements(() => getDashboard(db, { userId: userA }));
  assert.equal(after.count, 1, 'user A dashboard was invalidated');
  assert.equal(after.result.unread_alerts, before.unread_alerts - 1);
  const otherUser = await statements(() => getDashboard(db, { userId: userB }));
  assert.equal(otherUser.count, 0, "user B's dashboard is still cached");
  assert.ok((db.cache?.stats().invalidations ?? 0) >= 1);
});

test('inside a transaction nothing is cached, and writes invalidate only after commit', async () => {
  await db.cache?.clear();
  await getProfile(db, { userId: userA });
  await db.transaction(async (tx) => {
    const inside = await statements(() => getProfile(tx, { userId: userB }));
    assert.equal(inside.count, 1);
    const twice = await statements(() => getProfile(tx, { userId: userB }));
    assert.equal(twice.count, 1, 'no cache inside a transaction');
    await updateProfile(tx, { userId: userA, fullName: 'Renamed In Tx' });
    const cachedMeanwhile = await statements(() => getProfile(db, { userId: userA }));
    assert.equal(cachedMeanwhile.count, 0, 'not invalidated before commit');
    assert.notEqual(cachedMeanwhile.result.full_name, 'Renamed In Tx');
  });
  // No pause here: the default store deletes a tag's entries outright, so a refill in the same millisecond as the
  // invalidation stays cached (BentoCache's tag timestamps drop it; docs/runtime.md).
  const committed = await statements(() => getProfile(db, { userId: userA }));
  assert.equal(committed.count, 1, 'invalidated after commit');
  assert.equal(committed.result.full_name, 'Renamed In Tx');
  const notFilled = await statements(() => getProfile(db, { userId: userB }));
  assert.equal(notFilled.count, 1, 'the read inside the transaction did not fill the cache');
  await assert.rejects(
    db.transaction(async (tx) => {
      await updateProfile(tx, { userId: userA, fullName: 'Rolled Back' });
      throw new Error('abort');
    }),
    /abort/,
  );
  const afterRollback = await statements(() => getProfile(db, { userId: userA }));
  assert.equal(afterRollback.count, 0, 'a rolled-back write invalidates nothing');
  assert.equal(afterRollback.result.full_name, 'Renamed In Tx');
});

test('entries expire after their TTL (controlled clock): subscription 1 min, profile 5 min, dashboard 30 s', async () => {
  const cache = createQueryCache();
  const local = createDb({ connectionString: database.url, cursorSecret: 'cache', cache });
  after(() => local.close());
  mock.timers.enable({ apis: ['Date'], now: Date.now() });
  try {
    const calls = {
      dashboard: () => getDashboard(local, { userId: userA }),
      subscription: () => getSubscriptionStatus(local, { userId: userA }),
      profile: () => getProfile(local, { userId: userA }),
    };
    for (const call of Object.values(calls)) await call();
    const runs = async () => ({
      dashboard: (await statements(calls.dashboard)).count,
      subscription: (await statements(calls.subscription)).count,
      profile: (await statements(calls.profile)).count,
    });
    mock.timers.tick(29_000);
    assert.deepEqual(await runs(), { dashboard: 0, subscription: 0, profile: 0 });
    mock.timers.tick(2_000); // 31 s: the dashboard expired (and is cached again by this read)
    assert.deepEqual(await runs(), { dashboard: 1, subscription: 0, profile: 0 });
    mock.timers.tick(30_000); // 61 s
    assert.deepEqual(await runs(), { dashboard: 1, subscription: 1, profile: 0 });
    mock.timers.tick(240_000); // 301 s
    assert.deepEqual(await runs(), { dashboard: 1, subscription: 1, profile: 1 });
  } finally {
    mock.timers.reset();
  }
});

test('the entry bound is honoured', async () => {
  const cache = createQueryCache({ maxItems: 5 });
  const local = createDb({ connectionString: database.url, cursorSecret: 'cache', cache });
  after(() => local.close());
  const users = await withClient(database.url, async (client) =>
    (await client.query<{ id: string }>('SELECT id FROM users ORDER BY id LIMIT 12')).rows.map((row) => row.id),
  );
  for (const userId of users) await getProfile(local, { userId });
  let cached = 0;
  for (const userId of users) {
    if ((await statements(() => getProfile(local, { userId }))).count === 0) cached += 1;
  }
  assert.ok(cached <= 5, `${cached} of 12 entries were still cached with maxItems 5`);
  assert.ok(cache.stats().misses >= 12);
});

test('hits, misses and invalidations show in the logs and the metrics', async () => {
  const prometheus = createPrometheusMetrics();
  const captured = capturingLogger('debug');
  const local = createDb({
    connectionString: database.url,
    cursorSecret: 'cache',
    meterProvider: prometheus.meterProvider,
    logger: captured.logger,
  });
  after(() => local.close());
  await getProfile(local, { userId: userB });
  await getProfile(local, { userId: userB });
  await updateProfile(local, { userId: userB, phone: '+15550001111' });
  const text = await prometheus.metricsText();
  assert.match(text, /sqlbound_cache_misses_total\{[^}]*db_query_name="getProfile"[^}]*\} 1/);
  assert.match(text, /sqlbound_cache_hits_total\{[^}]*db_query_name="getProfile"[^}]*\} 1/);
  assert.match(text, /sqlbound_cache_invalidations_total\{[^}]*db_query_name="updateProfile"[^}]*\} 1/);
  const messages = captured.lines.map((line) => line.msg);
  assert.ok(messages.includes('cache miss'));
  assert.ok(messages.includes('cache hit'));
  assert.ok(messages.includes('cache invalidated'));
  assert.equal(captured.text().includes('+15550001111'), false, 'no parameter value in the cache logs');
});
