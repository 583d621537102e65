// The schema database codegen works on: a fresh scratch database migrated from the project's migrations (on an
// embedded server, or on DATABASE_URL's server), or the configured database as it is. The CLI owns this, as the one
// layer that knows codegen and the database helpers.
import { relative } from 'node:path';
import { createDatabase, dropDatabase, uniqueDatabaseName } from '../database/admin.js';
import { migrate } from '../database/migrate.js';
import { startDatabase, withDatabase, type DatabaseServer } from '../database/server.js';
import { resolvePath, schemaSource, type Config } from '../config.js';
import type { SchemaDatabase } from '../project.js';

class SchemaSourceError extends Error {
  override readonly name = 'SchemaSourceError';
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
        `no schema: ${config.file ?? 'the defaults'} reads it from the database in ${source.urlEnv}, which is not set (set it, or add migrations in sql/schema/)`,
      );
    }
    return { url, refresh: async () => {}, close: async () => {} };
  }
  const dir = resolvePath(config, source.dir);
  let server: DatabaseServer;
  try {
    server = await startDatabase({ kind: 'ephemeral' });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new SchemaSourceError(`cannot start a database to apply ${relative(config.root, dir) || dir} to: ${message}`);
  }
  let scratch: string | null = null;
  const fresh = async (): Promise<string> => {
    if (scratch !== null) await dropDatabase(server.adminUrl, scratch);
    scratch = uniqueDatabaseName('sqlbound_codegen');
    await createDatabase(server.adminUrl, scratch);
    const url = withDatabase(server.adminUrl, scratch);
    await migrate(url, dir);
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
