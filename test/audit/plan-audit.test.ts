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
import { loadManifest, type Manifest } from '../../codegen/manifest/manifest.js';
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

/** A query of the audited manifest shaped after getProfile (one statement, the owner's id as $1), with `overrides`. */
function adHoc(overrides: Partial<Manifest['queries'][number]> & { name: string; text: string }): Manifest['queries'][number] {
  const [profile] = manifest.queries.filter((query) => query.name === 'getProfile');
  assert.ok(profile !== undefined);
  const { text, ...rest } = overrides;
  return { ...profile, sql: text, text, statements: { kind: 'single', text }, tables: { read: ['alerts'], written: [] }, ...rest };
}

test('sorts are judged as the plan rule says: over found rows by the budget, over a whole table an error unless allowed', async () => {
  // The owner's alerts are found through alerts_user_created_idx; the sort by severity orders only those.
  const found = adHoc({
    name: 'alertsBySeverity',
    kind: 'stream',
    text: 'SELECT id, severity FROM alerts WHERE user_id = $1 ORDER BY severity, id',
    budgetMs: 10_000,
    plan: {
      kind: 'checked',
      statements: [{ foundBy: ['alerts_user_created_idx'], orderedBy: null, sorts: [{ keys: ['severity', 'id'], rows: 10 }] }],
    },
  });
  // Every alert sorted: a :stream may read the table whole, but not sort it whole.
  const whole = adHoc({
    name: 'everyAlertByRead',
    kind: 'stream',
    text: 'SELECT id FROM alerts ORDER BY read_at NULLS FIRST, id',
    params: [],
    isolation: { kind: 'none' },
    budgetMs: 60_000,
  });
  const allowed = { ...whole, name: 'everyAlertByReadAllowed', allowSort: 'the nightly export sorts every alert' };
  const seqscan = adHoc({
    name: 'countByTitle',
    text: "SELECT count(*) FROM alerts WHERE title LIKE '%breach%'",
    params: [],
    isolation: { kind: 'none' },
    allowSeqscan: 'an admin count, run by hand',
    budgetMs: 60_000,
  });
  const audited = { ...manifest, queries: [found, whole, allowed, seqscan] };
  const result = await runPlanAudit(db.url, audited, { ...rules, samples: 4 });
  const report = formatPlanAuditReport(result);
  const byName = new Map(result.queries.map((query) => [query.name, query]));

  const foundAudit = byName.get('alertsBySeverity');
  assert.equal(foundAudit?.verdict, 'ok', report);
  const [foundSort] = foundAudit.sorts;
  assert.equal(foundSort?.over, 'found', report);
  assert.equal(foundSort.verdict, 'within budget', report);
  assert.ok(foundSort.rows > 0 && foundSort.p95Ms >= 0, report);
  assert.deepEqual(foundAudit.plannedSorts, [{ keys: ['severity', 'id'], rows: 10 }]);
  assert.match(
    report,
    /^\| alertsBySeverity \| (alerts\.)?severity, (alerts\.)?id \| rows an index found \| 10 rows \| \d+ \| [\d.]+ \| .* \| within budget \|$/m,
    report,
  );

  const wholeAudit = byName.get('everyAlertByRead');
  assert.equal(wholeAudit?.verdict, 'violation', report);
  // The stream reads the table whole without an annotation (no seq_scan); its sort of the whole table is the error.
  assert.deepEqual(
    wholeAudit.findings.map((finding) => finding.kind),
    ['table_sort'],
    report,
  );
  assert.match(wholeAudit.findings[0]?.message ?? '', /over every row of alerts/);
  assert.match(wholeAudit.findings[0]?.fix ?? '', /-- allow: sort <reason>/);
  assert.equal(wholeAudit.sorts[0]?.verdict, 'whole table', report);

  const allowedAudit = byName.get('everyAlertByReadAllowed');
  assert.equal(allowedAudit?.verdict, 'ok', report);
  assert.equal(allowedAudit.sorts[0]?.verdict, 'allowed', report);
  assert.match(report, /^- everyAlertByReadAllowed \(.*\): `allow: sort` the nightly export sorts every alert$/m, report);
  assert.equal(byName.get('countByTitle')?.verdict, 'ok', report);
  assert.match(report, /^- countByTitle \(.*\): `allow: seqscan` an admin count, run by hand$/m, report);

  // The same found-rows sort over a budget it cannot meet: the violation names the sort it measured.
  const strict = await runPlanAudit(db.url, { ...manifest, queries: [{ ...found, budgetMs: 0.001 }] }, { ...rules, samples: 2 });
  const [strictAudit] = strict.queries;
  assert.equal(strictAudit?.sorts[0]?.verdict, 'over budget', formatPlanAuditReport(strict));
  const overBudget = strictAudit.findings.find((finding) => finding.kind === 'over_budget');
  assert.match(
    overBudget?.message ?? '',
    /It sorts rows it found \(no table of 10k rows read whole\): (alerts\.)?severity, (alerts\.)?id \(up to \d+ rows, p95 [\d.]+ ms of it\)/,
  );
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
  assert.ok(kinds.has('seq_scan') || kinds.has('table_sort'), violationsOf(result));
  // The manifest's proof named the dropped index: the finding says the database lacks it, not that the planner chose.
  assert.ok(
    listAlerts?.findings.some((finding) =>
      /Codegen proved the plan with .*alerts_user_created_idx.*which this database does not have/.test(finding.message),
    ),
    report,
  );
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
