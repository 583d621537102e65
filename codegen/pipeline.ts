// The query half of codegen as one function over plain data, so golden tests run exactly what npm run codegen runs.
import { basename } from 'node:path';
import { loadModule } from 'libpg-query';
import type postgres from 'postgres';
import { loadCatalog } from './catalog.js';
import { checkQuery } from './check.js';
import { describeQuery, type Described } from './describe.js';
import { emitIndex, emitManifest, emitModule } from './emit.js';
import type { CodegenError, DescribedQuery, ParsedQuery } from './model.js';
import type { GeneratedFiles } from './output.js';
import { duplicateNames, parseQueryFile } from './parse.js';

export type QuerySource = { file: string; text: string };

export type QueryGeneration = {
  files: GeneratedFiles;
  errors: CodegenError[];
  queries: DescribedQuery[];
};

export function moduleName(file: string): string {
  return basename(file, '.sql').replace(/[^A-Za-z0-9_]/g, '_');
}

export async function generateQueries(sql: postgres.Sql, sources: QuerySource[]): Promise<QueryGeneration> {
  await loadModule();
  const errors: CodegenError[] = [];
  const parsed: ParsedQuery[] = [];
  for (const source of sources) {
    const result = parseQueryFile(source.file, source.text);
    parsed.push(...result.queries);
    errors.push(...result.errors);
  }
  errors.push(...duplicateNames(parsed));
  const catalog = await loadCatalog(sql);
  const described: Described[] = [];
  for (const query of parsed) {
    if (query.include !== null) {
      errors.push({
        location: query.location,
        query: query.name,
        message: 'includes are not supported yet',
        fix: 'load the related rows with a LEFT JOIN LATERAL subquery in the parent query',
      });
      continue;
    }
    const result = await describeQuery(sql, catalog, query);
    if ('error' in result) {
      errors.push(result.error);
      continue;
    }
    const problems = checkQuery(result.described, catalog);
    errors.push(...problems);
    if (problems.length === 0) described.push(result.described);
  }
  const files: GeneratedFiles = new Map();
  const queries = described.map((entry) => entry.query);
  const modules: string[] = [];
  for (const source of sources) {
    const inFile = queries.filter((query) => query.location.file === source.file);
    if (inFile.length === 0) continue;
    const module = moduleName(source.file);
    modules.push(module);
    files.set(`generated/${module}.ts`, emitModule(source.file, inFile));
  }
  files.set('generated/index.ts', emitIndex(modules));
  files.set('generated/manifest.json', emitManifest(queries));
  return { files, errors, queries };
}
