// Random, valid SQL over a small schema with NULLs in every nullable place, for the nullability property test.
// Queries are built type-directed (int, text, bool, jsonb, int[]) so nearly all of them run; they reach the
// classes the analysis must get right: outer joins and USING, functions in FROM, derived tables and CTEs,
// grouping sets, set operations, scalar subqueries under LIMIT/OFFSET, JSON operators, = ANY, window
// functions, narrowing predicates under AND and OR, views, another schema, and RETURNING.
import fc from 'fast-check';

export const PROPERTY_SCHEMA = `
CREATE SCHEMA other;
CREATE DOMAIN nnint AS int NOT NULL;
CREATE TABLE p1 (id int PRIMARY KEY, a int NOT NULL, b int, s text NOT NULL, n text, j jsonb NOT NULL, arr int[] NOT NULL, f boolean);
CREATE TABLE p2 (id int PRIMARY KEY, p1_id int NOT NULL, c int NOT NULL, d int, t text NOT NULL, u text, q nnint);
CREATE TABLE p3 (id int PRIMARY KEY, x int, y text NOT NULL);
CREATE TABLE other.p1 (id int PRIMARY KEY, a int, s text);
INSERT INTO p1 VALUES
  (1, 1, NULL, '', NULL, '{}', '{}', NULL),
  (2, 2, 2, 'x', 'n', '{"k": 1}', '{1,NULL}', true),
  (3, 3, NULL, 'y', NULL, '{"k": null}', '{NULL}', false),
  (4, 4, 4, 'z', 'm', '{"k": "v"}', '{4}', NULL);
INSERT INTO p2 VALUES
  (1, 1, 10, NULL, 't1', NULL, 1),
  (2, 1, 20, 5, 't2', 'u2', 2),
  (3, 2, 30, NULL, 't3', NULL, 3),
  (4, 99, 40, 7, 't4', 'u4', 4);
INSERT INTO other.p1 VALUES (1, NULL, NULL), (2, 2, 's');
CREATE VIEW pv AS SELECT p1.id, p1.a, p1.s, p2.c, p2.t FROM p1 LEFT JOIN p2 ON p2.p1_id = p1.id;
CREATE MATERIALIZED VIEW pm AS SELECT p1.id, count(p2.id) AS cnt, max(p2.t) AS mt FROM p1 LEFT JOIN p2 ON p2.p1_id = p1.id GROUP BY p1.id;
`;

type SqlType = 'int' | 'text' | 'bool' | 'json' | 'arr';
type Column = { ref: string; type: SqlType };
type Relation = { alias: string; columns: Column[]; hasId: boolean; arrays: string[]; jsons: string[] };
type Scope = { columns: Column[]; window: boolean; correlated: Column[] };

const TABLES: { name: string; columns: [string, SqlType][] }[] = [
  {
    name: 'p1',
    columns: [
      ['id', 'int'],
      ['a', 'int'],
      ['b', 'int'],
      ['s', 'text'],
      ['n', 'text'],
      ['j', 'json'],
      ['arr', 'arr'],
      ['f', 'bool'],
    ],
  },
  {
    name: 'p2',
    columns: [
      ['id', 'int'],
      ['p1_id', 'int'],
      ['c', 'int'],
      ['d', 'int'],
      ['t', 'text'],
      ['u', 'text'],
      ['q', 'int'],
    ],
  },
  {
    name: 'p3',
    columns: [
      ['id', 'int'],
      ['x', 'int'],
      ['y', 'text'],
    ],
  },
  {
    name: 'other.p1',
    columns: [
      ['id', 'int'],
      ['a', 'int'],
      ['s', 'text'],
    ],
  },
  {
    name: 'pv',
    columns: [
      ['id', 'int'],
      ['a', 'int'],
      ['s', 'text'],
      ['c', 'int'],
      ['t', 'text'],
    ],
  },
  {
    name: 'pm',
    columns: [
      ['id', 'int'],
      ['cnt', 'int'],
      ['mt', 'text'],
    ],
  },
];

const pick = <T>(items: readonly T[]) => fc.constantFrom(...items);

