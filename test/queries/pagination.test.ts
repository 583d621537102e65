import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { listAlerts, listBrokers, listExposures, type ListAlertsRow } from '../../generated/index.js';
import { createDb } from '../../src/index.js';
import { InvalidCursorError, InvalidInputError } from '../../src/runtime/errors.js';
import type { Cursor, Limit } from '../../src/runtime/pagination.js';
import { testDatabase } from '../support/database.js';
import { insertBroker, insertUser, withClient } from '../support/seed-data.js';

const database = await testDatabase();
const db = createDb({ connectionString: database.url, cursorSecret: 'test-secret-a' });
after(() => db.close());

// 240 alerts in groups of four: two rows share a timestamp exactly (a tie broken by id), the next
// differs by 1 microsecond and the last by 3, so a millisecond-precision cursor would skip or repeat rows.
const { userId, otherUserId, expectedIds } = await withClient(database.url, async (client) => {
  const userId = await insertUser(client, 'pages@example.com');
  const otherUserId = await insertUser(client, 'other@example.com');
  await client.query(
    `INSERT INTO alerts (user_id, kind, severity, title, body, created_at, read_at)
     SELECT $1, 'breach', (ARRAY['low','high']::alert_severity[])[1 + g % 2], 'alert ' || g, 'body',
            timestamptz '2026-01-01 00:00:00+00' + make_interval(secs => (g / 4)) +
              make_interval(secs => (ARRAY[0, 0, 0.000001, 0.000003])[1 + g % 4]),
            CASE WHEN g % 3 = 0 THEN now() END
     FROM generate_series(0, 239) AS g`,
    [userId],
  );
  await client.query(
    `INSERT INTO alerts (user_id, kind, severity, title, body) SELECT $1, 'breach', 'low', 'x', 'y' FROM generate_series(1, 5)`,
    [otherUserId],
  );
  const expected = await client.query<{ id: string }>(
    'SELECT id FROM alerts WHERE user_id = $1 ORDER BY created_at DESC, id DESC',
    [userId],
  );
  return { userId, otherUserId, expectedIds: expected.rows.map((row) => row.id) };
});

async function walkAll(limit: Limit, filters: { severity?: 'low' | 'high'; unreadOnly?: boolean } = {}) {
  const ids: string[] = [];
  let cursor: Cursor<'listAlerts'> | null = null;
  let pages = 0;
  do {
    const page: { items: ListAlertsRow[]; nextCursor: Cursor<'listAlerts'> | null } = await listAlerts(db, {
      userId,
      ...filters,
      limit,
      cursor,
    });
    assert.ok(page.items.length <= limit);
    if (page.nextCursor !== null) assert.equal(page.items.length, limit, 'only the last page is short');
    ids.push(...page.items.map((item) => item.id));
    cursor = page.nextCursor;
    pages += 1;
  } while (cursor !== null && pages < 1000);
  return { ids, pages };
}

test('walking every page visits each row once, in order, across timestamp ties and microsecond gaps', async () => {
  for (const limit of [7, 50] as const) {
    const { ids, pages } = await walkAll(limit);
    assert.deepEqual(ids, expectedIds, `limit ${limit}`);
    assert.equal(pages, Math.ceil(expectedIds.length / limit));
  }
});

test('limit 1 and limit 100 work; filters apply on every page', async () => {
  const one = await listAlerts(db, { userId, limit: 1, cursor: null });
  assert.equal(one.items.length, 1);
  assert.equal(one.items[0]?.id, expectedIds[0]);
  const hundred = await listAlerts(db, { userId, limit: 100, cursor: null });
  assert.deepEqual(hundred.items.map((item) => item.id), expectedIds.slice(0, 100));
  assert.notEqual(hundred.nextCursor, null);
  const { ids: walkedByOne } = await walkAll(1);
  assert.deepEqual(walkedByOne, expectedIds);
  const high = await walkAll(100, { severity: 'high' });
  assert.equal(high.ids.length, 120);
  const unread = await walkAll(50, { unreadOnly: true });
  assert.equal(unread.ids.length, 160);
});

test('the last page has no cursor and an empty list has no items', async () => {
  const exact = await listAlerts(db, { userId: otherUserId, limit: 5, cursor: null });
  assert.equal(exact.items.length, 5);
  assert.equal(exact.nextCursor, null, 'exactly a full last page: limit + 1 fetch says there is no more');
  const none = await listExposures(db, { userId: otherUserId, limit: 10, cursor: null });
  assert.deepEqual(none, { items: [], nextCursor: null });
});

test('items carry exactly the declared columns: cursor helper columns are stripped', async () => {
  const page = await listAlerts(db, { userId, limit: 2, cursor: null });
  assert.deepEqual(Object.keys(page.items[0] ?? {}).sort(), [
    'body', 'created_at', 'exposure_id', 'id', 'kind', 'read_at', 'severity', 'title',
  ]);
});

test('malformed, truncated, tampered, foreign and wrongly signed cursors throw InvalidCursorError', async () => {
  const page = await listAlerts(db, { userId, limit: 3, cursor: null });
  const cursor = page.nextCursor;
  assert.ok(cursor);
  const [payload = '', signature = ''] = cursor.split('.');
  const flipped = payload.slice(0, -2) + (payload.at(-2) === 'A' ? 'B' : 'A') + payload.at(-1);
  await withClient(database.url, async (client) => {
    await insertBroker(client, 'broker-a');
    await insertBroker(client, 'broker-b');
  });
  const brokers = await listBrokers(db, { limit: 1, cursor: null });
  assert.ok(brokers.nextCursor);
  const otherSecret = createDb({ connectionString: database.url, cursorSecret: 'test-secret-b' });
  after(() => otherSecret.close());
  const foreignSigned = (await listAlerts(otherSecret, { userId, limit: 3, cursor: null })).nextCursor;
  assert.ok(foreignSigned);
  const bad: [string, string][] = [
    ['malformed', 'not-a-cursor'],
    ['empty', ''],
    ['truncated', cursor.slice(0, cursor.length - 5)],
    ['signature only', `.${signature}`],
    ['tampered payload', `${flipped}.${signature}`],
    ['extra part', `${cursor}.x`],
    ['another query', brokers.nextCursor],
    ['another secret', foreignSigned],
  ];
  for (const [label, value] of bad) {
    await assert.rejects(
      listAlerts(db, { userId, limit: 3, cursor: value as Cursor<'listAlerts'> }),
      (error: unknown) => error instanceof InvalidCursorError && error.queryName === 'listAlerts',
      label,
    );
  }
});

test('a limit outside 1..100 from untyped callers is rejected before any SQL runs', async () => {
  for (const limit of [0, 101, 2.5, -1, Number.NaN]) {
    await assert.rejects(
      listAlerts(db, { userId, limit: limit as Limit, cursor: null }),
      (error: unknown) => error instanceof InvalidInputError,
      String(limit),
    );
  }
});
