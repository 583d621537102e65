// The JSON writers codegen emits (codegen/stages/emit-json.ts) against JSON.stringify, on rows PostgreSQL returns
// through the generated functions: every kind of value a row can hold (int8 and numeric as text, floats with
// NaN and Infinity, booleans, enums, json, bytea, arrays, timestamps, dates), NULL in each, a :one and a :many
// include, a :maybe that finds nothing and a page with a cursor. A writer that differs by one byte fails here.
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { createDb, type Queryable } from 'sqlbound';
import { formatError } from '../../codegen/diagnostics.js';
import { DEFAULT_GENERATE_OPTIONS, generateQueries } from '../../codegen/pipeline.js';
import { projectRoot } from '../../src/server/paths.js';
import { testDatabase } from '../support/database.js';

const database = await testDatabase({ migrated: false });
const admin = postgres(database.directUrl, { max: 1, onnotice: () => {} });
await admin.unsafe(`
  CREATE TYPE mood AS ENUM ('calm', 'say "hi"', 'back\\slash');
  CREATE TABLE things (
    id int8 PRIMARY KEY, small int2, whole int4, big int8, exact numeric, ratio float8, flag boolean, label text,
    feeling mood, doc jsonb, raw bytea, tags text[], counts int4[], moods mood[], at timestamptz, day date, local timestamp
  );
  CREATE TABLE parts (id int8 PRIMARY KEY, thing_id int8 NOT NULL REFERENCES things, note text, at timestamptz NOT NULL);
  CREATE INDEX parts_thing ON parts (thing_id, id);
  INSERT INTO things VALUES
    (1, -32768, 2147483647, 9223372036854775807, 12345678901234567890.000123, 'NaN', true, E'quote " back \\\\ tab \\t nl \\n \\u2028 \\u0001',
     'say "hi"', '{"b": [1, 2.5, null, "x"], "a": {"nested": true}}', '\\x00ff10', ARRAY['a', NULL, E'"q"'], ARRAY[1, NULL, -3],
     ARRAY['calm', 'back\\slash']::mood[], '0001-01-01 00:00:00+00', '2024-02-29', '2024-02-29 12:34:56.789'),
    (2, NULL, NULL, NULL, NULL, 'Infinity', false, '', 'back\\slash', 'null', NULL, '{}', '{}', '{}', '9999-12-31 23:59:59.999+00', NULL, NULL),
    (3, 0, 0, -1, -0.5, '-Infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '1970-01-01', NULL),
    (4, 1, 1, 1, 1, -0.0, true, 'x', 'calm', '"text"', '', ARRAY['é'], ARRAY[0], ARRAY['calm']::mood[], '1969-12-31 23:59:59.999+00', '0001-01-01', '1900-03-01');
  INSERT INTO parts VALUES (10, 1, 'first "part"', '2024-01-01T00:00:00.5Z'), (11, 1, NULL, '1999-12-31T23:59:59.999Z'), (12, 3, 'only', '2000-02-29T00:00:00Z');
  CREATE SCHEMA inv;
  CREATE TYPE inv.tier AS ENUM ('gold', 'silver "s"');
  CREATE DOMAIN inv.score AS int4 CHECK (VALUE >= 0);
  CREATE DOMAIN inv.stamp AS timestamptz;
  CREATE TYPE inv.point AS (x float8, y float8);
  CREATE TABLE inv.members (id int8 PRIMARY KEY, tier inv.tier, score inv.score, seen inv.stamp, spot inv.point, name text NOT NULL);
  CREATE VIEW inv.member_view AS SELECT id, tier, score, seen, name FROM inv.members;
  INSERT INTO inv.members VALUES (1, 'silver "s"', 7, '2020-01-01T00:00:00.123Z', '(1.5,-2)', 'a\\b'), (2, NULL, NULL, NULL, NULL, 'b');`);