function relationOf(alias: string, columns: [string, SqlType][]): Relation {
  return {
    alias,
    columns: columns.map(([name, type]) => ({ ref: `${alias}.${name}`, type })),
    hasId: columns.some(([name, type]) => name === 'id' && type === 'int'),
    arrays: columns.filter(([, type]) => type === 'arr').map(([name]) => `${alias}.${name}`),
    jsons: columns.filter(([, type]) => type === 'json').map(([name]) => `${alias}.${name}`),
  };
}

function literal(type: SqlType): fc.Arbitrary<string> {
  switch (type) {
    case 'int':
      return fc.oneof(fc.integer({ min: -1, max: 4 }).map(String), fc.constant('NULL::int'));
    case 'text':
      return fc.oneof(pick(["'x'", "''", "'k'", "'t2'"]), fc.constant('NULL::text'));
    case 'bool':
      return pick(['true', 'false', 'NULL::boolean']);
    case 'json':
      return pick([`'{"k": 1}'::jsonb`, `'{}'::jsonb`, `'[1, null]'::jsonb`]);
    case 'arr':
      return pick(["'{}'::int[]", "'{1,NULL}'::int[]", "'{2}'::int[]"]);
  }
}

function columnOf(type: SqlType, scope: Scope): fc.Arbitrary<string> | null {
  const columns = [...scope.columns, ...scope.correlated].filter((column) => column.type === type);
  return columns.length === 0 ? null : pick(columns.map((column) => column.ref));
}

function leaf(type: SqlType, scope: Scope): fc.Arbitrary<string> {
  const column = columnOf(type, scope);
  return column === null ? literal(type) : fc.oneof({ arbitrary: column, weight: 4 }, { arbitrary: literal(type), weight: 1 });
}

/** A scalar subquery over p2 or p3, correlated to the scope's int columns, under LIMIT/OFFSET variants. */
function scalarSubquery(type: 'int' | 'text', scope: Scope): fc.Arbitrary<string> {
  const outerInt = columnOf('int', scope) ?? fc.constant('1');
  const tail = pick(['', ' LIMIT 0', ' OFFSET 1', ' LIMIT 1', ' OFFSET 0', ' LIMIT 2']);
  const where = fc.oneof(
    fc.constant(''),
    outerInt.map((ref) => ` WHERE sq.p1_id = ${ref}`),
    fc.constant(' WHERE sq.d IS NOT NULL'),
    fc.constant(' WHERE false'),
  );
  if (type === 'int') {
    return fc
      .tuple(pick(['count(*)', 'count(sq.d)', 'max(sq.d)', 'sum(sq.c)', 'min(sq.c)', 'sq.c', 'sq.q']), pick(['p2', 'p3']), where, tail)
      .map(([expression, table, filter, end]) => {
        const body = table === 'p3' ? expression.replace(/sq\.(d|c|q)/, 'sq.x') : expression;
        const condition = table === 'p3' ? filter.replace(/sq\.(p1_id|d)/, 'sq.x') : filter;
        return `(SELECT ${body} FROM ${table} AS sq${condition}${end})`;
      });
  }
  return fc
    .tuple(pick(['max(sq.t)', 'sq.t', 'sq.u', "string_agg(sq.t, ',')"]), where, tail)
    .map(([expression, filter, end]) => `(SELECT ${expression} FROM p2 AS sq${filter}${end})`);
}

