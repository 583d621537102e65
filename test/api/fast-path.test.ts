// Single calls take the fast path (a tRPC caller, no Fetch adapter); batches take tRPC's official adapter.
// Both must answer the same thing: same status, same body, same headers that matter.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authorization, startApi } from './support.js';

const api = await startApi({ seedUsers: 30 });
const [user] = await api.sql<{ id: string }>('SELECT id FROM users ORDER BY id LIMIT 1');
assert.ok(user);
const token = api.token(user.id);

async function single(path: string, input: unknown, bearer?: string) {
  const query = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  const response = await fetch(`${api.base}/trpc/${path}${query}`, { headers: authorization(bearer) });
  const body: unknown = await response.json();
  return { status: response.status, headers: response.headers, body };
}

async function batchOfOne(path: string, input: unknown, bearer?: string) {
  const query = `?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: input }))}`;
  const response = await fetch(`${api.base}/trpc/${path}${query}`, { headers: authorization(bearer) });
  const body = (await response.json()) as unknown[];
  return { status: response.status, headers: response.headers, body: body[0] };
}

const cases: [string, string, unknown, string | undefined][] = [
  ['dashboard', 'dashboard.get', undefined, token],
  ['a list page', 'alerts.list', { limit: 3 }, token],
  ['bad input', 'alerts.list', { limit: 101 }, token],
  ['unknown field', 'alerts.list', { limit: 3, userId: '2' }, token],
  ['tampered cursor', 'alerts.list', { cursor: 'abc.def' }, token],
  ['no token', 'profile.get', undefined, undefined],
  ['public', 'brokers.list', { limit: 2 }, undefined],
];

for (const [label, path, input, bearer] of cases) {
  test(`fast path and official adapter agree: ${label}`, async () => {
    const fast = await single(path, input, bearer);
    const official = await batchOfOne(path, input, bearer);
    assert.equal(fast.status, official.status);
    assert.deepEqual(fast.body, official.body);
    assert.equal(fast.headers.get('www-authenticate'), official.headers.get('www-authenticate'));
  });
}

test("the fast path also serves mutations, and a query sent by POST still gets the adapter's 405", async () => {
  const [alert] = await api.sql<{ id: string }>('SELECT id FROM alerts WHERE user_id = $1 AND read_at IS NULL LIMIT 1', [user.id]);
  assert.ok(alert);
  const marked = await api.mutate('alerts.markRead', { alertId: alert.id }, token);
  assert.equal(marked.status, 200);
  const [row] = await api.sql<{ read: boolean }>('SELECT read_at IS NOT NULL AS read FROM alerts WHERE id = $1', [alert.id]);
  assert.equal(row?.read, true);
  const wrongMethod = await fetch(`${api.base}/trpc/dashboard.get`, {
    method: 'POST',
    headers: { ...authorization(token), 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(wrongMethod.status, 405);
  const mutationByGet = await fetch(`${api.base}/trpc/alerts.markRead?input=${encodeURIComponent('{"alertId":"1"}')}`, {
    headers: authorization(token),
  });
  assert.equal(mutationByGet.status, 405);
});
