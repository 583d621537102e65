// Stage 7a (compose): eager includes and keyset pagination turned into the final statements.
// An include's SQL names its parent row `parent`; each nesting level gets its own alias (p0, p1, ...), so a
// nested include's `parent` is the row of the include above it. Related rows travel as JSON built with
// json_build_object, int8 and numeric cast to text so no precision is lost; timestamps are revived in JS.
import { parseSync, scanSync } from 'libpg-query';
import type postgres from 'postgres';
import { names, nodeOf } from '../analysis/tree.js';
import { PG_PARSED_ARRAYS, type Catalog } from '../analysis/catalog.js';
import { describeQuery } from './describe.js';
import type {
  CodegenError,
  DescribedBase,
  DescribedColumn,
  DescribedInclude,
  FinalStatements,
  OrderTerm,
  ParsedParam,
  ParsedQuery,
  PgType,
} from './pipeline-data.js';
import { rewriteParams } from './params.js';
import { quoteIdentifier } from '../../src/runtime/identifier.js';
import { MAX_LIMIT } from '../../src/runtime/pagination.js';
import type { ReviveField, ReviveSpec } from '../../src/runtime/revive.js';

export type IncludeTree = { query: ParsedQuery; children: IncludeTree[] };

const alias = (depth: number) => `p${depth}`;

/** Renames `parent.` references to the alias of the parent's level, using the real scanner. */
export function renameParent(source: string, to: string): string {
  const bytes = Buffer.from(source, 'utf8');
  const tokens = scanSync(source).tokens;
  const pieces: string[] = [];
  let copied = 0;
  tokens.forEach((token, index) => {
    const next = tokens[index + 1];
    const text = bytes.subarray(token.start, token.end).toString('utf8');
    if (
      text.toLowerCase() === 'parent' &&
      next !== undefined &&
      next.start === token.end &&
      bytes.subarray(next.start, next.end).toString('utf8') === '.'
    ) {
      pieces.push(bytes.subarray(copied, token.start).toString('utf8'), to);
      copied = token.end;
    }
  });
  pieces.push(bytes.subarray(copied).toString('utf8'));
  return pieces.join('');
}

/** Groups include blocks under their parents; includes whose parent path does not exist are errors. */
export function buildIncludeTrees(queries: ParsedQuery[]): { tops: Map<string, IncludeTree[]>; errors: CodegenError[] } {
  const tops = new Map<string, IncludeTree[]>();
  const byPath = new Map<string, IncludeTree>();
  const errors: CodegenError[] = [];
  for (const query of queries) if (query.include === null) tops.set(query.name, []);
  const includes = queries.filter((query) => query.include !== null).sort((a, b) => a.name.split('.').length - b.name.split('.').length);
  for (const query of includes) {
    const include = query.include;
    if (include === null) continue;
    const node: IncludeTree = { query, children: [] };
    const siblings = include.parent.includes('.') ? byPath.get(include.parent)?.children : tops.get(include.parent);
    if (siblings === undefined) {
      errors.push({
        location: query.location,
        query: query.name,
        message: `include ${query.name} names an unknown parent ${include.parent}`,
        fix: 'name a query defined with "-- name:", or an include path such as listExposures.latestAlerts',
      });
      continue;
    }
    siblings.push(node);
    byPath.set(query.name, node);
  }
  return { tops, errors };
}

/** The statement that describes an include's rows: one parent row, the include joined laterally. */
function describeSource(parentSource: string, include: ParsedQuery, depth: number): string {
  return [
    `SELECT ${alias(depth)}.* FROM (SELECT * FROM (\n${parentSource}\n) AS x LIMIT 1) AS ${alias(depth - 1)},`,
    `LATERAL (\n${renameParent(include.source, alias(depth - 1))}\n) AS ${alias(depth)}`,
  ].join('\n');
}

