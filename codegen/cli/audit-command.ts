// `sqlbound audit`: the plan audit of the manifest's queries against the database in DATABASE_URL, or, with
// --live, of any client's statements from pg_stat_statements.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { auditRules, loadConfig, resolvePath } from '../config.js';
import { runPlanAudit } from '../audit/plan-audit.js';
import { formatPlanAuditReport, jsonReportPath, planAuditJson } from '../audit/report.js';
import { LiveAuditError, liveProblems, runLiveAudit } from '../audit/live.js';
import { formatLiveAuditReport } from '../audit/live-report.js';
import { formatIsolationReport } from '../audit/isolation-report.js';
import { loadManifest } from '../manifest/manifest.js';
import { checkConnection } from '../database/connection-check.js';
import { complain, UsageError } from './command.js';

function positive(name: string, text: string, integer: boolean): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got ${text}`);
  }
  return value;
}

/** `audit --live`: exit 1 when a statement has a plan finding or looks like an N+1, 0 otherwise. */
async function liveAudit(values: {
  top: string;
  'n-plus-one-calls': string;
  'n-plus-one-mean-ms': string;
  report: string;
}): Promise<number> {
  const url = process.env.DATABASE_URL?.trim();
  if (url === undefined || url === '') throw new UsageError('sqlbound audit --live reads the database in DATABASE_URL, which is not set');
  await checkConnection(url, 'DATABASE_URL');
  try {
    const result = await runLiveAudit(url, {
      top: positive('top', values.top, true),
      nPlusOneMinCalls: positive('n-plus-one-calls', values['n-plus-one-calls'], true),
      nPlusOneMaxMeanMs: positive('n-plus-one-mean-ms', values['n-plus-one-mean-ms'], false),
    });
    const text = formatLiveAuditReport(result);
    await writeFile(resolve(values.report), text);
    process.stdout.write(text);
    return liveProblems(result) > 0 ? 1 : 0;
  } catch (error) {
    if (!(error instanceof LiveAuditError)) throw error;
    complain(`sqlbound audit --live: ${error.message}`);
    return 2;
  }
}

export async function audit(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', default: process.cwd() },
      samples: { type: 'string', default: '30' },
      report: { type: 'string' },
      live: { type: 'boolean', default: false },
      top: { type: 'string', default: '20' },
      'n-plus-one-calls': { type: 'string', default: '500' },
      'n-plus-one-mean-ms': { type: 'string', default: '1' },
    },
  });
  if (values.live) return liveAudit({ ...values, report: values.report ?? 'audit-live-report.md' });
  const samples = Number(values.samples);
  if (!Number.isInteger(samples) || samples < 1) throw new UsageError(`--samples must be a positive integer, got ${values.samples}`);
  const config = await loadConfig(values.config);
  const url = process.env.DATABASE_URL?.trim();
  if (url === undefined || url === '') throw new UsageError('sqlbound audit reads the database in DATABASE_URL, which is not set');
  await checkConnection(url, 'DATABASE_URL');
  const manifest = await loadManifest(resolvePath(config, `${config.out}/manifest.json`));
  const result = await runPlanAudit(url, manifest, {
    ...auditRules(config),
    samples,
    onProgress: (event) => {
      if (event.kind !== 'query-done') return;
      const measured = event.unmeasured === null ? `p95 ${event.p95Ms.toFixed(2)} ms` : `not measured (${event.unmeasured})`;
      complain(`[audit] ${event.index}/${event.total} ${event.name}: ${measured}`);
    },
  });
  const text = `${formatPlanAuditReport(result)}\n${formatIsolationReport(manifest)}`;
  const reportPath = resolve(values.report ?? 'audit-report.md');
  await writeFile(reportPath, text);
  await writeFile(jsonReportPath(reportPath), planAuditJson(result));
  process.stdout.write(text);
  return result.violations > 0 ? 1 : 0;
}
