// The schema database codegen works on: a fresh scratch database migrated from the project's migrations (on an
// embedded server, or on DATABASE_URL's server), or the configured database as it is. The CLI owns this, as the one
// layer that knows codegen and the database helpers.
import { join, relative } from 'node:path';
import { createDatabase, dropDatabase, uniqueDatabaseName } from '../database/admin.js';
import { checkConnection } from '../database/connection-check.js';
import { migrate, MigrationError } from '../database/migrate.js';
import { PostmasterError } from '../database/postmaster.js';
import { startDatabase, withDatabase, type DatabaseServer } from '../database/server.js';
import { CONFIG_FILE, resolvePath, schemaSource, type Config } from '../config.js';
import type { SchemaDatabase } from '../project.js';

class SchemaSourceError extends Error {
  override readonly name = 'SchemaSourceError';
}

function configLabel(config: Config): string {
  return config.file === null ? 'the default config' : relative(process.cwd(), config.file) || config.file;
}

/** The engine's own last lines (initdb's or the server's), which say why it failed when the summary cannot. */
function engineSaid(error: unknown): string {
  if (!(error instanceof PostmasterError) || error.logTail.trim() === '') return '';
  const lines = error.logTail.trim().split('\n').slice(-10);
  return `\n  the engine's last lines:\n${lines.map((line) => `    ${line}`).join('\n')}`;
}

/**
 * Opens the schema database the config asks for. With migrations, codegen always works on a fresh scratch
 * database (on the embedded server, or on DATABASE_URL's server), so the types never depend on leftover state.
 */
export async function openSchemaDatabase(
  config: Config,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<SchemaDatabase> {
  const source = schemaSource(config);
  if (source.from === 'database') {
    const url = env[source.urlEnv]?.trim();
    if (url === undefined || url === '') {
      throw new SchemaSourceError(
        config.schema === undefined
          ? `no schema: there is no sql/schema/ folder of migrations, and ${source.urlEnv} is not set\n  fix: add migrations in sql/schema/, set "schema" in ${CONFIG_FILE}, or set ${source.urlEnv} to the URL of a database that holds the schema`
          : `no schema: ${configLabel(config)} reads it from the database in ${source.urlEnv} (schema.urlEnv), which is not set\n  fix: set ${source.urlEnv} to the URL of a database that holds the schema, or use "schema": { "from": "migrations" }`,
      );
    }
    await checkConnection(url, source.urlEnv, config.schema === undefined ? undefined : `schema.urlEnv in ${configLabel(config)}`);
    return { url, refresh: async () => {}, close: async () => {} };
  }
  const dir = resolvePath(config, source.dir);
  const external = env.DATABASE_URL?.trim();
  // With DATABASE_URL set, the scratch database is made on that server: a wrong URL is said as such.
  if (external !== undefined && external !== '') await checkConnection(external, 'DATABASE_URL');
  let server: DatabaseServer;
  try {
    server = await startDatabase({ kind: 'ephemeral' });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new SchemaSourceError(`cannot start a database to apply ${relative(config.root, dir) || dir} to: ${message}${engineSaid(error)}`);
  }
  let scratch: string | null = null;
  const fresh = async (): Promise<string> => {
    if (scratch !== null) await dropDatabase(server.adminUrl, scratch);
    scratch = uniqueDatabaseName('sqlbound_codegen');
    await createDatabase(server.adminUrl, scratch);
    const url = withDatabase(server.adminUrl, scratch);
    await migrate(url, dir).catch((error: unknown) => {
      if (!(error instanceof MigrationError)) throw error;
      const file = relative(process.cwd(), join(dir, error.file)) || error.file;
      throw new SchemaSourceError(
        `${file}${error.line === null ? '' : `:${error.line}`}: migration failed: ${error.databaseMessage}\n  fix: correct ${file} and run again (the failed run applied none of the pending migrations)`,
      );
    });
    return url;
  };
  const handle: SchemaDatabase = {
    url: await fresh().catch(async (error: unknown) => {
      await server.stop();
      throw error;
    }),
    async refresh() {
      handle.url = await fresh();
    },
    async close() {
      if (scratch !== null) await dropDatabase(server.adminUrl, scratch).catch(() => undefined);
      await server.stop();
    },
  };
  return handle;
}
