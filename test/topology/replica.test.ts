// A physical streaming replica of the test server (pg_backup_start/stop, a copy, standby.signal), behind createDb:
// opted-in reads go to it; a caller's reads right after its own write never see stale data while other callers'
// reads keep using the replica; a replica over the lag bound or down is skipped with a metric and a log line;
// writes and transactions stay on the primary. The replica applies WAL 1.5 s late (recovery_min_apply_delay), so
// a read sent there right after a write would be stale: the test shows that too, so it could fail.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createDb, withQueryScope, type Db, type Statement } from 'sqlbound';
import { startReplica, type Replica } from '@sqlbound/cli/testing';
import { getProfile, updateProfile } from '../../generated/index.js';
import { seed } from '../../src/server/seed.js';
import { createPrometheusMetrics, type PrometheusMetrics } from '../../src/server/prometheus.js';
import { testDatabase } from '../support/database.js';
import { LEVEL, capturingLogger } from '../runtime/support.js';

const APPLY_DELAY_MS = 1500;
const database = await testDatabase();
await seed(database.url, { users: 10, seed: 1 });

/** Which server ran the statement: a replica is in recovery. */
const where: Statement = { name: 'whereAmI', text: 'SELECT pg_is_in_recovery() AS replica', readOnly: true, replica: true };
const wherePlain: Statement = { name: 'whereAmIPlain', text: 'SELECT pg_is_in_recovery() AS replica', readOnly: true };

async function onReplica(db: Db, statement: Statement = where, options?: { replica?: boolean }): Promise<boolean> {
  const { rows } = await db.execute<{ replica: boolean }>(statement, [], options);
  return rows[0]?.replica === true;
}

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

function series(text: string, name: string, labels: Record<string, string>): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (!Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return null;
}