function expr(type: SqlType, scope: Scope, depth: number): fc.Arbitrary<string> {
  if (depth <= 0) return leaf(type, scope);
  const sub = (inner: SqlType) => expr(inner, scope, depth - 1);
  const options: fc.Arbitrary<string>[] = [leaf(type, scope), leaf(type, scope)];
  switch (type) {
    case 'int':
      options.push(
        fc.tuple(sub('int'), sub('int')).map(([x, y]) => `(${x} + ${y})`),
        fc.tuple(sub('int'), sub('int')).map(([x, y]) => `coalesce(${x}, ${y})`),
        fc.tuple(sub('int'), sub('int')).map(([x, y]) => `nullif(${x}, ${y})`),
        fc.tuple(sub('int'), sub('int')).map(([x, y]) => `greatest(${x}, ${y})`),
        fc.tuple(sub('bool'), sub('int')).map(([c, x]) => `CASE WHEN ${c} THEN ${x} END`),
        fc.tuple(sub('bool'), sub('int'), sub('int')).map(([c, x, y]) => `CASE WHEN ${c} THEN ${x} ELSE ${y} END`),
        sub('int').map((x) => `abs(${x})`),
        sub('text').map((x) => `length(${x})`),
        sub('arr').map((x) => `array_length(${x}, 1)`),
        sub('arr').map((x) => `cardinality(${x})`),
        sub('arr').map((x) => `(${x})[1]`),
        scalarSubquery('int', scope),
      );
      if (scope.window) {
        options.push(
          pick(['row_number() OVER ()', 'count(*) OVER ()', 'rank() OVER ()']),
          sub('int').map((x) => `lag(${x}) OVER ()`),
          sub('int').map((x) => `count(${x}) OVER ()`),
          sub('int').map((x) => `sum(${x}) OVER ()`),
        );
      }
      break;
    case 'text':
      options.push(
        sub('text').map((x) => `lower(${x})`),
        fc.tuple(sub('text'), sub('text')).map(([x, y]) => `concat(${x}, ${y})`),
        fc.tuple(sub('text'), sub('text')).map(([x, y]) => `concat_ws(${x}, ${y})`),
        fc.tuple(sub('text'), sub('text')).map(([x, y]) => `(${x} || ${y})`),
        fc.tuple(sub('text'), sub('text')).map(([x, y]) => `coalesce(${x}, ${y})`),
        fc.tuple(sub('text'), sub('text')).map(([x, y]) => `nullif(${x}, ${y})`),
        sub('json').map((x) => `(${x} ->> 'k')`),
        sub('json').map((x) => `(${x} #>> '{k}')`),
        sub('int').map((x) => `${x}::text`),
        sub('text').map((x) => `substr(${x}, 1, 2)`),
        sub('text').map((x) => `format('%s!', ${x})`),
        sub('int').map((x) => `to_char(${x}, '')`),
        sub('arr').map((x) => `array_to_string(${x}, ',')`),
        fc.tuple(sub('bool'), sub('text'), sub('text')).map(([c, x, y]) => `CASE WHEN ${c} THEN ${x} ELSE ${y} END`),
        scalarSubquery('text', scope),
      );
      break;
    case 'bool':
      options.push(
        fc.tuple(sub('int'), sub('int'), pick(['=', '<', '<>'])).map(([x, y, op]) => `(${x} ${op} ${y})`),
        fc.tuple(sub('int'), sub('arr')).map(([x, y]) => `(${x} = ANY(${y}))`),
        fc.tuple(sub('int'), sub('int'), sub('int')).map(([x, y, z]) => `(${x} = ANY(ARRAY[${y}, ${z}]))`),
        fc.tuple(sub('int'), sub('int'), sub('int')).map(([x, y, z]) => `(${x} IN (${y}, ${z}))`),
        fc.tuple(sub('int'), sub('int')).map(([x, y]) => `(${x} IS DISTINCT FROM ${y})`),
        fc.tuple(sub('int'), sub('int'), sub('int')).map(([x, y, z]) => `(${x} BETWEEN ${y} AND ${z})`),
        sub('int').map((x) => `(${x} IS NULL)`),
        sub('text').map((x) => `(${x} IS NOT NULL)`),
        sub('text').map((x) => `(${x} LIKE 't%')`),
        fc.tuple(sub('bool'), sub('bool')).map(([x, y]) => `(${x} AND ${y})`),
        fc.tuple(sub('bool'), sub('bool')).map(([x, y]) => `(${x} OR ${y})`),
        sub('bool').map((x) => `(NOT ${x})`),
        sub('json').map((x) => `(${x} ? 'k')`),
        sub('json').map((x) => `(${x} @> '{"k": 1}')`),
        sub('json').map((x) => `(${x} @? '$.k')`),
        sub('int').map((x) => `(${x} IN (SELECT sq.d FROM p2 AS sq))`),
        sub('int').map((x) => `(${x} IN (SELECT sq.c FROM p2 AS sq))`),
        sub('int').map((x) => `EXISTS (SELECT 1 FROM p2 AS sq WHERE sq.c > ${x})`),
      );
      break;
    case 'json':
      options.push(
        sub('json').map((x) => `(${x} -> 'k')`),
        sub('json').map((x) => `(${x} #> '{k}')`),
        sub('int').map((x) => `jsonb_build_object('a', ${x})`),
        sub('text').map((x) => `to_jsonb(${x})`),
        sub('json').map((x) => `(${x} - 'k')`),
      );
      break;
    case 'arr':
      options.push(
        fc.tuple(sub('int'), sub('int')).map(([x, y]) => `ARRAY[${x}, ${y}]`),
        fc.tuple(sub('arr'), sub('int')).map(([x, y]) => `array_append(${x}, ${y})`),
      );
      break;
  }
  return fc.oneof(...options);
}