/** True when `WHERE t.key = parent.fk` follows a NOT NULL foreign key to a unique key: the row always exists. */
function guaranteedByForeignKey(include: ParsedQuery, parentColumns: DescribedColumn[], catalog: Catalog): boolean {
  const positional = rewriteParams(include.source);
  if ('error' in positional) return false;
  const stmts = parseSync(positional.text).stmts ?? [];
  const select = nodeOf(stmts[0]?.stmt, 'SelectStmt');
  const fromClause = select?.fromClause ?? [];
  if (select === null || fromClause.length !== 1) return false;
  const from = nodeOf(fromClause[0], 'RangeVar');
  const table = from === null ? null : catalog.resolveTable(from.schemaname ?? null, from.relname ?? '');
  const where = nodeOf(select.whereClause, 'A_Expr');
  if (table === null || where === null || names(where.name)[0] !== '=') return false;
  const refs = [where.lexpr, where.rexpr].map((side) => nodeOf(side, 'ColumnRef')).map((ref) => (ref === null ? [] : names(ref.fields)));
  const parentRef = refs.find((fields) => fields.length === 2 && fields[0] === 'parent');
  const ownRef = refs.find((fields) => fields !== parentRef);
  if (parentRef === undefined || ownRef === undefined) return false;
  const parentColumn = parentColumns.find((column) => column.name === parentRef[1]);
  const ownAttnum = [...table.columns.values()].find((column) => column.name === ownRef.at(-1))?.attnum;
  const origin = parentColumn?.origin;
  if (parentColumn === undefined || parentColumn.nullable || origin === null || origin === undefined || ownAttnum === undefined)
    return false;
  return catalog.foreignKeys.some(
    (fk) => fk.table === origin.tableOid && fk.attnum === origin.attnum && fk.refTable === table.oid && fk.refAttnum === ownAttnum,
  );
}

export async function describeIncludes(
  sql: postgres.Sql,
  catalog: Catalog,
  parentSource: string,
  parentColumns: DescribedColumn[],
  trees: IncludeTree[],
  depth: number,
): Promise<{ includes: DescribedInclude[]; errors: CodegenError[] }> {
  const includes: DescribedInclude[] = [];
  const errors: CodegenError[] = [];
  for (const tree of trees) {
    const { query } = tree;
    const include = query.include;
    if (include === null) continue;
    const fail = (message: string, fix: string) => errors.push({ location: query.location, query: query.name, message, fix });
    if (parentColumns.some((column) => column.name === include.name)) {
      fail(`include field ${include.name} collides with a column of ${include.parent}`, 'rename the include');
      continue;
    }
    const source = describeSource(parentSource, query, depth);
    const rewritten = rewriteParams(source);
    if ('error' in rewritten) {
      fail(rewritten.error, rewritten.fix);
      continue;
    }
    const probe: ParsedQuery = { ...query, text: rewritten.text, params: rewritten.params, probe: rewritten.probe };
    const result = await describeQuery(sql, catalog, probe);
    if ('error' in result) {
      errors.push(result.error);
      continue;
    }
    const { described } = result;
    if (include.cardinality === 'one' && !described.singleRow) {
      fail(
        `include ${query.name} :one is not provably at most one row per parent`,
        'match a unique key of the related table to a parent column (WHERE b.id = parent.broker_id), add LIMIT 1, or declare it :many limit N',
      );
      continue;
    }
    const order = query.annotations.order;
    if (include.cardinality === 'many') {
      if (order === null) {
        fail(
          `include ${query.name} :many has no "-- order:"`,
          'add "-- order: created_at DESC, id DESC" so every parent gets the same, newest rows',
        );
        continue;
      }
      const missing = order.find((term) => !described.query.columns.some((column) => column.name === term.column));
      if (missing) {
        fail(`order column ${missing.column} is not an output column of include ${query.name}`, `select ${missing.column} in the include`);
        continue;
      }
    }
    const nested = await describeIncludes(sql, catalog, source, described.query.columns, tree.children, depth + 1);
    errors.push(...nested.errors);
    includes.push({
      name: include.name,
      path: query.name,
      cardinality: include.cardinality,
      limit: include.limit,
      order,
      optional: include.cardinality === 'one' && !guaranteedByForeignKey(query, parentColumns, catalog),
      columns: described.query.columns,
      children: nested.includes,
      source: query.source,
      location: query.location,
    });
  }
  return { includes, errors };
}

function jsonValue(rowAlias: string, column: DescribedColumn): string {
  const reference = `${rowAlias}.${quoteIdentifier(column.name)}`;
  const exact = (name: string) => ['int8', 'numeric', '_int8', '_numeric'].includes(name);
  if (!exact(column.type.name)) return reference;
  return column.type.name.startsWith('_') ? `${reference}::text[]` : `${reference}::text`;
}

