import assert from 'node:assert/strict';
import { createDecipheriv, hkdfSync } from 'node:crypto';
import { after, test } from 'node:test';
import { listAlerts, listBrokers, listExposures, type ListAlertsRow } from '../../generated/index.js';
import { createDb, runList, type ListStatements } from 'sqlbound';
import { InvalidCursorError, InvalidInputError, type InvalidCursorReason } from '../../src/runtime/errors.js';
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
  const expected = await client.query<{ id: string }>('SELECT id FROM alerts WHERE user_id = $1 ORDER BY created_at DESC, id DESC', [
    userId,
  ]);
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
  assert.deepEqual(
    hundred.items.map((item) => item.id),
    expectedIds.slice(0, 100),
  );
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
    'body',
    'created_at',
    'exposure_id',
    'id',
    'kind',
    'read_at',
    'severity',
    'title',
  ]);
});

test('a page built by the emitted item builder equals the by-name copy of hand-written statements', async () => {
  // Hand-written list statements (no `item`) have their cursor columns dropped by name; codegen emits a builder.
  // Both must give the same items, key order included (JSON responses keep it), and the same cursors.
  const text = (keyset: string) =>
    `SELECT id, title, created_at, read_at, created_at::text AS __cursor_0, id::text AS __cursor_1 FROM alerts
     WHERE user_id = $1 ${keyset} ORDER BY created_at DESC, id DESC LIMIT $${keyset === '' ? 2 : 4}::int4`;
  const byName: ListStatements<'handWrittenAlerts'> = {
    name: 'handWrittenAlerts',
    first: { name: 'handWrittenAlerts', lookAhead: true, text: text('') },
    after: { name: 'handWrittenAlerts:after', lookAhead: true, text: text('AND (created_at, id) < ($2::timestamptz, $3::int8)') },
    cursorColumns: ['__cursor_0', '__cursor_1'],
  };
  const built: ListStatements<'handWrittenAlerts'> = {
    ...byName,
    item: (row) => ({ id: row['id'], title: row['title'], created_at: row['created_at'], read_at: row['read_at'] }),
  };
  let cursors: { byName: Cursor<'handWrittenAlerts'> | null; built: Cursor<'handWrittenAlerts'> | null } = { byName: null, built: null };
  for (let page = 0; page < 3; page += 1) {
    const fromNames = await runList<'handWrittenAlerts', Record<string, unknown>>(db, byName, [userId], 7, cursors.byName);
    const fromBuilder = await runList<'handWrittenAlerts', Record<string, unknown>>(db, built, [userId], 7, cursors.built);
    assert.equal(fromNames.items.length, 7);
    assert.deepEqual(fromBuilder.items, fromNames.items, `page ${page}`);
    assert.deepEqual(fromBuilder.items.map(Object.keys), fromNames.items.map(Object.keys), `page ${page}: key order`);
    assert.deepEqual(Object.keys(fromNames.items[0] ?? {}), ['id', 'title', 'created_at', 'read_at']);
    assert.equal(fromBuilder.nextCursor, fromNames.nextCursor);
    assert.deepEqual(
      fromNames.items.map((item) => item['id']),
      expectedIds.slice(page * 7, page * 7 + 7),
    );
    cursors = { byName: fromNames.nextCursor, built: fromBuilder.nextCursor };
  }
});

test('columns named __proto__, constructor or with quotes are plain own fields of each item, in both builders', async () => {
  // The golden case's module as codegen wrote it (test/golden/cases/list_awkward_names/expected.ts).
  const { awkwardNames } = await import('../golden/cases/list_awkward_names/expected.js');
  const first = await awkwardNames(db, { userId, limit: 3, cursor: null });
  const second = await awkwardNames(db, { userId, limit: 3, cursor: first.nextCursor });
  const items: Record<string, unknown>[] = [...first.items, ...second.items];
  assert.deepEqual(
    items.map((item) => item['id']),
    expectedIds.slice(0, 6),
  );
  for (const item of items) {
    assert.equal(Object.getPrototypeOf(item), Object.prototype);
    assert.deepEqual(Object.keys(item), ['id', '__proto__', 'say "hi"', 'constructor', 'created_at']);
    assert.equal(typeof Object.getOwnPropertyDescriptor(item, '__proto__')?.value, 'string');
    assert.match(String(Object.getOwnPropertyDescriptor(item, '__proto__')?.value), /^alert \d+$/);
  }
  // Hand-written statements without a builder copy the same columns by name, to the same items.
  const text = (keyset: string) =>
    `SELECT id, title AS "__proto__", created_at, created_at::text AS __cursor_0, id::text AS __cursor_1 FROM alerts
     WHERE user_id = $1 ${keyset} ORDER BY created_at DESC, id DESC LIMIT $${keyset === '' ? 2 : 4}::int4`;
  const copied = await runList<'handWrittenProto', Record<string, unknown>>(
    db,
    {
      name: 'handWrittenProto',
      first: { name: 'handWrittenProto', lookAhead: true, text: text('') },
      after: { name: 'handWrittenProto:after', lookAhead: true, text: text('AND (created_at, id) < ($2::timestamptz, $3::int8)') },
      cursorColumns: ['__cursor_0', '__cursor_1'],
    },
    [userId],
    3,
    null,
  );
  for (const [index, item] of copied.items.entries()) {
    assert.equal(Object.getPrototypeOf(item), Object.prototype);
    assert.deepEqual(Object.keys(item), ['id', '__proto__', 'created_at']);
    assert.equal(
      Object.getOwnPropertyDescriptor(item, '__proto__')?.value,
      Object.getOwnPropertyDescriptor(first.items[index], '__proto__')?.value,
    );
  }
});

