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

/** The type names emit.ts gives a row and its includes' rows. */
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
    .with({ kind: 'primitive', ts: 'string' }, () => `str(${value})`)
    .with({ kind: 'enum' }, () => `str(${value})`)
    .with({ kind: 'primitive', ts: 'number' }, () => `num(${value})`)
    .with({ kind: 'primitive', ts: 'boolean' }, () => `(${value} ? "true" : "false")`)
    .with({ kind: 'primitive', ts: 'Date' }, () => `date(${value})`)
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
  if (include.cardinality === 'many') return `list(${value}, ${writer})`;
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
        `  return '{"items":' + list(page.items, ${privateWriterName(query.name)}) + ',"nextCursor":' + (page.nextCursor === null ? "null" : str(page.nextCursor)) + "}";\n}`,
    )
    .with('exec', 'stream', () => null)
    .exhaustive();
}

// Shared by every writer of a module. A string without a quote, a backslash, a control character or a surrogate
// is its own JSON text between quotes: one regular-expression test instead of JSON.stringify's call.
const HELPERS: Record<'str' | 'num' | 'date' | 'list', string> = {
  str: `const PLAIN = /^[^"\\\\\\u0000-\\u001f\\ud800-\\udfff]*$/;
function str(value: string): string {
  return value.length < 256 && PLAIN.test(value) ? '"' + value + '"' : JSON.stringify(value);
}`,
  num: `function num(value: number): string {
  return Number.isFinite(value) ? String(value) : "null";
}`,
  // toISOString is a call into the runtime per Date; the fields by arithmetic on the epoch milliseconds (Howard
  // Hinnant's days-to-civil) cost about a third of it (bench/RESULTS.md). Years outside 0000-9999, which
  // toISOString writes with a sign and six digits, and invalid dates keep JSON.stringify's text.
  date: `function date(value: Date): string {
  const time = value.getTime();
  if (Number.isNaN(time)) return "null";
  if (time < -62167219200000 || time >= 253402300800000) return '"' + value.toISOString() + '"';
  const days = Math.floor(time / 86400000);
  let ms = time - days * 86400000;
  const shifted = days + 719468;
  const era = Math.floor(shifted / 146097);
  const dayOfEra = shifted - era * 146097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hours = Math.floor(ms / 3600000);
  ms -= hours * 3600000;
  const minutes = Math.floor(ms / 60000);
  ms -= minutes * 60000;
  const seconds = Math.floor(ms / 1000);
  ms -= seconds * 1000;
  return '"' + (year < 1000 ? ("000" + year).slice(-4) : year) + "-" + two(month) + "-" + two(day) + "T" + two(hours) + ":" + two(minutes) + ":" + two(seconds) + "." + (ms < 10 ? "00" + ms : ms < 100 ? "0" + ms : ms) + 'Z"';
}
function two(value: number): string {
  return value < 10 ? "0" + value : "" + value;
}`,
  list: `function list<T>(rows: readonly T[], write: (row: T) => string): string {
  let text = "[";
  for (let index = 0; index < rows.length; index += 1) text += (index === 0 ? "" : ",") + write(rows[index] as T);
  return text + "]";
}`,
};

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
  return [
    `${GENERATED_HEADER_PREFIX} from ${sourceFile}. Do not edit: run sqlbound codegen.`,
    '',
    ...(usesPage ? [`import type { Page } from ${JSON.stringify(runtime)};`] : []),
    `import type { ${types.join(', ')} } from ${JSON.stringify(`./${module}.js`)};`,
    '',
    ...Object.entries(HELPERS)
      // Only the helpers the writers call: a call is the name not preceded by an identifier character (`write$date(` is not one).
      .filter(([name]) => new RegExp(`(?<![\\w$])${name}\\(`).test(code))
      .map(([, helper]) => `${helper}\n`),
    code,
    '',
  ].join('\n');
}

function allIncludes(includes: IncludeModel[]): IncludeModel[] {
  return includes.flatMap((include) => [include, ...allIncludes(include.includes)]);
}
