// Every metric and label that ops/prometheus/alerts.yml and ops/grafana/sqlbound.json name is one the example API
// really serves at /metrics: the API runs on a real database and gets traffic that touches every instrument (a
// cache miss and hit, a write that invalidates, an error, a slow statement, a pool wait), and a second app on a
// database that refuses connections shows the signal SqlboundDatabaseUnreachable reads.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { createDb } from 'sqlbound';
import { loadManifest } from '@sqlbound/cli/codegen';
import { manifestPath } from '../../src/server/paths.js';
import { seed } from '../../src/server/seed.js';
import { freePort, urlFor } from '../../codegen/database/server.js';
import { startReplica } from '../../codegen/database/replica.js';
import { createPrometheusMetrics } from '../../src/server/prometheus.js';
import { buildApp } from '../../src/server/app.js';
import { issueToken } from '../../src/server/auth.js';
import { testDatabase } from '../support/database.js';
import { labelValues, parseExposition, type Exposition } from './exposition.js';
import { alertRules, dashboardQueries, type Query } from './ops-files.js';
import { promqlReferences } from './promql.js';

const AUTH_SECRET = 'ops-test-auth-secret-0123456789abcdef0123';
/** Labels Prometheus attaches to every scraped series; the exporter does not serve them. */
const TARGET_LABELS = new Set(['job', 'instance']);
/** Named by alerts.yml ahead of the runtime; each must NOT be exported yet, so the entry goes when it is. */
const NOT_EXPORTED_YET = new Map<string, string>();

type Api = { base: string; close(): Promise<void> };

async function serve(connectionString: string, options: { slowQueryErrorMs?: number; replicaUrl?: string } = {}) {
  const metrics = createPrometheusMetrics();
  const db = createDb({
    connectionString,
    max: 2,
    connectionTimeoutMillis: 2000,
    cursorSecret: 'ops-test-cursor-secret',
    logger: pino({ level: 'silent' }),
    meterProvider: metrics.meterProvider,
    cache: {},
    // A streaming replica, so the replica series (sqlbound_replica_lag for SqlboundReplicaLag) are served too.
    ...(options.replicaUrl === undefined
      ? {}
      : { replicas: [{ connectionString: options.replicaUrl, name: 'replica1', max: 2 }], replicaCheckIntervalMs: 100 }),
    ...(options.slowQueryErrorMs === undefined
      ? {}
      : { slowQueryWarnMs: options.slowQueryErrorMs / 2, slowQueryErrorMs: options.slowQueryErrorMs }),
  });
  const app = await buildApp({ db, authSecret: AUTH_SECRET, metrics });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const api: Api = {
    base: `http://127.0.0.1:${address.port}`,
    async close() {
      await app.close();
      await db.close();
      await metrics.shutdown();
    },
  };
  return { api, db };
}

async function get(base: string, path: string, userId?: string, body?: unknown): Promise<number> {
  const headers: Record<string, string> = userId === undefined ? {} : { authorization: `Bearer ${issueToken(AUTH_SECRET, userId)}` };
  const init: RequestInit =
    body === undefined
      ? { headers }
      : { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) };
  const response = await fetch(`${base}${path}`, init);
  await response.arrayBuffer();
  return response.status;
}

let healthyText = '';
let unreachableText = '';
const exposition: Exposition = new Map();
const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

before(async () => {
  const database = await testDatabase();
  await seed(database.url, { users: 20, seed: 1 });
  const replica = await startReplica({ primaryUrl: database.adminUrl, name: 'opsreplica' });
  closers.push(() => replica.stop());
  const { api, db } = await serve(database.url, { slowQueryErrorMs: 100, replicaUrl: replica.url(database.name) });
  closers.push(() => api.close());
  const deadline = Date.now() + 15_000;
  while (db.replicaStatus()[0]?.health.kind !== 'up' && Date.now() < deadline)
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  const [unread] = (
    await db.execute<{ id: string; user_id: string }>(
      {
        name: 'opsUnreadAlert',
        text: 'SELECT id::text AS id, user_id::text AS user_id FROM alerts WHERE read_at IS NULL ORDER BY id LIMIT 1',
      },
      [],
    )
  ).rows;
  assert.ok(unread !== undefined, 'the seed has an unread alert');
  const user = unread.user_id;
  assert.equal(await get(api.base, '/trpc/dashboard.get', user), 200); // cache miss
  assert.equal(await get(api.base, '/trpc/dashboard.get', user), 200); // cache hit
  assert.equal(await get(api.base, '/trpc/alerts.list', user), 200);
  assert.equal(await get(api.base, '/trpc/alerts.markRead', user, { alertId: unread.id }), 200); // invalidates
  assert.equal(await get(api.base, '/healthz'), 200);
  // An error and a slow statement, through the same runtime and meter provider as the API's calls.
  await assert.rejects(db.execute({ name: 'opsDivideByZero', text: 'SELECT 1/0' }, []));
  await db.execute({ name: 'opsSlow', text: 'SELECT pg_sleep(0.15)' }, []);
  healthyText = await (await fetch(`${api.base}/metrics`)).text();

  // Nothing listens on this port: every connection is refused, as when the database is down.
  const refused = await serve(urlFor(await freePort(), 'sqlbound'));
  closers.push(() => refused.api.close());
  assert.equal(await get(refused.api.base, '/healthz'), 503);
  unreachableText = await (await fetch(`${refused.api.base}/metrics`)).text();

  parseExposition(healthyText, exposition);
  parseExposition(unreachableText, exposition);
});

