// npm test's integration stage: one server for the run (embedded, or DATABASE_URL), one migrated template
// database, then node:test over every test/**/*.test.ts; each file clones the template into its own database.
// `--via-pgbouncer` puts Debian's PgBouncer (transaction pooling) between the tests and the server: each file's
// database URL goes through it (test/support/database.ts), and nothing is sent as a startup parameter.
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { createDatabase, dropDatabase, uniqueDatabaseName } from '../codegen/database/admin.js';
import { migrate } from '../codegen/database/migrate.js';
import { projectRoot } from '../src/server/paths.js';
import { runCommand, startDatabase, withDatabase } from '../codegen/database/server.js';
import { startPgBouncer } from '../codegen/database/pgbouncer.js';
import { PGBOUNCER, findEngine, skippedLine } from '../codegen/database/engine-process.js';
import { schemaDir } from '../src/server/paths.js';

async function testFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true });
  return entries
    .filter((entry) => entry.endsWith('.test.ts'))
    .map((entry) => relative(projectRoot, join(directory, entry)))
    .sort();
}

await runCommand(async () => {
  const args = process.argv.slice(2);
  const viaPgBouncer = args.includes('--via-pgbouncer');
  const only = args.filter((arg) => arg !== '--via-pgbouncer');
  const files = only.length > 0 ? only : await testFiles(join(projectRoot, 'test'));
  if (viaPgBouncer && findEngine(PGBOUNCER) === null) {
    process.stdout.write(`${skippedLine(PGBOUNCER)}\n`);
    return 0;
  }
  const server = await startDatabase({ kind: 'ephemeral' });
  // Stopped by runCommand's stopAll, before the server.
  const pooler = viaPgBouncer ? await startPgBouncer({ serverUrl: server.adminUrl, defaultPoolSize: 10 }) : null;
  const poolerEnv = pooler === null ? {} : { SQLBOUND_TEST_POOLER_URL: pooler.url('postgres'), SQLBOUND_TIMEOUTS_VIA: 'none' };
  if (pooler !== null) process.stdout.write(`# through PgBouncer ${pooler.version} (transaction pooling) on port ${pooler.port}\n`);
  const template = uniqueDatabaseName('sqlbound_template');
  await createDatabase(server.adminUrl, template);
  try {
    await migrate(withDatabase(server.adminUrl, template), schemaDir);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? '2'}`, ...files],
      {
        cwd: projectRoot,
        stdio: 'inherit',
        env: { ...process.env, SQLBOUND_TEST_ADMIN_URL: server.adminUrl, SQLBOUND_TEST_TEMPLATE: template, ...poolerEnv },
      },
    );
    return await new Promise<number>((resolveCode) => child.on('exit', (code, signal) => resolveCode(code ?? (signal ? 1 : 0))));
  } finally {
    await dropDatabase(server.adminUrl, template);
  }
});
