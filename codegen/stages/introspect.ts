// Stage 3: table types from kysely-codegen, run programmatically against the migrated database.
import { Kysely, PostgresDialect as KyselyPostgresDialect, sql } from 'kysely';
import { generate, PostgresDialect, type GenerateOptions } from 'kysely-codegen';
import pg from 'pg';

/** micromatch pattern of every table and view in `schemas` (kysely-codegen matches `schema.table`). */
function schemaPattern(schemas: readonly string[]): string {
  const escaped = schemas.map((schema) => schema.replace(/[\\*?[\]{}(),!+@]/g, (character) => `\\${character}`));
  return escaped.length === 1 ? `${escaped[0]}.*` : `{${escaped.join(',')}}.*`;
}

/**
 * kysely-codegen's `DB` interface of the tables and views in `schemas`. A table is named as Kysely must spell it
 * for the database to find it: bare when its schema is on the application's search_path (`searchPath`, else the
 * database's default, where `public` is), `schema.table` otherwise. So `db.kysely.selectFrom(...)` types and runs the same name.
 */
export async function introspectTables(
  url: string,
  schemas: readonly string[] = ['public'],
  searchPath?: readonly string[],
): Promise<string> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  // pg's pool.end() resolves before its idle clients have closed: a scratch database dropped WITH (FORCE) right
  // after terminates them, and the FATAL would be an unhandled 'error' on the ended pool (a crash dump, not a message).
  pool.on('error', () => {});
  const db = new Kysely<unknown>({ dialect: new KyselyPostgresDialect({ pool }) });
  try {
    const onPath =
      searchPath ??
      (await sql<{ schema: string }>`SELECT unnest(current_schemas(false)) AS schema`.execute(db)).rows.map((row) => row.schema);
    // kysely-codegen treats an empty list as ['public']; pg_catalog is never a table schema of the project.
    const defaultSchemas = onPath.length > 0 ? [...onPath] : ['pg_catalog'];
    const source = await generate({
      // kysely-codegen is CommonJS: its Kysely type is the CJS declaration of the same class, whose
      // #private brand differs from the ESM one, so the identical runtime object needs this cast.
      db: db as unknown as GenerateOptions['db'],
      dialect: new PostgresDialect({ defaultSchemas }),
      defaultSchemas,
      includePattern: schemaPattern(schemas),
      outFile: null,
      print: false,
      excludePattern: '*.kysely_migration*',
    });
    return source;
  } finally {
    await db.destroy();
  }
}
