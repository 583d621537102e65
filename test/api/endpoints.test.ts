// Every endpoint over real HTTP against a seeded database, in strict N+1 mode, plus pagination through the API.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { data, pickUsers, startApi, type Api, type Page } from './support.js';

type Alert = { id: string; created_at: string; read_at: string | null; severity: string };

// Top-level await: the harness registers its cleanup with after() at file level.
const api: Api = await startApi();
const { typical, heavy } = await pickUsers(api);
{
  // The seed's heaviest user has tens of rows; give it a thousand alerts, exposures and scans so that
  // "the same statements for 10 rows or 1000" is tested at that size.
  await api.sql(
    `INSERT INTO alerts (user_id, kind, severity, title, body, created_at)
     SELECT $1, 'breach', 'high', 'Bulk ' || i, 'bulk alert', now() - make_interval(mins => i) FROM generate_series(1, 1000) AS i`,
    [heavy],
  );
  await api.sql(
    `INSERT INTO exposures (user_id, broker_id, status, created_at)
     SELECT $1, 1 + i % 250, 'detected', now() - make_interval(mins => i) FROM generate_series(1, 1000) AS i`,
    [heavy],
  );
  await api.sql(
    `INSERT INTO scans (user_id, status, created_at) SELECT $1, 'queued', now() - make_interval(mins => i) FROM generate_series(1, 1000) AS i`,
    [heavy],
  );
}

