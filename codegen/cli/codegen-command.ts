// `sqlbound codegen [--check] [--watch] [--debug] [--config <file or folder>] [--queries <dir or glob>]`: generate
// or check the project's files once, or keep regenerating them on every save.
import { stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, resolvePath, type Config } from '../config.js';
import { generationSession, type GenerationSession } from '../project.js';
import { staleFiles, writeFiles } from '../output.js';
import { complain, outLabel, report, say, UsageError } from './command.js';
import { openSchemaDatabase } from './schema-database.js';
import { watchForever } from './watch.js';

/** `--queries` tries out a query file, a folder of them, or a glob, with the project's config. */
async function withQueries(config: Config, queries: string | undefined): Promise<Config> {
  if (queries === undefined) return config;
  const absolute = isAbsolute(queries) ? queries : resolve(process.cwd(), queries);
  if (/[*?{[]/.test(absolute)) return { ...config, queries: [relative(config.root, absolute) || '.'] };
  const found = await stat(absolute).catch(() => null);
  if (found === null) throw new UsageError(`--queries ${queries}: no such file or folder (give a .sql file, a folder of them, or a glob)`);
  return { ...config, queries: [relative(config.root, found.isDirectory() ? `${absolute}/*.sql` : absolute) || '.'] };
}

async function once(config: Config, session: GenerationSession, check: boolean, debug: boolean): Promise<number> {
  const started = performance.now();
  const project = await session.generate(config);
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

export async function codegen(args: string[]): Promise<number> {
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
  const config = await withQueries(await loadConfig(values.config), values.queries);
  const database = await openSchemaDatabase(config);
  if (values.watch) {
    // One session for the first generation and every save: what the server said of a statement is not asked again.
    const session = generationSession(database);
    await once(config, session, false, values.debug);
    return watchForever(config, database, session, values.debug);
  }
  try {
    const session = generationSession(database);
    try {
      return await once(config, session, values.check, values.debug);
    } finally {
      await session.close();
    }
  } finally {
    await database.close();
  }
}
