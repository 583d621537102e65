// Every builtin the analysis calls non-null (codegen/nonnull.ts) runs here on PostgreSQL: each pg_catalog
// overload of each name, on edge-case values of its argument types (empty strings and arrays, arrays holding
// NULL, NaN, infinity, JSON null). A single NULL result fails the test. An overload that errors proves
// nothing either way (an error is not a NULL), so each name must also succeed at least once.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import postgres from 'postgres';
import {
  ALWAYS_NON_NULL,
  FROM_FUNCTIONS,
  FUNCTION_FIRST_ARGUMENT_CATEGORIES,
  NULLABLE_CASTS,
  OPERATOR_EXCLUDED_CATEGORIES,
  NON_NULL_ON_NON_NULL,
  NON_NULL_OPERATORS,
  NON_NULL_WHEN_FIRST_NON_NULL,
  NON_NULL_WINDOW,
  NULL_REJECTING_OPERATORS,
} from '../../codegen/analysis/nonnull.js';
import { testDatabase } from '../support/database.js';

const database = await testDatabase({ migrated: false });
const sql = postgres(database.url, { max: 1, onnotice: () => {} });
after(() => sql.end());

// Each expression runs as its own statement, pipelined on one connection, under a short statement timeout.
await sql.unsafe(`SET statement_timeout = '1s'`);
await sql.unsafe(`CREATE TYPE nonnull_mood AS ENUM ('sad', 'glad')`);

async function nullResults(exprs: string[]): Promise<{ nulls: string[]; succeeded: number; failed: number }> {
  const out = { nulls: [] as string[], succeeded: 0, failed: 0 };
  for (let start = 0; start < exprs.length; start += 64) {
    const chunk = exprs.slice(start, start + 64);
    const results = await Promise.allSettled(
      chunk.map((expr) => sql.unsafe<{ is_null: boolean }[]>(`SELECT (${expr}) IS NULL AS is_null`)),
    );
    results.forEach((result, index) => {
      if (result.status === 'rejected') {
        out.failed += 1;
        return;
      }
      out.succeeded += 1;
      if (result.value[0]?.is_null === true) out.nulls.push(chunk[index] ?? '');
    });
  }
  return out;
}

