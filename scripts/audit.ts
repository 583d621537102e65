// npm run audit -- [--users N] [--seed S] [--data-dir DIR] [--samples K] [--report PATH] [--no-seed] [--no-budgets]
// Seeds (or reuses) a production-sized database, runs the plan audit over every named query of
// generated/manifest.json, writes the Markdown report and prints it. Exits 1 on any violation.
// --no-budgets checks plans only (tests on small data: p95 budgets are judged on production-sized data).
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { auditRules, loadConfig } from '../codegen/config.js';
import { loadManifest } from '../codegen/manifest/manifest.js';
import { manifestPath } from '../src/server/paths.js';
import { runPlanAudit, type PlanAuditProgress } from '../codegen/audit/plan-audit.js';
import { formatPlanAuditReport, jsonReportPath, ms, planAuditJson } from '../codegen/audit/report.js';
import { projectRoot } from '../src/server/paths.js';
import { ensureSeeded } from '../src/server/seeded.js';
import { runCommand, startDatabase } from '../codegen/database/server.js';

const log = (line: string) => process.stderr.write(`${line}\n`);

function positiveInteger(name: string, value: string | undefined): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`--${name} must be a positive integer, got ${value}`);
  return parsed;
}

function progress(event: PlanAuditProgress): void {
  const at = `[audit] ${String(event.index).padStart(2)}/${event.total} ${event.name}`;
  if (event.kind === 'query-start') log(`${at}: ${event.cases} sample cases, ${event.runs} runs`);
  else
    log(`${at}: p50 ${ms(event.p50Ms)} ms, p95 ${ms(event.p95Ms)} ms${event.violations > 0 ? `, ${event.violations} violation(s)` : ''}`);
}

await runCommand(async () => {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '100000' },
      seed: { type: 'string', default: '1' },
      'data-dir': { type: 'string', default: resolve(projectRoot, '.data', 'audit') },
      samples: { type: 'string', default: '30' },
      report: { type: 'string', default: 'audit-report.md' },
      'no-seed': { type: 'boolean', default: false },
      'no-budgets': { type: 'boolean', default: false },
    },
  });
  const users = positiveInteger('users', values.users);
  const seedValue = Number(values.seed);
  if (!Number.isInteger(seedValue)) throw new Error(`--seed must be an integer, got ${values.seed}`);
  const samples = positiveInteger('samples', values.samples);
  const manifest = await loadManifest(manifestPath);
  // DATABASE_URL wins over --data-dir (see startDatabase).
  const server = await startDatabase({ kind: 'persistent', dataDir: resolve(values['data-dir']) });
  if (server.logFile !== undefined) log(`[audit] server log: ${server.logFile}`);
  if (values['no-seed']) log('[audit] --no-seed: auditing the database as is');
  else await ensureSeeded(server, { users, seed: seedValue, label: 'audit', log });
  const result = await runPlanAudit(server.url, manifest, {
    ...auditRules(await loadConfig(projectRoot)),
    samples,
    judgeBudgets: !values['no-budgets'],
    onProgress: progress,
  });
  const report = formatPlanAuditReport(result);
  const reportPath = resolve(values.report);
  await writeFile(reportPath, report);
  await writeFile(jsonReportPath(reportPath), planAuditJson(result));
  process.stdout.write(report);
  log(`[audit] report written to ${reportPath} and ${jsonReportPath(reportPath)}`);
  return result.violations > 0 ? 1 : 0;
});
