// Stage 8: the TypeScript modules and their index, from the model alone (manifest.ts): emit never sees the
// pipeline's working data, so it can be read, and replaced, without knowing how the SQL was analysed.
import { match } from 'ts-pattern';
import { GENERATED_HEADER_PREFIX } from 'sqlbound';
import { MAX_LIMIT } from 'sqlbound';
import type { ColumnModel, IncludeModel, ParamModel, QueryModel, TsType, TypeModel } from '../manifest/manifest.js';
import { reviveSpec } from './revive.js';
import { GENERATOR } from '../version.js';
import { MANIFEST_VERSION } from '../manifest/manifest.js';

export type EmitOptions = {
  /** Import specifier of the runtime in generated modules (the package name, `sqlbound`, by default). */
  runtime: string;
};

// The runtime recognises generated modules by this header (call sites skip their frames): keep them in step.
const HEADER = (source: string) => `${GENERATED_HEADER_PREFIX} from ${source}. Do not edit: run sqlbound codegen.\n`;

/**
 * A TsType as TypeScript source, exactly as generated modules spell it (enum labels as a union of string
 * literals, a named override by its name), for tools that show or emit types of their own.
 *
 * @example
 * ```ts
 * import { tsTypeOf } from '@sqlbound/cli/codegen';
 *
 * tsTypeOf({ kind: 'primitive', ts: 'Date' }); // 'Date'
 * tsTypeOf({ kind: 'enum', pgName: 'alert_severity', labels: ['low', 'high'] }); // '"low" | "high"'
 * tsTypeOf({ kind: 'array', element: { kind: 'primitive', ts: 'string' } }); // 'string[]'
 * ```
 */
export function tsTypeOf(ts: TsType): string {
  return match(ts)
    .with({ kind: 'primitive' }, ({ ts: name }) => name)
    .with({ kind: 'enum' }, ({ labels }) => labels.map((label) => JSON.stringify(label)).join(' | '))
    .with({ kind: 'array' }, ({ element }) => {
      const inner = tsTypeOf(element);
      return element.kind === 'enum' ? `(${inner})[]` : `${inner}[]`;
    })
    .with({ kind: 'named' }, ({ name }) => name)
    .exhaustive();
}

/** Types a module must import for its named overrides, by module specifier. */
function namedImports(types: TsType[]): Map<string, Set<string>> {
  const imports = new Map<string, Set<string>>();
  const visit = (ts: TsType): void => {
    if (ts.kind === 'array') visit(ts.element);
    if (ts.kind !== 'named') return;
    if (ts.from !== null) imports.set(ts.from, (imports.get(ts.from) ?? new Set()).add(ts.name));
    visit(ts.base);
  };
  types.forEach(visit);
  return imports;
}

/** JSON cannot carry a bigint: over HTTP it travels as a decimal string, so that is what its schema reads. */
function carriesBigint(ts: TsType): boolean {
  return match(ts)
    .with({ kind: 'primitive' }, ({ ts: name }) => name === 'bigint')
    .with({ kind: 'enum' }, () => false)
    .with({ kind: 'array' }, ({ element }) => carriesBigint(element))
    .with({ kind: 'named' }, ({ base }) => carriesBigint(base))
    .exhaustive();
}

/**
 * The zod schema of a param. Its input type is the param's TypeScript type (what a typed client, such as tRPC's,
 * must send), its checks those of untrusted input: `clientType<T>()` declares the first, the rest does the second.
 */
function zodOf(type: TypeModel): string {
  const scalar = (ts: TsType): string =>
    match(ts)
      // Validated as its base; the cast says what the override promises (a branded or narrowed type).
      .with({ kind: 'named' }, ({ base, name }) => {
        const checked = `${scalar(base)}.transform((value) => value as unknown as ${name})`;
        return carriesBigint(base) ? checked : `clientType<${name}>().pipe(${checked})`;
      })
      .with({ kind: 'primitive', ts: 'bigint' }, () => 'int8Input.transform((value) => BigInt(value))')
      .with({ kind: 'primitive', ts: 'string' }, () =>
        type.name === 'int8' || type.name === '_int8' ? 'int8Input' : type.name === 'numeric' ? 'numericInput' : 'z.string()',
      )
      .with({ kind: 'primitive', ts: 'number' }, () =>
        ['int2', 'int4', '_int2', '_int4'].includes(type.name) ? 'int4Input' : type.name === 'int8' ? 'z.number().int()' : 'z.number()',
      )
      .with({ kind: 'primitive', ts: 'boolean' }, () => 'z.boolean()')
      // A client's Date travels as its ISO string (JSON.stringify), which coercion reads back.
      .with({ kind: 'primitive', ts: 'Date' }, () => 'clientType<Date>().pipe(z.coerce.date())')
      .with({ kind: 'primitive', ts: 'Buffer' }, () => 'z.instanceof(Buffer)')
      .with({ kind: 'primitive', ts: 'JsonValue' }, () => 'jsonInput')
      .with({ kind: 'enum' }, ({ labels }) => `z.enum([${labels.map((label) => JSON.stringify(label)).join(', ')}])`)
      .with({ kind: 'array' }, ({ element }) => `z.array(${scalar(element)}).max(1000)`)
      .exhaustive();
  return scalar(type.ts);
}