// Edge-case values per type, as SQL literals.
const SAMPLES: Record<string, string[]> = {
  text: ["''", "'a'", "'day'", "'hex'", "'UTC'", "' Hello World '", `'{"a":1}'`, "'%\\_'", "'('"],
  integer: ['-2', '0', '1', '3', '40'],
  smallint: ['-2', '0', '3'],
  bigint: ['-2', '0', '1', '40'],
  numeric: ["'NaN'", '0', '-1.5', '2.25', '1e10'],
  'double precision': ["'NaN'", "'Infinity'", "'-Infinity'", '0', '-1.5', '2.5'],
  real: ["'NaN'", '0', '2.5'],
  boolean: ['true', 'false'],
  date: ["'2024-02-29'", "'infinity'", "'-infinity'"],
  'timestamp without time zone': ["'2024-02-29 12:34:56.789'", "'infinity'", "'-infinity'"],
  'timestamp with time zone': ["'2024-02-29 12:34:56.789+00'", "'infinity'", "'-infinity'"],
  interval: ["'0'", "'1 day'", "'-1 month 3 seconds'"],
  jsonb: ["'{}'", "'[]'", "'null'", `'{"a":1,"b":null}'`, `'[1,null,"x"]'`, `'"s"'`, "'1'"],
  json: ["'{}'", "'[]'", "'null'", `'{"a":1,"b":null}'`, `'[1,null,"x"]'`],
  bytea: ["'\\x'", "'\\x00ff'"],
  uuid: ["'00000000-0000-0000-0000-000000000000'"],
  'integer[]': ["'{}'", "'{1,2}'", "'{NULL}'", "'{1,NULL}'", "'{{1,2},{3,4}}'"],
  'text[]': ["'{}'", "'{a,NULL}'", "'{a,b}'", '\'{""}\''],
  character: ["''", "'ab'"],
  'character varying': ["''", "'ab'"],
  name: ["''", "'abc'", "'UTF8'"],
  '"char"': ["'a'", "''"],
  bit: ["B'101'", "B'0'"],
  'bit varying': ["B'1'", "B''"],
  point: ["'(0,0)'", "'(1,2)'", "'(NaN,1)'"],
  lseg: ["'[(0,0),(1,1)]'", "'[(2,2),(3,5)]'", "'[(0,0),(0,0)]'"],
  line: ["'{1,-1,0}'", "'{0,1,-3}'"],
  box: ["'(0,0),(1,1)'", "'(2,2),(3,3)'", "'(0,0),(0,0)'"],
  path: ["'[(0,0),(1,1)]'", "'((0,0),(1,1),(1,0))'"],
  polygon: ["'((0,0),(1,1),(1,0))'", "'((5,5),(6,6),(6,5))'"],
  circle: ["'<(0,0),1>'", "'<(5,5),1>'", "'<(0,0),0>'"],
  inet: ["'192.168.0.1'", "'10.0.0.0/8'", "'::1'"],
  cidr: ["'10.0.0.0/8'", "'::/0'"],
  macaddr: ["'08:00:2b:01:02:03'", "'00:00:00:00:00:00'"],
  macaddr8: ["'08:00:2b:01:02:03:04:05'"],
  money: ["'1.5'", "'0'", "'-2'"],
  tsvector: ["'a b'", "''"],
  tsquery: ["'a & b'", "'a'", "'!a'"],
  'time without time zone': ["'00:00'", "'23:59:59.999'"],
  'time with time zone': ["'00:00+00'", "'23:59:59-11'"],
  pg_lsn: ["'0/0'", "'16/B374D848'"],
  tid: ["'(0,1)'", "'(0,0)'"],
  oid: ['0', '1'],
  xid: ["'1'", "'0'"],
  xid8: ["'1'", "'0'"],
  cid: ["'1'", "'0'"],
  oidvector: ["'1 2'", "''"],
  int2vector: ["'1 2'", "''"],
  aclitem: ["'postgres=r/postgres'"],
  'aclitem[]': ["'{}'", "'{postgres=r/postgres}'"],
  record: ['ROW(1, NULL::int)', 'ROW(1, 2)', 'ROW()'],
  int4range: ["'empty'", "'[1,5)'", "'(,3]'", "'[2,)'"],
  int8range: ["'empty'", "'[1,5)'", "'(,3]'"],
  numrange: ["'empty'", "'[1.5,5)'", "'(,3]'"],
  daterange: ["'empty'", "'[2024-01-01,)'"],
  tsrange: ["'empty'", "'[2024-01-01,2024-02-01)'"],
  tstzrange: ["'empty'", "'(,2024-02-01)'"],
  xml: ["'<a/>'", "'text'"],
  regclass: ["'pg_class'"],
  regtype: ["'int4'"],
  regproc: ["'now'"],
  regprocedure: ["'now()'"],
  regoper: ["'||/'"],
  regoperator: ["'+(int4,int4)'"],
  regnamespace: ["'public'"],
  regrole: ["'postgres'"],
  regconfig: ["'english'"],
  regdictionary: ["'simple'"],
  regcollation: ['\'"C"\''],
  int4multirange: ["'{}'", "'{[1,2)}'", "'{(,3]}'", "'{[1,2),[4,)}'"],
  nonnull_mood: ["'sad'", "'glad'"],
  'nonnull_mood[]': ["'{}'", "'{sad,NULL}'"],
};

/** Concrete types that polymorphic parameters are bound to, one binding at a time. */
const BINDINGS: { element: string; array: string | null; range: string | null; multirange: string | null; enum: string | null }[] = [
  { element: 'integer', array: 'integer[]', range: 'int4range', multirange: 'int4multirange', enum: null },
  { element: 'text', array: 'text[]', range: null, multirange: null, enum: null },
  { element: 'jsonb', array: null, range: null, multirange: null, enum: null },
  { element: 'nonnull_mood', array: 'nonnull_mood[]', range: null, multirange: null, enum: 'nonnull_mood' },
];

