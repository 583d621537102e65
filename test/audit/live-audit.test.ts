// `sqlbound audit --live` on traffic no sqlbound query sent: an ORM-shaped application through plain `pg`, with an
// unindexed filter, a sort no index serves, an N+1 loop and utility statements. The audit must name each problem
// with its table and column, list what EXPLAIN cannot plan as skipped, and exit 1 from the CLI.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { leadingKeyword, runLiveAudit, type LiveAuditResult, type LiveStatement } from '../../codegen/audit/live.js';
import { formatLiveAuditReport } from '../../codegen/audit/live-report.js';
import { testDatabase } from '../support/database.js';

const run = promisify(execFile);

// A shop schema of its own (not the example's): what an application arriving with Drizzle or Prisma might have.
const SCHEMA = `
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE TABLE customer_orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_email text NOT NULL,
  placed_at timestamptz NOT NULL,
  total_cents int NOT NULL
);
CREATE TABLE order_lines (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  order_id bigint NOT NULL REFERENCES customer_orders (id),
  sku text NOT NULL,
  quantity int NOT NULL
);
CREATE INDEX order_lines_order_id_idx ON order_lines (order_id);
INSERT INTO customer_orders (customer_email, placed_at, total_cents)
  SELECT 'c' || (g % 3000) || '@example.com', now() - g * interval '1 minute', g % 9000 FROM generate_series(1, 30000) g;
INSERT INTO order_lines (order_id, sku, quantity) SELECT 1 + g % 30000, 'sku-' || (g % 500), 1 + g % 4 FROM generate_series(1, 60000) g;
ANALYZE;
`;

// Created at the top level, so the database lives until the file ends (not only through the before hook).
const { url } = await testDatabase({ migrated: false });
const bare = await testDatabase({ migrated: false });
let result: LiveAuditResult;

function statement(pattern: RegExp): LiveStatement {
  const found = result.statements.find((s) => pattern.test(s.text));
  assert.ok(found, `a statement matching ${pattern} is in the report:\n${result.statements.map((s) => s.text).join('\n')}`);
  return found;
}

before(async () => {
  const app = new pg.Client({ connectionString: url, application_name: 'shop-orm' });
  await app.connect();
  try {
    await app.query(SCHEMA);
    // Only this database's entries: other test files share the server.
    await app.query('SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)');
    // The ORM's list of one customer's orders: customer_email has no index.
    for (let k = 0; k < 30; k++) {
      await app.query('SELECT id, placed_at, total_cents FROM customer_orders WHERE customer_email = $1', [`c${k}@example.com`]);
    }
    // The latest orders, sorted by a column no index orders.
    for (let k = 0; k < 10; k++) await app.query('SELECT id, customer_email FROM customer_orders ORDER BY placed_at DESC LIMIT 20');
    // The N+1: one statement per order for its lines (indexed, fast, and far too often).
    const orders = await app.query<{ id: string }>('SELECT id FROM customer_orders ORDER BY id LIMIT 600');
    for (const order of orders.rows) await app.query('SELECT id, sku, quantity FROM order_lines WHERE order_id = $1', [order.id]);
    // Utility statements and DDL are tracked too (pg_stat_statements.track_utility is on by default).
    await app.query('CREATE TABLE IF NOT EXISTS audit_scratch (id int)');
    await app.query("SET work_mem = '8MB'");
    await app.query('VACUUM (ANALYZE) audit_scratch');
  } finally {
    await app.end();
  }
  result = await runLiveAudit(url, { top: 50 });
});

