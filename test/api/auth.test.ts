// Authentication and isolation: a token names one user, and no input reaches another user's rows.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { createAuthVerifier, issueToken, verifyAuthorization } from '../../src/server/auth.js';
import { AUTH_SECRET, data, pickUsers, startApi, type Api, type Page } from './support.js';

type Alert = { id: string };

const api: Api = await startApi();
const { typical: alice, heavy: bob } = await pickUsers(api);

async function alertIdsOf(userId: string): Promise<Set<string>> {
  const rows = await api.sql<{ id: string }>('SELECT id::text AS id FROM alerts WHERE user_id = $1', [userId]);
  return new Set(rows.map((row) => row.id));
}

describe('tokens', () => {
  const authed = ['dashboard.get', 'alerts.list', 'exposures.list', 'profile.get', 'subscription.status', 'scans.list'];

  test('missing, malformed, forged and expired tokens are 401 on every authed query', async () => {
    const forged = `${alice}.${Math.floor(Date.now() / 1000) + 3600}.${createHmac('sha256', 'not-the-server-secret').update('x').digest('base64url')}`;
    const expired = issueToken(AUTH_SECRET, alice, { ttlSeconds: 60, now: new Date(Date.now() - 3_600_000) });
    const otherSecret = issueToken('another-secret-that-is-long-enough-000000', alice);
    // A valid token for alice with its user id changed to bob's: the signature covers the id.
    const swapped = issueToken(AUTH_SECRET, alice).replace(/^\d+\./, `${bob}.`);
    for (const path of authed) {
      for (const token of [undefined, 'garbage', forged, expired, otherSecret, swapped]) {
        const reply = await api.query(path, undefined, token);
        assert.equal(reply.status, 401, `${path} with ${String(token)}`);
        assert.equal(reply.body.error?.data.code, 'UNAUTHORIZED');
        assert.equal(reply.headers.get('www-authenticate'), 'Bearer');
        assert.equal(reply.body.result, undefined);
      }
    }
  });

  test('mutations without a valid token are 401 and change nothing', async () => {
    const [unread] = await api.sql<{ id: string }>('SELECT id::text AS id FROM alerts WHERE user_id = $1 AND read_at IS NULL LIMIT 1', [
      alice,
    ]);
    assert.ok(unread);
    assert.equal((await api.mutate('alerts.markRead', { alertId: unread.id })).status, 401);
    assert.equal((await api.mutate('alerts.markRead', { alertId: unread.id }, 'x.y.z')).status, 401);
    assert.equal((await api.mutate('profile.update', { fullName: 'Mallory' })).status, 401);
    const [row] = await api.sql<{ read: boolean }>('SELECT read_at IS NOT NULL AS read FROM alerts WHERE id = $1', [unread.id]);
    assert.equal(row?.read, false);
    const [user] = await api.sql<{ full_name: string }>('SELECT full_name FROM users WHERE id = $1', [alice]);
    assert.notEqual(user?.full_name, 'Mallory');
  });

  test('non-canonical spellings of a valid token are 401, never read as the token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expiry = now + 3600;
    const signed = (claims: string) => createHmac('sha256', AUTH_SECRET).update(`sqlbound-auth-v1:${claims}`).digest('base64url');
    const valid = `${alice}.${expiry}.${signed(`${alice}.${expiry}`)}`;
    assert.equal((await api.query('profile.get', undefined, valid)).status, 200, 'the canonical token works');
    const signature = valid.split('.')[2] ?? '';
    // The signature's last character carries two spare bits: another character there decodes to the same bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const spare = `${signature.slice(0, -1)}${alphabet[alphabet.indexOf(signature.at(-1) ?? 'A') ^ 1] ?? ''}`;
    assert.deepEqual(Buffer.from(spare, 'base64url'), Buffer.from(signature, 'base64url'));
    const variants: [string, string][] = [
      ['zero-padded expiry, original signature', `${alice}.0${expiry}.${signature}`],
      ['zero-padded expiry, signed as padded', `${alice}.0${expiry}.${signed(`${alice}.0${expiry}`)}`],
      ['zero-padded user id', `0${alice}.${expiry}.${signed(`0${alice}.${expiry}`)}`],
      ['plus sign on the user id', `+${alice}.${expiry}.${signed(`+${alice}.${expiry}`)}`],
      ['plus sign on the expiry', `${alice}.+${expiry}.${signed(`${alice}.+${expiry}`)}`],
      ['non-canonical base64url signature', `${alice}.${expiry}.${spare}`],
      ['padded signature', `${valid}=`],
      ['space inside', `${alice}. ${expiry}.${signature}`],
    ];
    for (const [label, token] of variants) {
      const reply = await api.query('profile.get', undefined, token);
      assert.equal(reply.status, 401, label);
      assert.match(reply.body.error?.message ?? '', /invalid bearer token/, label);
    }
    for (const header of [`Bearer\t${valid}`, `Bearer ${valid}\u000b`]) {
      assert.equal(verifyAuthorization(AUTH_SECRET, header).kind, 'invalid', JSON.stringify(header));
    }
  });

  test('the Authorization header must be a bearer token', async () => {
    const token = api.token(alice);
    for (const header of [`Basic ${token}`, token, `Bearer ${token} extra`]) {
      const response = await fetch(`${api.base}/trpc/profile.get`, { headers: { authorization: header } });
      assert.equal(response.status, 401, header);
    }
    assert.equal((await fetch(`${api.base}/trpc/profile.get`, { headers: { authorization: `bearer ${token}` } })).status, 200);
  });

  test('verifyAuthorization explains each failure', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const token = issueToken(AUTH_SECRET, '42', { ttlSeconds: 10, now });
    assert.deepEqual(verifyAuthorization(AUTH_SECRET, `Bearer ${token}`, now), { kind: 'user', userId: '42' });
    assert.deepEqual(verifyAuthorization(AUTH_SECRET, `Bearer ${token}`, new Date(now.getTime() + 10_000)), {
      kind: 'invalid',
      reason: 'token expired',
    });
    assert.deepEqual(verifyAuthorization(AUTH_SECRET, undefined, now), { kind: 'anonymous' });
    assert.equal(verifyAuthorization(AUTH_SECRET, `Bearer ${token.slice(0, -1)}A`, now).kind, 'invalid');
    assert.throws(() => issueToken('short', '1'), /at least 32/);
  });

  test('the verifier that remembers verified headers answers as verifyAuthorization does, expiry included', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const later = (ms: number) => new Date(now.getTime() + ms);
    const verify = createAuthVerifier(AUTH_SECRET, 2);
    const tokens = ['42', '43', '44'].map((userId) => issueToken(AUTH_SECRET, userId, { ttlSeconds: 10, now }));
    const forged = `Bearer ${tokens[0]?.slice(0, -1) ?? ''}A`;
    const headers = [...tokens.map((token) => `Bearer ${token}`), `bearer  ${tokens[1] ?? ''}`, forged, 'Basic abc', ' ', undefined];
    // Twice over, past the bound of 2 (the least recently used go), then after the tokens expired: remembered or not, the same answer.
    for (const at of [now, later(1000), later(9999), later(10_000), later(60_000)]) {
      for (const header of headers) {
        assert.deepEqual(verify(header, at), verifyAuthorization(AUTH_SECRET, header, at), `${String(header)} at ${at.toISOString()}`);
      }
    }
    assert.deepEqual(verify(`Bearer ${tokens[2] ?? ''}`, later(9999)), { kind: 'user', userId: '44' });
    // A remembered header never outlives its token.
    assert.deepEqual(verify(`Bearer ${tokens[2] ?? ''}`, later(10_000)), { kind: 'invalid', reason: 'token expired' });
    assert.equal(verify(forged, now).kind, 'invalid');
    // Another secret's verifier does not accept this one's tokens, remembered elsewhere or not.
    assert.equal(createAuthVerifier('another-secret-that-is-long-enough-000000')(`Bearer ${tokens[0] ?? ''}`, now).kind, 'invalid');
  });
});