function concrete(type: string, binding: (typeof BINDINGS)[number]): string | null {
  if (['anyelement', 'anynonarray', 'anycompatible', 'anycompatiblenonarray', '"any"'].includes(type)) return binding.element;
  if (type === 'anyarray' || type === 'anycompatiblearray') return binding.array;
  if (type === 'anyrange' || type === 'anycompatiblerange') return binding.range;
  if (type === 'anymultirange' || type === 'anycompatiblemultirange') return binding.multirange;
  if (type === 'anyenum') return binding.enum;
  return type;
}

function samples(type: string, withNull: boolean): string[] | null {
  const values = SAMPLES[type];
  if (values === undefined) return null;
  const typed = values.map((value) => `${value}::${type}`);
  return withNull ? [...typed, `NULL::${type}`] : typed;
}

/** A deterministic spread of at most `limit` combinations of the argument lists. */
function combinations(lists: string[][], limit: number): string[][] {
  const total = lists.reduce((product, list) => product * list.length, 1);
  const step = Math.max(1, Math.floor(total / limit));
  const out: string[][] = [];
  for (let index = 0; index < total && out.length < limit; index += step) {
    let rest = index;
    out.push(
      lists.map((list) => {
        const value = list[rest % list.length] ?? '';
        rest = Math.floor(rest / list.length);
        return value;
      }),
    );
  }
  return out;
}

type Overload = { name: string; args: string[]; variadic: string; retset: boolean; kind: string };

async function overloads(names: readonly string[]): Promise<Overload[]> {
  return sql<Overload[]>`
    SELECT p.proname AS name,
           coalesce((SELECT array_agg(u.t::regtype::text ORDER BY u.o) FROM unnest(p.proargtypes) WITH ORDINALITY AS u(t, o)), '{}') AS args,
           p.provariadic::regtype::text AS variadic,
           p.proretset AS retset, p.prokind::text AS kind
    FROM pg_proc p
    WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.proname = ANY(${names as string[]})`;
}

/** Argument type lists for an overload: a variadic one is called with one, two and three variadic values. */
function arities(overload: Overload): string[][] {
  if (overload.variadic === '-' || overload.variadic === '') return [overload.args];
  const fixed = overload.args.slice(0, -1);
  const element = overload.variadic;
  return [0, 1, 2, 3].map((extra) => [...fixed, ...Array.from({ length: extra }, () => element)]);
}

type Mode = 'always' | 'all' | 'first';

type Calls = { byName: Map<string, string[]>; unsampled: string[] };

/** SQL expressions for every overload of `list`, with NULL arguments where the rule allows them; overloads no sample can call are listed. */
function callExpressions(
  list: Overload[],
  mode: Mode,
  render: (name: string, args: string[]) => string,
  guard: (name: string, types: string[]) => boolean = () => true,
): Calls {
  const byName = new Map<string, string[]>();
  const unsampled: string[] = [];
  for (const overload of list) {
    let called = false;
    for (const binding of BINDINGS) {
      for (const types of arities(overload)) {
        const bound = types.map((type) => concrete(type, binding));
        // An overload the analysis's type guard excludes needs no proof (it is never trusted).
        if (bound.every((type) => type !== null) && !guard(overload.name, bound)) {
          called = true;
          continue;
        }
        const lists = types.map((type, index) => {
          const bound = concrete(type, binding);
          return bound === null ? null : samples(bound, mode === 'always' || (mode === 'first' && index > 0));
        });
        if (lists.some((values) => values === null)) continue;
        const expressions = combinations(
          lists.filter((values) => values !== null),
          150,
        ).map((args) => render(overload.name, args));
        byName.set(overload.name, [...(byName.get(overload.name) ?? []), ...expressions]);
        called = true;
      }
    }
    if (!called) unsampled.push(`${overload.name}(${overload.args.join(', ')})`);
  }
  return { byName, unsampled };
}