function orderBy(rowAlias: string, order: OrderTerm[]): string {
  return order.map((term) => `${rowAlias}.${quoteIdentifier(term.column)} ${term.direction}`).join(', ');
}

type Joins = { values: { name: string; expression: string }[]; joins: string[] };

/** LEFT JOIN LATERAL clauses attaching each include to the rows aliased p{depth-1}. */
function includeJoins(includes: DescribedInclude[], depth: number, registry: Map<string, ParsedParam>): Joins {
  const values: Joins['values'] = [];
  const joins: string[] = [];
  for (const include of includes) {
    const row = alias(depth);
    const joined = quoteIdentifier(`i${depth}_${include.name}`);
    const rewritten = rewriteParams(renameParent(include.source, alias(depth - 1)), registry);
    const text = 'error' in rewritten ? include.source : rewritten.text;
    const nested = includeJoins(include.children, depth + 1, registry);
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
  return { values, joins };
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
export function composeStatements(query: DescribedBase, includes: DescribedInclude[]): { final: FinalStatements; params: ParsedParam[] } {
  const registry = new Map<string, ParsedParam>();
  const rewritten = rewriteParams(query.source, registry);
  const text = 'error' in rewritten ? query.text : rewritten.text;
  const { values, joins } = includeJoins(includes, 1, registry);
  const select = values.map((value) => `${value.expression} AS ${quoteIdentifier(value.name)}`);
  const params = [...registry.values()];
  const withIncludes = (inner: string, outerOrder: string | null) =>
    includes.length === 0
      ? inner
      : [`SELECT p0.*, ${select.join(', ')}`, `FROM (\n${inner}\n) AS p0`, ...joins, ...(outerOrder ? [outerOrder] : [])].join('\n');
  if (query.kind !== 'list') return { final: { kind: 'single', text: withIncludes(text, null) }, params };
  const order = query.annotations.order ?? [];
  const base = params.length;
  const cursorColumns = order.map((_, index) => `__cursor_${index}`);
  const selectList = [
    'SELECT q.*',
    ...order.map((term, index) => `q.${quoteIdentifier(term.column)}::text AS ${quoteIdentifier(cursorColumns[index] ?? '')}`),
  ].join(', ');
  const from = `FROM (\n${text}\n) AS q`;
  const pageOrder = `ORDER BY ${orderBy('q', order)}`;
  const typeOf = (term: OrderTerm) => query.columns.find((column) => column.name === term.column)?.type.name ?? 'text';
  const placeholders = order.map((term, index) => `$${base + index + 1}::${quoteIdentifier(typeOf(term))}`);
  const first = `${selectList}\n${from}\n${pageOrder}\nLIMIT $${base + 1}::int4`;
  const after = `${selectList}\n${from}\nWHERE ${keysetPredicate(order, placeholders)}\n${pageOrder}\nLIMIT $${base + order.length + 1}::int4`;
  const outerOrder = `ORDER BY ${orderBy('p0', order)}`;
  return {
    final: { kind: 'list', first: withIncludes(first, outerOrder), after: withIncludes(after, outerOrder), cursorColumns },
    params,
  };
}

function needsRevival(type: PgType, inJson: boolean): ReviveField | null {
  const { ts } = type;
  if (ts.kind === 'primitive' && ts.ts === 'Date' && inJson) return 'date';
  // Arrays node-postgres does not parse (enums, domains, composites) arrive as text.
  if (ts.kind === 'array' && !inJson && (ts.element.kind === 'enum' || !PG_PARSED_ARRAYS.has(type.name))) return 'textArray';
  return null;
}

export function reviveSpec(columns: DescribedColumn[], includes: DescribedInclude[], inJson: boolean): ReviveSpec {
  const spec: Record<string, ReviveField> = {};
  for (const column of columns) {
    const field = needsRevival(column.type, inJson);
    if (field !== null) spec[column.name] = field;
  }
  for (const include of includes) {
    const inner = reviveSpec(include.columns, include.children, true);
    if (Object.keys(inner).length === 0 && include.cardinality === 'many') continue;
    if (Object.keys(inner).length === 0) continue;
    spec[include.name] = include.cardinality === 'one' ? { one: inner } : { many: inner };
  }
  return spec;
}
