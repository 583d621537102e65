// The exported Kysely instance shares the pool and the instrumentation: named, timed, typed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { UniqueViolationError, createDb, isSqlboundError } from 'sqlbound';
import { kyselyQueryName } from '../../src/runtime/kysely.js';
import { testDatabase } from '../support/database.js';
import { LEVEL, assertNoLeak, capturingLogger } from './support.js';
import type { DB } from '../../generated/db.js';

const { url } = await testDatabase();

describe('kysely', () => {
  test('SQL of several statements through db.kysely is a typed error and runs none of them', async () => {
    const db = createDb<DB>({ connectionString: url, max: 2, cursorSecret: 's' });
    try {
      await assert.rejects(
        sql`INSERT INTO users (id, email, full_name) VALUES ('77', 'multi@example.com', 'M'); SELECT 1`.execute(db.kysely),
        (error: unknown) => isSqlboundError(error) && error.sqlState === '42601' && /multiple commands/.test(error.message),
      );
      const found = await db.kysely.selectFrom('users').select('id').where('id', '=', '77').execute();
      assert.deepEqual(found, [], 'the first statement did not run');
      assertNoLeak(db);
    } finally {
      await db.close();
    }
  });

  test('queries are logged with a derived name, rows and timings, on the same pool', async () => {
    const captured = capturingLogger('debug');
    const db = createDb<DB>({ connectionString: url, max: 3, logger: captured.logger, cursorSecret: 's' });
    try {
      await db.kysely.insertInto('users').values({ id: '1', email: 'a@example.com', full_name: 'A' }).execute();
      const users = await db.kysely.selectFrom('users').select(['id', 'email']).where('id', '=', '1').execute();
      assert.deepEqual(users, [{ id: '1', email: 'a@example.com' }]);
      const updated = await db.kysely.updateTable('users').set({ full_name: 'B' }).where('id', '=', '1').executeTakeFirst();
      assert.equal(updated.numUpdatedRows, 1n);
      const named = await sql<{ n: number }>`/* sqlbound:name=countUsers */ SELECT count(*)::int AS n FROM users`.execute(db.kysely);
      assert.equal(named.rows[0]?.n, 1);
      const debug = captured.lines.filter((line) => line.level === LEVEL.debug);
      const names = debug.filter((line) => line.msg !== 'cache invalidated').map((line) => line.query);
      assert.deepEqual(names, ['kysely:insert users', 'kysely:select users', 'kysely:update users', 'countUsers']);
      // The writes dropped the cached reads of users, under the writing statement's name (test/cache/kysely-invalidation.test.ts).
      const invalidations = debug.filter((line) => line.msg === 'cache invalidated').map((line) => line.query);
      assert.deepEqual(invalidations, ['kysely:insert users', 'kysely:update users']);
      const select = captured.lines.find((line) => line.query === 'kysely:select users');
      assert.equal(select?.rows, 1);
      assert.equal(typeof select?.waitMs, 'number');
      assertNoLeak(db);
    } finally {
      await db.close();
    }
  });

  test('errors are typed and Kysely transactions are timed too', async () => {
    const captured = capturingLogger('debug');
    const db = createDb<DB>({ connectionString: url, max: 3, logger: captured.logger, cursorSecret: 's' });
    try {
      await assert.rejects(
        db.kysely.insertInto('users').values({ id: '1', email: 'dup@example.com', full_name: 'Dup' }).execute(),
        UniqueViolationError,
      );
      await db.kysely.transaction().execute(async (trx) => {
        await trx.insertInto('users').values({ id: '2', email: 'b@example.com', full_name: 'B' }).execute();
      });
      const names = captured.lines.map((line) => line.query);
      assert.ok(names.includes('kysely:begin') && names.includes('kysely:commit'), names.join(', '));
      const streamed: unknown[] = [];
      for await (const row of db.kysely.selectFrom('users').select('id').orderBy('id').stream(1)) streamed.push(row);
      assert.equal(streamed.length, 2);
      assertNoLeak(db);
    } finally {
      await db.close();
    }
  });

  test('query names', () => {
    assert.equal(kyselyQueryName('select "id" from "users" where "id" = $1'), 'kysely:select users');
    assert.equal(kyselyQueryName('insert into "public"."alerts" ("a") values ($1)'), 'kysely:insert alerts');
    assert.equal(kyselyQueryName('delete from "scans" where "id" = $1'), 'kysely:delete scans');
    assert.equal(kyselyQueryName('/* sqlbound:name=dashboard.summary */ select 1'), 'dashboard.summary');
    assert.equal(kyselyQueryName('begin'), 'kysely:begin');
  });
});

describe('kysely inside db.transaction', () => {
  test('tx.kysely runs on the transaction connection: rolled back with it, logged without pool wait', async () => {
    const captured = capturingLogger('debug');
    const db = createDb<DB>({ connectionString: url, max: 1, logger: captured.logger, cursorSecret: 's' });
    try {
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.kysely.insertInto('users').values({ id: '10', email: 'tx@example.com', full_name: 'Tx' }).execute();
          const seen = await tx.kysely.selectFrom('users').select('id').where('id', '=', '10').execute();
          assert.equal(seen.length, 1);
          throw new Error('roll back');
        }),
        /roll back/,
      );
      const after = await db.kysely.selectFrom('users').select('id').where('id', '=', '10').execute();
      assert.equal(after.length, 0);
      const insert = captured.lines.find((line) => line.query === 'kysely:insert users');
      assert.equal(insert?.waitMs, 0);
      assertNoLeak(db);
    } finally {
      await db.close();
    }
  });
});
