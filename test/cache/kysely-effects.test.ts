// A write through db.kysely names only its target, yet drops every cached read a generated write to that target would:
// reads through a view of the table, a table the target's trigger maintains, the base table of a view written through.
// The effects come from codegen (the generated module registers them with the runtime when imported); the reads here
// are real generated functions, generated from this file's own schema and imported as an application imports them.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { createDb, withQueryScope } from 'sqlbound';
import { generatedModule } from '../support/generated-module.js';
import { testDatabase } from '../support/database.js';

const database = await testDatabase();
const sql = postgres(database.url, { max: 1, onnotice: () => {} });
after(() => sql.end());
await sql.unsafe(`
  CREATE TABLE notes (id int8 PRIMARY KEY, body text NOT NULL);
  CREATE VIEW note_view AS SELECT id, body FROM notes;
  CREATE TABLE note_counts (id int4 PRIMARY KEY, total int8 NOT NULL);
  INSERT INTO note_counts VALUES (1, 0);
  CREATE FUNCTION count_notes() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    UPDATE note_counts SET total = total + 1 WHERE id = 1;
    RETURN NEW;
  END $$;
  CREATE TRIGGER notes_counted AFTER INSERT ON notes FOR EACH ROW EXECUTE FUNCTION count_notes();
  CREATE TABLE unrelated (id int4 PRIMARY KEY);
  INSERT INTO notes VALUES (1, 'first');
`);

const call = await generatedModule(
  sql,
  'kysely_effects',
  `-- name: viewedNote :maybe
-- cache: 5m
SELECT id, body FROM note_view WHERE id = :id LIMIT 1;

-- name: noteCount :one
-- cache: 5m
SELECT total FROM note_counts WHERE id = 1;

-- name: note :one
-- cache: 5m
SELECT id, body FROM notes WHERE id = :id;
`,
);

type Database = {
  notes: { id: string; body: string };
  note_view: { id: string; body: string };
  note_counts: { id: number; total: string };
  unrelated: { id: number };
};
const db = createDb<Database>({ connectionString: database.url, cursorSecret: 'kysely-effects' });
after(() => db.close());

/** The call's result and how many statements it ran: 0 means the cache served it. */
async function counted(fn: () => Promise<unknown>): Promise<{ result: unknown; count: number }> {
  const { result, scope } = await withQueryScope(fn);
  return { result, count: scope.total };
}

/** Reads twice, the second from the cache (one millisecond after the last write: BentoCache drops an entry created in the same one). */
async function cached(name: string, params: Record<string, unknown>): Promise<unknown> {
  await sleep(2);
  await call(name)(db, params);
  const hit = await counted(() => call(name)(db, params));
  assert.equal(hit.count, 0, `${name} is served from the cache`);
  return hit.result;
}

/** The next read runs on the database and equals a read that bypasses the cache. */
async function fresh(name: string, params: Record<string, unknown>): Promise<unknown> {
  const read = await counted(() => call(name)(db, params));
  assert.equal(read.count, 1, `the cached ${name} was dropped`);
  assert.deepEqual(read.result, await call(name)(db, params, { bypassCache: true }));
  return read.result;
}

test('a write to a table through Kysely drops a cached read of a view over it', async () => {
  assert.deepEqual(await cached('viewedNote', { id: '1' }), { id: '1', body: 'first' });
  await db.kysely.updateTable('notes').set({ body: 'edited' }).where('id', '=', '1').execute();
  assert.deepEqual(await fresh('viewedNote', { id: '1' }), { id: '1', body: 'edited' });
});

test('a write through Kysely drops a cached read of the table its trigger writes; an unrelated write drops nothing', async () => {
  const before = (await cached('noteCount', {})) as { total: string };
  await db.kysely.insertInto('unrelated').values({ id: 1 }).execute();
  assert.equal((await counted(() => call('noteCount')(db, {}))).count, 0, 'a write to another table leaves it cached');
  await db.kysely.insertInto('notes').values({ id: '2', body: 'second' }).execute();
  const after = (await fresh('noteCount', {})) as { total: string };
  assert.equal(BigInt(after.total), BigInt(before.total) + 1n);
});

test('a write through a view through Kysely drops a cached read of its base table', async () => {
  assert.deepEqual(await cached('note', { id: '2' }), { id: '2', body: 'second' });
  await db.kysely.updateTable('note_view').set({ body: 'through the view' }).where('id', '=', '2').execute();
  assert.deepEqual(await fresh('note', { id: '2' }), { id: '2', body: 'through the view' });
});
