// The performance page at /_db: closed without the admin token, and with it every figure the issue lists, from the
// runtime and the statistics views, at a bounded and measured database cost.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { before, describe, test } from 'node:test';
import { loadManifest } from '@sqlbound/cli/codegen';
import { CATALOG_STATEMENTS, CATALOG_TAG } from '../../src/server/perf/catalog.js';
import { budgetVerdict, type PageData } from '../../src/server/perf/snapshot.js';
import { bucketQuantile } from '../../src/server/perf/quantile.js';
import { ADMIN_TOKEN_VARIABLE, DEV_ADMIN_TOKEN, isAdmin, resolveAdminToken } from '../../src/server/perf/admin-token.js';
import { manifestPath } from '../../src/server/paths.js';
import { exerciseEveryQuery, PAGE_TOKEN, startPageApi } from '../support/perf-page.js';

const api = await startPageApi();
const bearer = { authorization: `Bearer ${PAGE_TOKEN}` };
const basic = { authorization: `Basic ${Buffer.from(`admin:${PAGE_TOKEN}`).toString('base64')}` };
const PATHS = ['/_db', '/_db/main', '/_db/data.json'];
const SECRET = 'secret-param-value-4242';

async function data(): Promise<PageData> {
  const response = await fetch(`${api.base}/_db/data.json`, { headers: bearer });
  assert.equal(response.status, 200);
  return (await response.json()) as PageData;
}

before(async () => {
  await exerciseEveryQuery(api);
  // One slow call (over 500 ms) and one alert (over 1 s), through the runtime, with a parameter that must not show.
  await api.db.execute({ name: 'testSlowSleep', text: 'SELECT pg_sleep(0.55), $1::text AS secret' }, [SECRET]);
  await api.db.execute({ name: 'testAlertSleep', text: 'SELECT pg_sleep(1.05), $1::text AS secret' }, [SECRET]);
  // Two history intervals, so the sparklines have points.
  await new Promise((resolve) => setTimeout(resolve, 600));
  await exerciseEveryQuery(api);
  await new Promise((resolve) => setTimeout(resolve, 300));
});

describe('the admin token', () => {
  test('without it every page path answers 401 with an empty body and a Basic challenge, revealing nothing', async () => {
    const wrong: Record<string, string>[] = [
      {},
      { authorization: 'Bearer not-the-token-0123456789abcdef0123456789' },
      { authorization: `Bearer ${PAGE_TOKEN}x` },
      { authorization: `Basic ${Buffer.from(`admin:${PAGE_TOKEN.slice(1)}`).toString('base64')}` },
      { authorization: `Basic ${Buffer.from(PAGE_TOKEN).toString('base64')}` },
      { authorization: PAGE_TOKEN },
    ];
    for (const path of PATHS) {
      for (const headers of wrong) {
        const response = await fetch(`${api.base}${path}`, { headers });
        assert.equal(response.status, 401, `${path} ${JSON.stringify(headers)}`);
        assert.equal(await response.text(), '');
        assert.equal(response.headers.get('www-authenticate'), 'Basic realm="sqlbound", charset="UTF-8"');
      }
    }
  });

  test('a Bearer header or Basic credentials with the token as password open it', async () => {
    for (const headers of [bearer, basic]) {
      for (const path of PATHS) assert.equal((await fetch(`${api.base}${path}`, { headers })).status, 200, path);
    }
  });

  test('a page without a token answers 401 even to the right header', () => {
    assert.equal(isAdmin(null, bearer.authorization), false);
    assert.equal(isAdmin(PAGE_TOKEN, bearer.authorization), true);
  });

  test('SQLBOUND_ADMIN_TOKEN follows the secrets rules: dev token only in development, off when unset elsewhere', () => {
    const development = { embeddedDatabase: true, host: '127.0.0.1' };
    assert.equal(resolveAdminToken({ ...development, env: {} }), DEV_ADMIN_TOKEN);
    assert.equal(resolveAdminToken({ ...development, env: { NODE_ENV: 'production' } }), null);
    assert.equal(resolveAdminToken({ embeddedDatabase: false, host: '127.0.0.1', env: {} }), null);
    assert.equal(resolveAdminToken({ ...development, host: '0.0.0.0', env: { [ADMIN_TOKEN_VARIABLE]: PAGE_TOKEN } }), PAGE_TOKEN);
    assert.throws(
      () => resolveAdminToken({ ...development, env: { [ADMIN_TOKEN_VARIABLE]: 'short' } }),
      /SQLBOUND_ADMIN_TOKEN is too short/,
    );
    assert.throws(
      () => resolveAdminToken({ ...development, env: { [ADMIN_TOKEN_VARIABLE]: 'admin'.repeat(8) } }),
      /SQLBOUND_ADMIN_TOKEN is guessable .*openssl rand -base64 48/,
    );
    // Any spelling of NODE_ENV but a development one turns the page off rather than serving it with the public token.
    assert.equal(resolveAdminToken({ ...development, env: { NODE_ENV: 'Production' } }), null);
    assert.throws(
      () => resolveAdminToken({ ...development, env: { NODE_ENV: 'production', [ADMIN_TOKEN_VARIABLE]: DEV_ADMIN_TOKEN } }),
      /public development token, which is refused because NODE_ENV=production/,
    );
  });
});