/** Every overload of every name is called, none returns NULL, and each name succeeds at least once. */
async function assertNeverNull(label: string, names: readonly string[], calls: Calls): Promise<number> {
  const report = process.env.NONNULL_REPORT === '1';
  if (!report) assert.deepEqual(calls.unsampled, [], `${label}s with overloads no sample value can call: add samples (or drop the name)`);
  else if (calls.unsampled.length > 0) console.log(`# unsampled ${label}s: ${calls.unsampled.join('; ')}`);
  let total = 0;
  for (const name of names) {
    const exprs = [...new Set(calls.byName.get(name) ?? [])];
    const result = await nullResults(exprs);
    if (report) {
      if (result.nulls.length > 0) console.log(`# NULL from ${label} ${name}: ${result.nulls.slice(0, 4).join(' | ')}`);
      continue;
    }
    assert.ok(exprs.length > 0, `${label} ${name}: no pg_catalog overload could be called with sample values; add samples or drop it`);
    assert.deepEqual(result.nulls, [], `${label} ${name} returned NULL on non-null input:\n${result.nulls.join('\n')}`);
    assert.ok(result.succeeded > 0, `${label} ${name}: every call failed, so nothing was proven`);
    total += result.succeeded;
  }
  return total;
}

const call = (name: string, args: string[]) => `pg_catalog.${name}(${args.join(', ')})`;

// pg_type.typcategory of every sample type, for the guards in codegen/nonnull.ts.
const categories = new Map(
  (
    await sql<{ name: string; category: string }[]>`
      SELECT n AS name, t.typcategory::text AS category FROM unnest(${Object.keys(SAMPLES)}::text[]) AS n JOIN pg_type t ON t.oid = n::regtype`
  ).map((row) => [row.name, row.category]),
);
const functionGuard = (name: string, types: string[]) => {
  const allowed = FUNCTION_FIRST_ARGUMENT_CATEGORIES[name];
  return allowed === undefined || allowed.includes(categories.get(types[0] ?? '') ?? '?');
};
const operatorGuard = (name: string, types: string[]) => {
  const excluded = OPERATOR_EXCLUDED_CATEGORIES[name];
  return excluded === undefined || types.every((type) => !excluded.includes(categories.get(type) ?? '?'));
};

test('functions proven never NULL on non-null arguments return non-null on edge-case values', async () => {
  const total = await assertNeverNull(
    'function',
    NON_NULL_ON_NON_NULL,
    callExpressions(await overloads(NON_NULL_ON_NON_NULL), 'all', call, functionGuard),
  );
  console.log(`# ${NON_NULL_ON_NON_NULL.length} functions, ${total} calls`);
});

test('functions proven never NULL return non-null even on NULL arguments', async () => {
  await assertNeverNull('function', ALWAYS_NON_NULL, callExpressions(await overloads(ALWAYS_NON_NULL), 'always', call));
});

test('concat_ws and format are non-null whenever their first argument is', async () => {
  await assertNeverNull(
    'function',
    NON_NULL_WHEN_FIRST_NON_NULL,
    callExpressions(await overloads(NON_NULL_WHEN_FIRST_NON_NULL), 'first', call),
  );
});

test('operators proven never NULL on non-null operands return non-null on edge-case values', async () => {
  const rows = await sql<{ name: string; left: string; right: string }[]>`
    SELECT o.oprname AS name, o.oprleft::regtype::text AS left, o.oprright::regtype::text AS right
    FROM pg_operator o
    WHERE o.oprnamespace = 'pg_catalog'::regnamespace AND o.oprname = ANY(${[...NON_NULL_OPERATORS]})`;
  const overloadsOf: Overload[] = rows.map((row) => ({
    name: row.name,
    args: row.left === '-' ? [row.right] : [row.left, row.right],
    variadic: '-',
    retset: false,
    kind: 'o',
  }));
  const render = (name: string, args: string[]) =>
    args.length === 1 ? `OPERATOR(pg_catalog.${name}) ${args[0]}` : `${args[0]} OPERATOR(pg_catalog.${name}) ${args[1]}`;
  const total = await assertNeverNull('operator', NON_NULL_OPERATORS, callExpressions(overloadsOf, 'all', render, operatorGuard));
  console.log(`# ${NON_NULL_OPERATORS.length} operators, ${total} evaluations`);
});

test('operators used for narrowing (WHERE x = y proves x and y non-null) are strict in pg_catalog', async () => {
  const rows = await sql<{ name: string; strict: boolean }[]>`
    SELECT o.oprname AS name, p.proisstrict AS strict
    FROM pg_operator o JOIN pg_proc p ON p.oid = o.oprcode
    WHERE o.oprnamespace = 'pg_catalog'::regnamespace AND o.oprname = ANY(${[...NULL_REJECTING_OPERATORS]})`;
  assert.deepEqual(new Set(rows.map((row) => row.name)), new Set(NULL_REJECTING_OPERATORS));
  assert.deepEqual(
    rows.filter((row) => !row.strict),
    [],
  );
});