const generation = await generateQueries(
  admin,
  [
    {
      file: 'things.sql',
      text: `
-- name: thingById :one
SELECT id, small, whole, big, exact, ratio, flag, label, feeling, doc, raw, tags, counts, moods, at, day, local FROM things WHERE id = :id;

-- include: thingById.parts :many limit 10
-- order: id ASC
SELECT p.id, p.note, p.at FROM parts p WHERE p.thing_id = parent.id;

-- name: maybeThing :maybe
SELECT id, label FROM things WHERE id = :id;

-- name: listThings :list
-- order: id ASC
-- allow: seqscan a test table
SELECT id, label, at, flag FROM things;

-- include: listThings.firstPart :one
SELECT p.id, p.note, p.at FROM parts p WHERE p.thing_id = parent.id ORDER BY p.id LIMIT 1;

-- name: date :maybe
SELECT id, day FROM things WHERE id = :id;

-- include: date.row :one
SELECT p.id, p.at FROM parts p WHERE p.thing_id = parent.id ORDER BY p.id LIMIT 1;

-- name: memberById :maybe
SELECT id, tier, score, seen, spot, name FROM inv.members WHERE id = :id;

-- name: memberViewById :maybe
SELECT id, tier, score, seen, name FROM inv.member_view WHERE id = :id LIMIT 1;

-- name: renameMember :maybe
UPDATE inv.members SET name = :name WHERE id = :id RETURNING id, tier, score, seen, name;
`,
    },
  ],
  DEFAULT_GENERATE_OPTIONS,
);
assert.deepEqual(generation.errors.map(formatError), [], 'things.sql generates');
const folder = join(projectRoot, '.data', `generated-emit-json-${process.pid}`);
await mkdir(folder, { recursive: true });
for (const name of ['things.ts', 'things.json.ts']) await writeFile(join(folder, name), generation.files.get(name) ?? '');
type Module = Record<string, (...args: never[]) => unknown>;
const queries = (await import(pathToFileURL(join(folder, 'things.ts')).href)) as Module;
const writers = (await import(pathToFileURL(join(folder, 'things.json.ts')).href)) as Module;
const db = createDb({ connectionString: database.url, cursorSecret: 'emit-json', max: 2 });
after(async () => {
  await db.close();
  await admin.end();
  await rm(folder, { recursive: true, force: true });
});

function fn<Args extends unknown[], R>(module: Module, name: string): (...args: Args) => R {
  const found = module[name];
  assert.ok(typeof found === 'function', `generated ${name}`);
  return found as unknown as (...args: Args) => R;
}

test('a writer per result kind, none for :exec or :stream, and the query module is untouched', () => {
  assert.deepEqual(Object.keys(writers).sort(), [
    'dateJson',
    'listThingsPageJson',
    'maybeThingJson',
    'memberByIdJson',
    'memberViewByIdJson',
    'renameMemberJson',
    'thingByIdJson',
  ]);
  assert.ok(!(generation.files.get('things.ts') ?? '').includes('Json('), 'the query module holds no writer');
});

test('every row, NULLs and extreme values included, is written as JSON.stringify writes it', async () => {
  const thingById = fn<[Queryable, { id: string }], Promise<unknown>>(queries, 'thingById');
  const write = fn<[unknown], string>(writers, 'thingByIdJson');
  for (const id of ['1', '2', '3', '4']) {
    const row = await thingById(db, { id });
    assert.equal(write(row), JSON.stringify(row), `thing ${id}`);
  }
  const first = await thingById(db, { id: '1' });
  assert.match(write(first), /"ratio":null/, 'NaN is written as null, as JSON.stringify writes it');
});

test(':maybe writes null for no row; pages with and without a next cursor', async () => {
  const maybeThing = fn<[Queryable, { id: string }], Promise<unknown>>(queries, 'maybeThing');
  const writeMaybe = fn<[unknown], string>(writers, 'maybeThingJson');
  for (const id of ['1', '99']) {
    const row = await maybeThing(db, { id });
    assert.equal(writeMaybe(row), JSON.stringify(row));
  }
  assert.equal(writeMaybe(null), 'null');
  const listThings = fn<[Queryable, { limit: number; cursor: unknown }], Promise<{ nextCursor: unknown }>>(queries, 'listThings');
  const writePage = fn<[unknown], string>(writers, 'listThingsPageJson');
  let page = await listThings(db, { limit: 3, cursor: null });
  assert.notEqual(page.nextCursor, null);
  assert.equal(writePage(page), JSON.stringify(page));
  page = await listThings(db, { limit: 3, cursor: page.nextCursor });
  assert.equal(page.nextCursor, null);
  assert.equal(writePage(page), JSON.stringify(page));
});

test('names cannot collide: a query named like a helper (date) whose include is named row', async () => {
  const byDate = fn<[Queryable, { id: string }], Promise<unknown>>(queries, 'date');
  const write = fn<[unknown], string>(writers, 'dateJson');
  for (const id of ['1', '2', '3', '99']) {
    const row = await byDate(db, { id });
    assert.equal(write(row), JSON.stringify(row), `date ${id}`);
  }
});

test('another schema: its enum, domains and composite type, a view over it and a RETURNING write, NULLs in each', async () => {
  for (const [query, writer] of [
    ['memberById', 'memberByIdJson'],
    ['memberViewById', 'memberViewByIdJson'],
  ] as const) {
    const read = fn<[Queryable, { id: string }], Promise<unknown>>(queries, query);
    const write = fn<[unknown], string>(writers, writer);
    for (const id of ['1', '2', '99']) {
      const row = await read(db, { id });
      assert.equal(write(row), JSON.stringify(row), `${query} ${id}`);
    }
  }
  const rename = fn<[Queryable, { id: string; name: string }], Promise<unknown>>(queries, 'renameMember');
  const writeRenamed = fn<[unknown], string>(writers, 'renameMemberJson');
  for (const id of ['1', '2', '99']) {
    const row = await rename(db, { id, name: `renamed "${id}"` });
    assert.equal(writeRenamed(row), JSON.stringify(row), `renameMember ${id}`);
  }
});
