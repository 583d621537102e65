// Applies sql/schema/*.sql with Kysely's Migrator: tracked in kysely_migration, each file sent whole
// (splitting on `;` would break DO blocks and function bodies), all pending files in one transaction.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kysely, Migrator, PostgresDialect, sql, type Migration, type MigrationProvider } from 'kysely';
import pg from 'pg';

/**
 * A Kysely MigrationProvider over a folder of `.sql` files, named by file and ordered by name, each sent whole:
 * for a Migrator of your own (to migrate down to a version, or list pending files).
 *
 * @example
 * ```ts
 * import { Kysely, Migrator, PostgresDialect } from 'kysely';
 * import pg from 'pg';
 * import { sqlFileMigrations } from '@sqlbound/cli/testing';
 *
 * const url = process.env.DATABASE_URL;
 * const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }) });
 * const migrator = new Migrator({ db, provider: sqlFileMigrations('sql/schema') });
 * const pending = (await migrator.getMigrations()).filter((migration) => migration.executedAt === undefined);
 * ```
 */
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

/**
 * A migration file the server refused: which file, and the server's message. Earlier pending files of the same
 * run are rolled back with it (one transaction), so fixing the file and rerunning is safe.
 *
 * @example
 * ```ts
 * import { migrate, MigrationError } from '@sqlbound/cli/testing';
 *
 * await migrate(process.env.DATABASE_URL!, 'sql/schema').catch((error: unknown) => {
 *   if (error instanceof MigrationError) console.error(`${error.file}: ${error.databaseMessage}`);
 *   throw error;
 * });
 * ```
 */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  constructor(
    readonly file: string,
    readonly databaseMessage: string,
    /** The line of the file the server pointed at (its error position), or null when it gave none. */
    readonly line: number | null = null,
  ) {
    super(`migration ${file}${line === null ? '' : `:${line}`} failed: ${databaseMessage}`);
  }
}

/** The file's line at the server's error position (a 1-based character offset into the text sent: the whole file). */
async function errorLine(path: string, error: unknown): Promise<number | null> {
  const position = typeof error === 'object' && error !== null && 'position' in error ? Number(error.position) : NaN;
  if (!Number.isInteger(position) || position < 1) return null;
  const text = await readFile(path, 'utf8').catch(() => null);
  return text === null ? null : text.slice(0, position - 1).split('\n').length;
}

/**
 * The files a migrate call applied, in order; empty when the database was up to date.
 *
 * @example
 * ```ts
 * import { migrate, type MigrationOutcome } from '@sqlbound/cli/testing';
 *
 * const outcome: MigrationOutcome = await migrate(process.env.DATABASE_URL!, 'sql/schema'); // { applied: ['001_init.sql', '002_user_counters.sql'] }
 * ```
 */
export type MigrationOutcome = { applied: string[] };

/**
 * Applies the pending `.sql` files of `directory` (absolute, or relative to the working directory) in name order,
 * tracked in `kysely_migration`, so a file runs once per database. A failing file is a MigrationError.
 *
 * @example
 * ```ts
 * import { migrate, startDatabase } from '@sqlbound/cli/testing';
 *
 * const server = await startDatabase();
 * const { applied } = await migrate(server.url, 'sql/schema');
 * ```
 */
export async function migrate(url: string, directory: string): Promise<MigrationOutcome> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  // pg's pool.end() resolves before its idle clients have closed: a scratch database dropped WITH (FORCE) right
  // after terminates them, and the FATAL would be an unhandled 'error' on the ended pool (a crash dump, not a message).
  pool.on('error', () => {});
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  try {
    const migrator = new Migrator({ db, provider: sqlFileMigrations(directory) });
    const { error, results = [] } = await migrator.migrateToLatest();
    if (error !== undefined) {
      const failed = results.find((result) => result.status === 'Error');
      const message = error instanceof Error ? error.message : JSON.stringify(error);
      const file = failed?.migrationName ?? '(unknown file)';
      throw new MigrationError(file, message, failed === undefined ? null : await errorLine(join(directory, file), error));
    }
    return { applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName) };
  } finally {
    await db.destroy();
  }
}