test('pg_catalog casts of non-null values are non-null, except NULLABLE_CASTS', async () => {
  // Casts in pg_cast, plus the I/O conversions to and from text every type has.
  const rows = await sql<{ source: string; target: string; from: string; to: string }[]>`
    SELECT c.castsource::regtype::text AS source, c.casttarget::regtype::text AS target, s.typname AS from, t.typname AS to
    FROM pg_cast c JOIN pg_type s ON s.oid = c.castsource JOIN pg_type t ON t.oid = c.casttarget
    LEFT JOIN pg_proc p ON p.oid = c.castfunc
    WHERE c.castfunc = 0 OR p.pronamespace = 'pg_catalog'::regnamespace`;
  // pg_node_tree and the statistics types have no input function: nothing can be cast from them by a query.
  const internal = ['pg_node_tree', 'pg_ndistinct', 'pg_dependencies', 'pg_mcv_list'];
  const unsampled = rows
    .filter((row) => !internal.includes(row.source) && samples(row.source, false) === null)
    .map((row) => `${row.source} -> ${row.target}`);
  assert.deepEqual(unsampled, [], 'every cast source needs sample values');
  const risky = new Set(NULLABLE_CASTS.map(([from, to]) => `${from}:${to}`));
  const pairs = [
    ...rows,
    ...Object.keys(SAMPLES).flatMap((type) => [
      { source: type, target: 'text', from: '', to: 'text' },
      { source: 'text', target: type, from: 'text', to: '' },
    ]),
  ];
  const checked = pairs.filter((pair) => !risky.has(`${pair.from}:${pair.to}`));
  const exprs = checked.flatMap(({ source, target }) => (samples(source, false) ?? []).map((value) => `(${value})::${target}`));
  const result = await nullResults([...new Set(exprs)]);
  assert.deepEqual(result.nulls, [], `casts returned NULL on non-null input:\n${result.nulls.join('\n')}`);
  assert.ok(result.succeeded > 300, `${result.succeeded} casts ran`);
  // And each listed exception really is one.
  for (const [from, to] of NULLABLE_CASTS) {
    const value = from === 'jsonb' ? `'null'::jsonb` : `'infinity'::${from}`;
    const [row] = await sql.unsafe<{ value: boolean }[]>(`SELECT (${value})::${to} IS NULL AS value`);
    assert.equal(row?.value, true, `${from} -> ${to} was expected to give NULL`);
  }
  console.log(`# ${checked.length} casts, ${result.succeeded} conversions`);
});

test('window functions proven never NULL are non-null over frames with NULL rows', async () => {
  for (const name of NON_NULL_WINDOW) {
    const args = name === 'ntile' ? ['2'] : name === 'count' ? ['v'] : [];
    const [row] = await sql.unsafe<{ nulls: number; rows: number }[]>(
      `SELECT count(*) FILTER (WHERE w IS NULL)::int AS nulls, count(*)::int AS rows
       FROM (SELECT pg_catalog.${name}(${args.join(', ')}) OVER (PARTITION BY p ORDER BY v) AS w
             FROM (VALUES (1, NULL::int), (1, 1), (1, 1), (2, NULL)) AS t(p, v)) AS s`,
    );
    assert.equal(row?.rows, 4);
    assert.equal(row?.nulls, 0, `${name} OVER (...) returned NULL`);
  }
});

