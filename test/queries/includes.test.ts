import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { getDashboard, listExposures, type ListExposuresRow } from '../../generated/index.js';
import { createDb, NPlusOneError, withQueryScope } from 'sqlbound';
import type { Cursor } from '../../src/runtime/pagination.js';
import { testDatabase } from '../support/database.js';
import { insertBroker, insertUser, withClient } from '../support/seed-data.js';

const database = await testDatabase();
// The cache is off here: these tests count statements, and a cache hit runs none.
const db = createDb({ connectionString: database.url, cursorSecret: 'includes', cache: false });
after(() => db.close());

// A user with 12 exposures on two brokers; exposure k has k % 6 alerts (so some have none, some more than 3),
// alerts 1 microsecond apart; one alert without exposure; one scan. A second user has nothing at all.
const fixture = await withClient(database.url, async (client) => {
  const busy = await insertUser(client, 'busy@example.com');
  const empty = await insertUser(client, 'empty@example.com');
  const brokerA = await insertBroker(client, 'Acme Data');
  const brokerB = await insertBroker(client, 'Beta People');
  const exposures = await client.query<{ id: string }>(
    `INSERT INTO exposures (user_id, broker_id, status, data_types, created_at, removed_at)
     SELECT $1, CASE WHEN k % 2 = 0 THEN $2::int8 ELSE $3::int8 END,
            CASE WHEN k % 4 = 0 THEN 'removed' ELSE 'detected' END::exposure_status, ARRAY['email'],
            timestamptz '2026-02-01 00:00:00+00' + make_interval(mins => k),
            CASE WHEN k % 4 = 0 THEN timestamptz '2026-03-01 00:00:00+00' END
     FROM generate_series(1, 12) AS k RETURNING id`,
    [busy, brokerA, brokerB],
  );
  for (const [index, exposure] of exposures.rows.entries()) {
    const count = (index + 1) % 6;
    if (count === 0) continue;
    await client.query(
      `INSERT INTO alerts (user_id, exposure_id, kind, severity, title, body, created_at)
       SELECT $1, $2::int8, 'new_exposure', 'medium', 'alert ' || $2::text || '/' || g, 'b',
              timestamptz '2026-02-10 00:00:00+00' + make_interval(secs => g * 0.000001)
       FROM generate_series(1, $3::int) AS g`,
      [busy, exposure.id, count],
    );
  }
  await client.query(
    `INSERT INTO alerts (user_id, kind, severity, title, body, created_at)
     VALUES ($1, 'breach', 'critical', 'breach without exposure', 'b', '2026-04-01T00:00:00Z')`,
    [busy],
  );
  await client.query(
    `INSERT INTO scans (user_id, status, created_at, started_at, finished_at, found_count)
     VALUES ($1, 'completed', '2026-01-01T00:00:00Z', '2026-01-01T00:00:05Z', '2026-01-01T00:01:00Z', 3),
            ($1, 'running', '2026-04-02T00:00:00Z', '2026-04-02T00:00:05Z', NULL, 0)`,
    [busy],
  );
  const expectedAlerts = await client.query<{ exposure_id: string; ids: string[] }>(
    `SELECT exposure_id, array_agg(id ORDER BY created_at DESC, id DESC) AS ids
     FROM alerts WHERE exposure_id IS NOT NULL GROUP BY exposure_id`,
  );
  return {
    busy,
    empty,
    brokerA,
    brokerB,
    alertsByExposure: new Map(expectedAlerts.rows.map((row) => [row.exposure_id, row.ids])),
  };
});

test('listExposures attaches each broker (:one) and the latest 3 alerts (:many, ordered, limited per parent)', async () => {
  const page = await listExposures(db, { userId: fixture.busy, limit: 100, cursor: null });
  assert.equal(page.items.length, 12);
  for (const exposure of page.items) {
    assert.equal(exposure.broker.id, exposure.broker_id);
    assert.match(exposure.broker.name, /^(Acme Data|Beta People)$/);
    const all = fixture.alertsByExposure.get(exposure.id) ?? [];
    assert.deepEqual(
      exposure.latestAlerts.map((alert) => alert.id),
      all.slice(0, 3),
      `exposure ${exposure.id}`,
    );
    for (const alert of exposure.latestAlerts) assert.ok(alert.created_at instanceof Date);
  }
  assert.ok(
    page.items.some((item) => item.latestAlerts.length === 0),
    'an empty relation gives []',
  );
  assert.ok(
    page.items.some((item) => item.latestAlerts.length === 3),
    'the limit applies per parent',
  );
});

