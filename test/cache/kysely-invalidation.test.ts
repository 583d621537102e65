// Writes through db.kysely drop the cached reads of the tables they write, as generated writes do: builder writes
// (insert, update, delete, merge, a data-modifying WITH), schema-qualified or not, inside sqlbound's and Kysely's
// own transactions (after COMMIT only, nothing on ROLLBACK), and raw SQL (every cached read). After each write the
// cached read returns the new value, equal to a read that bypasses the cache.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { createDb, runMaybe, withQueryScope, type Statement } from 'sqlbound';
import type { DB } from '../../generated/db.js';
import { getProfile, getSubscriptionStatus } from '../../generated/index.js';
import { seed } from '../../src/server/seed.js';
import { capturingLogger } from '../runtime/support.js';
import { testDatabase } from '../support/database.js';
import { withClient } from '../support/seed-data.js';

const database = await testDatabase();
await seed(database.url, { users: 4, seed: 11 });
// A table outside the search path: the manifest names it `app.notes`.
await withClient(database.url, (client) =>
  client.query(
    `CREATE SCHEMA app; CREATE TABLE app.notes (id int PRIMARY KEY, body text NOT NULL); INSERT INTO app.notes VALUES (1, 'first');`,
  ),
);
type Database = DB & { 'app.notes': { id: number; body: string } };
const db = createDb<Database>({ connectionString: database.url, cursorSecret: 'kysely-cache', logger: capturingLogger('info').logger });
after(() => db.close());

const [userId, otherUserId] = await withClient(database.url, async (client) => {
  const result = await client.query<{ id: string }>(
    'SELECT u.id FROM users u JOIN subscriptions s ON s.user_id = u.id ORDER BY u.id LIMIT 2',
  );
  return result.rows.map((row) => row.id);
});
assert.ok(userId !== undefined && otherUserId !== undefined);

const getNote: Statement = {
  name: 'getNote',
  text: 'SELECT body FROM app.notes WHERE id = $1',
  cache: { ttlMs: 300_000, reads: [{ table: 'app.notes', scoped: false }], scope: null },
};

/** Statements a call ran: 0 means it was served from the cache. */
async function statements<T>(fn: () => Promise<T>): Promise<{ result: T; count: number }> {
  const { result, scope } = await withQueryScope(fn);
  return { result, count: scope.total };
}

/**
 * The profile is cached now (read twice, the second a hit). BentoCache drops an entry created in the same
 * millisecond as an invalidation of its tags (docs/runtime.md): wait one past the last write before filling.
 */
async function cachedName(id: string): Promise<string> {
  await sleep(2);
  await getProfile(db, { userId: id });
  const hit = await statements(() => getProfile(db, { userId: id }));
  assert.equal(hit.count, 0, 'the profile is served from the cache');
  return hit.result.full_name;
}

/** The read after a write ran on the database, and equals a read that bypasses the cache. */
async function assertFresh(id: string, expected: string): Promise<void> {
  const read = await statements(() => getProfile(db, { userId: id }));
  assert.equal(read.count, 1, 'the cached profile was dropped');
  assert.equal(read.result.full_name, expected);
  assert.deepEqual(read.result, await getProfile(db, { userId: id }, { bypassCache: true }));
}

async function assertStillCached(id: string, expected: string): Promise<void> {
  const read = await statements(() => getProfile(db, { userId: id }));
  assert.equal(read.count, 0, 'still served from the cache');
  assert.equal(read.result.full_name, expected);
}

