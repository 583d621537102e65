#!/usr/bin/env node
// The `sqlbound` command:
//   sqlbound codegen [--check] [--watch] [--debug] [--config <file or folder>] [--queries <dir or glob>]
//   sqlbound audit [--config ...] [--samples N] [--report <file>]   (the database in DATABASE_URL, as it is)
//   sqlbound audit --live [--top N] [--report <file>]   (any client's statements, from pg_stat_statements)
// Every failure is one clear message and a non-zero exit code; see runCommand.
import { watch } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runPlanAudit } from '../audit/plan-audit.js';
import { formatPlanAuditReport, jsonReportPath, planAuditJson } from '../audit/report.js';
import { LiveAuditError, liveProblems, runLiveAudit } from '../audit/live.js';
import { formatLiveAuditReport } from '../audit/live-report.js';
import { runCommand } from '../database/server.js';
import { auditRules, loadConfig, resolvePath, schemaSource, type Config } from '../../codegen/config.js';
import { generateFiles, generationSession, openSchemaDatabase, type GeneratedProject, type SchemaDatabase } from '../../codegen/project.js';
import { loadManifest } from '../manifest/manifest.js';
import { formatError } from '../../codegen/stages/pipeline-data.js';
import { staleFiles, writeFiles } from '../../codegen/output.js';

const USAGE = `usage:
  sqlbound codegen [--check] [--watch] [--debug] [--config <path>] [--queries <dir or glob>]
  sqlbound audit [--config <path>] [--samples N] [--report <file>]
  sqlbound audit --live [--top N] [--n-plus-one-calls N] [--n-plus-one-mean-ms MS] [--report <file>]`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}
