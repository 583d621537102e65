// The query half of codegen as one function over plain data, so golden tests run exactly what npm run codegen runs.
// The stages in order, each over every query: parse; describe (every statement a query needs, its includes' probes
// included, once, up front: the only stage besides verify that talks to the server); check; compose (includes,
// keyset, cache policy: pure); verify (each composed statement described and EXPLAINed once); to-model; emit.
import { basename } from 'node:path';
import { loadModule } from 'libpg-query';
import { match } from 'ts-pattern';
import type postgres from 'postgres';
import { loadCatalog, type Catalog } from './analysis/catalog.js';
import { schemaConnection, type SchemaConnection } from './connection.js';
import {
  cachePolicy,
  DEFAULT_SCOPING,
  effectsForReads,
  finalTrees,
  relationWriteEffects,
  writeEffect,
  type CacheScoping,
} from './stages/cache.js';
import { statementWrites } from './analysis/relation-effects.js';
import { isolationOf, type OwnedColumn } from './stages/isolation.js';
import { checkIncludesAllowed, checkQuery } from './stages/check.js';
import { verifyQuery } from './stages/verify.js';
import { describeQuery, type Described } from './stages/describe.js';
import { composeQuery } from './stages/compose.js';
import {
  assembleIncludes,
  buildIncludeTrees,
  includeProbes,
  type DescribedProbe,
  type IncludeProbe,
  type IncludeTree,
} from './stages/includes.js';
import { emitIndex, emitModule, type EmitOptions } from './stages/emit.js';
import { emitJsonModule, jsonModuleName } from './stages/emit-json.js';
import { serializeManifest, type QueryModel } from './manifest/manifest.js';
import { toQueryModel } from './stages/to-model.js';
import { NO_OVERRIDES, overrideType, type TypeOverrides } from './stages/overrides.js';
import type { DescribedQuery, ParsedQuery, VerifiedQuery } from './stages/pipeline-data.js';
import { failed, ok, type CodegenError, type CodegenNote, type StageResult } from './diagnostics.js';
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
  /** Owner isolation's owned columns (config `owner`); null leaves isolation unchecked (every query `none` unless annotated). */
  owner?: readonly OwnedColumn[] | null;
  types: TypeOverrides;
  /** The catalog of this same database, already read (a watch keeps it while the schema is unchanged). */
  catalog?: Catalog;
  /** The describe and verify stages' connection to this same database; a watch keeps one, so a statement it described
   * before is not sent again. */
  connection?: SchemaConnection;
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

function moduleName(file: string): string {
  return basename(file, '.sql').replace(/[^A-Za-z0-9_]/g, '_');
}

/** Where a query is in the pipeline: still going with its data, or stopped with its errors. */
type Outcome<T> = { query: ParsedQuery; result: StageResult<T>; notes: string[] };

/**
 * Runs a stage over every query still going; a stopped query keeps its errors. The queries go through a stage
 * together: their round trips are pipelined on the one connection (postgres.js sends a query without waiting for the
 * answer to the one before), and the outcomes keep the queries' order.
 */
async function each<T, U>(outcomes: Outcome<T>[], stage: (value: T, query: ParsedQuery) => Promise<StageResult<U>> | StageResult<U>) {
  return Promise.all(
    outcomes.map(async (outcome): Promise<Outcome<U>> => {
      const result: StageResult<U> = await match(outcome.result)
        .with({ kind: 'ok' }, async ({ value }) => {
          try {
            return await stage(value, outcome.query);
          } catch (error) {
            return failed<U>(internalError(outcome.query, error));
          }
        })
        .with({ kind: 'error' }, (stopped) => stopped)
        .exhaustive();
      return { query: outcome.query, result, notes: outcome.notes };
    }),
  );
}

/** What the describe stage learnt of one query: its own statement and its includes' probes. */
type DescribedStatements = { base: Described; probes: DescribedProbe[] };

async function describeProbes(connection: SchemaConnection, catalog: Catalog, probes: IncludeProbe[]): Promise<DescribedProbe[]> {
  const described: DescribedProbe[] = [];
  for (const probe of probes) {
    const result =
      probe.statement.kind === 'ok'
        ? await describeQuery(connection, catalog, probe.statement.value)
        : failed<Described>(...probe.statement.errors);
    described.push({ tree: probe.tree, described: result, children: await describeProbes(connection, catalog, probe.children) });
  }
  return described;
}

