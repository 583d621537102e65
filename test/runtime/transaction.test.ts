// db.transaction: commit, rollback, bounded retry of serialization failures only, savepoints, afterCommit.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DatabaseError, SerializationFailureError, UniqueViolationError, createDb, type Queryable } from 'sqlbound';
import { testDatabase } from '../support/database.js';
import { assertNoLeak, capturingLogger } from './support.js';

const { url } = await testDatabase();
const db = createDb({ connectionString: url, max: 5, logger: capturingLogger('info').logger, cursorSecret: 's' });

let nextId = 1000;
async function insertUser(q: Queryable, fullName: string): Promise<string> {
  const id = String(nextId++);
  await q.execute({ name: 'insertUser', text: 'INSERT INTO users (id, email, full_name) VALUES ($1, $2, $3)' }, [
    id,
    `user${id}@example.com`,
    fullName,
  ]);
  return id;
}
async function countNamed(q: Queryable, fullName: string): Promise<number> {
  const result = await q.execute<{ n: number }>({ name: 'countNamed', text: 'SELECT count(*)::int AS n FROM users WHERE full_name = $1' }, [
    fullName,
  ]);
  return result.rows[0]?.n ?? -1;
}

describe('transactions', { concurrency: false }, () => {
  test('commits; the handle is inTransaction and afterCommit runs after COMMIT', async () => {
    const events: string[] = [];
    const result = await db.transaction(async (tx) => {
      assert.equal(tx.inTransaction, true);
      assert.equal(tx.cursorSecret, db.cursorSecret);
      await insertUser(tx, 'committed');
      tx.afterCommit(() => void events.push('after commit'));
      events.push('body done');
      return 'value';
    });
    assert.equal(result, 'value');
    assert.deepEqual(events, ['body done', 'after commit']);
    assert.equal(await countNamed(db, 'committed'), 1);
    assertNoLeak(db);
  });

  test('rolls back and rethrows the same error when fn throws; afterCommit does not run', async () => {
    const boom = new Error('boom');
    let ran = false;
    await assert.rejects(
      db.transaction(async (tx) => {
        await insertUser(tx, 'rolled back');
        tx.afterCommit(() => {
          ran = true;
        });
        throw boom;
      }),
      (error) => error === boom,
    );
    assert.equal(ran, false);
    assert.equal(await countNamed(db, 'rolled back'), 0);
    assertNoLeak(db);
  });

  test('a typed database error inside rolls back and is not retried', async () => {
    let attempts = 0;
    await assert.rejects(
      db.transaction(async (tx) => {
        attempts += 1;
        const id = await insertUser(tx, 'duplicate');
        await tx.execute({ name: 'insertDuplicate', text: 'INSERT INTO users (id, email, full_name) VALUES ($1, $2, $3)' }, [
          id,
          'other@example.com',
          'duplicate',
        ]);
      }),
      UniqueViolationError,
    );
    assert.equal(attempts, 1);
    assert.equal(await countNamed(db, 'duplicate'), 0);
    assertNoLeak(db);
  });

  test('a caught error leaves an aborted transaction: COMMIT reports it instead of pretending', async () => {
    await assert.rejects(
      db.transaction(async (tx) => {
        await insertUser(tx, 'aborted');
        await tx.execute({ name: 'fails', text: 'SELECT 1 / 0' }, []).catch(() => undefined);
      }),
      (error: unknown) => error instanceof DatabaseError && error.sqlState === '25P02',
    );
    assert.equal(await countNamed(db, 'aborted'), 0);
    assertNoLeak(db);
  });

  test('a serialization failure between two SERIALIZABLE transactions is retried until both commit', async () => {
    // Write skew: each transaction reads the set, then inserts into it; together they cannot be serialized.
    let bothRead: () => void = () => {};
    const barrier = new Promise<void>((resolve) => {
      let reads = 0;
      bothRead = () => {
        reads += 1;
        if (reads === 2) resolve();
      };
    });
    const attempts = [0, 0];
    const run = (index: number) =>
      db.transaction(
        async (tx) => {
          attempts[index] = (attempts[index] ?? 0) + 1;
          const seen = await countNamed(tx, 'skew');
          if (attempts[index] === 1) {
            bothRead();
            await barrier;
          }
          await insertUser(tx, 'skew');
          return seen;
        },
        { isolationLevel: 'serializable' },
      );
    const seen = await Promise.all([run(0), run(1)]);
    assert.equal(attempts[0]! + attempts[1]!, 3, `attempts ${attempts.join('+')}`);
    assert.deepEqual([...seen].sort(), [0, 1]);
    assert.equal(await countNamed(db, 'skew'), 2);
    assertNoLeak(db);
  });

  test('retries are bounded: with maxRetries 0 the SerializationFailureError surfaces', async () => {
    let bothRead: () => void = () => {};
    const barrier = new Promise<void>((resolve) => {
      let reads = 0;
      bothRead = () => {
        reads += 1;
        if (reads === 2) resolve();
      };
    });
    const run = () =>
      db.transaction(
        async (tx) => {
          await countNamed(tx, 'bounded');
          bothRead();
          await barrier;
          await insertUser(tx, 'bounded');
        },
        { isolationLevel: 'serializable', maxRetries: 0 },
      );
    const results = await Promise.allSettled([run(), run()]);
    const rejected = results.filter((result) => result.status === 'rejected');
    assert.equal(rejected.length, 1);
    assert.ok(rejected[0]?.status === 'rejected' && rejected[0].reason instanceof SerializationFailureError);
    assert.ok(['40001', '40P01'].includes(String(rejected[0].reason.sqlState)));
    assertNoLeak(db);
  });

  test('nested transaction uses a SAVEPOINT: its failure rolls back only its own work and its afterCommit', async () => {
    const events: string[] = [];
    await db.transaction(async (tx) => {
      await insertUser(tx, 'outer');
      await assert.rejects(
        tx.transaction(async (inner) => {
          assert.equal(inner.inTransaction, true);
          await insertUser(inner, 'inner failed');
          inner.afterCommit(() => void events.push('inner failed'));
          throw new Error('inner');
        }),
        /inner/,
      );
      await tx.transaction(async (inner) => {
        await insertUser(inner, 'inner kept');
        inner.afterCommit(() => void events.push('inner kept'));
        await inner.transaction(async (deeper) => {
          await insertUser(deeper, 'deeper kept');
        });
      });
      tx.afterCommit(() => void events.push('outer'));
    });
    assert.equal(await countNamed(db, 'outer'), 1);
    assert.equal(await countNamed(db, 'inner failed'), 0);
    assert.equal(await countNamed(db, 'inner kept'), 1);
    assert.equal(await countNamed(db, 'deeper kept'), 1);
    assert.deepEqual(events, ['inner kept', 'outer']);
    assertNoLeak(db);
  });

  test('a savepoint recovers an aborted transaction so the outer one can still commit', async () => {
    await db.transaction(async (tx) => {
      await insertUser(tx, 'survivor');
      await assert.rejects(tx.transaction((inner) => inner.execute({ name: 'fails', text: 'SELECT 1 / 0' }, [])));
    });
    assert.equal(await countNamed(db, 'survivor'), 1);
    assertNoLeak(db);
  });

  test('a finished transaction handle refuses further use', async () => {
    let leaked: Queryable | undefined;
    await db.transaction(async (tx) => {
      leaked = tx;
    });
    await assert.rejects(leaked!.execute({ name: 'late', text: 'SELECT 1' }, []), DatabaseError);
    assertNoLeak(db);
  });

  test('close ends every pooled connection, and the handle refuses calls afterwards', async () => {
    await db.execute({ name: 'beforeClose', text: 'SELECT 1' }, []);
    assert.ok(db.poolStats().total > 0, 'the pool held a connection');
    await db.close();
    assert.equal(db.poolStats().total, 0);
    await assert.rejects(db.execute({ name: 'afterClose', text: 'SELECT 1' }, []));
  });
});