describe('every endpoint', () => {
  test("dashboard.get returns the caller's summary", async () => {
    const dashboard = data<{ user_id: string; total_alerts: number; recentAlerts: unknown[] }>(
      await api.query('dashboard.get', undefined, api.token(typical)),
    );
    assert.equal(dashboard.user_id, typical);
    assert.ok(Array.isArray(dashboard.recentAlerts));
  });

  test('alerts.list with and without filters', async () => {
    const all = data<Page<Alert>>(await api.query('alerts.list', undefined, api.token(typical)));
    assert.ok(all.items.length > 0);
    const high = data<Page<Alert>>(await api.query('alerts.list', { severity: 'high', unreadOnly: true }, api.token(heavy)));
    assert.ok(high.items.length > 0);
    assert.ok(high.items.every((alert) => alert.severity === 'high' && alert.read_at === null));
  });

  test("alerts.markRead marks the caller's unread alert, then answers 404 for it", async () => {
    const page = data<Page<Alert>>(await api.query('alerts.list', { unreadOnly: true, limit: 1 }, api.token(typical)));
    const alert = page.items[0];
    assert.ok(alert, 'the typical user has an unread alert');
    const done = data<{ alertId: string; read: true }>(await api.mutate('alerts.markRead', { alertId: alert.id }, api.token(typical)));
    assert.deepEqual(done, { alertId: alert.id, read: true });
    const [row] = await api.sql<{ read: boolean }>('SELECT read_at IS NOT NULL AS read FROM alerts WHERE id = $1', [alert.id]);
    assert.equal(row?.read, true);
    const again = await api.mutate('alerts.markRead', { alertId: alert.id }, api.token(typical));
    assert.equal(again.status, 404);
  });

  test('exposures.list with broker and latest alerts, filtered by status', async () => {
    const page = data<Page<{ status: string; broker: { id: string }; latestAlerts: unknown[] }>>(
      await api.query('exposures.list', { status: 'detected' }, api.token(heavy)),
    );
    assert.equal(page.items.length, 50);
    assert.ok(page.items.every((exposure) => exposure.status === 'detected' && typeof exposure.broker.id === 'string'));
  });

  test('profile.get and profile.update', async () => {
    const before = data<{ id: string; full_name: string }>(await api.query('profile.get', undefined, api.token(typical)));
    assert.equal(before.id, typical);
    const updated = data<{ full_name: string; phone: string | null }>(
      await api.mutate('profile.update', { fullName: 'Grace Hopper', phone: '+1 555 0100' }, api.token(typical)),
    );
    assert.equal(updated.full_name, 'Grace Hopper');
    assert.equal(updated.phone, '+1 555 0100');
    const after = data<{ full_name: string }>(await api.query('profile.get', undefined, api.token(typical)));
    assert.equal(after.full_name, 'Grace Hopper');
  });

  test('subscription.status is the row or null', async () => {
    const status = data<{ plan: string; status: string } | null>(await api.query('subscription.status', undefined, api.token(typical)));
    if (status !== null) assert.equal(typeof status.plan, 'string');
    const [none] = await api.sql<{ id: string }>(
      'SELECT u.id::text AS id FROM users u WHERE NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.user_id = u.id) LIMIT 1',
    );
    if (none !== undefined) assert.equal(data(await api.query('subscription.status', undefined, api.token(none.id))), null);
  });

  test('brokers.list is public and pages through every broker', async () => {
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: Page<{ id: string }> = data(await api.query('brokers.list', { limit: 100, cursor }));
      for (const broker of page.items) seen.add(broker.id);
      cursor = page.nextCursor;
    } while (cursor !== null);
    assert.equal(seen.size, 250);
  });

  test('scans.list', async () => {
    const page = data<Page<{ id: string }>>(await api.query('scans.list', { limit: 100 }, api.token(heavy)));
    assert.equal(page.items.length, 100);
    assert.ok(page.nextCursor);
  });

  test('healthz and metrics', async () => {
    const health = await fetch(`${api.base}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
    // No metrics option in this app: the route is not served.
    assert.equal((await fetch(`${api.base}/metrics`)).status, 404);
  });
});

describe('pagination through the API', () => {
  test('alerts.list walks every page of the heavy user in order, without repeats', async () => {
    const [{ count } = { count: '0' }] = await api.sql<{ count: string }>('SELECT count(*)::text AS count FROM alerts WHERE user_id = $1', [
      heavy,
    ]);
    const ids: string[] = [];
    let previous: Alert | undefined;
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page<Alert> = data(await api.query('alerts.list', { limit: 100, cursor }, api.token(heavy)));
      for (const alert of page.items) {
        if (previous !== undefined) {
          const order = previous.created_at.localeCompare(alert.created_at) || Number(BigInt(previous.id) - BigInt(alert.id));
          assert.ok(order > 0 || (previous.created_at === alert.created_at && BigInt(previous.id) > BigInt(alert.id)));
        }
        previous = alert;
        ids.push(alert.id);
      }
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null);
    assert.equal(ids.length, Number(count));
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(pages, Math.ceil(Number(count) / 100));
  });

  test('limit 1 and 100 work; the default is 50; 101 is a 400', async () => {
    const token = api.token(heavy);
    assert.equal(data<Page<Alert>>(await api.query('alerts.list', { limit: 1 }, token)).items.length, 1);
    assert.equal(data<Page<Alert>>(await api.query('alerts.list', { limit: 100 }, token)).items.length, 100);
    assert.equal(data<Page<Alert>>(await api.query('alerts.list', {}, token)).items.length, 50);
    const tooMany = await api.query('alerts.list', { limit: 101 }, token);
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.body.error?.message ?? '', /limit must be at most 100/);
  });

  test("limit 1 walks a small user's alerts one by one", async () => {
    const [{ count } = { count: '0' }] = await api.sql<{ count: string }>('SELECT count(*)::text AS count FROM alerts WHERE user_id = $1', [
      typical,
    ]);
    let cursor: string | null = null;
    let seen = 0;
    do {
      const page: Page<Alert> = data(await api.query('alerts.list', { limit: 1, cursor }, api.token(typical)));
      seen += page.items.length;
      cursor = page.nextCursor;
    } while (cursor !== null);
    assert.equal(seen, Number(count));
  });
});

describe('statements per request', () => {
  const calls: { path: string; input?: unknown; mutation?: boolean }[] = [
    { path: 'dashboard.get' },
    { path: 'alerts.list', input: { limit: 100 } },
    { path: 'exposures.list', input: { limit: 100 } },
    { path: 'profile.get' },
    { path: 'subscription.status' },
    { path: 'scans.list', input: { limit: 100 } },
    { path: 'brokers.list', input: { limit: 100 } },
    { path: 'profile.update', input: { fullName: 'Same Name' }, mutation: true },
  ];

  async function statementsFor(userId: string): Promise<Record<string, number>> {
    const totals: Record<string, number> = {};
    for (const call of calls) {
      const before = api.scopes.length;
      const reply = call.mutation
        ? await api.mutate(call.path, call.input, api.token(userId))
        : await api.query(call.path, call.input, api.token(userId));
      data(reply);
      const reports = api.scopes.slice(before);
      assert.equal(reports.length, 1, `${call.path} ran one procedure`);
      totals[call.path] = reports[0]?.total ?? -1;
    }
    return totals;
  }

  test('every endpoint runs one statement, whether the user has a few rows or a thousand', async () => {
    const few = await statementsFor(typical);
    const many = await statementsFor(heavy);
    assert.deepEqual(many, few);
    for (const [path, total] of Object.entries(few)) assert.equal(total, 1, `${path} runs one statement`);
  });

  test('a refused call runs no statement and still reports its scope, once', async () => {
    const before = api.scopes.length;
    const refused = await api.query('alerts.list', { limit: 5 }, 'not-a-token');
    assert.equal(refused.status, 401);
    assert.match(refused.body.error?.message ?? '', /^invalid bearer token: /);
    assert.deepEqual(
      api.scopes.slice(before).map((report) => [report.path, report.total, report.byQuery]),
      [['alerts.list', 0, {}]],
    );
  });

  test('a later page costs the same as the first', async () => {
    const first = data<Page<Alert>>(await api.query('alerts.list', { limit: 100 }, api.token(heavy)));
    const before = api.scopes.length;
    data(await api.query('alerts.list', { limit: 100, cursor: first.nextCursor }, api.token(heavy)));
    assert.equal(api.scopes[before]?.total, 1);
  });
});