describe('audit --live', () => {
  test('the unindexed filter is reported as a seq scan of its table, with the index on its column', () => {
    const byEmail = statement(/WHERE customer_email = \$1/);
    assert.equal(byEmail.calls, 30);
    assert.equal(byEmail.verdict.kind, 'explained');
    if (byEmail.verdict.kind !== 'explained') return;
    const seq = byEmail.verdict.findings.find((f) => f.kind === 'seq_scan');
    assert.ok(seq?.kind === 'seq_scan', JSON.stringify(byEmail.verdict));
    assert.equal(seq.table, 'customer_orders');
    assert.equal(seq.fix, 'CREATE INDEX ON public.customer_orders (customer_email);');
    assert.equal(byEmail.nPlusOne, false);
  });

  test('the sort no index serves is reported with the index that gives its order', () => {
    const latest = statement(/ORDER BY placed_at DESC LIMIT \$1/);
    assert.equal(latest.verdict.kind, 'explained');
    if (latest.verdict.kind !== 'explained') return;
    const sort = latest.verdict.findings.find((f) => f.kind === 'table_sort');
    assert.ok(sort?.kind === 'table_sort', JSON.stringify(latest.verdict));
    assert.deepEqual(sort.sortKey, ['placed_at DESC']);
    assert.equal(sort.fix, 'CREATE INDEX ON public.customer_orders (placed_at DESC);');
  });

  test('the N+1 loop is flagged with the table and column it looks up, and its plan is fine', () => {
    const lines = statement(/FROM order_lines WHERE order_id = \$1/);
    assert.equal(lines.calls, 600);
    assert.equal(lines.nPlusOne, true);
    assert.equal(lines.verdict.kind, 'explained');
    if (lines.verdict.kind !== 'explained') return;
    assert.deepEqual(lines.verdict.lookups, [{ table: 'order_lines', columns: ['order_id'] }]);
    assert.deepEqual(lines.verdict.findings, []);
    // Each figure is the statement's own: calls, mean and share of the database's time.
    assert.ok(lines.meanMs > 0 && lines.meanMs <= 1);
    assert.ok(lines.share > 0 && lines.share < 1);
    const shares = result.statements.reduce((sum, s) => sum + s.share, 0);
    assert.ok(shares <= 1.000001, `shares add up to at most 1 (${shares})`);
  });

  test('utility statements and DDL are listed as skipped with the reason, and the audit leaves itself out', () => {
    for (const [pattern, keyword] of [
      [/^CREATE TABLE IF NOT EXISTS audit_scratch/, 'CREATE'],
      [/^SET work_mem/, 'SET'],
      [/^VACUUM/, 'VACUUM'],
    ] as const) {
      const skipped = statement(pattern);
      assert.equal(skipped.verdict.kind, 'skipped');
      if (skipped.verdict.kind === 'skipped') assert.match(skipped.verdict.reason, new RegExp(`^utility statement \\(${keyword}\\)`));
    }
    assert.ok(!result.statements.some((s) => s.text.includes('sqlbound audit --live')));
  });

  test("a statement EXPLAIN cannot plan any more is skipped with the server's reason, not a crash", async () => {
    const app = new pg.Client({ connectionString: url });
    await app.connect();
    try {
      await app.query('CREATE TABLE short_lived (id int)');
      await app.query('SELECT id FROM short_lived WHERE id = $1', [1]);
      await app.query('DROP TABLE short_lived');
    } finally {
      await app.end();
    }
    const again = await runLiveAudit(url, { top: 100 });
    const gone = again.statements.find((s) => /FROM short_lived/.test(s.text));
    assert.ok(gone?.verdict.kind === 'skipped');
    assert.match(gone.verdict.reason, /EXPLAIN \(GENERIC_PLAN\) failed: relation "short_lived" does not exist/);
  });

  test('the report names each problem, and the CLI exits 1 on them', async () => {
    const report = formatLiveAuditReport(result);
    assert.match(report, /seq scan of customer_orders .* filtering \(customer_email = \$1\)/);
    assert.match(report, /fix: `CREATE INDEX ON public\.customer_orders \(customer_email\);`/);
    assert.match(report, /ran 600 times at [\d.]+ ms \(looks up order_lines by order_id\)/);
    assert.match(report, /`VACUUM \(ANALYZE\) audit_scratch`: utility statement \(VACUUM\)/);

    const dir = await mkdtemp(join(tmpdir(), 'sqlbound-live-'));
    const reportPath = join(dir, 'live.md');
    const cli = await run(
      process.execPath,
      ['--import', 'tsx', 'codegen/cli/main.ts', 'audit', '--live', '--top', '30', '--report', reportPath],
      {
        env: { ...process.env, DATABASE_URL: url },
      },
    ).then(
      ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    assert.equal(cli.code, 1, cli.stderr);
    assert.match(cli.stdout, /^# Live audit/);
    assert.match(await readFile(reportPath, 'utf8'), /likely N\+1/);
  });

  test('the CLI explains a database without pg_stat_statements in one line, exit 2', async () => {
    const cli = await run(process.execPath, ['--import', 'tsx', 'codegen/cli/main.ts', 'audit', '--live'], {
      env: { ...process.env, DATABASE_URL: bare.url },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(cli.code, 2);
    assert.match(
      cli.stderr,
      /pg_stat_statements is not installed in database \S+: add it to shared_preload_libraries and run CREATE EXTENSION pg_stat_statements/,
    );
  });

  test('the leading keyword ignores comments and parentheses', () => {
    assert.equal(leadingKeyword('/* app:orders */ -- x\n (SELECT 1)'), 'SELECT');
    assert.equal(leadingKeyword('  with t as (select 1) select * from t'), 'WITH');
    assert.equal(leadingKeyword('BEGIN'), 'BEGIN');
  });
});
