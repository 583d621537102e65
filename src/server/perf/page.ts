// The performance page at /_db (docs/operations.md): GET /_db (the page), /_db/main (its refreshable part, HTML)
// and /_db/data.json (the same data for scripts). Every one of them answers 401 with an empty body to anyone
// without the admin token, before any work; the token's rules are in admin-token.ts.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Db } from 'sqlbound';
import type { PrometheusMetrics } from '../prometheus.js';
import type { ScopeReport } from '../trpc.js';
import { isAdmin } from './admin-token.js';
import { auditReader } from './audit-verdicts.js';
import { readCatalog, type CatalogSnapshot } from './catalog.js';
import { createHistory } from './history.js';
import { readQueryMetrics } from './query-metrics.js';
import type { Buckets } from './quantile.js';
import { renderMain, renderPage } from './render.js';
import { createScopeStats } from './scope-stats.js';
import { buildPageData, type ManifestEntry, type PageSources } from './snapshot.js';

export const PAGE_PATH = '/_db';

export type PerfPageOptions = {
  /** The admin token; null turns the page off (every request is answered 401). */
  adminToken: string | null;
  /** The plan audit's JSON report (written by npm run audit next to its Markdown). */
  auditReportPath: string;
  /** How often the page refreshes itself. Default 5000 ms. */
  refreshMs?: number;
  /** One sparkline point per interval. Default 30000 ms, 20 points (the last 10 minutes). */
  historyIntervalMs?: number;
  historyPoints?: number;
  /** Statistics views are read at most once per this, however many viewers refresh. Default 2000 ms. */
  catalogCacheMs?: number;
};

type Context = { db: Db; metrics: PrometheusMetrics | undefined; manifest: readonly ManifestEntry[]; logger: Logger };

/** Registers the routes; returns the hook that feeds the statements-per-request figures from each request scope. */
export function registerPerfPage(
  app: FastifyInstance,
  context: Context,
  options: PerfPageOptions,
): { onScope: (report: ScopeReport) => void } {
  const { db, metrics } = context;
  const refreshMs = options.refreshMs ?? 5000;
  const history = createHistory({ intervalMs: options.historyIntervalMs ?? 30_000, points: options.historyPoints ?? 20 });
  const scopes = createScopeStats();
  const readMetrics = metrics === undefined ? null : async () => readQueryMetrics(await metrics.collect());

  const record = async () => {
    if (readMetrics === null) return;
    const current = await readMetrics();
    history.record(Date.now(), new Map<string, Buckets>([...current].map(([name, m]) => [name, m.buckets])));
  };
  // The first reading starts the first interval; the timer never keeps the process alive.
  void record().catch(() => undefined);
  const timer = setInterval(() => {
    record().catch((error: unknown) => context.logger.warn({ err: error }, 'performance page: reading the metrics failed'));
  }, history.intervalMs);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));

  const catalogCacheMs = options.catalogCacheMs ?? 2000;
  let cached: { at: number; snapshot: Promise<CatalogSnapshot> } | null = null;
  const catalog = () => {
    const now = Date.now();
    if (cached === null || now - cached.at >= catalogCacheMs) {
      const snapshot = readCatalog(db);
      cached = { at: now, snapshot };
      // A failed read is not kept: the next refresh tries again.
      snapshot.catch(() => {
        if (cached?.snapshot === snapshot) cached = null;
      });
    }
    return cached.snapshot;
  };
  const sources: PageSources = {
    db,
    manifest: context.manifest,
    metrics: readMetrics,
    history,
    scopes,
    catalog,
    audit: auditReader(options.auditReportPath),
    refreshMs,
  };

  const guard = async (request: FastifyRequest, reply: FastifyReply) => {
    if (isAdmin(options.adminToken, request.headers.authorization)) return;
    // Nothing about the page, the data or whether a token is configured: the status and the challenge only.
    return reply
      .code(401)
      .header('www-authenticate', 'Basic realm="sqlbound", charset="UTF-8"')
      .header('cache-control', 'no-store')
      .send('');
  };
  const common = (reply: FastifyReply) =>
    reply.header('cache-control', 'no-store').header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');

  app.get(PAGE_PATH, { onRequest: guard }, async (_request, reply) => {
    const nonce = randomBytes(16).toString('base64');
    const html = renderPage(await buildPageData(sources), `${PAGE_PATH}/main`, nonce);
    return common(reply)
      .header(
        'content-security-policy',
        `default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'; connect-src 'self'; frame-ancestors 'none'`,
      )
      .type('text/html; charset=utf-8')
      .send(html);
  });
  app.get(`${PAGE_PATH}/main`, { onRequest: guard }, async (_request, reply) =>
    common(reply)
      .type('text/html; charset=utf-8')
      .send(renderMain(await buildPageData(sources))),
  );
  app.get(`${PAGE_PATH}/data.json`, { onRequest: guard }, async (_request, reply) => common(reply).send(await buildPageData(sources)));

  return { onScope: (report) => scopes.record(report) };
}
