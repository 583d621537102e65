// Stage compose (pure): a described query and its described includes turned into the statements the generated
// function runs. Includes become LEFT JOIN LATERAL subqueries aliased per nesting level (p0, p1, ...); related rows
// travel as JSON built with json_build_object, int8 and numeric cast to text so no precision is lost, timestamptz
// as epoch milliseconds (revived in generated code). A :list gets its keyset pair: the first page and the page
// after a cursor. No database: param types and tables come from what the describe stage already learnt; the verify
// stage confirms them.
import { match } from 'ts-pattern';
import { failed, ok, type CodegenError, type StageResult } from '../diagnostics.js';
import type { Described } from './describe.js';
import { renameParent, rowAlias } from './includes.js';
import type {
  DescribedBase,
  DescribedColumn,
  DescribedInclude,
  DescribedParam,
  DescribedQuery,
  FinalStatements,
  OrderTerm,
  ParsedParam,
  TableAccess,
} from './pipeline-data.js';
import { rewriteParams } from './params.js';
import { quoteIdentifier } from 'sqlbound';
import { MAX_LIMIT } from 'sqlbound';

function jsonValue(rowAlias: string, column: DescribedColumn): string {
  const reference = `${rowAlias}.${quoteIdentifier(column.name)}`;
  // A timestamptz travels as whole epoch milliseconds (a JSON number, floored as a Date's milliseconds are): the
  // generated code makes a Date of it without parsing text (revive.ts's 'epochMs'). Infinity travels as a string.
  if (column.type.name === 'timestamptz') return `floor(extract(epoch from ${reference}) * 1000)`;
  const exact = (name: string) => ['int8', 'numeric', '_int8', '_numeric'].includes(name);
  if (!exact(column.type.name)) return reference;
  return column.type.name.startsWith('_') ? `${reference}::text[]` : `${reference}::text`;
}

function orderBy(rowAlias: string, order: OrderTerm[]): string {
  return order.map((term) => `${rowAlias}.${quoteIdentifier(term.column)} ${term.direction}`).join(', ');
}

type Joins = { values: { name: string; expression: string }[]; joins: string[] };

/** SQL with named params rendered positionally, numbering new names after those already in `registry`. */
function positional(
  source: string,
  registry: Map<string, ParsedParam>,
  location: CodegenError['location'],
  query: string,
): StageResult<string> {
  return match(rewriteParams(source, registry))
    .with({ kind: 'ok' }, ({ value }) => ok(value.text))
    .with({ kind: 'error' }, (rewrite) => failed<string>({ location, query, message: rewrite.error, fix: rewrite.fix }))
    .exhaustive();
}

/** LEFT JOIN LATERAL clauses attaching each include to the rows aliased p{depth-1}. */
function includeJoins(includes: DescribedInclude[], depth: number, registry: Map<string, ParsedParam>): StageResult<Joins> {
  const values: Joins['values'] = [];
  const joins: string[] = [];
  for (const include of includes) {
    const row = rowAlias(depth);
    const joined = quoteIdentifier(`i${depth}_${include.name}`);
    const rendered = positional(renameParent(include.source, rowAlias(depth - 1)), registry, include.location, include.path);
    if (rendered.kind === 'error') return rendered;
    const text = rendered.value;
    const nestedJoins = includeJoins(include.children, depth + 1, registry);
    if (nestedJoins.kind === 'error') return nestedJoins;
    const nested = nestedJoins.value;
    const fields = [
      ...include.columns.map((column) => `'${column.name}', ${jsonValue(row, column)}`),
      ...nested.values.map((inner) => `'${inner.name}', ${inner.expression}`),
    ];
    const object = `json_build_object(${fields.join(', ')})`;
    const body =
      include.cardinality === 'one'
        ? [`SELECT ${object} AS value`, `FROM (\n${text}\n) AS ${row}`]
        : [
            `SELECT coalesce(json_agg(${object} ORDER BY ${orderBy(row, include.order ?? [])}), '[]'::json) AS value`,
            `FROM (\nSELECT * FROM (\n${text}\n) AS c ORDER BY ${orderBy('c', include.order ?? [])} LIMIT ${include.limit ?? MAX_LIMIT}\n) AS ${row}`,
          ];
    joins.push(`LEFT JOIN LATERAL (\n${[...body, ...nested.joins].join('\n')}\n) AS ${joined} ON true`);
    values.push({ name: include.name, expression: `${joined}.value` });
  }
  return ok({ values, joins });
}

function keysetPredicate(order: OrderTerm[], placeholders: string[]): string {
  const column = (term: OrderTerm) => `q.${quoteIdentifier(term.column)}`;
  const op = (term: OrderTerm) => (term.direction === 'DESC' ? '<' : '>');
  const first = order[0];
  if (first !== undefined && order.every((term) => term.direction === first.direction)) {
    return `(${order.map(column).join(', ')}) ${op(first)} (${placeholders.join(', ')})`;
  }
  const branches = order.map((term, index) => {
    const equal = order.slice(0, index).map((earlier, j) => `${column(earlier)} = ${placeholders[j]}`);
    return `(${[...equal, `${column(term)} ${op(term)} ${placeholders[index]}`].join(' AND ')})`;
  });
  return `(${branches.join(' OR ')})`;
}