/** The cursor's bytes: version, synthetic IV (its signature), ciphertext (src/runtime/cursor.ts). */
function sealed(cursor: string): Buffer {
  return Buffer.from(cursor, 'base64url');
}

function rejectsWith(reason: InvalidCursorReason, label: string) {
  return (error: unknown) => {
    assert.ok(error instanceof InvalidCursorError, `${label}: ${String(error)}`);
    assert.equal(error.queryName, 'listAlerts', label);
    assert.equal(error.reason, reason, `${label}: ${error.message}`);
    return true;
  };
}

test('a cursor is opaque: its payload is not readable, and its keyset values are not in it', async () => {
  const page = await listAlerts(db, { userId, limit: 3, cursor: null });
  const cursor = page.nextCursor;
  assert.ok(cursor);
  const [last] = await withClient(database.url, (client) =>
    client
      .query<{ created_at: string; id: string }>('SELECT created_at::text AS created_at, id::text AS id FROM alerts WHERE id = $1', [
        page.items[2]?.id,
      ])
      .then((result) => result.rows),
  );
  assert.ok(last);
  const bytes = sealed(cursor).toString('latin1');
  assert.ok(!bytes.includes(last.id) && !bytes.includes(last.created_at.slice(0, 10)), 'neither the id nor the timestamp shows');
  assert.throws(() => JSON.parse(sealed(cursor).toString('utf8')) as unknown);
  // The same position in the same context gives the same cursor (the IV is derived, not random); the same
  // keyset values in another context (other filters) give another one.
  const again = (await listAlerts(db, { userId, limit: 3, cursor: null })).nextCursor;
  assert.equal(again, cursor);
  const [first] = (await listAlerts(db, { userId, limit: 3, cursor: null })).items;
  const unreadFirst = await listAlerts(db, { userId, unreadOnly: false, limit: 3, cursor: null });
  assert.equal(unreadFirst.items[0]?.id, first?.id, 'unreadOnly false is not a filter on this data');
  assert.notEqual(unreadFirst.nextCursor, cursor);
  const next = await listAlerts(db, { userId, limit: 3, cursor });
  assert.deepEqual(
    next.items.map((item) => item.id),
    expectedIds.slice(3, 6),
  );
});

