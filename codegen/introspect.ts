// Stage 3: table types from kysely-codegen, run programmatically against the migrated database.
import { Kysely, PostgresDialect as KyselyPostgresDialect } from 'kysely';
import { generate, PostgresDialect, type GenerateOptions } from 'kysely-codegen';
import pg from 'pg';

export async function introspectTables(url: string): Promise<string> {
  const db = new Kysely<unknown>({
    dialect: new KyselyPostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }),
  });
  try {
    const source = await generate({
      // kysely-codegen is CommonJS: its Kysely type is the CJS declaration of the same class, whose
      // #private brand differs from the ESM one, so the identical runtime object needs this cast.
      db: db as unknown as GenerateOptions['db'],
      dialect: new PostgresDialect(),
      outFile: null,
      print: false,
      excludePattern: 'kysely_migration*',
    });
    return source;
  } finally {
    await db.destroy();
  }
}
