// The whole codegen run for a project: schema database -> introspect -> queries -> files. `sqlbound codegen` is
// this plus writing or checking the files; `--watch` keeps a SchemaDatabase open and calls generate again. Where the
// schema database comes from (a migrated scratch database, DATABASE_URL) is the CLI's business: src/cli.
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import postgres from 'postgres';
import { glob } from 'tinyglobby';
import { cacheScoping, ownedColumns, resolvePath, type Config } from './config.js';
import { schemaConnection, type SchemaConnection } from './connection.js';
import { loadCatalog, type Catalog } from './analysis/catalog.js';
import { introspectTables } from './stages/introspect.js';
import type { QueryModel } from './manifest/manifest.js';
import type { CodegenError, CodegenNote } from './diagnostics.js';
import type { GeneratedFiles } from './output.js';
import { generateQueries, type QuerySource } from './pipeline.js';

/** A database whose schema is the project's: a migrated scratch database, or the configured one as it is. */
export type SchemaDatabase = {
  url: string;
  /** Applies the migrations again on a fresh scratch database (after a migration file changed). */
  refresh(): Promise<void>;
  close(): Promise<void>;
};

/** The query files the config's globs match, relative to the config's folder, in a stable order. */
async function querySources(config: Config): Promise<QuerySource[]> {
  const files = (await glob(config.queries, { cwd: config.root, onlyFiles: true })).sort();
  return Promise.all(files.map(async (file) => ({ file, text: await readFile(resolvePath(config, file), 'utf8') })));
}

export type GeneratedProject = {
  /** Every output file, by path relative to the output folder: the modules, index.ts, manifest.json, db.ts. */
  files: GeneratedFiles;
  errors: CodegenError[];
  notes: CodegenNote[];
  queries: QueryModel[];
};

/**
 * What stays valid while the schema does not change: the connection, the table types, the catalog, and what the
 * server said of each statement already described (a save that changes one query describes only that one).
 */
type WarmSchema = {
  url: string;
  trustNotNullDomains: boolean;
  sql: postgres.Sql;
  tables: string;
  catalog: Catalog;
  connection: SchemaConnection;
};

/**
 * Generations over one schema database. The connection, `db.ts` and the catalog are read once per schema (per
 * database URL: `refresh()` after a migration changes it), so `--watch` pays only for the queries on a save.
 */
export type GenerationSession = {
  generate(config: Config): Promise<GeneratedProject>;
  close(): Promise<void>;
};

export function generationSession(database: SchemaDatabase): GenerationSession {
  let warm: WarmSchema | null = null;
  const drop = async () => {
    const stale = warm;
    warm = null;
    if (stale !== null) await stale.sql.end({ timeout: 5 });
  };
  const warmUp = async (config: Config): Promise<WarmSchema> => {
    if (warm !== null && warm.url === database.url && warm.trustNotNullDomains === config.nullability.trustNotNullDomains) return warm;
    await drop();
    const sql = postgres(database.url, {
      max: 1,
      onnotice: () => {},
      // Unqualified names resolve as the application's connections will resolve them.
      ...(config.searchPath === undefined ? {} : { connection: { search_path: config.searchPath.join(',') } }),
    });
    try {
      const [tables, catalog] = await Promise.all([
        introspectTables(database.url, config.schemas, config.searchPath),
        loadCatalog(sql, config.nullability),
      ]);
      warm = {
        url: database.url,
        trustNotNullDomains: config.nullability.trustNotNullDomains,
        sql,
        tables,
        catalog,
        connection: schemaConnection(sql),
      };
      return warm;
    } catch (error) {
      await sql.end({ timeout: 5 });
      throw error;
    }
  };
  return {
    async generate(config) {
      const sources = await querySources(config);
      // A glob that matches nothing would generate an empty project and delete every module: say so instead.
      if (sources.length === 0) {
        const where = config.file === null ? 'the default config' : relative(process.cwd(), config.file) || config.file;
        return {
          files: new Map(),
          notes: [],
          queries: [],
          errors: [
            {
              location: { file: config.file === null ? '.' : relative(process.cwd(), config.file) || config.file, line: 1 },
              query: null,
              message: `no query file matches ${config.queries.map((pattern) => `"${pattern}"`).join(', ')} (from ${where}, relative to ${relative(process.cwd(), config.root) || '.'})`,
              fix: 'point "queries" at your .sql files (e.g. "sql/queries/*.sql"), or --queries at a file, a folder or a glob',
            },
          ],
        };
      }
      const schema = await warmUp(config);
      const generation = await generateQueries(schema.sql, sources, {
        runtime: config.runtime,
        cacheScoping: cacheScoping(config),
        owner: ownedColumns(config),
        types: config.types,
        catalog: schema.catalog,
        connection: schema.connection,
      });
      const files: GeneratedFiles = new Map([['db.ts', schema.tables], ...generation.files]);
      return { files, errors: generation.errors, notes: generation.notes, queries: generation.queries };
    },
    close: drop,
  };
}