describe('isolation', () => {
  test('each user sees only their own alerts, exposures, scans, profile and dashboard', async () => {
    const aliceAlerts = await alertIdsOf(alice);
    const page = data<Page<Alert>>(await api.query('alerts.list', { limit: 100 }, api.token(alice)));
    // every() holds on an empty list: each list must hold rows for the check to mean anything.
    assert.ok(page.items.length > 0 && aliceAlerts.size > 0, 'alice has alerts');
    assert.equal(page.items.length, Math.min(100, aliceAlerts.size), 'alice sees all of hers');
    assert.ok(page.items.every((alert) => aliceAlerts.has(alert.id)));
    assert.equal(data<{ id: string }>(await api.query('profile.get', undefined, api.token(alice))).id, alice);
    assert.equal(data<{ user_id: string }>(await api.query('dashboard.get', undefined, api.token(bob))).user_id, bob);
    const exposures = data<Page<{ id: string }>>(await api.query('exposures.list', { limit: 100 }, api.token(alice)));
    const aliceExposures = new Set(
      (await api.sql<{ id: string }>('SELECT id::text AS id FROM exposures WHERE user_id = $1', [alice])).map((row) => row.id),
    );
    assert.ok(exposures.items.length > 0, 'alice has exposures');
    assert.ok(exposures.items.every((exposure) => aliceExposures.has(exposure.id)));
    const scans = data<Page<{ id: string }>>(await api.query('scans.list', { limit: 100 }, api.token(alice)));
    const aliceScans = new Set(
      (await api.sql<{ id: string }>('SELECT id::text AS id FROM scans WHERE user_id = $1', [alice])).map((row) => row.id),
    );
    assert.ok(scans.items.length > 0, 'alice has scans');
    assert.ok(scans.items.every((scan) => aliceScans.has(scan.id)));
  });

  test('a userId in the input is rejected, not obeyed', async () => {
    for (const path of ['alerts.list', 'exposures.list', 'scans.list']) {
      const reply = await api.query(path, { userId: bob }, api.token(alice));
      assert.equal(reply.status, 400, path);
      assert.match(reply.body.error?.message ?? '', /Unrecognized key.*userId/);
    }
    const update = await api.mutate('profile.update', { userId: bob, fullName: 'Mallory' }, api.token(alice));
    assert.equal(update.status, 400);
    const [user] = await api.sql<{ full_name: string }>('SELECT full_name FROM users WHERE id = $1', [bob]);
    assert.notEqual(user?.full_name, 'Mallory');
  });

  test("marking another user's alert is 404 and changes nothing", async () => {
    const [bobs] = await api.sql<{ id: string }>('SELECT id::text AS id FROM alerts WHERE user_id = $1 AND read_at IS NULL LIMIT 1', [bob]);
    assert.ok(bobs);
    const reply = await api.mutate('alerts.markRead', { alertId: bobs.id }, api.token(alice));
    assert.equal(reply.status, 404);
    assert.equal(reply.body.error?.data.code, 'NOT_FOUND');
    const [row] = await api.sql<{ read: boolean }>('SELECT read_at IS NOT NULL AS read FROM alerts WHERE id = $1', [bobs.id]);
    assert.equal(row?.read, false);
    // The same answer as for an alert that does not exist: nothing tells the two apart.
    const missing = await api.mutate('alerts.markRead', { alertId: '999999999' }, api.token(alice));
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error?.message, 'no unread alert 999999999');
    assert.equal(reply.body.error?.message, `no unread alert ${bobs.id}`);
  });

  test("another user's cursor is a 400 on every list: it is sealed to the user who was given it", async () => {
    // Two pages on every list, whatever the seed gave bob.
    await api.sql(`INSERT INTO scans (user_id, status) SELECT $1, 'queued' FROM generate_series(1, 2)`, [bob]);
    for (const path of ['alerts.list', 'exposures.list', 'scans.list']) {
      const bobsFirst = data<Page<Alert>>(await api.query(path, { limit: 1 }, api.token(bob)));
      assert.ok(bobsFirst.nextCursor, path);
      const reply = await api.query(path, { limit: 100, cursor: bobsFirst.nextCursor }, api.token(alice));
      assert.equal(reply.status, 400, path);
      assert.match(reply.body.error?.message ?? '', /invalid cursor/, path);
      assert.equal(reply.body.result, undefined, path);
      // Bob himself still continues with it.
      assert.equal((await api.query(path, { limit: 1, cursor: bobsFirst.nextCursor }, api.token(bob))).status, 200, path);
    }
  });

  test("a cursor of another procedure is a 400, not another user's data", async () => {
    const brokers = data<Page<{ id: string }>>(await api.query('brokers.list', { limit: 1 }));
    assert.ok(brokers.nextCursor);
    const reply = await api.query('alerts.list', { cursor: brokers.nextCursor }, api.token(alice));
    assert.equal(reply.status, 400);
    assert.match(reply.body.error?.message ?? '', /invalid cursor/);
  });
});