describe('what the page shows', () => {
  test('every named query, with calls, p50 and p95 against its budget, and the verdict class on the p95', async () => {
    const manifest = await loadManifest(manifestPath);
    const page = await data();
    const html = await (await fetch(`${api.base}/_db`, { headers: bearer })).text();
    for (const query of manifest.queries) {
      const row = page.queries.find((r) => r.name === query.name);
      assert.ok(row?.named, query.name);
      assert.ok(row.calls >= 1 || row.cacheHits >= 1, `${query.name} ran`);
      assert.equal(row.budgetMs, query.budgetMs);
      if (row.calls > 0) {
        assert.ok(row.p50Ms !== null && row.p95Ms !== null && row.p50Ms <= row.p95Ms);
        assert.equal(row.verdict, budgetVerdict(row.p95Ms, row.budgetMs));
        assert.ok(['ok', 'near', 'over', 'none'].includes(row.verdict));
      }
      assert.match(html, new RegExp(`<tr data-query="${query.name}"[^>]*>\\s*<td class="name">${query.name}`));
    }
    assert.match(html, /<td class="num v-(ok|near|over)"><b>[\d.]+<\/b><\/td>/);
  });

  test('the p95 sparkline has points from the history intervals', async () => {
    const row = (await data()).queries.find((r) => r.name === 'getDashboard');
    assert.ok(row !== undefined && row.sparkline.some((point) => point !== null), JSON.stringify(row?.sparkline));
    const html = await (await fetch(`${api.base}/_db/main`, { headers: bearer })).text();
    assert.match(html, /<svg class="spark v-\w+"[^>]*>.*<(polyline|circle) /);
  });

  test('cache hit rate and statements per request from the N+1 scope', async () => {
    const page = await data();
    const dashboard = page.queries.find((r) => r.name === 'getDashboard');
    assert.ok(dashboard !== undefined);
    assert.ok(dashboard.cacheHits >= 1 && dashboard.cacheMisses >= 1);
    assert.equal(dashboard.cacheHitRate, dashboard.cacheHits / (dashboard.cacheHits + dashboard.cacheMisses));
    // One statement per dashboard request that missed the cache.
    assert.deepEqual(dashboard.perRequest && { average: dashboard.perRequest.average, max: dashboard.perRequest.max }, {
      average: 1,
      max: 1,
    });
    const procedure = page.procedures.find((p) => p.path === 'dashboard.get');
    assert.ok(procedure !== undefined && procedure.requests === 4 && procedure.max === 1, JSON.stringify(procedure));
  });

  test('the pool: in use, idle, waiting, max and peaks', async () => {
    const { pool } = await data();
    assert.equal(pool.max, 4);
    assert.ok(pool.peakInUse >= 1);
    assert.equal(pool.inUse + pool.idle, pool.total);
    const html = await (await fetch(`${api.base}/_db`, { headers: bearer })).text();
    assert.match(html, /<b id="pool-max">4<\/b>/);
    assert.match(html, /<b id="pool-peak-in-use">[1-4]<\/b>/);
  });

  test('the slow call and the alert the runtime recorded, newest first, without parameter values', async () => {
    const page = await data();
    const slow = page.slow.entries.filter((e) => e.queryName.startsWith('test'));
    assert.deepEqual(
      slow.map((e) => [e.queryName, e.level]),
      [
        ['testAlertSleep', 'error'],
        ['testSlowSleep', 'warn'],
      ],
    );
    assert.deepEqual([page.slow.warnMs, page.slow.errorMs], [500, 1000]);
    const html = await (await fetch(`${api.base}/_db`, { headers: bearer })).text();
    assert.match(html, /<tr class="slow-entry" data-level="error">.*<span class="tag v-over">alert<\/span>.*testAlertSleep/);
    assert.match(html, /<tr class="slow-entry" data-level="warn">.*<span class="tag v-near">slow<\/span>.*testSlowSleep/);
    for (const body of [JSON.stringify(page), html]) assert.doesNotMatch(body, new RegExp(SECRET));
  });

  test('top statements, unused indexes, seq-scanned tables and connections from the statistics views', async () => {
    const page = await data();
    assert.ok(page.database.ok, JSON.stringify(page.database));
    if (!page.database.ok) return;
    const { catalog } = page.database;
    assert.ok(catalog.topStatements !== null && catalog.topStatements.length > 0);
    assert.ok(
      catalog.topStatements.some((s) => /pg_sleep/.test(s.text)),
      'the slow statements are at the top by total time',
    );
    assert.ok(catalog.topStatements.every((s) => !s.text.includes(SECRET) && !s.text.includes(CATALOG_TAG)));
    assert.ok(
      catalog.connections.some((c) => c.state === 'active'),
      "the page's own statement is active",
    );
    assert.ok(catalog.unusedIndexes.length > 0 && catalog.unusedIndexes.length <= 10);
    assert.ok(catalog.seqScannedTables.length <= 10);
    // No replica in this test: the section is left out.
    assert.deepEqual(catalog.replicas, []);
    const html = await (await fetch(`${api.base}/_db`, { headers: bearer })).text();
    for (const id of ['top-statements', 'unused-indexes', 'seq-scans', 'connections'])
      assert.match(html, new RegExp(`<section id="${id}">`));
    assert.doesNotMatch(html, /<section id="replicas">/);
  });

  test("the plan audit's last verdicts once a report exists", async () => {
    assert.equal((await data()).audit, null);
    await writeFile(
      api.auditReportPath,
      JSON.stringify({
        generatedAt: '2026-12-01T10:00:00.000Z',
        violations: 1,
        queries: [
          { name: 'listAlerts', verdict: 'ok', p95Ms: 0.4, budgetMs: 10, findings: [] },
          { name: 'listScans', verdict: 'violation', p95Ms: 31, budgetMs: 10, findings: [{ kind: 'over_budget' }, { kind: 'seq_scan' }] },
        ],
      }),
    );
    const page = await data();
    assert.deepEqual(page.audit, { path: api.auditReportPath, generatedAt: '2026-12-01T10:00:00.000Z', violations: 1 });
    assert.deepEqual(page.queries.find((r) => r.name === 'listScans')?.audit, {
      verdict: 'violation',
      p95Ms: 31,
      kinds: ['over_budget', 'seq_scan'],
    });
    const html = await (await fetch(`${api.base}/_db`, { headers: bearer })).text();
    assert.match(html, /<span class="tag v-over">over_budget, seq_scan<\/span>/);
  });
});

