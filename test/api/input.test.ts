// Bad input: every case is a 400 with a message that names the problem, and the database is unchanged.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Pool } from 'undici';
import { appRouter } from '../../src/server/routers/index.js';
import { procedureInputs } from '../support/procedures.js';
import { zodArbitrary } from '../support/zod-arbitrary.js';
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

describe('every procedure takes only the keys it declares', () => {
  test('an unknown key, or a userId, is a 400 that names it, on every procedure of the router', async () => {
    const procedures = procedureInputs(appRouter);
    assert.ok(procedures.length >= 9);
    for (const procedure of procedures) {
      // tRPC ignores the input of a procedure without .input(): such a procedure would take anything.
      assert.ok(procedure.input !== null, `${procedure.path} declares no input schema`);
      const [sample] = fc.sample(zodArbitrary(procedure.input), { numRuns: 1, seed: 28 });
      const valid: object = typeof sample === 'object' && sample !== null ? sample : {};
      for (const key of ['userId', 'sqlboundUnknownKey']) {
        const input = { ...valid, [key]: '2' };
        const reply =
          procedure.type === 'query' ? await api.query(procedure.path, input, token) : await api.mutate(procedure.path, input, token);
        assertBadRequest(
          reply,
          new RegExp(`^invalid input: input: Unrecognized key: "${key}"$`),
          `${procedure.path} ${JSON.stringify(input)}`,
        );
      }
    }
  });

  test('dashboard.get with {"userId":"2"} is a 400, not the caller\'s own dashboard', async () => {
    assertBadRequest(await api.query('dashboard.get', { userId: '2' }, token), /Unrecognized key: "userId"/, 'dashboard.get');
    // Without input, or with an empty one, it answers as before.
    assert.equal((await api.query('dashboard.get', undefined, token)).status, 200);
    assert.equal((await api.query('dashboard.get', {}, token)).status, 200);
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
      // Bidirectional controls reorder how a name is shown (U+202E shows it reversed): refused in names.
      ...['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f', '\u061c'].map(
        (control): [string, unknown, RegExp] => [
          'profile.update',
          { fullName: `Ann${control}Lee` },
          /fullName must be printable text: no bidirectional control characters/,
        ],
      ),
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

  test('a body that is not valid UTF-8 is a 400, whatever its content type, and nothing is stored', async () => {
    const before = await fingerprint();
    const bodies: [string, Buffer][] = [
      ['ff fe c3 28 in a name', Buffer.concat([Buffer.from('{"fullName":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}')])],
      ['the bare bytes', Buffer.from([0xff, 0xfe, 0xc3, 0x28])],
      ['an overlong slash', Buffer.concat([Buffer.from('{"fullName":"a'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')])],
      ['a UTF-16 surrogate in UTF-8', Buffer.concat([Buffer.from('{"fullName":"a'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])],
      ['a sequence cut at the end', Buffer.concat([Buffer.from('{"fullName":"ok"}'), Buffer.from([0xe2, 0x82])])],
    ];
    for (const contentType of ['application/json', 'text/plain']) {
      for (const [label, body] of bodies) {
        const response = await fetch(`${api.base}/trpc/profile.update`, {
          method: 'POST',
          headers: { 'content-type': contentType, authorization: `Bearer ${token}` },
          body,
        });
        assert.equal(response.status, 400, `${label} as ${contentType}`);
        const answer = (await response.json()) as { error: { message: string; data: { code: string } } };
        assert.equal(answer.error.data.code, 'BAD_REQUEST', label);
        assert.match(answer.error.message, /request body is not valid UTF-8/, label);
      }
    }
    assert.equal(await fingerprint(), before);
  });

  test('a refused body leaves its keep-alive connection usable for the next request', async () => {
    // One connection: a body left half read would stall it, and Node would reset it under the next request.
    const pool = new Pool(api.base, { connections: 1, pipelining: 1 });
    try {
      const refusals: [number, Record<string, string>, Buffer][] = [
        [400, { 'content-type': 'application/json' }, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.alloc(6000, 0x41)])],
        [415, {}, Buffer.from([0x16, 0x4d, 0xc1, 0xa4, 0x9d])],
        [400, { 'content-type': 'application/json' }, Buffer.alloc(40_000, 0x41)],
      ];
      for (let round = 0; round < 5; round += 1) {
        for (const [status, headers, body] of refusals) {
          const refused = await pool.request({
            method: 'POST',
            path: '/trpc/profile.update',
            headers: { ...headers, authorization: `Bearer ${token}` },
            body,
          });
          await refused.body.text();
          assert.equal(refused.statusCode, status);
          const next = await pool.request({ method: 'GET', path: '/healthz' });
          await next.body.text();
          assert.equal(next.statusCode, 200);
        }
      }
    } finally {
      await pool.close();
    }
  });

  test('valid UTF-8 split anywhere across chunks is stored exactly as sent', async () => {
    const name = 'Zoë Ærø 🙂 李';
    const body = Buffer.from(JSON.stringify({ fullName: name }));
    // Cut inside the emoji's four bytes, and the first chunk ends inside ë: the check must carry state over.
    const emoji = body.indexOf(Buffer.from('🙂'));
    const cuts = [body.indexOf(Buffer.from('ë')) + 1, emoji + 2, body.length];
    const chunks = cuts.map((end, index) => body.subarray(index === 0 ? 0 : cuts[index - 1], end));
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else {
          controller.enqueue(next);
          await new Promise((resolveWait) => setTimeout(resolveWait, 20));
        }
      },
    });
    const response = await fetch(`${api.base}/trpc/profile.update`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: stream,
      duplex: 'half',
    });
    assert.equal(response.status, 200, await response.clone().text());
    const [row] = await api.sql<{ full_name: string }>('SELECT full_name FROM users WHERE id = $1', [typical]);
    assert.equal(row?.full_name, name);
  });

  test('a query string whose percent-escapes are not UTF-8 is a 400', async () => {
    for (const input of ['%7B%22severity%22%3A%22%FF%22%7D', '%7B%22a%22%3A%22%C3%28%22%7D', '%7B%22a%22%3A1%7D%zz']) {
      const response = await fetch(`${api.base}/trpc/alerts.list?input=${input}`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(response.status, 400, input);
      const answer = (await response.json()) as { error: { message: string } };
      assert.match(answer.error.message, /malformed query string: a percent-escape is not UTF-8/, input);
    }
  });

  test('a mutation through GET is refused', async () => {
    const input = encodeURIComponent(JSON.stringify({ fullName: 'Via Get' }));
    const response = await fetch(`${api.base}/trpc/profile.update?input=${input}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 405);
  });
});
