// The named-statement fallback without a pooler: a named statement pg believes is parsed on its connection, but the
// server has dropped (what PgBouncer transaction pooling does when it pairs the client with another server
// connection), fails with 26000 at Bind. The executor switches the handle to unnamed statements, reruns the
// statement once on the same connection, and logs one warning; inside a transaction the transaction is rerun.
// test/topology/pgbouncer.test.ts covers the same through a real PgBouncer when one is installed.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { sql } from 'kysely';
import { createDb } from 'sqlbound';
import { testDatabase } from '../support/database.js';
import { LEVEL, assertNoLeak, capturingLogger } from './support.js';

const { url } = await testDatabase({ migrated: false });
const log = capturingLogger('info');
// One connection: Kysely's DEALLOCATE runs where the named statement was prepared.
const db = createDb({ connectionString: url, max: 1, logger: log.logger, cache: false });
after(() => db.close());
const statement = { name: 'fallbackProbe', text: 'SELECT $1::int + 1 AS n' };
const warnings = () => log.lines.filter((line) => line.level === LEVEL.warn && /named prepared statements/.test(line.msg));

test('a named statement the server no longer knows is rerun unnamed, once, with one warning', async () => {
  assert.equal((await db.execute<{ n: number }>(statement, [1])).rows[0]?.n, 2);
  await sql`DEALLOCATE ALL`.execute(db.kysely);
  assert.equal((await db.execute<{ n: number }>(statement, [2])).rows[0]?.n, 3, 'rerun unnamed, no error');
  assert.equal(warnings().length, 1, log.text());
  // From now on unnamed: nothing left to refuse, no second warning.
  assert.equal((await db.execute<{ n: number }>(statement, [3])).rows[0]?.n, 4);
  assert.equal(warnings().length, 1, log.text());
  assert.ok(
    log.lines.every((line) => line.level < LEVEL.error),
    log.text(),
  );
  assertNoLeak(db);
});

test('inside a transaction the refused statement aborts it; the transaction is rerun unnamed and commits once', async () => {
  const txLog = capturingLogger('info');
  const txDb = createDb({ connectionString: url, max: 1, logger: txLog.logger, cache: false });
  try {
    await txDb.execute(statement, [1]);
    await sql`DEALLOCATE ALL`.execute(txDb.kysely);
    let attempts = 0;
    const n = await txDb.transaction(async (tx) => {
      attempts += 1;
      return (await tx.execute<{ n: number }>(statement, [5])).rows[0]?.n;
    });
    assert.equal(n, 6);
    assert.equal(attempts, 2, 'the first attempt was refused, the rerun ran unnamed');
    assert.equal(txLog.lines.filter((line) => /named prepared statements/.test(line.msg)).length, 1, txLog.text());
    assertNoLeak(txDb);
  } finally {
    await txDb.close();
  }
});
