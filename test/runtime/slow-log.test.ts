// The runtime's ring of recent slow calls and its pool peaks: what the performance page reads.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { createDb } from 'sqlbound';
import { createSlowQueryLog, type SlowQueryEntry } from '../../src/runtime/slow-log.js';
import { testDatabase } from '../support/database.js';

const entry = (queryName: string): SlowQueryEntry => ({
  at: new Date(),
  queryName,
  level: 'warn',
  durationMs: 600,
  poolWaitMs: 0,
  executionMs: 600,
  rows: 1,
  callSite: undefined,
  scope: undefined,
  sqlState: undefined,
  errorCode: undefined,
  suppressed: 0,
});

test('the ring keeps the latest entries, newest first, and never more than its capacity', () => {
  const log = createSlowQueryLog(3);
  assert.deepEqual(log.recent(), []);
  log.record(entry('a'));
  log.record(entry('b'));
  assert.deepEqual(
    log.recent().map((e) => e.queryName),
    ['b', 'a'],
  );
  for (const name of ['c', 'd', 'e']) log.record(entry(name));
  assert.deepEqual(
    log.recent().map((e) => e.queryName),
    ['e', 'd', 'c'],
  );
  const none = createSlowQueryLog(0);
  none.record(entry('a'));
  assert.deepEqual(none.recent(), []);
});

test('slow calls are recorded with their level and without parameter values, even with logParameters on', async () => {
  const database = await testDatabase({ migrated: false });
  const db = createDb({
    connectionString: database.url,
    max: 2,
    logger: pino({ level: 'silent' }),
    slowQueryWarnMs: 200,
    slowQueryErrorMs: 600,
    logParameters: true,
    slowQueryLogSize: 5,
  });
  after(() => db.close());
  // The first call also opens the connection, which a loaded machine can make slow: it is not asserted on.
  await db.execute({ name: 'warmUp', text: 'SELECT $1::text AS secret' }, ['warm-up-secret-value']);
  await db.execute({ name: 'warnSleep', text: 'SELECT pg_sleep(0.25), $1::text AS secret' }, ['warn-secret-value']);
  await db.execute({ name: 'errorSleep', text: 'SELECT pg_sleep(0.65), $1::text AS secret' }, ['error-secret-value']);
  const recent = db.recentSlowQueries().filter((e) => e.queryName !== 'warmUp');
  assert.deepEqual(
    recent.map((e) => [e.queryName, e.level]),
    [
      ['errorSleep', 'error'],
      ['warnSleep', 'warn'],
    ],
  );
  assert.ok((recent[0]?.durationMs ?? 0) >= 600);
  assert.doesNotMatch(JSON.stringify(recent), /secret-value/);
});

test('pool peaks count the connections in use and the callers that queued', async () => {
  const database = await testDatabase({ migrated: false });
  const db = createDb({ connectionString: database.url, max: 2, logger: pino({ level: 'silent' }) });
  after(() => db.close());
  assert.deepEqual({ ...db.poolPeaks(), since: null }, { inUse: 0, waiting: 0, since: null });
  // Sequential calls on a pool with an idle connection never wait (pg-pool's one-tick queue is not a wait).
  for (let k = 0; k < 5; k++) await db.execute({ name: 'one', text: 'SELECT 1' }, []);
  assert.deepEqual({ ...db.poolPeaks(), since: null }, { inUse: 1, waiting: 0, since: null });
  // Five calls at once on two connections: two run, three wait.
  await Promise.all(Array.from({ length: 5 }, (_, k) => db.execute({ name: 'hold', text: 'SELECT pg_sleep(0.05), $1::int AS k' }, [k])));
  const peaks = db.poolPeaks();
  assert.equal(peaks.inUse, 2);
  assert.equal(peaks.waiting, 3);
});
