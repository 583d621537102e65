// `sqlbound codegen --watch`: regenerate on every save, over one schema database kept open.
import { watch } from 'chokidar';
import { relative } from 'node:path';
import { resolvePath, schemaSource, type Config } from '../config.js';
import type { GenerationSession, SchemaDatabase } from '../project.js';
import { writeFiles } from '../output.js';
import { outLabel, report, say } from './command.js';

/**
 * Regenerates on every save: the schema database stays open (no server start, no migration) unless a migration
 * changed, so a query edit costs one describe pass. Diagnostics are printed and the watch goes on.
 */
export async function watchForever(config: Config, database: SchemaDatabase, session: GenerationSession, debug: boolean): Promise<never> {
  const queryRoots = new Set(config.queries.map((pattern) => resolvePath(config, pattern.split(/[*?{[]/)[0] ?? '.')));
  const source = schemaSource(config);
  const migrations = source.from === 'migrations' ? resolvePath(config, source.dir) : null;
  let pending: NodeJS.Timeout | null = null;
  let schemaChanged = false;
  let running: Promise<void> = Promise.resolve();
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
  // chokidar, not fs.watch: Node 20's recursive fs.watch on Linux loses a file once an editor saves it by rename
  // (vim, safe-write editors, sed -i): it regenerated once, then never saw that file again.
  // "watching" is said once every watcher is ready: chokidar scans the folder first, and a save during that scan
  // would otherwise go unseen by a user (or a test) who waited for the line.
  const watchSql = (root: string, isSchema: boolean) =>
    new Promise<void>((ready) => {
      watch(root, { ignoreInitial: true, atomic: true })
        .on('all', (_event, file) => {
          if (file.endsWith('.sql')) schedule(isSchema);
        })
        .once('ready', ready);
    });
  await Promise.all([
    ...[...queryRoots].map((root) => watchSql(root, false)),
    ...(migrations === null ? [] : [watchSql(migrations, true)]),
  ]);
  say(
    `[watch] watching ${[...queryRoots, ...(migrations === null ? [] : [migrations])].map((dir) => relative(process.cwd(), dir) || '.').join(', ')}; Ctrl-C stops`,
  );
  return new Promise<never>(() => {});
}