test('includes do not disturb pagination: same rows, same order, same cursors, no multiplication', async () => {
  const walked: ListExposuresRow[] = [];
  let cursor: Cursor<'listExposures'> | null = null;
  do {
    const page: { items: ListExposuresRow[]; nextCursor: Cursor<'listExposures'> | null } = await listExposures(db, {
      userId: fixture.busy,
      limit: 5,
      cursor,
    });
    walked.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  const whole = await listExposures(db, { userId: fixture.busy, limit: 100, cursor: null });
  assert.deepEqual(
    walked.map((row) => row.id),
    whole.items.map((row) => row.id),
  );
  assert.equal(new Set(walked.map((row) => row.id)).size, 12);
});

test('the dashboard is one statement: counters, subscription, 5 alerts with exposure and broker, latest scan', async () => {
  const { result: dashboard, scope } = await withQueryScope(() => getDashboard(db, { userId: fixture.busy }), {
    mode: 'strict',
  });
  assert.equal(scope.total, 1);
  assert.deepEqual(scope.byQuery(), { getDashboard: 1 });
  assert.equal(dashboard.exposures_detected, 9);
  assert.equal(dashboard.exposures_removed, 3);
  assert.equal(dashboard.total_alerts, 1 + [1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 0].reduce((a, b) => a + b, 0));
  assert.equal(dashboard.unread_alerts, dashboard.total_alerts);
  assert.equal(dashboard.recentAlerts.length, 5);
  const [newest, ...rest] = dashboard.recentAlerts;
  assert.equal(newest?.title, 'breach without exposure');
  assert.equal(newest?.exposure, null, 'an alert without exposure has a null :one include');
  for (const alert of rest) {
    assert.ok(alert.exposure, 'alerts with an exposure carry it');
    assert.equal(alert.exposure.id, alert.exposure_id);
    assert.equal(alert.exposure.broker.id, alert.exposure.broker_id, 'nested two levels down');
    assert.ok(alert.exposure.created_at instanceof Date);
  }
  const times = dashboard.recentAlerts.map((alert) => alert.created_at.getTime());
  assert.deepEqual(
    times,
    [...times].sort((a, b) => b - a),
  );
  assert.equal(dashboard.latestScan?.status, 'running');
  assert.equal(dashboard.latestScan?.finished_at, null);
  assert.ok(dashboard.latestScan?.started_at instanceof Date);
});

test('empty relations: no alerts gives [], no scan gives null, no subscription gives nulls', async () => {
  const dashboard = await getDashboard(db, { userId: fixture.empty });
  assert.deepEqual(dashboard.recentAlerts, []);
  assert.equal(dashboard.latestScan, null);
  assert.equal(dashboard.subscription_status, null);
  assert.equal(dashboard.unread_alerts, 0);
  const exposures = await listExposures(db, { userId: fixture.empty, limit: 10, cursor: null });
  assert.deepEqual(exposures, { items: [], nextCursor: null });
});

test('the exposures list is one statement whatever the page holds', async () => {
  const { scope } = await withQueryScope(() => listExposures(db, { userId: fixture.busy, limit: 100, cursor: null }), {
    mode: 'strict',
  });
  assert.deepEqual(scope.byQuery(), { listExposures: 1 });
});

test('a :one query called 20 times from one call site in a scope is flagged as N+1 (error in strict mode)', async () => {
  const exposures = await listExposures(db, { userId: fixture.busy, limit: 20, cursor: null });
  const loop = async () => {
    for (let i = 0; i < 20; i += 1) await getDashboard(db, { userId: fixture.busy });
    return exposures.items.length;
  };
  await assert.rejects(withQueryScope(loop, { mode: 'strict' }), (error: unknown) => {
    assert.ok(error instanceof NPlusOneError);
    assert.equal(error.violations.length, 1);
    assert.equal(error.violations[0]?.query, 'getDashboard');
    assert.equal(error.violations[0]?.count, 20);
    assert.match(error.violations[0]?.site ?? '', /includes\.test\.ts/);
    return true;
  });
  const warned = await withQueryScope(loop, { mode: 'warn' });
  assert.equal(warned.scope.violations.length, 1);
  assert.equal(warned.scope.total, 20);
  // The same query from different call sites, under the threshold each, is not an N+1.
  const { scope } = await withQueryScope(
    async () => {
      await getDashboard(db, { userId: fixture.busy });
      await getDashboard(db, { userId: fixture.empty });
    },
    { mode: 'strict' },
  );
  assert.equal(scope.violations.length, 0);
});
