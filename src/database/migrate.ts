// Applies sql/schema/*.sql with Kysely's Migrator: tracked in kysely_migration, each file sent whole
// (splitting on `;` would break DO blocks and function bodies), all pending files in one transaction.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kysely, Migrator, PostgresDialect, sql, type Migration, type MigrationProvider } from 'kysely';
import pg from 'pg';


export function sqlFileMigrations(directory: string): MigrationProvider {
  return {
    async getMigrations() {
      const files = (await readdir(directory)).filter((file) => file.endsWith('.sql')).sort();
      const migrations: Record<string, Migration> = {};
      for (const file of files) {
        const text = await readFile(join(directory, file), 'utf8');
        migrations[file] = {
          up: async (db) => {
            await sql.raw(text).execute(db);
          },
        };
      }
      return migrations;
    },
  };
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  constructor(
    readonly file: string,
    readonly databaseMessage: string,
  ) {
    super(`migration ${file} failed: ${databaseMessage}`);
  }
}

export type MigrationOutcome = { applied: string[] };

/** Applies the pending `.sql` files of `directory` (absolute, or relative to the working directory) in name order. */
export async function migrate(url: string, directory: string): Promise<MigrationOutcome> {
  const db = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }),
  });
  try {
    const migrator = new Migrator({ db, provider: sqlFileMigrations(directory) });
    const { error, results = [] } = await migrator.migrateToLatest();
    if (error !== undefined) {
      const failed = results.find((result) => result.status === 'Error');
      const message = error instanceof Error ? error.message : String(error);
      throw new MigrationError(failed?.migrationName ?? '(unknown file)', message);
    }
    return { applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName) };
  } finally {
    await db.destroy();
  }
}
