// The Grafana dashboard is importable as is and shows what issue 17 asks of it: query p95 by name, calls, pool,
// cache hit rate and errors. (That its names are served is metric-names.test.ts; that its PromQL parses is
// alerts.test.ts.)
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { dashboardPath, dashboardQueries } from './ops-files.js';
import { promqlReferences } from './promql.js';

type Panel = { id: number; type: string; title: string; datasource?: { uid?: string }; targets?: { expr?: string; refId?: string }[] };

const dashboard = JSON.parse(await readFile(dashboardPath, 'utf8')) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string }[] };
};

test('every panel has a unique id and queries the chosen Prometheus data source', () => {
  assert.match(dashboard.uid, /^[\w-]{1,40}$/);
  const ids = dashboard.panels.map((panel) => panel.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(dashboard.templating.list.some((variable) => variable.name === 'datasource' && variable.type === 'datasource'));
  for (const panel of dashboard.panels.filter((candidate) => candidate.type !== 'row')) {
    assert.equal(panel.datasource?.uid, '${datasource}', panel.title);
    assert.ok((panel.targets ?? []).length > 0, `${panel.title} has no query`);
    const refIds = (panel.targets ?? []).map((target) => target.refId);
    assert.equal(new Set(refIds).size, refIds.length, `${panel.title}: refIds repeat`);
  }
});

test('it shows query p95 by name, calls, errors, the pool and the cache hit rate', async () => {
  const queries = await dashboardQueries();
  const shows = (description: string, predicate: (expr: string, metrics: Set<string>) => boolean) =>
    assert.ok(
      queries.some((query) => predicate(query.expr, promqlReferences(query.expr).metrics)),
      description,
    );
  shows(
    'p95 by query name',
    (expr, metrics) =>
      /histogram_quantile\(0\.95, sum by \([^)]*db_query_summary/.test(expr) && metrics.has('db_client_operation_duration_bucket'),
  );
  shows(
    'calls by query name',
    (expr, metrics) =>
      /by \(db_query_summary\)/.test(expr) && metrics.has('db_client_operation_duration_count') && !expr.includes('outcome='),
  );
  shows(
    'errors by type',
    (expr, metrics) => expr.includes('outcome="error"') && expr.includes('error_type') && metrics.has('db_client_operation_duration_count'),
  );
  shows(
    'connections by state',
    (expr, metrics) => expr.includes('db_client_connection_state') && metrics.has('db_client_connection_count'),
  );
  shows('pool waiters', (_expr, metrics) => metrics.has('db_client_connection_pending_requests'));
  shows(
    'cache hit rate',
    (expr, metrics) => metrics.has('sqlbound_cache_hits_total') && metrics.has('sqlbound_cache_misses_total') && expr.includes('/'),
  );
  shows('budgets', (_expr, metrics) => metrics.has('sqlbound_query_budget'));
});
