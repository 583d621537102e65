// stream(): batches of at most 100 rows on their own connection, released on every path.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidInputError, createDb, isSqlboundError } from 'sqlbound';
import { testDatabase } from '../support/database.js';
import { assertNoLeak, capturingLogger, uniqueAppName, withClient } from './support.js';

const { url } = await testDatabase({ migrated: false });
const series = { name: 'series', text: 'SELECT i FROM generate_series(1, $1::int) AS i' };

async function openCursors(applicationName: string): Promise<number> {
  return withClient(url, async (client) => {
    const result = await client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND state <> 'idle'",
      [applicationName],
    );
    return result.rows[0]?.n ?? -1;
  });
}

describe('stream', () => {
  test('yields every row in batches of at most 100, whatever batchSize asks for', async () => {
    const captured = capturingLogger('debug');
    const db = createDb({ connectionString: url, max: 2, logger: captured.logger, cursorSecret: 's' });
    try {
      const sizes: number[] = [];
      let total = 0;
      for await (const batch of db.stream<{ i: number }>(series, [450], 500)) {
        sizes.push(batch.length);
        total += batch.reduce((sum, row) => sum + row.i, 0);
      }
      assert.deepEqual(sizes, [100, 100, 100, 100, 50]);
      assert.equal(total, (450 * 451) / 2);
      const line = captured.lines.find((entry) => entry.query === 'series');
      assert.equal(line?.rows, 450);
      assertNoLeak(db);
    } finally {
      await db.close();
    }
  });

  test('breaking out early closes the cursor and releases the connection', async () => {
    const applicationName = uniqueAppName('stream');
    const db = createDb({ connectionString: url, max: 1, applicationName, logger: capturingLogger('info').logger, cursorSecret: 's' });
    try {
      let batches = 0;
      for await (const batch of db.stream<{ i: number }>(series, [100_000], 10)) {
        assert.equal(batch.length, 10);
        batches += 1;
        if (batches === 3) break;
      }
      assertNoLeak(db);
      assert.equal(db.poolStats().total, 1);
      assert.equal(await openCursors(applicationName), 0);
      // With max 1, this only works if the stream gave its connection back.
      const after = await db.execute<{ i: number }>(series, [1]);
      assert.equal(after.rows[0]?.i, 1);
      assertNoLeak(db);
    } finally {
      await db.close();
    }
  });

  test('a consumer that throws releases the connection too', async () => {
    const db = createDb({ connectionString: url, max: 1, logger: capturingLogger('info').logger, cursorSecret: 's' });
    try {
      await assert.rejects(
        (async () => {
          for await (const batch of db.stream(series, [1000], 100)) {
            void batch;
            throw new Error('consumer failed');
          }
        })(),
        /consumer failed/,
      );
      assertNoLeak(db);
      assert.equal((await db.execute<{ i: number }>(series, [1])).rowCount, 1);
    } finally {
      await db.close();
    }
  });

  test('a failing statement mid-stream is typed and releases the connection', async () => {
    const db = createDb({ connectionString: url, max: 1, logger: capturingLogger('info').logger, cursorSecret: 's' });
    try {
      const failing = { name: 'failingStream', text: 'SELECT 1 / (150 - i) AS x FROM generate_series(1, 300) AS i' };
      let rows = 0;
      await assert.rejects(
        (async () => {
          for await (const batch of db.stream(failing, [], 100)) rows += batch.length;
        })(),
        (error: unknown) => error instanceof InvalidInputError && error.sqlState === '22012' && error.queryName === 'failingStream',
      );
      assert.ok(rows >= 100 && rows < 150, `rows before the failure: ${rows}`);
      assertNoLeak(db);
      assert.equal((await db.execute<{ i: number }>(series, [2])).rowCount, 2);
    } finally {
      await db.close();
    }
  });

  test("a stream inside a transaction reads the transaction's own writes", async () => {
    const db = createDb({ connectionString: url, max: 1, logger: capturingLogger('info').logger, cursorSecret: 's' });
    try {
      const rows = await db.transaction(async (tx) => {
        await tx.execute(
          { name: 'tempTable', text: 'CREATE TEMP TABLE t ON COMMIT DROP AS SELECT i FROM generate_series(1, 250) AS i' },
          [],
        );
        let count = 0;
        for await (const batch of tx.stream({ name: 'txStream', text: 'SELECT i FROM t' }, [], 100)) count += batch.length;
        return count;
      });
      assert.equal(rows, 250);
      assertNoLeak(db);
    } catch (error) {
      assert.fail(isSqlboundError(error) ? error.message : String(error));
    } finally {
      await db.close();
    }
  });
});
