// Stage 8, beside emit.ts: a JSON writer per result type, from the model alone. An API answers with the JSON
// text of the rows a generated function returned; JSON.stringify has to discover each row's shape, call every
// Date's toJSON through a property lookup and escape-scan every string. The generator knows the shape: each
// writer is straight-line code over the row's known fields, and writes exactly the text JSON.stringify writes
// for a row of the declared type (test/api/response-json.test.ts holds it to that on the example's rows).
import { match } from 'ts-pattern';
import { GENERATED_HEADER_PREFIX } from 'sqlbound';
import type { ColumnModel, IncludeModel, QueryModel, TsType } from '../manifest/manifest.js';

/** The generated module that holds a query module's writers: `dashboard.ts` gets `dashboard.json.ts`. */
export function jsonModuleName(module: string): string {
  return `${module}.json`;
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/**
 * A module-private writer's name: `write$` and the query's name or the include's path with `$` for `.`. Query and
 * include names are identifiers without `$`, so no two of them, nor an exported `<query>Json`, share a name.
 */
function privateWriterName(path: string): string {
  return `write$${path.replaceAll('.', '$')}`;
}

function rowTypeName(query: QueryModel): string {
  return `${pascal(query.name)}Row`;
}

function includeTypeName(include: IncludeModel): string {
  return include.path.split('.').map(pascal).join('');
}

/**
 * A non-null value as JSON text. Types whose text JSON.stringify alone defines exactly (arrays, bigint, which
 * throws there too, Buffer, json values and named overrides, which may carry a toJSON) go through it.
 */
function valueJson(ts: TsType, value: string): string {
  return match(ts)
    .with({ kind: 'primitive', ts: 'string' }, () => `jsonString(${value})`)
    .with({ kind: 'enum' }, () => `jsonString(${value})`)
    .with({ kind: 'primitive', ts: 'number' }, () => `jsonNumber(${value})`)
    .with({ kind: 'primitive', ts: 'boolean' }, () => `(${value} ? "true" : "false")`)
    .with({ kind: 'primitive', ts: 'Date' }, () => `jsonDate(${value})`)
    .with(
      { kind: 'primitive', ts: 'Buffer' },
      { kind: 'primitive', ts: 'JsonValue' },
      { kind: 'primitive', ts: 'bigint' },
      () => `JSON.stringify(${value})`,
    )
    .with({ kind: 'array' }, { kind: 'named' }, () => `JSON.stringify(${value})`)
    .exhaustive();
}

function fieldJson(name: string, ts: TsType, nullable: boolean): string {
  const value = `row[${JSON.stringify(name)}]`;
  return nullable ? `(${value} === null ? "null" : ${valueJson(ts, value)})` : valueJson(ts, value);
}

function includeJson(include: IncludeModel): string {
  const value = `row[${JSON.stringify(include.name)}]`;
  const writer = privateWriterName(include.path);
  if (include.cardinality === 'many') return `jsonList(${value}, ${writer})`;
  return include.optional ? `(${value} === null ? "null" : ${writer}(${value}))` : `${writer}(${value})`;
}

/** `{"a":…,"b":…}` as one concatenation, the keys' text written at generation time. */
function objectWriter(name: string, type: string, columns: ColumnModel[], includes: IncludeModel[], exported: boolean): string {
  const parts = [
    ...columns.map((column) => ({ key: column.name, json: fieldJson(column.name, column.type.ts, column.nullable) })),
    ...includes.map((include) => ({ key: include.name, json: includeJson(include) })),
  ];
  const body =
    parts.length === 0
      ? '"{}"'
      : parts
          .map((part, index) => `${JSON.stringify(`${index === 0 ? '{' : ','}${JSON.stringify(part.key)}:`)} + ${part.json}`)
          .join(' +\n    ') + ' +\n    "}"';
  return `${exported ? 'export ' : ''}function ${name}(row: ${type}): string {\n  return (\n    ${body}\n  );\n}`;
}

function includeWriters(includes: IncludeModel[]): string[] {
  return includes.flatMap((include) => [
    objectWriter(privateWriterName(include.path), includeTypeName(include), include.columns, include.includes, false),
    ...includeWriters(include.includes),
  ]);
}

/** The exported writer of what the query's function returns: its row, its row or null, or its page. */
function resultWriter(query: QueryModel): string | null {
  const row = rowTypeName(query);
  const doc = (what: string) => `/** ${what} as JSON.stringify writes it, without discovering the shape at run time. */`;
  return match(query.kind)
    .with('one', () => `${doc(`A ${row}`)}\n${objectWriter(`${query.name}Json`, row, query.columns, query.includes, true)}`)
    .with(
      'maybe',
      () =>
        `${objectWriter(`${privateWriterName(query.name)}`, row, query.columns, query.includes, false)}\n` +
        `${doc(`A ${row} or null`)}\nexport function ${query.name}Json(row: ${row} | null): string {\n  return row === null ? "null" : ${privateWriterName(query.name)}(row);\n}`,
    )
    .with(
      'list',
      () =>
        `${objectWriter(`${privateWriterName(query.name)}`, row, query.columns, query.includes, false)}\n` +
        `${doc(`A page of ${row}`)}\nexport function ${query.name}PageJson(page: Page<${row}, ${JSON.stringify(query.name)}>): string {\n` +
        `  return '{"items":' + jsonList(page.items, ${privateWriterName(query.name)}) + ',"nextCursor":' + (page.nextCursor === null ? "null" : jsonString(page.nextCursor)) + "}";\n}`,
    )
    .with('exec', 'stream', () => null)
    .exhaustive();
}

// The runtime's JSON text pieces (src/runtime/json-text.ts) the writers call, by the name they are called by.
const RUNTIME_WRITERS = ['jsonString', 'jsonNumber', 'jsonDate', 'jsonList'] as const;

/**
 * The module of JSON writers for one query module's results, or null when none of its queries returns rows.
 * `module` is the query module's name (imports come from `./<module>.js`).
 */
export function emitJsonModule(sourceFile: string, module: string, queries: QueryModel[], runtime: string): string | null {
  const writers = queries.flatMap((query) => {
    const result = resultWriter(query);
    return result === null ? [] : [...includeWriters(query.includes), result];
  });
  if (writers.length === 0) return null;
  const code = writers.join('\n\n');
  const returning = queries.filter((query) => query.kind !== 'exec' && query.kind !== 'stream');
  const types = [...returning.flatMap((query) => [rowTypeName(query), ...allIncludes(query.includes).map(includeTypeName)])].sort();
  const usesPage = returning.some((query) => query.kind === 'list');
  // Only the pieces the writers call: a call is the name not preceded by an identifier character.
  const used = RUNTIME_WRITERS.filter((name) => new RegExp(`(?<![\\w$])${name}\\(`).test(code)).sort();
  return [
    `${GENERATED_HEADER_PREFIX} from ${sourceFile}. Do not edit: run sqlbound codegen.`,
    '',
    ...(usesPage ? [`import type { Page } from ${JSON.stringify(runtime)};`] : []),
    ...(used.length === 0 ? [] : [`import { ${used.join(', ')} } from ${JSON.stringify(runtime)};`]),
    `import type { ${types.join(', ')} } from ${JSON.stringify(`./${module}.js`)};`,
    '',
    code,
    '',
  ].join('\n');
}

function allIncludes(includes: IncludeModel[]): IncludeModel[] {
  return includes.flatMap((include) => [include, ...allIncludes(include.includes)]);
}