/** A predicate for WHERE: narrowing shapes (IS NOT NULL, = value) under AND and OR, or any boolean. */
function predicate(scope: Scope): fc.Arbitrary<string> {
  const plain = scope.columns.filter((c) => c.type !== 'json' && c.type !== 'arr').map((c) => c.ref);
  if (plain.length === 0) return expr('bool', { ...scope, window: false }, 1);
  const column = fc.constantFrom(...plain);
  const narrow = fc.oneof(
    column.map((ref) => `${ref} IS NOT NULL`),
    scope.columns.some((c) => c.type === 'int')
      ? fc
          .tuple(pick(scope.columns.filter((c) => c.type === 'int').map((c) => c.ref)), fc.integer({ min: 0, max: 4 }))
          .map(([ref, value]) => `${ref} = ${value}`)
      : column.map((ref) => `${ref} IS NOT NULL`),
    scope.columns.some((c) => c.type === 'text')
      ? pick(scope.columns.filter((c) => c.type === 'text').map((c) => c.ref)).map((ref) => `${ref} LIKE '%'`)
      : column.map((ref) => `${ref} IS NULL`),
    expr('bool', { ...scope, window: false }, 1),
  );
  return fc.oneof(
    narrow,
    fc.tuple(narrow, narrow).map(([x, y]) => `${x} AND ${y}`),
    fc.tuple(narrow, narrow).map(([x, y]) => `(${x} OR ${y})`),
    fc.tuple(narrow, narrow, narrow).map(([x, y, z]) => `${x} AND (${y} OR ${z})`),
  );
}

type From = { sql: string; relations: Relation[] };

let aliasCounter = 0;
const nextAlias = (prefix: string) => `${prefix}${aliasCounter++}`;

/** One FROM item that needs nothing to its left: a table, view, derived table, VALUES or function. */
function baseItem(prefix: string, depth: number): fc.Arbitrary<From> {
  const table = pick(TABLES).map((spec) => {
    const alias = nextAlias(prefix);
    return { sql: `${spec.name} AS ${alias}`, relations: [relationOf(alias, spec.columns)] };
  });
  const values = fc.constant(null).map(() => {
    const alias = nextAlias(prefix);
    return {
      sql: `(VALUES (1, 'a'), (NULL, 'b'), (3, NULL)) AS ${alias}(id, v)`,
      relations: [
        relationOf(alias, [
          ['id', 'int'],
          ['v', 'text'],
        ]),
      ],
    };
  });
  const series = fc.constant(null).map(() => {
    const alias = nextAlias(prefix);
    return { sql: `generate_series(1, 3) AS ${alias}(id)`, relations: [relationOf(alias, [['id', 'int']])] };
  });
  const options: fc.Arbitrary<From>[] = [table, table, table, values, series];
  if (depth > 0) {
    options.push(
      select(`${prefix}d`, depth - 1, false).map((inner) => {
        const alias = nextAlias(prefix);
        const columns: [string, SqlType][] = inner.types.map((type, index) => [index === 0 && type === 'int' ? 'id' : `c${index}`, type]);
        return { sql: `(${inner.sql}) AS ${alias}(${columns.map(([name]) => name).join(', ')})`, relations: [relationOf(alias, columns)] };
      }),
    );
  }
  return fc.oneof(...options);
}

