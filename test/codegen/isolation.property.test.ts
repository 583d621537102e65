// Owner isolation, as a property: random SELECTs over an owned schema (joins of every kind on owner and non-owner keys,
// filters in WHERE and ON, ORs, derived tables), generated with isolation enforced. Every query codegen accepts as
// confined is run for user 1 on data where other users' rows point at user 1's (a note on another user's project, a
// task id shared with another user's note), and every owner column it returns must be user 1's or NULL (the
// missing side of an outer join). The rejected ones are the escapes the golden cases name one by one.
// PROPERTY_RUNS (default 200) and PROPERTY_SEED (default 28) choose how many and which.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import fc from 'fast-check';
import postgres from 'postgres';
import { DEFAULT_GENERATE_OPTIONS, generateQueries } from '../../codegen/pipeline.js';
import { DEFAULT_OWNER } from '../../codegen/stages/isolation.js';
import { testDatabase } from '../support/database.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? '200');
const SEED = Number(process.env.PROPERTY_SEED ?? '28');

const SCHEMA = `
CREATE TABLE users (id bigint PRIMARY KEY);
CREATE TABLE projects (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id), UNIQUE (id, user_id));
CREATE TABLE tasks (
  id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id), project_id bigint NOT NULL, title text NOT NULL,
  FOREIGN KEY (project_id, user_id) REFERENCES projects (id, user_id));
CREATE TABLE notes (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id), project_id bigint NOT NULL REFERENCES projects (id));
INSERT INTO users VALUES (1), (2), (3);
INSERT INTO projects VALUES (10, 1), (20, 2), (30, 3);
INSERT INTO tasks VALUES (1, 1, 10, 'a'), (2, 1, 10, 'b'), (3, 2, 20, 'a'), (4, 3, 30, 'c');
-- Other users' notes on user 1's project, and ids that match user 1's tasks.
INSERT INTO notes VALUES (1, 2, 10), (2, 1, 10), (3, 3, 10), (4, 2, 20);
`;

const joined = {
  n: {
    table: 'notes',
    on: ['n.project_id = t.project_id', 'n.user_id = t.user_id', 'n.user_id = :userId', 't.user_id = :userId', 'n.id = t.id'],
  },
  p: { table: 'projects', on: ['p.id = t.project_id', 'p.user_id = t.user_id', 'p.user_id = :userId', 't.user_id = :userId', 'p.id = 10'] },
} as const;

const queryArbitrary = fc
  .record({
    alias: fc.constantFrom<'n' | 'p' | null>('n', 'p', null),
    join: fc.constantFrom('JOIN', 'LEFT JOIN', 'RIGHT JOIN'),
    on: fc.subarray([0, 1, 2, 3, 4], { minLength: 1, maxLength: 2 }),
    where: fc.subarray(
      ['t.user_id = :userId', '(t.user_id = :userId OR t.id = 3)', 'X.user_id = :userId', "t.title <> 'z'", 'X.user_id = t.user_id'],
      {
        maxLength: 2,
      },
    ),
    wrapped: fc.boolean(),
  })
  .map(({ alias, join, on, where, wrapped }) => {
    const owners = ['t.user_id AS o_t', ...(alias === null ? [] : [`${alias}.user_id AS o_${alias}`])];
    const from =
      alias === null
        ? 'tasks t'
        : `tasks t ${join} ${joined[alias].table} ${alias} ON ${on.map((index) => joined[alias].on[index]).join(' AND ')}`;
    const conditions = where
      .filter((condition) => alias !== null || !condition.includes('X.'))
      .map((condition) => condition.replaceAll('X.', `${alias ?? 't'}.`));
    const inner = `SELECT ${owners.join(', ')} FROM ${from}${conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : ''}`;
    return wrapped ? `SELECT d.* FROM (${inner}) d WHERE d.o_t = :userId` : inner;
  });

const database = await testDatabase({ migrated: false });
const sql = postgres(database.url, { max: 1, onnotice: () => {} });
after(() => sql.end());
await sql.unsafe(SCHEMA);

test('every query codegen accepts as confined returns only the owner’s rows', async () => {
  const statements = [...new Set(fc.sample(queryArbitrary, { numRuns: RUNS, seed: SEED }))];
  const text = statements
    .map((statement, index) => `-- name: q${index} :stream\n-- allow: seqscan a property test's tiny tables\n${statement};\n`)
    .join('\n');
  const generation = await generateQueries(sql, [{ file: 'random.sql', text }], { ...DEFAULT_GENERATE_OPTIONS, owner: DEFAULT_OWNER });
  const unexpected = generation.errors.filter((error) => !/without proving its rows are :userId's/.test(error.message));
  assert.deepEqual(unexpected, [], 'only isolation errors');
  let rows = 0;
  for (const query of generation.queries) {
    assert.equal(query.isolation.kind, 'owner', `${query.name}: ${query.sql}`);
    assert.equal(query.statements.kind, 'single');
    if (query.statements.kind !== 'single') continue;
    const values = query.params.map((param) => (param.name === 'userId' ? '1' : null));
    for (const row of await sql.unsafe<Record<string, string | null>[]>(query.statements.text, values)) {
      rows += 1;
      for (const [column, owner] of Object.entries(row)) {
        assert.ok(owner === null || owner === '1', `${query.name} returned ${column} = ${String(owner)} for user 1: ${query.sql}`);
      }
    }
  }
  // The sample must exercise both sides: confined queries that return rows, and escapes that codegen refused.
  assert.ok(generation.queries.length >= 5, `${generation.queries.length} accepted of ${statements.length}`);
  assert.ok(generation.errors.length >= 5, `${generation.errors.length} rejected of ${statements.length}`);
  assert.ok(rows > 0, 'the accepted queries returned rows');
});