test('set-returning functions in FROM yield the columns FROM_FUNCTIONS declares non-null, never NULL', async () => {
  const list = await overloads(Object.keys(FROM_FUNCTIONS));
  const expressions = new Map<string, string[]>();
  for (const overload of list) {
    const spec = FROM_FUNCTIONS[overload.name];
    if (spec === undefined || !overload.retset) continue;
    if (spec.maxArgs !== undefined && overload.args.length > spec.maxArgs) continue;
    // Called in the target list, where a set-returning function yields rows one at a time, so LIMIT stops an
    // endless series (in FROM it is materialized first). The values are the same.
    const fields = spec.columns.length === 1 ? ['r'] : spec.columns.map((column) => `(r).${column.name ?? 'r'}`);
    const checked = spec.columns.flatMap((column, index) => (column.nonNull ? [`${fields[index] ?? 'r'} IS NULL`] : []));
    const render = (name: string, args: string[]) =>
      // NULL exactly when some row has a NULL in a column declared non-null.
      `SELECT CASE WHEN bool_or(${[...checked, 'false'].join(' OR ')}) THEN NULL ELSE true END FROM (SELECT pg_catalog.${name}(${args.join(', ')}) AS r LIMIT 1000) AS s`;
    for (const [name, exprs] of callExpressions([overload], 'all', render).byName)
      expressions.set(name, [...(expressions.get(name) ?? []), ...exprs]);
  }
  await assertNeverNull('FROM function', Object.keys(FROM_FUNCTIONS), { byName: expressions, unsampled: [] });
});

test('the builtins left off the lists do return NULL on non-null input', async () => {
  // Each is a trap the issue found: proisstrict, yet NULL out of non-null in. None may join the lists.
  const traps: [string, string][] = [
    ['->', `SELECT '{}'::jsonb -> 'a'`],
    ['->>', `SELECT '{"a":null}'::jsonb ->> 'a'`],
    ['#>', `SELECT '{}'::jsonb #> '{a,b}'`],
    ['#>>', `SELECT '[]'::jsonb #>> '{0}'`],
    ['array_length', `SELECT array_length('{}'::int[], 1)`],
    ['to_char', `SELECT to_char(now(), '')`],
    ['date_part', `SELECT date_part('day', 'infinity'::timestamp)`],
    ['scale', `SELECT scale('NaN'::numeric)`],
    ['array_position', `SELECT array_position('{1}'::int[], 2)`],
    ['regexp_match', `SELECT regexp_match('a', 'b')`],
    ['substring', `SELECT substring('abc' from 'x')`],
    ['nullif', `SELECT nullif(1, 1)`],
    ['current_setting', `SELECT current_setting('no.such_setting', true)`],
    ['#', `SELECT '(0,0),(1,1)'::box # '(2,2),(3,3)'::box`],
  ];
  // Guarded names: NULL on the argument types their guard excludes.
  const guarded: [string, string][] = [
    ['lower of an empty range', `SELECT lower('empty'::int4range)`],
    ['upper of an unbounded range', `SELECT upper('[1,)'::int4range)`],
    ['+ of closed paths', `SELECT '((0,0),(1,1),(1,0))'::path + '[(0,0),(1,1)]'::path`],
  ];
  for (const [label, query] of guarded) {
    const [row] = await sql.unsafe<{ value: unknown }[]>(`SELECT (${query}) IS NULL AS value`);
    assert.equal(row?.value, true, `${label} was expected to be NULL`);
  }
  for (const [name, query] of traps) {
    const [row] = await sql.unsafe<{ value: unknown }[]>(`SELECT (${query}) IS NULL AS value`);
    assert.equal(row?.value, true, `${name} was expected to return NULL`);
    const listed = [...ALWAYS_NON_NULL, ...NON_NULL_ON_NON_NULL, ...NON_NULL_WHEN_FIRST_NON_NULL, ...NON_NULL_OPERATORS] as string[];
    assert.ok(!listed.includes(name), `${name} must not be listed as never-null`);
  }
  const [any] = await sql<{ value: boolean }[]>`SELECT (1 = ANY('{2,NULL}'::int[])) IS NULL AS value`;
  assert.equal(any?.value, true, '= ANY over an array holding NULL is NULL');
  const [sep] = await sql<{ value: boolean }[]>`SELECT concat_ws(NULL, 'a', 'b') IS NULL AS value`;
  assert.equal(sep?.value, true, 'concat_ws with a NULL separator is NULL');
  const [variadic] = await sql<{ value: boolean }[]>`SELECT concat(VARIADIC NULL::text[]) IS NULL AS value`;
  assert.equal(variadic?.value, true, 'concat(VARIADIC NULL) is NULL, so VARIADIC calls are treated as strict');
});
