// npm run audit -- [--users N] [--seed S] [--data-dir DIR] [--samples K] [--report PATH] [--no-seed]
// Seeds (or reuses) a production-sized database, runs the plan audit over every named query of
// generated/manifest.json, writes the Markdown report and prints it. Exits 1 on any violation.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadManifest } from '../src/audit/manifest.js';
import { runPlanAudit, type PlanAuditProgress } from '../src/audit/plan-audit.js';
import { formatPlanAuditReport, ms } from '../src/audit/report.js';
import { migrate } from '../src/database/migrate.js';
import { projectRoot } from '../src/database/paths.js';
import { resetData, seed } from '../src/database/seed.js';
import { runCommand, startDatabase, type DatabaseServer } from '../src/database/server.js';

const log = (line: string) => process.stderr.write(`${line}\n`);

function positiveInteger(name: string, value: string | undefined): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`--${name} must be a positive integer, got ${value}`);
  return parsed;
}

async function userCount(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM users')).rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

/** Reuses a database already seeded with `users` users; otherwise (re)seeds it. Never wipes a foreign database. */
async function prepareData(server: DatabaseServer, users: number, seedValue: number): Promise<void> {
  await migrate(server.url);
  const existing = await userCount(server.url);
  if (existing === users) {
    log(`[audit] reusing the seeded database (${existing} users)`);
    return;
  }
  if (existing > 0) {
    // DATABASE_URL may point at anything; only the audit's own embedded data directory is ours to wipe.
    if (!server.embedded) {
      throw new Error(`DATABASE_URL holds ${existing} users, not ${users}: pass --no-seed to audit it as is, or use an empty database`);
    }
    log(`[audit] the data directory holds ${existing} users, not ${users}: reseeding`);
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    await resetData(client).finally(() => client.end());
  }
  const summary = await seed(server.url, {
    users,
    seed: seedValue,
    onProgress: ({ stage, done, total, elapsedMs }) =>
      log(`[audit] seed ${((done / total) * 100).toFixed(0).padStart(3)}% ${stage}: ${done}/${total} users, ${(elapsedMs / 1000).toFixed(1)}s`),
  });
  log(
    `[audit] seeded ${summary.users} users, ${summary.exposures} exposures, ${summary.alerts} alerts, ` +
      `${summary.scans} scans in ${(summary.elapsedMs / 1000).toFixed(1)}s`,
  );
}

function progress(event: PlanAuditProgress): void {
  const at = `[audit] ${String(event.index).padStart(2)}/${event.total} ${event.name}`;
  if (event.kind === 'query-start') log(`${at}: ${event.cases} sample cases, ${event.runs} runs`);
  else log(`${at}: p50 ${ms(event.p50Ms)} ms, p95 ${ms(event.p95Ms)} ms${event.violations > 0 ? `, ${event.violations} violation(s)` : ''}`);
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
    },
  });
  const users = positiveInteger('users', values.users);
  const seedValue = Number(values.seed);
  if (!Number.isInteger(seedValue)) throw new Error(`--seed must be an integer, got ${values.seed}`);
  const samples = positiveInteger('samples', values.samples);
  const manifest = await loadManifest();
  // DATABASE_URL wins over --data-dir (see startDatabase).
  const server = await startDatabase({ kind: 'persistent', dataDir: resolve(values['data-dir']) });
  if (server.logFile !== undefined) log(`[audit] server log: ${server.logFile}`);
  if (values['no-seed']) log('[audit] --no-seed: auditing the database as is');
  else await prepareData(server, users, seedValue);
  const result = await runPlanAudit(server.url, manifest, { samples, onProgress: progress });
  const report = formatPlanAuditReport(result);
  const reportPath = resolve(values.report);
  await writeFile(reportPath, report);
  process.stdout.write(report);
  log(`[audit] report written to ${reportPath}`);
  return result.violations > 0 ? 1 : 0;
});
