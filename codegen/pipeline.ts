// The query half of codegen as one function over plain data, so golden tests run exactly what npm run codegen runs.
import { basename } from 'node:path';
import { loadModule, parseSync } from 'libpg-query';
import { tablesOf } from './analysis/analyze.js';
import type postgres from 'postgres';
import { loadCatalog, type Catalog } from './analysis/catalog.js';
import { cachePolicy, DEFAULT_SCOPING, writeEffect, type CacheScoping } from './stages/cache.js';
import { checkQuery } from './stages/check.js';
import { checkPlans } from './stages/verify.js';
import { describeQuery } from './stages/describe.js';
import { buildIncludeTrees, composeStatements, describeIncludes, type IncludeTree } from './stages/compose.js';
import { emitIndex, emitModule, type EmitOptions } from './stages/emit.js';
import { serializeManifest, type QueryModel } from '../src/manifest/manifest.js';
import { toQueryModel } from './stages/to-model.js';
import { NO_OVERRIDES, overrideType, type TypeOverrides } from './stages/overrides.js';
import type { CodegenError, CodegenNote, DescribedQuery, ParsedQuery } from './stages/pipeline-data.js';
import type { GeneratedFiles } from './output.js';
import { duplicateNames, parseQueryFile } from './stages/parse.js';

export type QuerySource = { file: string; text: string };

export type QueryGeneration = {
  /** Generated modules, their index and manifest.json, by path relative to the output folder. */
  files: GeneratedFiles;
  errors: CodegenError[];
  /** The model of every query that passed (the manifest's queries). */
  queries: QueryModel[];
  notes: CodegenNote[];
};

export type GenerateOptions = EmitOptions & {
  cacheScoping: CacheScoping;
  types: TypeOverrides;
  /** The catalog of this same database, already read (a watch keeps it while the schema is unchanged). */
  catalog?: Catalog;
};

export const DEFAULT_GENERATE_OPTIONS: GenerateOptions = { runtime: 'sqlbound', cacheScoping: DEFAULT_SCOPING, types: NO_OVERRIDES };

/** An exception that escapes a stage is a bug; the user still gets a diagnostic with file, line and query. */
function internalError(query: ParsedQuery, error: unknown): CodegenError {
  const message = error instanceof Error ? error.message : String(error);
  return {
    location: query.location,
    query: query.name,
    message: `codegen could not process this query: ${message}`,
    fix: 'this is a sqlbound bug: please report it with the query; meanwhile simplify the statement (or move the expression into a view)',
  };
}

export function moduleName(file: string): string {
  return basename(file, '.sql').replace(/[^A-Za-z0-9_]/g, '_');
}

export async function generateQueries(
  sql: postgres.Sql,
  sources: QuerySource[],
  options: GenerateOptions = DEFAULT_GENERATE_OPTIONS,
): Promise<QueryGeneration> {
  await loadModule();
  const errors: CodegenError[] = [];
  const parsed: ParsedQuery[] = [];
  for (const source of sources) {
    const result = parseQueryFile(source.file, source.text);
    parsed.push(...result.queries);
    errors.push(...result.errors);
  }
  errors.push(...duplicateNames(parsed));
  let catalog: Catalog;
  try {
    catalog = options.catalog ?? (await loadCatalog(sql));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const location = { file: sources[0]?.file ?? '', line: 1 };
    errors.push({
      location,
      query: null,
      message: `could not read the database catalog: ${message}`,
      fix: 'check that the database is reachable and the schema migrations applied',
    });
    return { files: new Map(), errors, queries: [], notes: [] };
  }
  const trees = buildIncludeTrees(parsed);
  errors.push(...trees.errors);
  const queries: DescribedQuery[] = [];
  const notes: CodegenNote[] = [];
  for (const query of parsed) {
    if (query.include !== null) continue;
    try {
      const generated = await generateQuery(sql, catalog, query, trees.tops.get(query.name) ?? [], options.cacheScoping);
      errors.push(...generated.errors);
      notes.push(...generated.notes.map((message) => ({ location: query.location, query: query.name, message })));
      if (generated.query !== null) queries.push(generated.query);
    } catch (error) {
      errors.push(internalError(query, error));
    }
  }
  const models = queries.map((query) => toQueryModel(query, (type) => overrideType(type, options.types, catalog)));
  const files: GeneratedFiles = new Map();
  const modules: string[] = [];
  for (const source of sources) {
    const inFile = models.filter((query) => query.file === source.file);
    if (inFile.length === 0) continue;
    const module = moduleName(source.file);
    modules.push(module);
    files.set(`${module}.ts`, emitModule(source.file, inFile, options));
  }
  files.set('index.ts', emitIndex(modules, sources.length === 1 ? (sources[0]?.file ?? '') : 'the query files'));
  files.set('manifest.json', serializeManifest(models));
  return { files, errors, queries: models, notes };
}

/** Describe, check, compose, plan: one named query from parse to the model emit reads. */
async function generateQuery(
  sql: postgres.Sql,
  catalog: Catalog,
  query: ParsedQuery,
  includeTrees: IncludeTree[],
  cacheScoping: CacheScoping,
): Promise<{ query: DescribedQuery | null; errors: CodegenError[]; notes: string[] }> {
  const errors: CodegenError[] = [];
  const fail = () => ({ query: null, errors, notes: [] });
  const result = await describeQuery(sql, catalog, query);
  if ('error' in result) {
    errors.push(result.error);
    return fail();
  }
  const problems = checkQuery(result.described);
  errors.push(...problems);
  if (problems.length > 0) return fail();
  const base = result.described.query;
  if (includeTrees.length > 0 && (query.kind === 'exec' || query.kind === 'stream')) {
    errors.push({
      location: query.location,
      query: query.name,
      message: `includes attach to :one, :maybe and :list queries, not :${query.kind}`,
      fix: 'join the related rows in the statement itself',
    });
    return fail();
  }
  const described = await describeIncludes(sql, catalog, query.source, base.columns, includeTrees, 1);
  errors.push(...described.errors);
  if (described.errors.length > 0) return fail();
  const { final, params } = composeStatements(base, described.includes);
  let describedQuery: DescribedQuery = { ...base, includes: described.includes, final, cachePolicy: null, effect: null };
  if (described.includes.length > 0) {
    // The composed statement adds the includes' params and tables; the database confirms it is valid.
    const text = final.kind === 'single' ? final.text : final.first;
    try {
      const statement = await sql.unsafe(text).describe();
      const stmt = parseSync(text).stmts?.[0]?.stmt;
      describedQuery = {
        ...describedQuery,
        params,
        describedParams: params.map((param) => ({ ...param, type: catalog.type(statement.types[param.position - 1] ?? 25) })),
        tables: tablesOf(stmt, catalog),
      };
    } catch (error) {
      errors.push({
        location: query.location,
        query: query.name,
        message: `the statement composed with its includes was rejected: ${error instanceof Error ? error.message : String(error)}`,
        fix: 'check that each include refers to its parent row as parent.<column> and that the column is selected',
      });
      return fail();
    }
  }
  describedQuery = {
    ...describedQuery,
    cachePolicy: cachePolicy(describedQuery, catalog, cacheScoping),
    effect: writeEffect(describedQuery, result.described.ast, catalog, cacheScoping),
  };
  const planErrors = await checkPlans(sql, catalog, describedQuery);
  errors.push(...planErrors);
  if (planErrors.length > 0) return fail();
  return { query: describedQuery, errors, notes: result.described.notes };
}