test('a tampered value inside a well-formed cursor fails authentication, not parsing', async () => {
  const cursor = (await listAlerts(db, { userId, limit: 3, cursor: null })).nextCursor;
  assert.ok(cursor);
  const bytes = sealed(cursor);
  // The plaintext is JSON ending in `..."<id>"]`; AES-CTR is a stream cipher, so flipping the low bit of the
  // third byte from the end turns the id's last digit into its neighbour (5 <-> 4): the payload stays
  // well-formed JSON with another keyset value. Only the signature (the synthetic IV) can catch it.
  const tampered = Buffer.from(bytes);
  tampered[bytes.length - 3] = (tampered[bytes.length - 3] ?? 0) ^ 1;
  // Proof that the payload is still well-formed, so the refusal below can only come from the signature: opened
  // with the secret's encryption key and without checking, it is the JSON array of order values, one id changed.
  const open = (sealedBytes: Buffer) => {
    const encKey = Buffer.from(hkdfSync('sha256', 'test-secret-a', Buffer.alloc(0), 'sqlbound-cursor-v2', 64)).subarray(32);
    const decipher = createDecipheriv('aes-256-ctr', encKey, sealedBytes.subarray(1, 17));
    return JSON.parse(decipher.update(sealedBytes.subarray(17)).toString('utf8')) as unknown;
  };
  const original = open(bytes);
  const edited = open(tampered);
  assert.ok(Array.isArray(original) && Array.isArray(edited) && edited.length === original.length, JSON.stringify(edited));
  assert.equal(edited[0], original[0], 'the timestamp is untouched');
  assert.notEqual(edited[1], original[1], 'the id changed');
  assert.match(String(edited[1]), /^\d+$/, 'the changed id is still a number');
  await assert.rejects(
    listAlerts(db, { userId, limit: 3, cursor: tampered.toString('base64url') as Cursor<'listAlerts'> }),
    rejectsWith('authentication', 'tampered id digit'),
  );
  const signature = Buffer.from(bytes);
  signature[16] = (signature[16] ?? 0) ^ 0x80;
  await assert.rejects(
    listAlerts(db, { userId, limit: 3, cursor: signature.toString('base64url') as Cursor<'listAlerts'> }),
    rejectsWith('authentication', 'tampered signature'),
  );
  const version = Buffer.from(bytes);
  version[0] = 3;
  await assert.rejects(
    listAlerts(db, { userId, limit: 3, cursor: version.toString('base64url') as Cursor<'listAlerts'> }),
    rejectsWith('version', 'version'),
  );
});

test('a cursor replayed for another user or with other filters is refused', async () => {
  const plain = (await listAlerts(db, { userId, limit: 3, cursor: null })).nextCursor;
  const high = (await listAlerts(db, { userId, severity: 'high', limit: 3, cursor: null })).nextCursor;
  assert.ok(plain && high);
  const replays: [string, Promise<unknown>][] = [
    ['another user', listAlerts(db, { userId: otherUserId, limit: 3, cursor: plain })],
    ['a filter added', listAlerts(db, { userId, severity: 'high', limit: 3, cursor: plain })],
    ['another filter', listAlerts(db, { userId, unreadOnly: true, limit: 3, cursor: plain })],
    ['a filter removed', listAlerts(db, { userId, limit: 3, cursor: high })],
    ['a filter changed', listAlerts(db, { userId, severity: 'low', limit: 3, cursor: high })],
  ];
  for (const [label, call] of replays) await assert.rejects(call, rejectsWith('authentication', label));
  // The same context continues: an absent optional filter is the same call as an explicit null, and the limit
  // is not part of the context (a client may change its page size between pages).
  const sameFilters = await listAlerts(db, { userId, severity: null, unreadOnly: null, limit: 7, cursor: plain });
  assert.deepEqual(
    sameFilters.items.map((item) => item.id),
    expectedIds.slice(3, 10),
  );
  const highPage = await listAlerts(db, { userId, severity: 'high', limit: 3, cursor: high });
  assert.equal(highPage.items.length, 3);
});

test('malformed, truncated, tampered, foreign and wrongly sealed cursors throw InvalidCursorError', async () => {
  const page = await listAlerts(db, { userId, limit: 3, cursor: null });
  const cursor = page.nextCursor;
  assert.ok(cursor);
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
  // The last character of unpadded base64url carries spare bits: a different character there decodes to the
  // same bytes, and is refused all the same (one text per cursor).
  const spare = sealed(cursor).length % 3 === 1 ? 4 : sealed(cursor).length % 3 === 2 ? 2 : 0;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const lastIndex = alphabet.indexOf(cursor.at(-1) ?? 'A');
  const bad: [string, string, InvalidCursorReason][] = [
    ['malformed', 'not a cursor!', 'malformed'],
    ['empty', '', 'malformed'],
    ['too short', 'AAAA', 'malformed'],
    ['truncated', sealed(cursor).subarray(0, -3).toString('base64url'), 'authentication'],
    ['extra part', `${cursor}.x`, 'malformed'],
    ['padded', `${cursor}=`, 'malformed'],
    ['too long', 'A'.repeat(5000), 'malformed'],
    ['another query', brokers.nextCursor, 'authentication'],
    ['another secret', foreignSigned, 'authentication'],
  ];
  if (spare > 0) bad.push(['non-canonical base64url', cursor.slice(0, -1) + (alphabet[lastIndex ^ 1] ?? ''), 'malformed']);
  for (const [label, value, reason] of bad) {
    await assert.rejects(listAlerts(db, { userId, limit: 3, cursor: value as Cursor<'listAlerts'> }), rejectsWith(reason, label));
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