/** Items that read a relation to their left: unnest, jsonb_to_record, jsonb_each_text, LATERAL subqueries. */
function lateralItem(left: Relation[], prefix: string): fc.Arbitrary<From> | null {
  const arrays = left.flatMap((relation) => relation.arrays);
  const jsons = left.flatMap((relation) => relation.jsons);
  const ints = left.flatMap((relation) => relation.columns.filter((c) => c.type === 'int').map((c) => c.ref));
  const options: fc.Arbitrary<From>[] = [];
  if (arrays.length > 0) {
    options.push(
      pick(arrays).map((ref) => {
        const alias = nextAlias(prefix);
        return {
          sql: `unnest(${ref}) WITH ORDINALITY AS ${alias}(e, id)`,
          relations: [
            relationOf(alias, [
              ['e', 'int'],
              ['id', 'int'],
            ]),
          ],
        };
      }),
    );
  }
  if (jsons.length > 0) {
    options.push(
      pick(jsons).map((ref) => {
        const alias = nextAlias(prefix);
        return {
          sql: `jsonb_to_record(${ref}) AS ${alias}(k text, s text)`,
          relations: [
            relationOf(alias, [
              ['k', 'text'],
              ['s', 'text'],
            ]),
          ],
        };
      }),
      pick(jsons).map((ref) => {
        const alias = nextAlias(prefix);
        return {
          sql: `jsonb_each_text(${ref}) AS ${alias}(key, value)`,
          relations: [
            relationOf(alias, [
              ['key', 'text'],
              ['value', 'text'],
            ]),
          ],
        };
      }),
    );
  }
  if (ints.length > 0) {
    options.push(
      fc.tuple(pick(ints), pick(['count(*)', 'max(x.d)', 'min(x.c)']), fc.boolean()).map(([ref, aggregate, leftJoin]) => {
        const alias = nextAlias(prefix);
        const body = `(SELECT ${aggregate} AS id, max(x.t) AS t FROM p2 AS x WHERE x.p1_id = ${ref})`;
        return {
          sql: `${leftJoin ? 'LEFT JOIN' : 'CROSS JOIN'} LATERAL ${body} AS ${alias}${leftJoin ? ' ON true' : ''}`,
          relations: [
            relationOf(alias, [
              ['id', 'int'],
              ['t', 'text'],
            ]),
          ],
        };
      }),
    );
  }
  return options.length === 0 ? null : fc.oneof(...options);
}

function fromClause(prefix: string, depth: number): fc.Arbitrary<From> {
  return baseItem(prefix, depth).chain((first) =>
    fc.integer({ min: 0, max: 2 }).chain((more) => {
      let built: fc.Arbitrary<From> = fc.constant(first);
      for (let index = 0; index < more; index++) {
        built = built.chain((left) => {
          const lateral = lateralItem(left.relations, prefix);
          const join = fc
            .tuple(baseItem(prefix, depth), pick(['JOIN', 'LEFT JOIN', 'RIGHT JOIN', 'FULL JOIN', 'CROSS JOIN', 'USING', 'COMMA']))
            .map(([right, kind]): From => {
              const leftId = left.relations.find((relation) => relation.hasId);
              const rightRelation = right.relations[0];
              const relations = [...left.relations, ...right.relations];
              const on = leftId && rightRelation?.hasId ? `${leftId.alias}.id = ${rightRelation.alias}.id` : 'true';
              if (kind === 'COMMA') return { sql: `${left.sql}, ${right.sql}`, relations };
              if (kind === 'CROSS JOIN') return { sql: `${left.sql} CROSS JOIN ${right.sql}`, relations };
              // USING needs an id on both sides that no other relation to the left also has.
              if (kind === 'USING' && left.relations.length === 1 && leftId && rightRelation?.hasId) {
                return { sql: `${left.sql} JOIN ${right.sql} USING (id)`, relations };
              }
              const joinKind = kind === 'USING' ? 'LEFT JOIN' : kind;
              // FULL JOIN needs a hash- or merge-joinable condition.
              return {
                sql: `${left.sql} ${joinKind} ${right.sql} ON ${joinKind === 'FULL JOIN' && on === 'true' ? '1 = 1' : on}`,
                relations,
              };
            });
          if (lateral === null) return join;
          return fc.oneof(
            join,
            lateral.map((item): From => ({
              sql:
                item.sql.startsWith('LEFT JOIN') || item.sql.startsWith('CROSS JOIN')
                  ? `${left.sql} ${item.sql}`
                  : `${left.sql}, ${item.sql}`,
              relations: [...left.relations, ...item.relations],
            })),
          );
        });
      }
      return built;
    }),
  );
}

