// Codegen never throws at its user: what it cannot handle becomes a diagnostic with file, line, query and fix,
// or a nullable column with a note.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import postgres from 'postgres';
import { formatError } from '../../codegen/diagnostics.js';
import { DEFAULT_GENERATE_OPTIONS, generateQueries } from '../../codegen/pipeline.js';
import { loadCatalog } from '../../codegen/analysis/catalog.js';
import { testDatabase } from '../support/database.js';

const database = await testDatabase({ migrated: false });
const sql = postgres(database.url, { max: 1, onnotice: () => {} });
after(() => sql.end());

test('an unreachable database is a diagnostic, not an exception', async () => {
  const closed = postgres(database.url, { max: 1, onnotice: () => {} });
  await closed.end();
  const generation = await generateQueries(closed, [{ file: 'q.sql', text: '-- name: one :one\nSELECT 1 AS x;\n' }]);
  assert.equal(generation.errors.length, 1);
  assert.match(
    formatError(generation.errors[0] ?? { location: { file: '', line: 0 }, query: null, message: '', fix: '' }),
    /^q\.sql:1: could not read the database catalog: .+\n {2}fix: /,
  );
});

test('enums, domains and composites in another schema generate types, and unknown shapes leave notes', async () => {
  await sql.unsafe(`
    CREATE SCHEMA inventory;
    CREATE TYPE inventory.state AS ENUM ('new', 'used');
    CREATE TYPE inventory.size AS (w int, h int);
    CREATE DOMAIN inventory.sku AS text NOT NULL;
    CREATE TABLE inventory.items (id int PRIMARY KEY, state inventory.state NOT NULL, size inventory.size, sku inventory.sku);`);
  const text = [
    '-- name: items :maybe',
    'SELECT id, state, size, sku, x.value AS extra',
    "FROM inventory.items, XMLTABLE('/a' PASSING ('<a/>'::xml) COLUMNS value text) AS x",
    'WHERE id = :id AND state = :state',
    'LIMIT 1;',
  ].join('\n');
  const generation = await generateQueries(sql, [{ file: 'items.sql', text }]);
  assert.deepEqual(generation.errors.map(formatError), []);
  const [query] = generation.queries;
  assert.deepEqual(
    query?.columns.map((column) => [
      column.name,
      column.type.ts.kind === 'enum' ? column.type.ts.labels : column.type.name,
      column.nullable,
    ]),
    [
      ['id', 'int4', false],
      ['state', ['new', 'used'], false],
      ['size', 'size', true],
      // A NOT NULL domain alone proves nothing about stored values (an empty scalar subquery writes NULL through it).
      ['sku', 'text', true],
      ['extra', 'text', true],
    ],
  );
  // The config's nullability.trustNotNullDomains opts back in.
  const trusting = await generateQueries(sql, [{ file: 'items.sql', text }], {
    ...DEFAULT_GENERATE_OPTIONS,
    catalog: await loadCatalog(sql, { trustNotNullDomains: true }),
  });
  assert.equal(trusting.queries[0]?.columns.find((column) => column.name === 'sku')?.nullable, false);
  assert.deepEqual(
    query?.params.map((param) => param.type.ts.kind),
    ['primitive', 'enum'],
  );
  assert.ok(
    generation.notes.some((note) => /XMLTABLE/.test(note.message)),
    JSON.stringify(generation.notes),
  );
});
