// Bad input: every case is a 400 with a message that names the problem, and the database is unchanged.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { data, pickUsers, startApi, type Api, type Page, type Reply } from './support.js';

const api: Api = await startApi();
const { typical, heavy } = await pickUsers(api);
const token = api.token(typical);

/** A digest of every row a mutation could touch: equal before and after means nothing changed. */
async function fingerprint(): Promise<string> {
  const [row] = await api.sql<{ digest: string }>(
    `SELECT md5(
       (SELECT coalesce(string_agg(a::text, ',' ORDER BY a.id), '') FROM alerts a) ||
       (SELECT coalesce(string_agg(u::text, ',' ORDER BY u.id), '') FROM users u)) AS digest`,
  );
  assert.ok(row);
  return row.digest;
}

function assertBadRequest(reply: Reply, pattern: RegExp, label: string): void {
  assert.equal(reply.status, 400, `${label}: ${JSON.stringify(reply.body)}`);
  assert.equal(reply.body.error?.data.code, 'BAD_REQUEST', label);
  assert.match(reply.body.error?.message ?? '', pattern, label);
  assert.equal(reply.body.result, undefined, label);
}

const lists = ['alerts.list', 'exposures.list', 'scans.list', 'brokers.list'];

describe('list input', () => {
  test('limits outside 1..100 or not integers', async () => {
    const cases: [unknown, RegExp][] = [
      [0, /limit must be at least 1/],
      [101, /limit must be at most 100/],
      [-1, /limit must be at least 1/],
      ['abc', /limit must be an integer from 1 to 100/],
      [2.5, /limit must be an integer from 1 to 100/],
      [null, /limit must be an integer from 1 to 100/],
    ];
    for (const path of lists) {
      for (const [limit, pattern] of cases)
        assertBadRequest(await api.query(path, { limit }, token), pattern, `${path} limit ${String(limit)}`);
    }
  });

  test('unknown fields', async () => {
    for (const path of lists) assertBadRequest(await api.query(path, { limit: 5, sort: 'asc' }, token), /Unrecognized key.*sort/, path);
  });

  test('wrong types and values', async () => {
    assertBadRequest(await api.query('alerts.list', { severity: 'urgent' }, token), /severity/, 'severity');
    assertBadRequest(await api.query('alerts.list', { unreadOnly: 'yes' }, token), /unreadOnly/, 'unreadOnly');
    assertBadRequest(await api.query('exposures.list', { status: 5 }, token), /status/, 'status');
    assertBadRequest(await api.query('alerts.list', { cursor: 42 }, token), /cursor/, 'cursor type');
    assertBadRequest(await api.query('alerts.list', [1, 2], token), /input/, 'array input');
  });

  test('malformed, tampered and foreign cursors', async () => {
    const real = data<Page<unknown>>(await api.query('alerts.list', { limit: 1 }, token)).nextCursor;
    assert.ok(real);
    const foreign = data<Page<unknown>>(await api.query('brokers.list', { limit: 1 })).nextCursor;
    const bytes = Buffer.from(real, 'base64url');
    bytes[bytes.length - 20] = (bytes[bytes.length - 20] ?? 0) ^ 1;
    const tampered = bytes.toString('base64url');
    for (const cursor of ['abc', 'x.y', '', `${real}.`, tampered, foreign, 'a'.repeat(5000)]) {
      assertBadRequest(await api.query('alerts.list', { cursor }, token), /cursor/, `cursor ${String(cursor).slice(0, 20)}`);
    }
    // Replayed by another user, or with other filters: the cursor is sealed to both.
    const other = api.token(heavy);
    assertBadRequest(await api.query('alerts.list', { cursor: real }, other), /invalid cursor/, 'another user');
    assertBadRequest(await api.query('alerts.list', { cursor: real, unreadOnly: true }, token), /invalid cursor/, 'other filters');
    assert.equal((await api.query('alerts.list', { cursor: real, unreadOnly: null }, token)).status, 200, 'the same filters');
  });

  test('query strings that are not JSON', async () => {
    const response = await fetch(`${api.base}/trpc/alerts.list?input=%7Blimit`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 400);
  });
});

describe('mutation input changes nothing', () => {
  test('alerts.markRead and profile.update with bad input', async () => {
    const [unread] = await api.sql<{ id: string }>('SELECT id::text AS id FROM alerts WHERE user_id = $1 AND read_at IS NULL LIMIT 1', [
      typical,
    ]);
    assert.ok(unread);
    const before = await fingerprint();
    const cases: [string, unknown, RegExp][] = [
      ['alerts.markRead', {}, /alertId/],
      ['alerts.markRead', { alertId: 'abc' }, /alertId must be an id as a decimal string/],
      ['alerts.markRead', { alertId: Number(unread.id) }, /alertId/],
      ['alerts.markRead', { alertId: '99999999999999999999' }, /alertId/],
      ['alerts.markRead', { alertId: unread.id, userId: typical }, /Unrecognized key/],
      // Non-canonical spellings of the same id: refused, never read as the id (and never echoed back normalised).
      ...[
        `0${unread.id}`,
        `+${unread.id}`,
        ` ${unread.id}`,
        `${unread.id} `,
        `${unread.id}.0`,
        `${unread.id}\n`,
        '0',
        '-0',
        '-1',
        '0x1f',
        '1e3',
        '\u0667',
      ].map((alertId): [string, unknown, RegExp] => [
        'alerts.markRead',
        { alertId },
        /alertId must be an id as a decimal string: digits without leading zeros/,
      ]),
      ['alerts.markRead', { alertId: unread.id, read: true }, /Unrecognized key/],
      ['profile.update', {}, /give fullName or phone/],
      ['profile.update', { fullName: '' }, /fullName must not be empty/],
      ['profile.update', { fullName: '   ' }, /fullName must not be empty/],
      ['profile.update', { fullName: 'x'.repeat(201) }, /fullName must be at most 200/],
      ['profile.update', { fullName: 5 }, /fullName/],
      // PostgreSQL refuses NUL, and a lone surrogate would be stored as U+FFFD: refused before the database.
      ['profile.update', { fullName: 'a\u0000b' }, /fullName must be printable text/],
      ['profile.update', { fullName: 'x\udfff' }, /fullName must be printable text/],
      ['profile.update', { fullName: 'bell\u0007' }, /fullName must be printable text/],
      ['profile.update', { fullName: 'tab\there' }, /fullName must be printable text/],
      ['profile.update', { phone: 'call me' }, /phone must be/],
      ['profile.update', { fullName: 'Ok Name', email: 'x@example.com' }, /Unrecognized key.*email/],
    ];
    for (const [path, input, pattern] of cases) {
      assertBadRequest(await api.mutate(path, input, token), pattern, `${path} ${JSON.stringify(input)}`);
    }
    assert.equal(await fingerprint(), before);
  });

  test('an oversized body is a 400 with the limit in the message', async () => {
    const before = await fingerprint();
    const response = await fetch(`${api.base}/trpc/profile.update`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ fullName: 'x'.repeat(20_000) }),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { message: string } };
    assert.match(body.error.message, /request body too large: at most 16384 bytes/);
    assert.equal(await fingerprint(), before);
  });

  test('a mutation through GET is refused', async () => {
    const input = encodeURIComponent(JSON.stringify({ fullName: 'Via Get' }));
    const response = await fetch(`${api.base}/trpc/profile.update?input=${input}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 405);
  });
});