export type Generated = { sql: string; types: SqlType[] };

function targets(scope: Scope, count: number): fc.Arbitrary<{ sql: string; types: SqlType[] }> {
  return fc.array(pick<SqlType>(['int', 'text', 'bool', 'json', 'arr']), { minLength: count, maxLength: count }).chain((types) =>
    fc.tuple(...types.map((type) => expr(type, scope, 2))).map((expressions) => ({
      sql: expressions.map((expression, index) => `${expression} AS c${index}`).join(', '),
      types,
    })),
  );
}

/** A plain SELECT (optionally aggregated, grouped with grouping sets, DISTINCT, LIMIT/OFFSET). */
function select(prefix: string, depth: number, top: boolean): fc.Arbitrary<Generated> {
  return fromClause(prefix, depth).chain((from) => {
    const scope: Scope = { columns: from.relations.flatMap((relation) => relation.columns), window: true, correlated: [] };
    const where = fc.option(predicate(scope), { nil: undefined, freq: 2 });
    const tail = top ? pick(['', '', '', ' LIMIT 2', ' OFFSET 1']) : pick(['', '', ' LIMIT 2']);
    const plain = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.boolean()).chain(([count, distinct]) =>
      fc.tuple(targets(distinct ? { ...scope, window: false } : scope, count), where, tail).map(([list, filter, end]) => ({
        sql: `SELECT ${distinct ? 'DISTINCT ' : ''}${list.sql} FROM ${from.sql}${filter === undefined ? '' : ` WHERE ${filter}`}${end}`,
        types: list.types,
      })),
    );
    const groupable = scope.columns.filter((column) => column.type === 'int' || column.type === 'text');
    if (groupable.length === 0) return plain;
    const aggregated = fc
      .tuple(
        fc.uniqueArray(pick(groupable), { minLength: 1, maxLength: 2, selector: (column) => column.ref }),
        pick(['plain', 'rollup', 'cube', 'sets', 'none']),
        fc.array(pick(['count(*)', 'count(K)', 'sum(I)', 'max(T)', 'min(I)', "string_agg(T, ',')", 'array_agg(I)', 'bool_and(I > 0)']), {
          minLength: 1,
          maxLength: 3,
        }),
        where,
        fc.boolean(),
      )
      .map(([keys, grouping, aggregates, filter, having]) => {
        const firstInt = scope.columns.find((column) => column.type === 'int')?.ref ?? '1';
        const firstText = scope.columns.find((column) => column.type === 'text')?.ref ?? "'x'";
        const aggregateSql = aggregates.map((aggregate) =>
          aggregate
            .replace('K', keys[0]?.ref ?? firstInt)
            .replace('I', firstInt)
            .replace('T', firstText),
        );
        const aggregateTypes: SqlType[] = aggregates.map((aggregate) =>
          aggregate.startsWith('max(T') || aggregate.startsWith('string_agg')
            ? 'text'
            : aggregate.startsWith('array_agg')
              ? 'arr'
              : aggregate.startsWith('bool_and')
                ? 'bool'
                : 'int',
        );
        const keyList = keys.map((key) => key.ref);
        const groupBy =
          grouping === 'none'
            ? ''
            : ` GROUP BY ${
                grouping === 'plain'
                  ? keyList.join(', ')
                  : grouping === 'rollup'
                    ? `ROLLUP (${keyList.join(', ')})`
                    : grouping === 'cube'
                      ? `CUBE (${keyList.join(', ')})`
                      : `GROUPING SETS ((${keyList.join(', ')}), (${keyList[0] ?? ''}))`
              }`;
        const selected = grouping === 'none' ? aggregateSql : [...keyList, ...aggregateSql];
        const types = grouping === 'none' ? aggregateTypes : [...keys.map((key) => key.type), ...aggregateTypes];
        // count(*) + 0 keeps the int8 result comparable; the casts make every branch's types line up.
        const list = selected.map((item, index) => `${castFor(types[index] ?? 'int', item)} AS c${index}`).join(', ');
        return {
          sql: `SELECT ${list} FROM ${from.sql}${filter === undefined ? '' : ` WHERE ${filter}`}${groupBy}${having ? ' HAVING count(*) > 1' : ''}`,
          types,
        };
      });
    return fc.oneof({ arbitrary: plain, weight: 3 }, { arbitrary: aggregated, weight: 1 });
  });
}

