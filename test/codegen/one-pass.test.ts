// Codegen asks the server each question once: every statement a query needs (its own, one probe per include) is
// described once up front, compose is pure, and the verify stage describes and EXPLAINs each composed statement once.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import postgres from 'postgres';
import { schemaConnection, type SchemaConnection } from '../../codegen/connection.js';
import { formatError } from '../../codegen/diagnostics.js';
import { DEFAULT_GENERATE_OPTIONS, generateQueries } from '../../codegen/pipeline.js';
import { testDatabase } from '../support/database.js';

const database = await testDatabase({ migrated: false });
const sql = postgres(database.url, { max: 1, onnotice: () => {} });
after(() => sql.end());

before(async () => {
  await sql.unsafe(`
    CREATE TABLE authors (id int8 PRIMARY KEY, name text NOT NULL);
    CREATE TABLE books (id int8 PRIMARY KEY, author_id int8 NOT NULL REFERENCES authors, title text NOT NULL, created_at timestamptz NOT NULL);
    CREATE INDEX books_author_created ON books (author_id, created_at DESC, id DESC);
    CREATE TABLE reviews (id int8 PRIMARY KEY, book_id int8 NOT NULL REFERENCES books, stars int4 NOT NULL, created_at timestamptz NOT NULL);
    CREATE INDEX reviews_book_created ON reviews (book_id, created_at DESC, id DESC);
    CREATE TABLE tags (id int8 PRIMARY KEY, book_id int8 NOT NULL REFERENCES books, label text NOT NULL);
    CREATE INDEX tags_book ON tags (book_id, id);`);
});

/** A connection that counts what it sends, and which texts it was asked to describe. */
function counting(inner: SchemaConnection) {
  const counts = { describe: 0, explain: 0, described: [] as string[] };
  const connection: SchemaConnection = {
    describe(text) {
      counts.describe += 1;
      counts.described.push(text);
      return inner.describe(text);
    },
    explain(text, mode) {
      counts.explain += 1;
      return inner.explain(text, mode);
    },
    indexes: () => inner.indexes(),
  };
  return { connection, counts };
}

/** Sends a describe to the server only for a text not seen before on this connection, as schemaConnection does. */
function serverDescribes(texts: string[]): number {
  return new Set(texts).size;
}

const withIncludes = (kind: ':one' | ':list') =>
  [
    kind === ':one' ? '-- name: bookPage :one' : '-- name: authorBooks :list\n-- order: created_at DESC, id DESC',
    kind === ':one'
      ? 'SELECT id, author_id, title, created_at FROM books WHERE id = :id;'
      : 'SELECT id, author_id, title, created_at FROM books WHERE author_id = :authorId;',
    '',
    `-- include: ${kind === ':one' ? 'bookPage' : 'authorBooks'}.author :one`,
    'SELECT a.id, a.name FROM authors a WHERE a.id = parent.author_id;',
    '',
    `-- include: ${kind === ':one' ? 'bookPage' : 'authorBooks'}.reviews :many limit 5`,
    '-- order: created_at DESC, id DESC',
    'SELECT r.id, r.stars, r.created_at FROM reviews r WHERE r.book_id = parent.id AND r.stars >= :minStars;',
    '',
    `-- include: ${kind === ':one' ? 'bookPage' : 'authorBooks'}.tags :many limit 10`,
    '-- order: id ASC',
    'SELECT t.id, t.label FROM tags t WHERE t.book_id = parent.id;',
  ].join('\n');

for (const [kind, statements] of [
  [':one', 1],
  [':list', 2],
] as const) {
  test(`a ${kind} query with 3 includes: 1 + 3 describes up front, ${statements} composed statement(s) described and EXPLAINed once`, async () => {
    const { connection, counts } = counting(schemaConnection(sql));
    const generation = await generateQueries(sql, [{ file: 'books.sql', text: withIncludes(kind) }], {
      ...DEFAULT_GENERATE_OPTIONS,
      connection,
    });
    assert.deepEqual(generation.errors.map(formatError), []);
    const [query] = generation.queries;
    assert.equal(query?.includes.length, 3);
    // The query itself, one probe per include, then each composed statement.
    assert.equal(counts.describe, 1 + 3 + statements);
    assert.equal(serverDescribes(counts.described), 1 + 3 + statements, 'no statement is described twice');
    assert.equal(counts.explain, statements);
    // The include's own param is typed from its probe, without a second describe of the composed statement's params.
    assert.deepEqual(
      query?.params.map((param) => [param.name, param.type.name]),
      kind === ':one'
        ? [
            ['id', 'int8'],
            ['minStars', 'int4'],
          ]
        : [
            ['authorId', 'int8'],
            ['minStars', 'int4'],
          ],
    );
    assert.deepEqual(query?.tables, { read: ['authors', 'books', 'reviews', 'tags'], written: [] });
  });
}

test('a query without includes is described once: the verify stage finds its composed statement already described', async () => {
  const { connection, counts } = counting(schemaConnection(sql));
  const text = '-- name: bookTitle :maybe\nSELECT title FROM books WHERE id = :id;';
  const generation = await generateQueries(sql, [{ file: 'books.sql', text }], {
    ...DEFAULT_GENERATE_OPTIONS,
    connection,
  });
  assert.deepEqual(generation.errors.map(formatError), []);
  assert.equal(counts.describe, 2, 'asked twice (describe, verify)');
  assert.equal(serverDescribes(counts.described), 1, 'sent once');
  assert.equal(counts.explain, 1);
});

test('a second generation on the same connection (a watch after a save) sends only the statements that changed', async () => {
  let sent = 0;
  // Counts what reaches the server: every Describe and EXPLAIN goes through sql.unsafe.
  const counted = new Proxy(sql, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property !== 'unsafe' || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        sent += 1;
        return Reflect.apply(value, target, args) as unknown;
      };
    },
  });
  const connection = schemaConnection(counted);
  const options = { ...DEFAULT_GENERATE_OPTIONS, connection };
  const first = await generateQueries(sql, [{ file: 'books.sql', text: withIncludes(':list') }], options);
  assert.deepEqual(first.errors.map(formatError), []);
  const firstSent = sent;
  const again = await generateQueries(sql, [{ file: 'books.sql', text: withIncludes(':list') }], options);
  assert.deepEqual(again.errors.map(formatError), []);
  assert.equal(sent, firstSent, 'an unchanged file sends nothing');
  const edited = withIncludes(':list').replace('WHERE t.book_id = parent.id', 'WHERE t.book_id = parent.id AND t.label <> :hidden');
  const third = await generateQueries(sql, [{ file: 'books.sql', text: edited }], options);
  assert.deepEqual(third.errors.map(formatError), []);
  // The edited include's probe, then the two composed statements, each described and planned: 1 + 2 + 2.
  assert.equal(sent - firstSent, 5, 'only the changed statements are sent');
});