describe('a streaming replica behind createDb', () => {
  let replica: Replica;
  let metrics: PrometheusMetrics;
  const log = capturingLogger('info');
  let db: Db;
  let users: string[];
  before(async () => {
    replica = await startReplica({
      primaryUrl: database.adminUrl,
      name: 'replica1',
      settings: { recovery_min_apply_delay: `${APPLY_DELAY_MS}ms` },
    });
    metrics = createPrometheusMetrics();
    db = createDb({
      connectionString: database.url,
      replicas: [{ connectionString: replica.url(database.name), name: 'replica1', max: 4 }],
      replicaCheckIntervalMs: 50,
      replicaMaxLagMs: 5000,
      max: 4,
      cache: false,
      cursorSecret: 's',
      logger: log.logger,
      meterProvider: metrics.meterProvider,
    });
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    users = (await client.query<{ id: string }>('SELECT id::text AS id FROM users ORDER BY id LIMIT 2')).rows.map((row) => row.id);
    await client.end();
    await until('the replica to be up', () => db.replicaStatus()[0]?.health.kind === 'up');
  });
  after(async () => {
    await db?.close();
    await metrics?.shutdown();
    await replica?.stop();
  });

  test('the replica is a hot standby that refuses writes', async () => {
    const client = new pg.Client({ connectionString: replica.url(database.name) });
    await client.connect();
    try {
      assert.equal((await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]?.r, true);
      await assert.rejects(client.query("UPDATE users SET full_name = 'x'"), /read-only transaction/);
    } finally {
      await client.end();
    }
  });

  test('an opted-in read goes to the replica; a read that did not opt in, or a call that says no, to the primary', async () => {
    assert.equal(await onReplica(db), true);
    assert.equal(await onReplica(db, wherePlain), false);
    assert.equal(await onReplica(db, wherePlain, { replica: true }), true);
    assert.equal(await onReplica(db, where, { replica: false }), false);
    // Not proven read-only: never routed, whatever the call says.
    assert.equal(await onReplica(db, { name: 'unproven', text: 'SELECT pg_is_in_recovery() AS replica' }, { replica: true }), false);
  });

  test('transactions run on the primary, also for opted-in reads', async () => {
    const inside = await db.transaction((tx) => tx.execute<{ replica: boolean }>(where, []));
    assert.equal(inside.rows[0]?.replica, false);
  });

  test("read-your-writes: a user's read right after its write is never stale, other users keep the replica", async () => {
    const [writer, other] = users as [string, string];
    let staleForOthers = 0;
    for (let round = 0; round < 5; round += 1) {
      const name = `name ${round} ${Math.random().toString(36).slice(2, 8)}`;
      await withQueryScope(
        async () => {
          await updateProfile(db, { userId: writer, fullName: name });
          const read = await getProfile(db, { userId: writer }, { replica: true });
          assert.equal(read.full_name, name, 'the writer reads its own write');
          assert.equal(await onReplica(db), false, "the writer's reads go to the primary until the replica has replayed the write");
        },
        { user: writer },
      );
      await withQueryScope(
        async () => {
          assert.equal(await onReplica(db), true, "another user's reads stay on the replica");
          // The same row from the replica, for another caller: still the old value (the replica applies late).
          const seen = await getProfile(db, { userId: writer }, { replica: true });
          if (seen.full_name !== name) staleForOthers += 1;
        },
        { user: other },
      );
    }
    assert.ok(staleForOthers > 0, 'the replica lags, so without read-your-writes the read would have been stale');
    // Once the replica has replayed the write, the writer's reads use it again.
    await until('the writer back on the replica', () => withQueryScope(() => onReplica(db), { user: writer }).then(({ result }) => result));
  });

  test('a replica over the lag bound is skipped, counted and logged; it serves again once caught up', async () => {
    const strictLog = capturingLogger('info');
    const strict = createDb({
      connectionString: database.url,
      replicas: [{ connectionString: replica.url(database.name), name: 'replica1', max: 2 }],
      replicaCheckIntervalMs: 50,
      replicaMaxLagMs: 300,
      max: 2,
      cache: false,
      cursorSecret: 's',
      logger: strictLog.logger,
      meterProvider: metrics.meterProvider,
    });
    try {
      await until('the replica to be up', () => strict.replicaStatus()[0]?.health.kind === 'up');
      await updateProfile(strict, { userId: users[1] as string, fullName: `lag ${Date.now()}` });
      await until('the replica to lag over 0.3 s', () => {
        const health = strict.replicaStatus()[0]?.health;
        return health?.kind === 'up' && health.lagSeconds > 0.3;
      });
      // Another scope: only the lag can keep it off the replica.
      const { result } = await withQueryScope(() => onReplica(strict), { user: 'someone-else' });
      assert.equal(result, false);
      assert.ok(
        strictLog.lines.some((line) => line.level === LEVEL.warn && /replica replica1 lags .* over the 0.3 s bound/.test(line.msg)),
        strictLog.text(),
      );
      const text = await metrics.metricsText();
      assert.ok((series(text, 'sqlbound_replica_fallbacks_total', { reason: 'lag' }) ?? 0) >= 1, text);
      await until('the replica to catch up', () =>
        withQueryScope(() => onReplica(strict), { user: 'someone-else' }).then(({ result: r }) => r),
      );
    } finally {
      await strict.close();
    }
  });

  test('metrics: reads by target, lag per replica pool, fallbacks by reason', async () => {
    const text = await metrics.metricsText();
    assert.ok(
      (series(text, 'sqlbound_replica_reads_total', { target: 'replica', db_client_connection_pool_name: 'replica1' }) ?? 0) > 0,
      text,
    );
    assert.ok((series(text, 'sqlbound_replica_reads_total', { target: 'primary' }) ?? 0) > 0, text);
    assert.notEqual(series(text, 'sqlbound_replica_lag', { db_client_connection_pool_name: 'replica1' }), null, text);
    assert.ok((series(text, 'sqlbound_replica_fallbacks_total', { reason: 'read_your_writes' }) ?? 0) > 0, text);
    // The replica's pool has its own series, under its name.
    assert.notEqual(
      series(text, 'db_client_operation_duration_count', { db_client_connection_pool_name: 'replica1', db_query_summary: 'whereAmI' }),
      null,
      text,
    );
  });

  test('a replica that goes down is skipped: the primary serves, with a metric and one log line', async () => {
    await replica.stop();
    // Right after the stop, before the monitor notices: the failed read is rerun on the primary.
    assert.equal(await onReplica(db), false);
    await until('the replica marked down', () => db.replicaStatus()[0]?.health.kind === 'down');
    assert.equal(await onReplica(db), false);
    const downLines = log.lines.filter((line) => /replica replica1 is down/.test(line.msg));
    assert.equal(downLines.length, 1, log.text());
    const text = await metrics.metricsText();
    assert.ok((series(text, 'sqlbound_replica_fallbacks_total', { reason: 'down' }) ?? 0) >= 1, text);
    assert.ok(
      log.lines.every((line) => line.level < LEVEL.error),
      log.text(),
    );
  });
});