/**
 * The final statements and their params. Params are numbered across the parent and its includes in one
 * registry; the keyset values and the page size come last, so the runtime appends them.
 */
export function composeStatements(
  query: DescribedBase,
  includes: DescribedInclude[],
): StageResult<{ final: FinalStatements; params: ParsedParam[] }> {
  const registry = new Map<string, ParsedParam>();
  const rendered = positional(query.source, registry, query.location, query.name);
  if (rendered.kind === 'error') return rendered;
  const text = rendered.value;
  const joined = includeJoins(includes, 1, registry);
  if (joined.kind === 'error') return joined;
  const { values, joins } = joined.value;
  const select = values.map((value) => `${value.expression} AS ${quoteIdentifier(value.name)}`);
  const params = [...registry.values()];
  const withIncludes = (inner: string, outerOrder: string | null) =>
    includes.length === 0
      ? inner
      : [`SELECT p0.*, ${select.join(', ')}`, `FROM (\n${inner}\n) AS p0`, ...joins, ...(outerOrder ? [outerOrder] : [])].join('\n');
  if (query.kind !== 'list') return ok({ final: { kind: 'single', text: withIncludes(text, null) }, params });
  const order = query.annotations.order ?? [];
  const base = params.length;
  const cursorColumns = order.map((_, index) => `__cursor_${index}`);
  const selectList = [
    'SELECT q.*',
    ...order.map((term, index) => `q.${quoteIdentifier(term.column)}::text AS ${quoteIdentifier(cursorColumns[index] ?? '')}`),
  ].join(', ');
  const from = `FROM (\n${text}\n) AS q`;
  const pageOrder = `ORDER BY ${orderBy('q', order)}`;
  // By the type's qualified name: a bare name would miss a type outside the search path, or find another schema's.
  const typeOf = (term: OrderTerm) => query.columns.find((column) => column.name === term.column)?.type.qualified ?? 'text';
  const placeholders = order.map((term, index) => `$${base + index + 1}::${typeOf(term)}`);
  const first = `${selectList}\n${from}\n${pageOrder}\nLIMIT $${base + 1}::int4`;
  const after = `${selectList}\n${from}\nWHERE ${keysetPredicate(order, placeholders)}\n${pageOrder}\nLIMIT $${base + order.length + 1}::int4`;
  const outerOrder = `ORDER BY ${orderBy('p0', order)}`;
  return ok({
    final: { kind: 'list', first: withIncludes(first, outerOrder), after: withIncludes(after, outerOrder), cursorColumns },
    params,
  });
}

/** The tables of the composed statement: the query's own and those its includes read. */
function composedTables(base: TableAccess, includes: Described[]): TableAccess {
  const union = (pick: (tables: TableAccess) => string[]) =>
    [...new Set([base, ...includes.map((d) => d.query.tables)].flatMap(pick))].sort();
  return { read: union((tables) => tables.read), written: union((tables) => tables.written) };
}

/**
 * Each param of the composed statement with the type the describe stage found for it: in the query itself, or in
 * the probe of the include that uses it. The verify stage checks the server agrees on the composed statement.
 */
function composedParams(params: ParsedParam[], described: Described[]): DescribedParam[] {
  const typeOf = new Map<string, DescribedParam['type']>();
  for (const { query } of described)
    for (const param of query.describedParams) if (!typeOf.has(param.name)) typeOf.set(param.name, param.type);
  return params.flatMap((param) => {
    const type = typeOf.get(param.name);
    return type === undefined ? [] : [{ ...param, type }];
  });
}

/** The query and its checked includes composed into the final statements, with params and tables of the whole. */
export function composeQuery(base: Described, includes: DescribedInclude[], includesDescribed: Described[]): StageResult<DescribedQuery> {
  const composed = composeStatements(base.query, includes);
  if (composed.kind === 'error') return composed;
  const { final, params } = composed.value;
  const query: DescribedQuery = { ...base.query, includes, final, cachePolicy: null, effect: null, isolation: { kind: 'none' } };
  if (includes.length === 0) return ok(query);
  const describedParams = composedParams(params, [base, ...includesDescribed]);
  const missing = params.find((param) => !describedParams.some((described) => described.name === param.name));
  if (missing !== undefined) {
    return failed({
      location: base.query.location,
      query: base.query.name,
      message: `param :${missing.name} of the composed statement was not described`,
      fix: 'this is a sqlbound bug: please report it with the query',
    });
  }
  return ok({ ...query, params, describedParams, tables: composedTables(base.query.tables, includesDescribed) });
}
