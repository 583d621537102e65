// Each named query's `-- budget:` as a Prometheus series, sqlbound_query_budget{db_query_summary} in seconds, so an
// alert compares a query's p95 with its budget (ops/prometheus/alerts.yml) without a copy of the budgets that
// could drift from sql/queries. Read from the manifest codegen wrote, the same file the plan audit reads.
import type { Attributes, MeterProvider } from '@opentelemetry/api';
import type { Manifest } from '@sqlbound/cli/codegen';

/** Exported as `sqlbound_query_budget`: the exporter adds no unit suffix, as for db_client_operation_duration. */
const QUERY_BUDGET_METRIC = 'sqlbound.query.budget';

/** Budgets in seconds by query name. A query without `-- budget:` has no entry, so no series and no alert. */
export function queryBudgets(manifest: Manifest): Map<string, number> {
  const budgets = new Map<string, number>();
  for (const query of manifest.queries) {
    if (query.budgetMs !== null) budgets.set(query.name, query.budgetMs / 1000);
  }
  return budgets;
}

/** Registers the budgets as an observable gauge; its label matches the duration histogram's `db.query.summary`. */
export function observeQueryBudgets(meterProvider: MeterProvider, budgets: ReadonlyMap<string, number>): void {
  const gauge = meterProvider.getMeter('sqlbound-api').createObservableGauge(QUERY_BUDGET_METRIC, {
    description: "The query's -- budget: for its p95 (from generated/manifest.json).",
    unit: 's',
  });
  // Built once: a scrape observes fixed values and allocates nothing.
  const observations: [number, Attributes][] = [...budgets].map(([name, seconds]) => [seconds, { 'db.query.summary': name }]);
  gauge.addCallback((result) => {
    for (const [seconds, attributes] of observations) result.observe(seconds, attributes);
  });
}