function castFor(type: SqlType, sql: string): string {
  return type === 'int' ? `(${sql})::int` : sql;
}

/** Two SELECTs with the same column types, joined by a set operation. */
function setOperation(prefix: string): fc.Arbitrary<Generated> {
  return select(`${prefix}l`, 0, false).chain((left) =>
    fromClause(`${prefix}r`, 0).chain((from) => {
      const scope: Scope = { columns: from.relations.flatMap((relation) => relation.columns), window: false, correlated: [] };
      return fc
        .tuple(fc.tuple(...left.types.map((type) => expr(type, scope, 1))), pick(['UNION', 'UNION ALL', 'INTERSECT', 'EXCEPT']))
        .map(([expressions, op]) => ({
          sql: `${left.sql.replace(/ LIMIT 2$/, '')} ${op} SELECT ${expressions.map((expression, index) => `${expression} AS c${index}`).join(', ')} FROM ${from.sql}`,
          types: left.types,
        }));
    }),
  );
}

/** Writes with RETURNING, run in a rolled-back transaction. */
function modification(): fc.Arbitrary<Generated> {
  const p2: Relation = relationOf('p2', TABLES[1]?.columns ?? []);
  const scope: Scope = { columns: p2.columns, window: false, correlated: [] };
  const returning = fc
    .tuple(targets(scope, 2), pick(['', ', old.d AS od, new.d AS nd', ', old.t AS ot']))
    .map(([list, extra]) => ({ sql: `${list.sql}${extra}`, types: list.types }));
  return fc.oneof(
    fc
      .tuple(predicate(scope), expr('int', scope, 1), returning)
      .map(([where, value, list]) => ({ sql: `UPDATE p2 SET d = ${value} WHERE ${where} RETURNING ${list.sql}`, types: list.types })),
    fc
      .tuple(predicate(scope), returning)
      .map(([where, list]) => ({ sql: `DELETE FROM p2 WHERE ${where} RETURNING ${list.sql}`, types: list.types })),
    fc.tuple(fc.integer({ min: 1, max: 6 }), pick(['NULL', '3']), returning).map(([id, d, list]) => ({
      sql: `INSERT INTO p2 (id, p1_id, c, d, t, u, q) VALUES (${id}, 1, 5, ${d}, 'new', NULL, 9) ON CONFLICT (id) DO UPDATE SET d = excluded.d, u = NULL RETURNING ${list.sql}`,
      types: list.types,
    })),
    fc.tuple(predicate(scope), fc.integer({ min: 1, max: 3 })).chain(([where, count]) =>
      targets({ columns: relationOf('m', TABLES[1]?.columns ?? []).columns, window: true, correlated: [] }, count).map((list) => ({
        sql: `WITH m AS (DELETE FROM p2 WHERE ${where} RETURNING *) SELECT ${list.sql} FROM m`,
        types: list.types,
      })),
    ),
  );
}

/** A CTE around a SELECT, read by the outer query (and joined to a table). */
function withCte(): fc.Arbitrary<Generated> {
  return select('w', 0, false).chain((inner) => {
    const columns: [string, SqlType][] = inner.types.map((type, index) => [`c${index}`, type]);
    const cte = relationOf('cte', columns);
    const scope: Scope = {
      columns: [...cte.columns, ...relationOf('p1x', TABLES[0]?.columns ?? []).columns],
      window: true,
      correlated: [],
    };
    return fc.tuple(targets(scope, 2), fc.boolean()).map(([list, leftJoin]) => ({
      sql: `WITH cte(${columns.map(([name]) => name).join(', ')}) AS (${inner.sql}) SELECT ${list.sql} FROM p1 AS p1x ${leftJoin ? 'LEFT JOIN cte ON true' : 'CROSS JOIN cte'}`,
      types: list.types,
    }));
  });
}

/** Any statement the property test runs. */
export function statement(): fc.Arbitrary<Generated> {
  return fc.oneof(
    { arbitrary: select('r', 1, true), weight: 10 },
    { arbitrary: setOperation('s'), weight: 2 },
    { arbitrary: withCte(), weight: 2 },
    { arbitrary: modification(), weight: 2 },
  );
}
