// The cache through the API: a repeated dashboard costs no statement; marking an alert read shows at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startApi } from './support.js';

const api = await startApi({ cache: true, responseCache: true, seedUsers: 50 });

test('dashboard.get is served from the cache until a write of the same user invalidates it', async () => {
  const [row] = await api.sql<{ user_id: string; id: string }>(
    'SELECT user_id, id FROM alerts WHERE read_at IS NULL ORDER BY user_id, id LIMIT 1',
  );
  assert.ok(row);
  const [other] = await api.sql<{ id: string }>('SELECT id FROM users WHERE id <> $1 ORDER BY id LIMIT 1', [row.user_id]);
  assert.ok(other);
  const token = api.token(row.user_id);
  const statementsOf = async (call: () => Promise<unknown>) => {
    const before = api.scopes.length;
    await call();
    return api.scopes.slice(before).reduce((sum, report) => sum + report.total, 0);
  };
  const first = await api.query('dashboard.get', undefined, token);
  assert.equal(first.status, 200);
  assert.equal(await statementsOf(() => api.query('dashboard.get', undefined, token)), 0, 'second load is a cache hit');
  await api.query('dashboard.get', undefined, api.token(other.id));
  const marked = await api.mutate('alerts.markRead', { alertId: row.id }, token);
  assert.equal(marked.status, 200);
  let fresh: Awaited<ReturnType<typeof api.query>> | undefined;
  assert.equal(await statementsOf(async () => (fresh = await api.query('dashboard.get', undefined, token))), 1);
  const unread = (body: unknown) => (body as { result: { data: { unread_alerts: number } } }).result.data.unread_alerts;
  assert.equal(unread(fresh?.body), unread(first.body) - 1);
  assert.equal(await statementsOf(() => api.query('dashboard.get', undefined, api.token(other.id))), 0, 'another user stays cached');
});

test('a repeated dashboard is answered from its cached response bytes (no procedure runs); an uncached list runs every time', async () => {
  const [row] = await api.sql<{ user_id: string }>('SELECT user_id FROM alerts ORDER BY user_id DESC LIMIT 1');
  assert.ok(row);
  const token = api.token(row.user_id);
  const first = await api.query('dashboard.get', undefined, token);
  const reportsBefore = api.scopes.length;
  const again = await api.query('dashboard.get', undefined, token);
  assert.deepEqual(again.body, first.body);
  assert.equal(api.scopes.length, reportsBefore, 'no request scope was opened: tRPC and the query did not run');
  for (let k = 0; k < 2; k += 1) {
    const before = api.scopes.length;
    assert.equal((await api.query('alerts.list', { limit: 2 }, token)).status, 200);
    assert.equal(api.scopes.length, before + 1, 'alerts.list reads outside the cache: computed each time');
  }
});
