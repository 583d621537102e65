// Shared by the performance page's tests: the example API with metrics and the page on, on a seeded database with
// pg_stat_statements, and traffic that runs every named query of the manifest once at least.
import { after } from 'node:test';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { createDb, type Db } from 'sqlbound';
import { buildApp } from '../../src/server/app.js';
import { issueToken } from '../../src/server/auth.js';
import { createPrometheusMetrics } from '../../src/server/prometheus.js';
import { seed } from '../../src/server/seed.js';
import { poolerOptions, testDatabase } from './database.js';

export const PAGE_TOKEN = 'perf-page-test-admin-token-0123456789abcdef';
const AUTH_SECRET = 'perf-page-test-auth-secret-0123456789abcdef';

export type PageApi = {
  base: string;
  db: Db;
  url: string;
  auditReportPath: string;
  sql<Row extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<Row[]>;
  call(path: string, userId: string, input?: unknown): Promise<number>;
};

export async function startPageApi(options: { historyIntervalMs?: number; refreshMs?: number } = {}): Promise<PageApi> {
  const database = await testDatabase();
  await seed(database.url, { users: 20, seed: 1 });
  const admin = new pg.Pool({ connectionString: database.url, max: 1 });
  admin.on('error', () => undefined);
  await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  // The seed's inserts would top the list; the page should show the API's own traffic.
  await admin.query('SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)');
  const metrics = createPrometheusMetrics();
  const db = createDb({
    ...poolerOptions(),
    connectionString: database.url,
    max: 4,
    cursorSecret: 'perf-page-test-cursor-secret',
    logger: pino({ level: 'silent' }),
    meterProvider: metrics.meterProvider,
    cache: {},
  });
  const auditReportPath = join(await mkdtemp(join(tmpdir(), 'sqlbound-page-')), 'audit-report.json');
  const app = await buildApp({
    db,
    authSecret: AUTH_SECRET,
    metrics,
    performancePage: {
      adminToken: PAGE_TOKEN,
      auditReportPath,
      catalogCacheMs: 0,
      historyIntervalMs: options.historyIntervalMs ?? 250,
      ...(options.refreshMs === undefined ? {} : { refreshMs: options.refreshMs }),
    },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const base = `http://127.0.0.1:${address.port}`;
  after(async () => {
    await app.close();
    await db.close();
    await metrics.shutdown();
    await admin.end();
  });
  return {
    base,
    db,
    url: database.url,
    auditReportPath,
    sql: async <Row extends pg.QueryResultRow>(text: string, values: unknown[] = []) => (await admin.query<Row>(text, values)).rows,
    async call(path, userId, input) {
      const headers = { authorization: `Bearer ${issueToken(AUTH_SECRET, userId)}` };
      const response =
        input === undefined || !['alerts.markRead', 'profile.update'].includes(path)
          ? await fetch(`${base}/trpc/${path}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`, {
              headers,
            })
          : await fetch(`${base}/trpc/${path}`, {
              method: 'POST',
              headers: { ...headers, 'content-type': 'application/json' },
              body: JSON.stringify(input),
            });
      await response.arrayBuffer();
      return response.status;
    },
  };
}

/** Every procedure, so every named query runs; the dashboard twice (a cache miss, then a hit). */
export async function exerciseEveryQuery(api: PageApi): Promise<void> {
  const [alert] = await api.sql<{ id: string; user_id: string }>(
    'SELECT id::text, user_id::text FROM alerts WHERE read_at IS NULL ORDER BY id LIMIT 1',
  );
  if (alert === undefined) throw new Error('the seed has no unread alert');
  const user = alert.user_id;
  const calls: [string, unknown][] = [
    ['dashboard.get', undefined],
    ['dashboard.get', undefined],
    ['alerts.list', { limit: 5 }],
    ['alerts.markRead', { alertId: alert.id }],
    ['brokers.list', { limit: 5 }],
    ['exposures.list', { limit: 5 }],
    ['profile.get', undefined],
    ['profile.update', { phone: '+1 555 0100' }],
    ['scans.list', { limit: 5 }],
    ['subscription.status', undefined],
  ];
  for (const [path, input] of calls) {
    const status = await api.call(path, user, input);
    if (status !== 200) throw new Error(`${path} answered ${status}`);
  }
}