/** SQL as a template literal, so generated modules read like the SQL they run. */
function sqlLiteral(text: string): string {
  return `\`\n${text.replaceAll('\\', '\\\\').replaceAll('`', '\\`').replaceAll('${', '\\${')}\n\``;
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function paramField(param: ParamModel): string {
  const type = tsTypeOf(param.type.ts);
  return param.optional ? `  ${param.name}?: ${type} | null;` : `  ${param.name}: ${type};`;
}

function rowField(column: ColumnModel): string {
  const type = tsTypeOf(column.type.ts);
  return `  ${JSON.stringify(column.name)}: ${column.nullable ? `${type} | null` : type};`;
}

function includeTypeName(include: IncludeModel): string {
  return include.path.split('.').map(pascal).join('');
}

function includeTypes(includes: IncludeModel[]): string[] {
  return includes.flatMap((include) => [
    `export type ${includeTypeName(include)} = {\n${[...include.columns.map(rowField), ...includeFields(include.includes)].join('\n')}\n};`,
    ...includeTypes(include.includes),
  ]);
}

function includeFields(includes: IncludeModel[]): string[] {
  return includes.map((include) => {
    const name = includeTypeName(include);
    const type = include.cardinality === 'many' ? `${name}[]` : include.optional ? `${name} | null` : name;
    return `  ${JSON.stringify(include.name)}: ${type};`;
  });
}

/** A param's value as the statement gets it: a `date` as its UTC calendar day, whatever the process's TZ. */
function paramValue(param: ParamModel): string {
  const value = param.optional ? `(params.${param.name} ?? null)` : `params.${param.name}`;
  const converter = dateConverter(param);
  if (converter !== null) return `${converter}(${value})`;
  return param.optional ? `params.${param.name} ?? null` : value;
}

/** The runtime function that writes a `date` (or `date[]`) param typed as Date, or null (an override may type it otherwise). */
function dateConverter(param: ParamModel): 'calendarDate' | 'calendarDates' | null {
  const { name, ts } = param.type;
  if (name === 'date' && ts.kind === 'primitive' && ts.ts === 'Date') return 'calendarDate';
  if (name === '_date' && ts.kind === 'array' && ts.element.kind === 'primitive' && ts.element.ts === 'Date') return 'calendarDates';
  return null;
}

/**
 * A page item's fields, read from the row by name: the columns, then the includes (the cursor columns are left out).
 * `__proto__` is written as a computed key: as a plain key in an object literal it would set the item's prototype.
 */
function itemFields(query: QueryModel): string[] {
  return [...query.columns.map((column) => column.name), ...query.includes.map((include) => include.name)].map((name) => {
    const literal = JSON.stringify(name);
    return `${name === '__proto__' ? `[${literal}]` : literal}: row[${literal}]`;
  });
}

/**
 * A statement's output columns in the order its SQL returns them: the query's columns, a list's cursor columns
 * (compose.ts wraps the query as `SELECT q.*, <cursor columns>`), then the includes (`SELECT p0.*, <includes>`).
 */
function outputColumns(query: QueryModel, cursorColumns: readonly string[]): string[] {
  return [...query.columns.map((column) => column.name), ...cursorColumns, ...query.includes.map((include) => include.name)];
}

/** The statement's `shape`: its columns, and its row as one object literal over the array pg reads in array mode. */
function shapeOf(columns: readonly string[], indent: string): string {
  const fields = columns.map((name, position) => {
    const literal = JSON.stringify(name);
    return `${name === '__proto__' ? `[${literal}]` : literal}: v[${position}]`;
  });
  return `${indent}  shape: { columns: ${JSON.stringify(columns)}, build: (v) => ({ ${fields.join(', ')} }) },`;
}

function emitQuery(query: QueryModel): string {
  const Name = pascal(query.name);
  const paramsType = `${Name}Params`;
  const rowType = `${Name}Row`;
  const isList = query.kind === 'list';
  const paramLines = query.params.map(paramField);
  if (isList) paramLines.push('  limit: Limit;', `  cursor: Cursor<${JSON.stringify(query.name)}> | null;`);
  if (query.kind === 'stream') paramLines.push(`  /** Rows per batch, at most ${MAX_LIMIT} (the default). */`, '  batchSize?: number;');
  const paramsOptional = paramLines.every((line) => line.includes('?:') || line.trim().startsWith('/**'));
  const values = `[${query.params.map(paramValue).join(', ')}]`;
  const callOptions = query.kind === 'stream' ? '' : ', options?: CallOptions';
  const signature = `db: Queryable, params: ${paramsType}${paramsOptional ? ' = {}' : ''}${callOptions}`;
  const location = `${query.file}:${query.line}`;
  // The revive spec travels in the statement object, so the call passes the statement and the call's options
  // only, never a positional placeholder between them.
  const revive = reviveSpec(query.columns, query.includes, false);
  const reviveLine = Object.keys(revive).length > 0 ? `  revive: ${JSON.stringify(revive)},` : null;
  const out: string[] = [];
  out.push(`// ${query.name} :${query.kind} (${location})`);
  out.push(`export type ${paramsType} = {${paramLines.length ? `\n${paramLines.join('\n')}\n` : ''}};`);
  if (query.kind !== 'exec') {
    out.push(`export type ${rowType} = {\n${[...query.columns.map(rowField), ...includeFields(query.includes)].join('\n')}\n};`);
    out.push(...includeTypes(query.includes));
  }
  const statement = (suffix: string, text: string, columns: readonly string[] | null, indent = '  ', lookAhead = false) =>
    [
      '{',
      `${indent}  name: ${JSON.stringify(query.name + suffix)},`,
      lookAhead ? `${indent}  lookAhead: true,` : null,
      query.readOnly ? `${indent}  readOnly: true,` : null,
      query.replica ? `${indent}  replica: true,` : null,
      query.cache ? `${indent}  cache: ${JSON.stringify(query.cache)},` : null,
      query.effect ? `${indent}  effect: ${JSON.stringify(query.effect)},` : null,
      // A list revives its page items, not each statement's rows: the spec sits on the ListStatements.
      !lookAhead && reviveLine !== null ? `${indent}${reviveLine}` : null,
      columns === null ? null : shapeOf(columns, indent),
      `${indent}  text: ${sqlLiteral(text)},`,
      `${indent}}`,
    ]
      .filter((line) => line !== null)
      .join('\n');
  match(query.statements)
    .with({ kind: 'list' }, (list) => {
      out.push(
        `const ${query.name}Statements: ListStatements<${JSON.stringify(query.name)}> = {\n` +
          `  name: ${JSON.stringify(query.name)},\n` +
          `  first: ${statement('', list.first, outputColumns(query, list.cursorColumns), '  ', true)},\n` +
          `  after: ${statement(':after', list.after, outputColumns(query, list.cursorColumns), '  ', true)},\n` +
          `  cursorColumns: ${JSON.stringify(list.cursorColumns)},\n` +
          `  item: (row) => ({ ${itemFields(query).join(', ')} }),\n` +
          (reviveLine === null ? '' : `${reviveLine}\n`) +
          '};',
      );
      out.push(
        `export function ${query.name}(${signature}): Promise<Page<${rowType}, ${JSON.stringify(query.name)}>> {\n` +
          `  return runList(db, ${query.name}Statements, ${values}, params.limit, params.cursor, options);\n}`,
      );
    })
    .with({ kind: 'single' }, (single) => {
      // Only a list's statements are shaped: on a page of 51 rows the builder saved about a tenth of the call's Node
      // CPU, on a single row (the dashboard) it cost more than pg's own object (issue 30, bench/RESULTS.md). An :exec
      // returns no rows, and a :stream reads its rows through pg-cursor, by name.
      out.push(`const ${query.name}Statement: Statement = ${statement('', single.text, null, '')};`);
      const body = match(query.kind)
        .with('one', () => `: Promise<${rowType}> {\n  return runOne<${rowType}>(db, ${query.name}Statement, ${values}, options);`)
        .with(
          'maybe',
          () => `: Promise<${rowType} | null> {\n  return runMaybe<${rowType}>(db, ${query.name}Statement, ${values}, options);`,
        )
        .with('exec', () => `: Promise<number> {\n  return runExec(db, ${query.name}Statement, ${values}, options);`)
        .with(
          'stream',
          () =>
            `: AsyncGenerator<${rowType}[]> {\n  return runStream<${rowType}>(db, ${query.name}Statement, ${values}, params.batchSize ?? ${MAX_LIMIT});`,
        )
        .with('list', () => {
          throw new Error(`${query.name}: a :list query must have list statements`);
        })
        .exhaustive();
      out.push(`export function ${query.name}(${signature})${body}\n}`);
    })
    .exhaustive();
  const inputFields = query.params.map((param) => {
    const schema = zodOf(param.type);
    return `  ${param.name}: ${param.optional ? `${schema}.nullable().optional()` : schema},`;
  });
  if (isList) inputFields.push('  limit: limitInput,', `  cursor: cursorInput<${JSON.stringify(query.name)}>(),`);
  out.push(
    `/** Validates untrusted input (HTTP) for ${query.name}; unknown fields are rejected. */\n` +
      `export const ${query.name}Input = z.strictObject({${inputFields.length ? `\n${inputFields.join('\n')}\n` : ''}});`,
  );
  return out.join('\n');
}

/**
 * `writeEffects`: for each relation a write to which drops more than its own tag, the tags of this module's cached
 * reads it drops (./cache.ts effectsForReads); registered with the runtime by generatedBy, for writes through Kysely.
 */
export function emitModule(
  sourceFile: string,
  queries: QueryModel[],
  options: EmitOptions,
  writeEffects: Readonly<Record<string, string[]>> = {},
): string {
  const kinds = new Set(queries.map((query) => query.kind));
  const runImports = [
    kinds.has('list') ? 'runList' : null,
    kinds.has('one') ? 'runOne' : null,
    kinds.has('maybe') ? 'runMaybe' : null,
    kinds.has('exec') ? 'runExec' : null,
    kinds.has('stream') ? 'runStream' : null,
    kinds.has('list') ? 'type ListStatements' : null,
  ].filter((name) => name !== null);
  const inputImports = new Set<string>();
  const allTypes = queries.flatMap((query) => [
    ...query.params.map((p) => zodOf(p.type)),
    ...(query.kind === 'list' ? ['limitInput', 'cursorInput'] : []),
  ]);
  for (const name of ['int8Input', 'numericInput', 'int4Input', 'jsonInput', 'limitInput', 'cursorInput', 'clientType']) {
    if (allTypes.some((text) => text.includes(name))) inputImports.add(name);
  }
  const usesJson = queries.some((query) =>
    [...query.columns.map((c) => c.type.ts), ...query.params.map((p) => p.type.ts)].some((ts) => tsTypeOf(ts).includes('JsonValue')),
  );
  const typeImports = [
    ...(kinds.size > (kinds.has('stream') ? 1 : 0) ? ['CallOptions'] : []),
    'Queryable',
    ...(kinds.size > (kinds.has('list') ? 1 : 0) ? ['Statement'] : []),
  ];
  const paginationTypes = kinds.has('list') ? ['Cursor', 'Limit', 'Page'] : [];
  const types = [
    ...typeImports,
    ...paginationTypes,
    ...(usesJson ? ['JsonValue'] : []),
    ...runImports.filter((name) => name.startsWith('type ')).map((name) => name.slice('type '.length)),
  ].sort();
  const converters = new Set(queries.flatMap((query) => query.params.map(dateConverter).filter((name) => name !== null)));
  const values = ['generatedBy', 'z', ...inputImports, ...converters, ...runImports.filter((name) => !name.startsWith('type '))].sort();
  const named = namedImports(queries.flatMap((query) => [...query.params, ...query.columns].map((item) => item.type.ts)));
  const lines = [
    HEADER(sourceFile),
    `import type { ${types.join(', ')} } from ${JSON.stringify(options.runtime)};`,
    `import { ${values.join(', ')} } from ${JSON.stringify(options.runtime)};`,
    ...[...named]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([from, names]) => `import type { ${[...names].sort().join(', ')} } from ${JSON.stringify(from)};`),
    '',
    // The runtime's createDb refuses generated code of a manifest version it does not run (a mismatched install).
    `generatedBy({ manifestVersion: ${MANIFEST_VERSION}, generator: ${JSON.stringify(GENERATOR)}, source: ${JSON.stringify(sourceFile)}` +
      (Object.keys(writeEffects).length === 0 ? '' : `, writeEffects: ${JSON.stringify(writeEffects)}`) +
      ' });',
    '',
    queries.map(emitQuery).join('\n\n'),
    '',
  ];
  return lines.join('\n');
}

export function emitIndex(modules: string[], sources: string): string {
  return `${HEADER(sources)}\n${modules.map((module) => `export * from './${module}.js';`).join('\n')}\n`;
}