describe('writes through db.kysely invalidate cached reads', () => {
  test('update, insert, delete and merge through the builder', async () => {
    await cachedName(userId);
    await db.kysely.updateTable('users').set({ full_name: 'Builder Update' }).where('id', '=', userId).execute();
    await assertFresh(userId, 'Builder Update');

    await cachedName(userId);
    await db.kysely
      .mergeInto('users as u')
      .using(sql<{ id: string }>`(SELECT ${userId}::bigint AS id)`.as('src'), 'src.id', 'u.id')
      .whenMatched()
      .thenUpdateSet({ full_name: 'Merged' })
      .execute();
    await assertFresh(userId, 'Merged');

    // getSubscriptionStatus reads subscriptions: a delete, then an insert, each seen at once.
    const before = await getSubscriptionStatus(db, { userId });
    assert.ok(before !== null);
    const removed = await db.kysely.deleteFrom('subscriptions').where('user_id', '=', userId).returningAll().executeTakeFirstOrThrow();
    const gone = await statements(() => getSubscriptionStatus(db, { userId }));
    assert.deepEqual(gone, { result: null, count: 1 });
    await sleep(2);
    assert.equal(await getSubscriptionStatus(db, { userId }), null, 'the empty answer is cached in turn');
    await db.kysely.insertInto('subscriptions').values(removed).execute();
    const back = await statements(() => getSubscriptionStatus(db, { userId }));
    assert.equal(back.count, 1);
    assert.deepEqual(back.result, before);
  });

  test('a data-modifying WITH inside a SELECT, and a read that writes nothing invalidates nothing', async () => {
    const name = await cachedName(userId);
    await db.kysely.selectFrom('users').select('full_name').where('id', '=', userId).execute();
    await db.kysely.selectFrom('users').select('id').where('id', '=', userId).forUpdate().execute();
    await assertStillCached(userId, name);
    await db.kysely
      .with('renamed', (qb) => qb.updateTable('users').set({ full_name: 'Via CTE' }).where('id', '=', userId).returning('id'))
      .selectFrom('renamed')
      .selectAll()
      .execute();
    await assertFresh(userId, 'Via CTE');
  });

  test('schema-qualified tables: public.users through withSchema, app.notes named as the manifest does', async () => {
    await cachedName(userId);
    await db.kysely.withSchema('public').updateTable('users').set({ full_name: 'Qualified' }).where('id', '=', userId).execute();
    await assertFresh(userId, 'Qualified');

    await runMaybe(db, getNote, [1]);
    assert.equal((await statements(() => runMaybe(db, getNote, [1]))).count, 0);
    await db.kysely.updateTable('app.notes').set({ body: 'second' }).where('id', '=', 1).execute();
    const note = await statements(() => runMaybe<{ body: string }>(db, getNote, [1]));
    assert.deepEqual(note, { result: { body: 'second' }, count: 1 });
    await sleep(2);
    await runMaybe(db, getNote, [1]);
    await db.kysely
      .withSchema('app')
      .updateTable('notes' as 'app.notes')
      .set({ body: 'third' })
      .where('id', '=', 1)
      .execute();
    assert.deepEqual(await statements(() => runMaybe<{ body: string }>(db, getNote, [1])), { result: { body: 'third' }, count: 1 });
  });

  test("inside db.transaction (tx.kysely) and Kysely's own transaction: after COMMIT, never on ROLLBACK", async () => {
    for (const [label, run] of [
      ['db.transaction', (write: (kysely: typeof db.kysely) => Promise<void>) => db.transaction((tx) => write(tx.kysely))],
      ['kysely transaction', (write: (kysely: typeof db.kysely) => Promise<void>) => db.kysely.transaction().execute(write)],
    ] as const) {
      const name = await cachedName(userId);
      const renamed = `Committed ${label}`;
      await run(async (kysely) => {
        await kysely.updateTable('users').set({ full_name: renamed }).where('id', '=', userId).execute();
        // Until COMMIT, others rightly see the old row, and the entry stays.
        await assertStillCached(userId, name);
      });
      await assertFresh(userId, renamed);

      await cachedName(userId);
      await assert.rejects(
        run(async (kysely) => {
          await kysely.updateTable('users').set({ full_name: 'Rolled Back' }).where('id', '=', userId).execute();
          throw new Error('abort');
        }),
        /abort/,
      );
      await assertStillCached(userId, renamed);
    }
  });

  test('raw sql: a write drops every cached read (its tables are not read), a plain read drops nothing', async () => {
    const name = await cachedName(userId);
    const otherName = await cachedName(otherUserId);
    await sql`SELECT full_name FROM users WHERE id = ${userId} FOR UPDATE`.execute(db.kysely);
    await sql`/* the word update in a comment */ SELECT 'delete' AS word`.execute(db.kysely);
    await assertStillCached(userId, name);
    await sql`UPDATE users SET full_name = ${'Raw'} WHERE id = ${userId}`.execute(db.kysely);
    await assertFresh(userId, 'Raw');
    // Another user's entry of another query went too: raw SQL is invalidated conservatively.
    await assertFresh(otherUserId, otherName);
  });
});
