// The plan audit on small seeded data (2000 users: alerts and exposures are above the 10k-row Seq Scan floor):
// the shipped schema and queries pass, a dropped index is caught with its fix, and the CLI's exit code says so.
// These tests judge plans, never timings: p95 budgets are claims about production-sized data (npm run audit),
// and one stall on a shared machine would fail them. A budget breach is tested with a budget set to fail.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';
import { auditRules, loadConfig } from '../../codegen/config.js';
import { loadManifest } from '../../codegen/manifest/manifest.js';
import { manifestPath, projectRoot } from '../../src/server/paths.js';
import { runPlanAudit, type PlanAuditResult } from '../../codegen/audit/plan-audit.js';
import { formatPlanAuditReport } from '../../codegen/audit/report.js';
import { seed } from '../../src/server/seed.js';
import { testDatabase } from '../support/database.js';

const manifest = await loadManifest(manifestPath);
const rules = auditRules(await loadConfig(projectRoot));

// At module level: testDatabase() registers its drop with after(), which inside a before() hook would run
// as soon as the hook ends.
const db = await testDatabase();
await seed(db.url, { users: 2000, seed: 7 });
const scratch = await mkdtemp(join(tmpdir(), 'sqlbound-audit-'));

after(() => rm(scratch, { recursive: true, force: true }));

function runCli(args: string[], databaseUrl: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/audit.ts', ...args], {
      cwd: projectRoot,
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolveRun({ code, stdout, stderr }));
  });
}

function violationsOf(result: PlanAuditResult): string {
  return formatPlanAuditReport(result);
}

test('the shipped schema and queries pass, and the report lists every named query', async () => {
  const result = await runPlanAudit(db.url, manifest, { ...rules, samples: 8, judgeBudgets: false });
  const report = formatPlanAuditReport(result);
  assert.equal(result.violations, 0, report);
  assert.deepEqual(
    result.queries.map((query) => query.name),
    manifest.queries.map((query) => query.name),
  );
  for (const query of manifest.queries) {
    assert.match(report, new RegExp(`^\\| ${query.name} :${query.kind} \\|`, 'm'), `${query.name} missing from the report`);
  }
  for (const query of result.queries) {
    assert.equal(query.verdict, 'ok', report);
    assert.ok(query.runs >= 8, `${query.name} ran ${query.runs} times`);
    assert.ok(query.p50Ms > 0 && query.p95Ms >= query.p50Ms, `${query.name}: p50 ${query.p50Ms}, p95 ${query.p95Ms}`);
    assert.ok(query.indexes.length > 0, `${query.name} used no index:\n${report}`);
  }
  const listAlerts = result.queries.find((query) => query.name === 'listAlerts');
  assert.ok(listAlerts?.indexes.includes('alerts_user_created_idx'), report);
  // Typical and heavy users, both optional variants, first and after pages.
  assert.equal(listAlerts?.cases.length, 8, report);
  // Unused indexes are information: the FK index on exposures.broker_id serves no named query but is kept.
  const brokerIndex = result.unusedIndexes.find((unused) => unused.index === 'exposures_broker_id_idx');
  assert.equal(brokerIndex?.servesForeignKey, 'exposures_broker_id_fkey', report);
});

test('a budget set to fail on purpose is a violation naming the budget and where to change it', async () => {
  const only = { ...manifest, queries: manifest.queries.filter((query) => query.name === 'listBrokers') };
  assert.equal(only.queries.length, 1);
  // Any measured p95 is above 0 ms.
  const result = await runPlanAudit(db.url, only, { ...rules, samples: 3, budgets: { listBrokers: 0 } });
  const report = formatPlanAuditReport(result);
  const [query] = result.queries;
  assert.equal(query?.verdict, 'violation', report);
  const finding = query?.findings.find((candidate) => candidate.kind === 'over_budget');
  assert.ok(finding !== undefined, report);
  assert.match(finding.message, /is over the budget of 0 ms/);
  assert.match(finding.fix, /raise "-- budget:" at .*brokers\.sql:\d+/);
  assert.match(report, /over budget 0 ms/);
  // The same query with budgets not judged: only its plan counts.
  const plansOnly = await runPlanAudit(db.url, only, { ...rules, samples: 3, budgets: { listBrokers: 0 }, judgeBudgets: false });
  assert.equal(plansOnly.queries[0]?.verdict, 'ok', formatPlanAuditReport(plansOnly));
});