/** Stage describe: the query's statement and every include probe it needs, each sent to the server once. */
async function describeStage(
  connection: SchemaConnection,
  catalog: Catalog,
  query: ParsedQuery,
  trees: IncludeTree[],
): Promise<StageResult<DescribedStatements>> {
  const base = await describeQuery(connection, catalog, query);
  if (base.kind === 'error') return base;
  return ok({ base: base.value, probes: await describeProbes(connection, catalog, includeProbes(query.source, trees)) });
}

/** Stages check, compose and cache: pure functions of what was described. */
function composeStage(
  catalog: Catalog,
  { base, probes }: DescribedStatements,
  query: ParsedQuery,
  trees: IncludeTree[],
  scoping: CacheScoping,
  owner: readonly OwnedColumn[] | null,
) {
  const problems = checkQuery(base);
  if (problems.length > 0) return failed<DescribedQuery>(...problems);
  const misplaced = checkIncludesAllowed(query, trees.length);
  if (misplaced.length > 0) return failed<DescribedQuery>(...misplaced);
  const assembled = assembleIncludes(catalog, base.query.columns, probes);
  if (assembled.errors.length > 0) return failed<DescribedQuery>(...assembled.errors);
  const composed = composeQuery(base, assembled.includes, assembled.described);
  if (composed.kind === 'error') return composed;
  const statements = finalTrees(composed.value.final);
  // A utility statement's target and a routine's writes are writes too: the manifest's tables say so, and a
  // statement that writes through a routine is never read-only.
  const written = [...new Set([...composed.value.tables.written, ...statementWrites(catalog, statements)])].sort();
  const described = { ...composed.value, tables: { ...composed.value.tables, written } };
  const policy = cachePolicy(described, catalog, scoping, statements);
  if (policy.kind === 'error') return policy;
  const isolation = isolationOf(described, statements, catalog, owner);
  if (isolation.kind === 'error') return isolation;
  return ok<DescribedQuery>({
    ...described,
    cachePolicy: policy.value,
    effect: writeEffect(described, base.ast, catalog, scoping),
    isolation: isolation.value,
  });
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
  const connection = options.connection ?? schemaConnection(sql);
  const trees = buildIncludeTrees(parsed);
  errors.push(...trees.errors);
  const treesOf = (query: ParsedQuery) => trees.tops.get(query.name) ?? [];
  const tops: Outcome<ParsedQuery>[] = parsed
    .filter((query) => query.include === null)
    .map((query) => ({ query, result: ok(query), notes: [] }));
  const described = await each(tops, (query) => describeStage(connection, catalog, query, treesOf(query)));
  const withNotes = described.map((outcome) => ({
    ...outcome,
    notes: outcome.result.kind === 'ok' ? outcome.result.value.base.notes : [],
  }));
  const composed = await each(withNotes, (statements, query) =>
    composeStage(catalog, statements, query, treesOf(query), options.cacheScoping, options.owner ?? null),
  );
  const verified = await each(composed, (query) => verifyQuery(connection, catalog, query));
  const queries: VerifiedQuery[] = [];
  const notes: CodegenNote[] = [];
  for (const outcome of verified) {
    match(outcome.result)
      .with({ kind: 'ok' }, ({ value }) => {
        queries.push(value);
        notes.push(...outcome.notes.map((message) => ({ location: outcome.query.location, query: outcome.query.name, message })));
      })
      .with({ kind: 'error' }, (stopped) => errors.push(...stopped.errors))
      .exhaustive();
  }
  const models = queries.map((query) => toQueryModel(query, (type) => overrideType(type, options.types, catalog)));
  const files: GeneratedFiles = new Map();
  const modules: string[] = [];
  // Writes through Kysely name only their target: each module tells the runtime what else such a write drops.
  const effects = relationWriteEffects(catalog);
  for (const source of sources) {
    const inFile = models.filter((query) => query.file === source.file);
    if (inFile.length === 0) continue;
    const module = moduleName(source.file);
    modules.push(module);
    const writeEffects = effectsForReads(
      effects,
      inFile.map((query) => query.cache),
    );
    files.set(`${module}.ts`, emitModule(source.file, inFile, options, writeEffects));
    const json = emitJsonModule(source.file, module, inFile, options.runtime);
    if (json !== null) {
      files.set(`${jsonModuleName(module)}.ts`, json);
      modules.push(jsonModuleName(module));
    }
  }
  files.set('index.ts', emitIndex(modules, sources.length === 1 ? (sources[0]?.file ?? '') : 'the query files'));
  files.set('manifest.json', serializeManifest(models));
  return { files, errors, queries: models, notes };
}