/** The problems of one expression: metrics not served, and labels none of its metrics carries. */
function problems(query: Query): string[] {
  const refs = promqlReferences(query.expr);
  const found: string[] = [];
  if (refs.metrics.size === 0) found.push(`${query.where}: names no metric`);
  const carried = new Set(TARGET_LABELS);
  let checkLabels = true;
  for (const metric of refs.metrics) {
    if (NOT_EXPORTED_YET.has(metric)) {
      checkLabels = false; // nothing to compare with until the runtime exports it
      continue;
    }
    const labels = exposition.get(metric);
    if (labels === undefined) found.push(`${query.where}: ${metric} is not served at /metrics`);
    for (const label of labels ?? []) carried.add(label);
  }
  if (checkLabels) {
    for (const label of [...refs.labels, ...query.labels]) {
      if (!carried.has(label)) found.push(`${query.where}: label ${label} is on none of ${[...refs.metrics].join(', ')}`);
    }
  }
  return found;
}

describe('ops/ names only what /metrics serves', () => {
  test('the traffic reached every instrument the ops files rely on', () => {
    // Without these the name check below would be weaker than it looks: a histogram with no observation, or a
    // counter never incremented, is not served at all.
    for (const name of [
      'db_client_operation_duration_bucket',
      'db_client_connection_wait_time_bucket',
      'db_client_response_returned_rows_bucket',
      'db_client_connection_count',
      'db_client_connection_pending_requests',
      'sqlbound_slow_queries_total',
      'sqlbound_cache_hits_total',
      'sqlbound_cache_misses_total',
      'sqlbound_cache_invalidations_total',
      'sqlbound_query_budget',
    ]) {
      assert.ok(exposition.has(name), `${name} is served`);
    }
    assert.ok(labelValues(healthyText, 'db_client_operation_duration_count', 'outcome').has('error'));
  });

  test('every alert rule names served metrics and labels', async () => {
    const rules = await alertRules();
    assert.ok(rules.length >= 5);
    assert.deepEqual(
      rules.flatMap((rule) => problems({ where: `alert ${rule.alert}`, expr: rule.expr, labels: [] })),
      [],
    );
  });

  test('every dashboard query names served metrics and labels', async () => {
    const queries = await dashboardQueries();
    assert.ok(queries.length >= 10);
    assert.deepEqual(queries.flatMap(problems), []);
  });

  test('a name served nowhere is caught (the check is not vacuous)', () => {
    const typo = problems({ where: 'typo', expr: 'rate(db_client_operation_duration_seconds_count[5m])', labels: [] });
    assert.deepEqual(typo, ['typo: db_client_operation_duration_seconds_count is not served at /metrics']);
    const wrongLabel = problems({
      where: 'label',
      expr: 'sum by (db_query_name) (rate(db_client_operation_duration_count[5m]))',
      labels: [],
    });
    assert.deepEqual(wrongLabel, ['label: label db_query_name is on none of db_client_operation_duration_count']);
  });

  test('names used ahead of the runtime are not served yet, and only alerts.yml uses them', async () => {
    for (const [name, why] of NOT_EXPORTED_YET)
      assert.ok(!exposition.has(name), `${name} is served now (${why}): drop it from NOT_EXPORTED_YET`);
    const dashboardMetrics = (await dashboardQueries()).flatMap((query) => [...promqlReferences(query.expr).metrics]);
    for (const name of NOT_EXPORTED_YET.keys())
      assert.ok(!dashboardMetrics.includes(name), `the dashboard shows ${name}, which is not served`);
  });
});

describe('the signals behind the alerts', () => {
  test('a refused database shows as calls with error_type="UNAVAILABLE" (SqlboundDatabaseUnreachable)', () => {
    assert.deepEqual([...labelValues(unreachableText, 'db_client_operation_duration_count', 'error_type')], ['UNAVAILABLE']);
    assert.deepEqual([...labelValues(unreachableText, 'db_client_operation_duration_count', 'outcome')], ['error']);
  });

  test('the duration histogram has the exact 1 s boundary SqlboundSlowQuery subtracts', () => {
    assert.ok(labelValues(healthyText, 'db_client_operation_duration_bucket', 'le').has('1'));
  });

  test("every query's budget is served in seconds, under the label the duration histogram uses", async () => {
    const manifest = await loadManifest(manifestPath);
    const expected = new Map(
      manifest.queries.flatMap((query) => (query.budgetMs === null ? [] : [[query.name, query.budgetMs / 1000] as const])),
    );
    assert.ok(expected.size > 0);
    const served = new Map<string, number>();
    for (const line of healthyText.split('\n')) {
      const match = /^sqlbound_query_budget\{.*db_query_summary="([^"]+)".*\} (\S+)$/.exec(line);
      if (match?.[1] !== undefined && match[2] !== undefined) served.set(match[1], Number(match[2]));
    }
    assert.deepEqual(served, expected);
    // The `on (db_query_summary)` join of SqlboundQueryOverBudget: the calls above carry the same names.
    for (const name of ['getDashboard', 'listAlerts', 'markAlertRead']) {
      assert.ok(labelValues(healthyText, 'db_client_operation_duration_count', 'db_query_summary').has(name), name);
      assert.ok(served.has(name), name);
    }
  });
});
