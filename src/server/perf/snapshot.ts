// Everything the page shows, as one plain object: built from the runtime (histograms, slow-call ring, pool), the
// request scopes, the manifest's budgets, the statistics views and the plan audit's report. Served as JSON at
// /_db/data.json and rendered as HTML by render.ts.
import type { Isolation } from '@sqlbound/cli/codegen';
import type { Db, SlowQueryEntry } from 'sqlbound';
import type { AuditVerdicts } from './audit-verdicts.js';
import type { CatalogSnapshot } from './catalog.js';
import type { History } from './history.js';
import type { QueryMetrics } from './query-metrics.js';
import { bucketQuantile } from './quantile.js';
import type { PerRequest, ScopeStats } from './scope-stats.js';

/** ok: p95 within 80% of the budget; near: within it; over: above it; none: no budget; idle: no call yet. */
export type BudgetVerdict = 'ok' | 'near' | 'over' | 'none' | 'idle';

export type QueryRow = {
  name: string;
  /** A named query of the manifest (the others are ad-hoc statements: healthz, Kysely, the page's own). */
  named: boolean;
  kind: string | null;
  calls: number;
  errors: number;
  p50Ms: number | null;
  p95Ms: number | null;
  budgetMs: number | null;
  verdict: BudgetVerdict;
  /** p95 (ms) of each history interval, oldest first. */
  sparkline: (number | null)[];
  cacheHits: number;
  cacheMisses: number;
  cacheHitRate: number | null;
  perRequest: PerRequest | null;
  audit: { verdict: 'ok' | 'violation'; p95Ms: number | null; kinds: string[] } | null;
  /** Owner isolation as codegen proved it; null for an ad-hoc statement. */
  isolation: Isolation | null;
};

type SlowEntry = Omit<SlowQueryEntry, 'at'> & { at: string };

export type PageData = {
  generatedAt: string;
  refreshMs: number;
  sparklineIntervalMs: number;
  queries: QueryRow[];
  pool: { total: number; inUse: number; idle: number; waiting: number; max: number; peakInUse: number; peakWaiting: number; since: string };
  slow: { warnMs: number; errorMs: number; entries: SlowEntry[] };
  procedures: ({ path: string } & PerRequest)[];
  database: { ok: true; catalog: CatalogSnapshot } | { ok: false; error: string };
  audit: { path: string; generatedAt: string; violations: number } | null;
};

/** `isolation`: the manifest's owner isolation verdict (absent where a caller builds entries by hand). */
export type ManifestEntry = { name: string; kind: string; budgetMs: number | null; isolation?: Isolation };

export type PageSources = {
  db: Db;
  manifest: readonly ManifestEntry[];
  /** null when the API serves no metrics (no meter provider to read). */
  metrics: (() => Promise<Map<string, QueryMetrics>>) | null;
  history: History;
  scopes: ScopeStats;
  catalog: () => Promise<CatalogSnapshot>;
  audit: () => Promise<AuditVerdicts | null>;
  refreshMs: number;
};

export function budgetVerdict(p95Ms: number | null, budgetMs: number | null): BudgetVerdict {
  if (p95Ms === null) return 'idle';
  if (budgetMs === null) return 'none';
  if (p95Ms > budgetMs) return 'over';
  return p95Ms > 0.8 * budgetMs ? 'near' : 'ok';
}

export async function buildPageData(sources: PageSources): Promise<PageData> {
  const { db } = sources;
  const [metrics, database, audit] = await Promise.all([
    sources.metrics?.() ?? Promise.resolve(new Map<string, QueryMetrics>()),
    sources.catalog().then(
      (catalog) => ({ ok: true as const, catalog }),
      (error: unknown) => ({ ok: false as const, error: error instanceof Error ? error.message : String(error) }),
    ),
    sources.audit(),
  ]);
  const perQuery = sources.scopes.byQuery();
  const named = new Map(sources.manifest.map((query) => [query.name, query]));
  const others = [...metrics.keys()].filter((name) => !named.has(name)).sort();
  const row = (name: string): QueryRow => {
    const measured = metrics.get(name);
    const listed = named.get(name);
    const p50Ms = measured === undefined ? null : bucketQuantile(measured.buckets, 0.5);
    const p95Ms = measured === undefined ? null : bucketQuantile(measured.buckets, 0.95);
    const budgetMs = listed?.budgetMs ?? null;
    const hits = measured?.cacheHits ?? 0;
    const misses = measured?.cacheMisses ?? 0;
    const audited = audit?.byQuery.get(name);
    return {
      name,
      named: listed !== undefined,
      kind: listed?.kind ?? null,
      calls: measured?.calls ?? 0,
      errors: measured?.errors ?? 0,
      p50Ms,
      p95Ms,
      budgetMs,
      verdict: budgetVerdict(p95Ms, budgetMs),
      sparkline: sources.history.p95Series(name),
      cacheHits: hits,
      cacheMisses: misses,
      cacheHitRate: hits + misses === 0 ? null : hits / (hits + misses),
      perRequest: perQuery.get(name) ?? null,
      audit: audited ?? null,
      isolation: listed?.isolation ?? null,
    };
  };
  const stats = db.poolStats();
  const peaks = db.poolPeaks();
  return {
    generatedAt: new Date().toISOString(),
    refreshMs: sources.refreshMs,
    sparklineIntervalMs: sources.history.intervalMs,
    queries: [...sources.manifest.map((query) => row(query.name)), ...others.map(row)],
    pool: {
      total: stats.total,
      inUse: stats.total - stats.idle,
      idle: stats.idle,
      waiting: stats.waiting,
      max: stats.max,
      peakInUse: peaks.inUse,
      peakWaiting: peaks.waiting,
      since: peaks.since.toISOString(),
    },
    slow: {
      warnMs: db.settings.slowQueryWarnMs,
      errorMs: db.settings.slowQueryErrorMs,
      entries: db.recentSlowQueries().map((entry) => ({ ...entry, at: entry.at.toISOString() })),
    },
    procedures: [...sources.scopes.byProcedure()].map(([path, tally]) => ({ path, ...tally })).sort((a, b) => a.path.localeCompare(b.path)),
    database,
    audit: audit === null ? null : { path: audit.path, generatedAt: audit.generatedAt, violations: audit.violations },
  };
}