function complain(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** `--queries` tries out another folder of queries (or a glob) with the project's config. */
function withQueries(config: Config, queries: string | undefined): Config {
  if (queries === undefined) return config;
  const absolute = isAbsolute(queries) ? queries : resolve(process.cwd(), queries);
  const pattern = absolute.includes('*') ? absolute : `${absolute}/*.sql`;
  return { ...config, queries: [relative(config.root, pattern) || '.'] };
}

function report(project: GeneratedProject, debug: boolean): void {
  if (debug) {
    for (const note of project.notes) complain(`${note.location.file}:${note.location.line} (query ${note.query}): note: ${note.message}`);
  }
  if (project.errors.length > 0) complain(project.errors.map(formatError).join('\n'));
}

function outLabel(config: Config): string {
  return `${relative(process.cwd(), resolvePath(config, config.out)) || '.'}/`;
}

async function once(config: Config, database: SchemaDatabase, check: boolean, debug: boolean): Promise<number> {
  const started = performance.now();
  const project = await generateFiles(config, database);
  report(project, debug);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (project.errors.length > 0) {
    complain(`codegen failed with ${project.errors.length} error(s)`);
    return 1;
  }
  const outDir = resolvePath(config, config.out);
  if (check) {
    const stale = await staleFiles(outDir, project.files);
    if (stale.length > 0) {
      complain(
        `${outLabel(config)} is stale; run sqlbound codegen. Stale files:\n${stale.map((f) => `  ${outLabel(config)}${f}`).join('\n')}`,
      );
      return 1;
    }
    say(`${outLabel(config)} is fresh (${project.files.size} files checked in ${seconds}s)`);
    return 0;
  }
  const written = await writeFiles(outDir, project.files);
  say(`wrote ${written.length} of ${project.files.size} files to ${outLabel(config)} in ${seconds}s`);
  return 0;
}

/**
 * Regenerates on every save: the schema database stays open (no server start, no migration) unless a migration
 * changed, so a query edit costs one describe pass. Diagnostics are printed and the watch goes on.
 */
async function watchForever(config: Config, database: SchemaDatabase, debug: boolean): Promise<never> {
  const queryRoots = new Set(config.queries.map((pattern) => resolvePath(config, pattern.split(/[*?{[]/)[0] ?? '.')));
  const source = schemaSource(config);
  const migrations = source.from === 'migrations' ? resolvePath(config, source.dir) : null;
  let pending: NodeJS.Timeout | null = null;
  let schemaChanged = false;
  let running: Promise<void> = Promise.resolve();
  const session = generationSession(database);
  const regenerate = () => {
    running = running.then(async () => {
      const started = performance.now();
      try {
        if (schemaChanged) {
          schemaChanged = false;
          await database.refresh();
        }
        const project = await session.generate(config);
        report(project, debug);
        const ms = Math.round(performance.now() - started);
        if (project.errors.length > 0) {
          say(`[watch] ${project.errors.length} error(s) in ${ms} ms; ${outLabel(config)} left as it was`);
          return;
        }
        const written = await writeFiles(resolvePath(config, config.out), project.files);
        say(`[watch] regenerated in ${ms} ms: ${written.length === 0 ? 'no file changed' : written.join(', ')}`);
      } catch (error) {
        say(`[watch] failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
  };
  const schedule = (isSchema: boolean) => {
    if (isSchema) schemaChanged = true;
    if (pending !== null) clearTimeout(pending);
    // Editors write a file in several steps; one regeneration per burst of events.
    pending = setTimeout(regenerate, 30);
  };
  for (const root of queryRoots) {
    watch(root, { recursive: true }, (_event, file) => {
      if (file === null || file.endsWith('.sql')) schedule(false);
    });
  }
  if (migrations !== null) {
    watch(migrations, { recursive: true }, (_event, file) => {
      if (file === null || file.endsWith('.sql')) schedule(true);
    });
  }
  say(
    `[watch] watching ${[...queryRoots, ...(migrations === null ? [] : [migrations])].map((dir) => relative(process.cwd(), dir) || '.').join(', ')}; Ctrl-C stops`,
  );
  return new Promise<never>(() => {});
}

async function codegen(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      check: { type: 'boolean', default: false },
      watch: { type: 'boolean', default: false },
      // Print why the analysis left columns nullable (unmatched columns, unknown relations and expressions).
      debug: { type: 'boolean', default: false },
      config: { type: 'string', default: process.cwd() },
      queries: { type: 'string' },
    },
  });
  if (values.check && values.watch) throw new UsageError('--check and --watch do not go together');
  const config = withQueries(await loadConfig(values.config), values.queries);
  const database = await openSchemaDatabase(config);
  if (values.watch) {
    await once(config, database, false, values.debug);
    return watchForever(config, database, values.debug);
  }
  try {
    return await once(config, database, values.check, values.debug);
  } finally {
    await database.close();
  }
}

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

async function audit(args: string[]): Promise<number> {
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
  const manifest = await loadManifest(resolvePath(config, `${config.out}/manifest.json`));
  const result = await runPlanAudit(url, manifest, {
    ...auditRules(config),
    samples,
    onProgress: (event) => {
      if (event.kind === 'query-done') complain(`[audit] ${event.index}/${event.total} ${event.name}: p95 ${event.p95Ms.toFixed(2)} ms`);
    },
  });
  const text = formatPlanAuditReport(result);
  const reportPath = resolve(values.report ?? 'audit-report.md');
  await writeFile(reportPath, text);
  await writeFile(jsonReportPath(reportPath), planAuditJson(result));
  process.stdout.write(text);
  return result.violations > 0 ? 1 : 0;
}

await runCommand(async () => {
  const [command, ...rest] = process.argv.slice(2);
  try {
    if (command === 'codegen') return await codegen(rest);
    if (command === 'audit') return await audit(rest);
    if (command === undefined || command === '--help' || command === 'help') {
      say(USAGE);
      return command === undefined ? 1 : 0;
    }
    throw new UsageError(`unknown command ${command}`);
  } catch (error) {
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      complain(`sqlbound: ${error.message}\n${USAGE}`);
      return 2;
    }
    throw error;
  }
});
