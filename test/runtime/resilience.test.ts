// Backends that die mid-load and a server that stops and starts again: typed errors only, no crash, no leak,
// and the same db handle recovers.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { UnavailableError, createDb, isSqlboundError, type Queryable } from 'sqlbound';
import { freePort, startDatabase } from '../../codegen/database/server.js';
import { testDatabase } from '../support/database.js';
import { assertNoLeak, backendsOf, capturingLogger, sleepStatement, uniqueAppName, withClient } from './support.js';
import type { DB } from '../../generated/db.js';

const { url } = await testDatabase({ migrated: false });

async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function typedOnly(results: PromiseSettledResult<unknown>[]): { failed: number; codes: Set<string> } {
  const codes = new Set<string>();
  let failed = 0;
  for (const result of results) {
    if (result.status === 'fulfilled') continue;
    failed += 1;
    assert.ok(isSqlboundError(result.reason), `untyped error escaped: ${String(result.reason)}`);
    codes.add(result.reason.code);
  }
  return { failed, codes };
}

async function stream(db: Queryable, seconds: number): Promise<number> {
  let rows = 0;
  const statement = { name: 'slowStream', text: `SELECT i, pg_sleep(${seconds}) FROM generate_series(1, 5) AS i` };
  for await (const batch of db.stream(statement, [], 1)) rows += batch.length;
  return rows;
}

describe('resilience', () => {
  test('pg_terminate_backend on every backend mid-load: typed errors only, then the pool recovers', async () => {
    const applicationName = uniqueAppName('terminate');
    const db = createDb<DB>({ connectionString: url, max: 10, applicationName, logger: capturingLogger('info').logger, cursorSecret: 's' });
    try {
      // Fill the pool, and leave some connections idle so that idle clients die too.
      await Promise.all(Array.from({ length: 10 }, (_, i) => db.execute(sleepStatement('warmup', 0.01), [i])));
      const load = Promise.allSettled([
        ...Array.from({ length: 200 }, (_, i) => db.execute(sleepStatement('underLoad', 0.02), [i])),
        ...Array.from({ length: 3 }, () => stream(db, 0.05)),
        ...Array.from({ length: 5 }, (_, i) =>
          db.transaction(async (tx) => {
            await tx.execute(sleepStatement('txUnderLoad', 0.05), [i]);
            await tx.execute(sleepStatement('txUnderLoad', 0.05), [i]);
          }),
        ),
        db.kysely.selectNoFrom((eb) => eb.fn<string>('pg_sleep', [eb.val(0.1)]).as('slept')).execute(),
      ]);
      await withClient(url, async (admin) => {
        await eventually(async () => (await backendsOf(admin, applicationName)) >= 5, 'the load to start');
        await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
      });
      const { failed, codes } = typedOnly(await load);
      assert.ok(failed > 0, 'terminating every backend should fail some calls');
      assert.ok(codes.has('UNAVAILABLE'), `expected UNAVAILABLE among ${[...codes].join(', ')}`);
      await eventually(() => db.poolStats().total === db.poolStats().idle, 'connections to come back');
      const after = await Promise.all(Array.from({ length: 50 }, (_, i) => db.execute<{ n: number }>(sleepStatement('recovered', 0), [i])));
      assert.equal(after.length, 50);
      assert.equal(after[49]?.rows[0]?.n, 49);
      assertNoLeak(db);
    } finally {
      await db.close();
    }
  });

  test('idle connections whose backends are terminated do not crash the process', async () => {
    const applicationName = uniqueAppName('idle');
    const captured = capturingLogger('info');
    const db = createDb<DB>({ connectionString: url, max: 4, applicationName, logger: captured.logger, cursorSecret: 's' });
    try {
      await Promise.all(Array.from({ length: 4 }, (_, i) => db.execute(sleepStatement('fill', 0.02), [i])));
      assert.equal(db.poolStats().idle, 4);
      await withClient(url, (admin) =>
        admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [applicationName]),
      );
      await eventually(() => db.poolStats().total === 0, 'the dead idle clients to be removed');
      assert.ok(captured.lines.some((line) => line.msg.includes('removed from the pool')));
      const result = await db.execute<{ n: number }>(sleepStatement('afterIdleDeath', 0), [7]);
      assert.equal(result.rows[0]?.n, 7);
      assertNoLeak(db);
    } finally {
      await db.close();
    }
  });

  test('stopping the server fails calls as UnavailableError; starting it again recovers the same handle', async (t) => {
    if (process.env.DATABASE_URL !== undefined && process.env.DATABASE_URL !== '') {
      t.skip('DATABASE_URL is set: this test needs an embedded server it can stop and start');
      return;
    }
    const dataDir = await mkdtemp(join(tmpdir(), 'sqlbound-restart-'));
    const port = await freePort();
    let server = await startDatabase({ kind: 'persistent', dataDir, port });
    const db = createDb<DB>({
      connectionString: server.url,
      max: 5,
      connectionTimeoutMillis: 2000,
      logger: capturingLogger('info').logger,
      cursorSecret: 's',
    });
    try {
      await Promise.all(Array.from({ length: 5 }, (_, i) => db.execute(sleepStatement('beforeStop', 0.01), [i])));
      const inFlight = Promise.allSettled(Array.from({ length: 20 }, (_, i) => db.execute(sleepStatement('duringStop', 0.5), [i])));
      await new Promise((resolve) => setTimeout(resolve, 100));
      await server.stop();
      const during = typedOnly(await inFlight);
      assert.ok(during.failed > 0);
      assert.deepEqual([...during.codes], ['UNAVAILABLE']);
      await assert.rejects(db.execute(sleepStatement('whileDown', 0), [1]), UnavailableError);
      await assert.rejects(
        db.transaction((tx) => tx.execute(sleepStatement('txWhileDown', 0), [1])),
        UnavailableError,
      );
      await assert.rejects(stream(db, 0), UnavailableError);
      assertNoLeak(db);
      server = await startDatabase({ kind: 'persistent', dataDir, port });
      const result = await db.execute<{ n: number }>(sleepStatement('afterRestart', 0), [42]);
      assert.equal(result.rows[0]?.n, 42);
      assert.equal(await stream(db, 0), 5);
      assertNoLeak(db);
    } finally {
      await db.close();
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