test('the report lists each escape hatch of the plan rule, named for what it allows', async () => {
  const [listBrokers] = manifest.queries.filter((query) => query.name === 'listBrokers');
  assert.ok(listBrokers !== undefined);
  const hatched = {
    ...manifest,
    queries: [{ ...listBrokers, allowSeqscan: 'brokers are a few hundred rows', allowSort: 'sorted by name in memory' }],
  };
  const report = formatPlanAuditReport(await runPlanAudit(db.url, hatched, { ...rules, samples: 1, judgeBudgets: false }));
  assert.match(report, /^- listBrokers \(.*:\d+\): `allow: seqscan` brokers are a few hundred rows$/m, report);
  assert.match(report, /^- listBrokers \(.*:\d+\): `allow: sort` sorted by name in memory$/m, report);
  const plain = formatPlanAuditReport(
    await runPlanAudit(db.url, { ...manifest, queries: [listBrokers] }, { ...rules, samples: 1, judgeBudgets: false }),
  );
  assert.match(plain, /No query reads a whole table or sorts one by annotation\./, plain);
});

test('a dropped index is flagged in the plan and the schema audit prints the CREATE INDEX', async () => {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query('DROP INDEX alerts_user_created_idx');
    await client.query('DROP INDEX alerts_user_unread_idx');
    await client.query('ANALYZE alerts');
  } finally {
    await client.end();
  }
  const result = await runPlanAudit(db.url, manifest, { ...rules, samples: 8, judgeBudgets: false });
  const report = formatPlanAuditReport(result);
  console.log(report);
  assert.ok(result.violations > 0, report);
  const listAlerts = result.queries.find((query) => query.name === 'listAlerts');
  assert.equal(listAlerts?.verdict, 'violation', report);
  const kinds = new Set(listAlerts?.findings.map((finding) => finding.kind));
  assert.ok(kinds.has('seq_scan') || kinds.has('list_sort'), violationsOf(result));
  const expected = 'CREATE INDEX alerts_user_created_idx ON public.alerts (user_id, created_at DESC, id DESC);';
  // The plan finding derives the index from the filter and the list's order, and reports the schema audit's
  // statement for the same index (so applying every fix creates it once).
  assert.ok(
    listAlerts?.findings.some((finding) => finding.fix === expected),
    report,
  );
  // ...and the schema audit gives the canonical statement.
  assert.ok(
    result.schemaFindings.some((finding) => finding.table === 'alerts' && finding.fix === expected),
    report,
  );
  assert.ok(report.includes(expected), report);

  // The CLI on this database, as is: it exits non-zero and prints the fix.
  const cli = await runCli(['--no-seed', '--no-budgets', '--samples', '3', '--report', join(scratch, 'failing.md')], db.url);
  assert.equal(cli.code, 1, cli.stderr);
  assert.ok(cli.stdout.includes(expected), cli.stdout);
});

test('the CLI seeds a tiny database, audits it and exits 0', async () => {
  const empty = await testDatabase();
  const reportPath = join(scratch, 'passing.md');
  const cli = await runCli(['--users', '300', '--samples', '3', '--no-budgets', '--report', reportPath], empty.url);
  assert.equal(cli.code, 0, `${cli.stderr}\n${cli.stdout}`);
  assert.match(cli.stderr, /\[audit\] seed/);
  assert.match(cli.stderr, /\[audit\] {2}1\/\d+ listAlerts/);
  const written = await readFile(reportPath, 'utf8');
  assert.equal(written, cli.stdout.slice(cli.stdout.indexOf('# Plan audit')));
  assert.match(written, /\*\*No violations\*\*/);
});
