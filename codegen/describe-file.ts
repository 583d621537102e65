// The programmatic entry for tools (editors, linters, tests): one query file's text in, the model of each of its
// queries and the diagnostics out. It writes nothing and reads no config; the caller owns the connection.
import postgres from 'postgres';
import type { QueryModel } from './manifest/manifest.js';
import type { CodegenError, CodegenNote } from './diagnostics.js';
import { DEFAULT_GENERATE_OPTIONS, generateQueries, type GenerateOptions } from './pipeline.js';

/**
 * What describeQueryFile returns: the models of the queries that passed, and the errors and notes of the others.
 * A file with errors still describes its good queries, as an editor showing both would want.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { describeQueryFile, type QueryFileDescription } from '@sqlbound/cli/codegen';
 *
 * const text = await readFile('sql/queries/alerts.sql', 'utf8');
 * const description: QueryFileDescription = await describeQueryFile(process.env.DATABASE_URL!, { file: 'sql/queries/alerts.sql', text });
 * description.queries.map((query) => query.name);
 * ```
 */
export type QueryFileDescription = {
  /** One model per query that passed every check: params and columns with PostgreSQL type, TypeScript type and nullability. */
  queries: QueryModel[];
  /** Problems that stop a query from being generated, each with file, line, query name and a fix. */
  errors: CodegenError[];
  /** Advice that does not stop generation. */
  notes: CodegenNote[];
};

/**
 * Describes the named queries of one `.sql` file against a database whose schema is the project's.
 *
 * `connection` is a connection string (a connection is opened and closed for the call) or a `postgres` client the
 * caller keeps open (cheaper for repeated calls, as an editor would make).
 *
 * @example
 * ```ts
 * import { describeQueryFile, tsTypeOf } from '@sqlbound/cli/codegen';
 *
 * const { queries, errors } = await describeQueryFile(process.env.DATABASE_URL!, {
 *   file: 'sql/queries/alerts.sql',
 *   text: '-- name: alertById :maybe\nSELECT id, title FROM alerts WHERE id = :id;',
 * });
 * for (const error of errors) console.error(`${error.location.file}:${error.location.line} ${error.message}`);
 * console.log(queries[0]?.columns.map((column) => `${column.name}: ${tsTypeOf(column.type.ts)}${column.nullable ? ' | null' : ''}`));
 * ```
 */
export async function describeQueryFile(
  connection: string | postgres.Sql,
  source: { file: string; text: string },
  options: Partial<GenerateOptions> = {},
): Promise<QueryFileDescription> {
  const sql = typeof connection === 'string' ? postgres(connection, { max: 1, onnotice: () => {} }) : connection;
  try {
    const generation = await generateQueries(sql, [source], { ...DEFAULT_GENERATE_OPTIONS, ...options });
    return { queries: generation.queries, errors: generation.errors, notes: generation.notes };
  } finally {
    if (typeof connection === 'string') await sql.end({ timeout: 5 });
  }
}