// Database time, not wall clock: the server's own per-statement figures, printed. The 5 ms target is judged by
// `npm run bench` (its page-refresh row) on a quiet machine; a test on a shared CI machine measured the same refresh
// at 4.6 ms of execution and 8.3 ms prepared. Here the bound is a margin no noise crosses (50 ms, the cost of a
// statement that reads every relation's stat files or every pg_stat_statements text), so a real regression fails.
const REGRESSION_BOUND_MS = 50;
describe('the cost of a refresh', () => {
  test('a fixed number of catalog statements per refresh, their execution time printed (pg_stat_statements)', async () => {
    await api.sql('SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)');
    const renders = 10;
    for (let k = 0; k < renders; k++) await data();
    const [cost] = await api.sql<{ calls: string; statements: string; total_ms: number; min_ms: number }>(
      `SELECT sum(calls)::text AS calls, count(*)::text AS statements, sum(total_exec_time)::float8 AS total_ms, sum(min_exec_time)::float8 AS min_ms
       FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query LIKE $1`,
      [`%${CATALOG_TAG}%`],
    );
    assert.equal(Number(cost?.statements), CATALOG_STATEMENTS.length);
    assert.equal(Number(cost?.calls), renders * CATALOG_STATEMENTS.length, 'three statements per refresh, whatever the data');
    const mean = (cost?.total_ms ?? Infinity) / renders;
    const fastest = cost?.min_ms ?? Infinity;
    process.stdout.write(
      `# page refresh: ${CATALOG_STATEMENTS.length} statements, execution ${fastest.toFixed(3)} ms (fastest runs) / ${mean.toFixed(3)} ms (mean of ${renders}), pg_stat_statements\n`,
    );
    assert.ok(fastest < REGRESSION_BOUND_MS, `${fastest} ms of execution per refresh`);
  });

  test('planning plus execution as the page runs them (prepared, EXPLAIN ANALYZE EXECUTE), printed', async () => {
    // The runtime sends them as named prepared statements: each connection plans them once, then reuses the plan.
    // The one-off planning cost is printed, not bounded.
    const explain = async (text: string) => {
      const [plan] = await api.sql<{ 'QUERY PLAN': [{ 'Planning Time': number; 'Execution Time': number }] }>(
        `EXPLAIN (ANALYZE, FORMAT JSON) ${text}`,
      );
      const top = plan?.['QUERY PLAN'][0];
      return { planning: top?.['Planning Time'] ?? Infinity, execution: top?.['Execution Time'] ?? Infinity };
    };
    let fastest = 0;
    let mean = 0;
    let firstPlanning = 0;
    for (const [k, statement] of CATALOG_STATEMENTS.entries()) {
      firstPlanning += (await explain(statement.text)).planning;
      await api.sql(`PREPARE page_cost_${k} AS ${statement.text}`);
      const times: number[] = [];
      for (let run = 0; run < 10; run++) {
        const { planning, execution } = await explain(`EXECUTE page_cost_${k}`);
        times.push(planning + execution);
      }
      await api.sql(`DEALLOCATE page_cost_${k}`);
      fastest += Math.min(...times);
      mean += times.reduce((sum, t) => sum + t, 0) / times.length;
    }
    process.stdout.write(
      `# page refresh: prepared ${fastest.toFixed(3)} ms (fastest runs) / ${mean.toFixed(3)} ms (mean of 10), EXPLAIN ANALYZE EXECUTE; ` +
        `one-off planning ${firstPlanning.toFixed(3)} ms per connection\n`,
    );
    assert.ok(fastest < REGRESSION_BOUND_MS, `${fastest} ms`);
  });

  test('p50 and p95 are read from the buckets the way histogram_quantile reads them', () => {
    const buckets = { boundaries: [1, 2, 5, 10], counts: [0, 10, 0, 0, 0] };
    assert.equal(bucketQuantile(buckets, 0.5), 1.5);
    assert.equal(bucketQuantile(buckets, 0.95), 1.95);
    assert.equal(bucketQuantile({ boundaries: [1], counts: [0, 4] }, 0.95), 1);
    assert.equal(bucketQuantile({ boundaries: [1], counts: [0, 0] }, 0.5), null);
  });
});
