// Slow-query logs, the alert hook, call sites, metrics, and the rule that parameter values never reach the log.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidInputError, createDb, type SlowQueryEvent } from 'sqlbound';
import { createPrometheusMetrics } from '../../src/server/prometheus.js';
import { testDatabase } from '../support/database.js';
import { LEVEL, assertNoLeak, capturingLogger, sleepStatement } from './support.js';
import type { DB } from '../../generated/db.js';

const { url } = await testDatabase();

describe('logging', () => {
  // Only lower bounds on real time here: a stall can make a statement slower, never faster. The thresholds
  // are pinned on both sides with exact durations in observer.test.ts.
  test('real statements are timed: a 1.1 s sleep is an error under the defaults and fires onSlowQuery; 0.6 s at least warns', async () => {
    const captured = capturingLogger('debug');
    const events: SlowQueryEvent[] = [];
    const db = createDb<DB>({
      connectionString: url,
      logger: captured.logger,
      onSlowQuery: (event) => events.push(event),
      cursorSecret: 's',
    });
    try {
      await db.execute(sleepStatement('sleepWarn', 0.6), [1]);
      await db.execute(sleepStatement('sleepError', 1.1), [2]);
      const warn = captured.lines.find((line) => line.query === 'sleepWarn');
      const error = captured.lines.find((line) => line.query === 'sleepError');
      assert.ok(warn !== undefined && warn.level >= LEVEL.warn, JSON.stringify(warn));
      assert.equal(error?.level, LEVEL.error);
      const hooked = events.map((event) => event.queryName);
      assert.ok(hooked.includes('sleepError'), JSON.stringify(hooked));
      assert.ok(
        hooked.every((name) => name === 'sleepError' || name === 'sleepWarn'),
        JSON.stringify(hooked),
      );
      assert.ok((events.find((event) => event.queryName === 'sleepError')?.durationMs ?? 0) >= 1000);
      assertNoLeak(db);
    } finally {
      await db.close();
    }
  });

  test('fast calls log at debug with rows, wait and execution time', async () => {
    const captured = capturingLogger('debug');
    // Thresholds of a minute: no stall of a shared machine makes SELECT 1 that slow.
    const db = createDb<DB>({
      connectionString: url,
      logger: captured.logger,
      slowQueryWarnMs: 60_000,
      slowQueryErrorMs: 60_000,
      cursorSecret: 's',
    });
    try {
      await db.execute(sleepStatement('fast', 0), [1]);
      const fast = captured.lines.find((line) => line.query === 'fast');
      assert.equal(fast?.level, LEVEL.debug);
      assert.equal(fast?.rows, 1);
      assert.equal(typeof fast?.waitMs, 'number');
      assert.equal(typeof fast?.executionMs, 'number');
    } finally {
      await db.close();
    }
  });

  test('a slow line names query, duration, rows, pool state and the call site', async () => {
    const captured = capturingLogger('debug');
    const events: SlowQueryEvent[] = [];
    const db = createDb<DB>({
      connectionString: url,
      logger: captured.logger,
      slowQueryWarnMs: 300,
      slowQueryErrorMs: 700,
      onSlowQuery: (event) => events.push(event),
      cursorSecret: 's',
    });
    try {
      await db.execute(sleepStatement('slowish', 0.35), [2]);
      await db.execute(sleepStatement('slower', 0.75), [3]);
      const warn = captured.lines.find((line) => line.query === 'slowish');
      assert.ok(warn !== undefined && warn.level >= LEVEL.warn, JSON.stringify(warn));
      const error = captured.lines.find((line) => line.query === 'slower');
      assert.equal(error?.level, LEVEL.error);
      for (const line of [warn, error]) {
        assert.ok(line !== undefined);
        assert.equal(line.rows, 1);
        assert.ok(typeof line.durationMs === 'number' && line.durationMs >= 300);
        assert.deepEqual(Object.keys(line.pool as object).sort(), ['idle', 'total', 'waiting']);
        assert.match(String(line.callSite), /test\/runtime\/logging\.test\.ts:\d+:\d+/);
      }
      const slower = events.find((event) => event.queryName === 'slower');
      assert.ok(slower !== undefined, JSON.stringify(events));
      assert.match(String(slower.callSite), /logging\.test\.ts/);
      assertNoLeak(db);
    } finally {
      await db.close();
    }
  });

  test('a failed statement is logged with its SQLSTATE', async () => {
    const captured = capturingLogger('info');
    const db = createDb<DB>({ connectionString: url, logger: captured.logger, cursorSecret: 's' });
    try {
      await assert.rejects(db.execute({ name: 'divide', text: 'SELECT 1 / $1::int AS x' }, [0]));
      const line = captured.lines.find((entry) => entry.query === 'divide');
      assert.equal(line?.sqlState, '22012');
      assert.equal(line?.errorCode, 'INVALID_INPUT');
      assert.match(String(line?.callSite), /logging\.test\.ts/);
      assertNoLeak(db);
    } finally {
      await db.close();
    }
  });

  test('a secret parameter value never reaches the log unless logParameters is on', async () => {
    const secret = 'hunter2-very-secret-value';
    const run = async (logParameters: boolean) => {
      const captured = capturingLogger('debug');
      const events: SlowQueryEvent[] = [];
      const db = createDb<DB>({
        connectionString: url,
        logger: captured.logger,
        logParameters,
        slowQueryWarnMs: 0,
        slowQueryErrorMs: 0,
        onSlowQuery: (event) => events.push(event),
        cursorSecret: 's',
      });
      try {
        await db.execute({ name: 'findByEmail', text: 'SELECT id FROM users WHERE email = $1' }, [secret]);
        // The server quotes bad input in its message: invalid input syntax for type bigint: "<value>".
        await assert.rejects(db.execute({ name: 'badId', text: 'SELECT id FROM users WHERE id = $1' }, [secret]), InvalidInputError);
        await db.kysely.selectFrom('users').select('id').where('email', '=', secret).execute();
        await db.transaction(async (tx) => {
          await tx.execute({ name: 'txFind', text: 'SELECT id FROM users WHERE email = $1' }, [secret]);
        });
        for await (const batch of db.stream({ name: 'streamFind', text: 'SELECT id FROM users WHERE email = $1' }, [secret], 10)) {
          void batch;
        }
      } finally {
        await db.close();
      }
      return { text: captured.text(), events };
    };
    const hidden = await run(false);
    assert.ok(hidden.text.includes('findByEmail') && hidden.text.includes('badId') && hidden.text.includes('kysely:select users'));
    assert.ok(!hidden.text.includes(secret), 'the secret value was logged');
    assert.ok(!JSON.stringify(hidden.events).includes(secret), 'the secret value reached the hook');
    const shown = await run(true);
    assert.ok(shown.text.includes(secret), 'logParameters: true should log values (control)');
  });

  test('metrics: operation duration with a 0.2 s bucket, connection counts, wait time and slow counts', async () => {
    const prometheus = createPrometheusMetrics();
    const db = createDb<DB>({
      connectionString: url,
      meterProvider: prometheus.meterProvider,
      logger: capturingLogger('info').logger,
      slowQueryWarnMs: 50,
      cursorSecret: 's',
    });
    try {
      await db.execute(sleepStatement('warmup', 0), [0]);
      await db.execute(sleepStatement('metered', 0), [1]);
      await db.execute(sleepStatement('meteredSlow', 0.06), [1]);
      await assert.rejects(db.execute({ name: 'meteredFail', text: 'SELECT 1 / 0' }, []));
      await db.kysely.selectFrom('users').select('id').execute();
      // A keyset page fetches one look-ahead row (limit 2 + 1): the page has 2 rows, and so do the metrics.
      const page = { name: 'paged', text: 'SELECT g FROM generate_series(1, 10) AS g LIMIT $1::int4', lookAhead: true as const };
      assert.equal((await db.execute(page, [3])).rows.length, 3);
      const text = await prometheus.metricsText();
      assert.match(text, /db_client_response_returned_rows_sum\{[^}]*db_query_summary="paged"[^}]*\} 2\n/);
      // The 0.2 s bucket exists (whether a stalled call lands under it is the machine's business, not this test's).
      assert.match(text, /db_client_operation_duration_bucket\{[^}]*db_query_summary="metered"[^}]*le="0\.2"\} [01]\n/);
      assert.match(text, /db_client_operation_duration_count\{[^}]*db_query_summary="metered"[^}]*\} 1\n/);
      assert.match(text, /db_client_operation_duration_count\{[^}]*db_query_summary="meteredFail"[^}]*outcome="error"/);
      assert.match(text, /db_client_operation_duration_count\{[^}]*db_query_summary="kysely:select users"/);
      assert.match(text, /db_client_connection_count\{[^}]*db_client_connection_state="idle"[^}]*\} 1/);
      assert.match(text, /db_client_connection_count\{[^}]*db_client_connection_state="used"[^}]*\} 0/);
      assert.match(text, /db_client_connection_pending_requests\{[^}]*\} 0/);
      assert.match(text, /db_client_connection_wait_time_count\{[^}]*\} [1-9]/);
      assert.match(text, /sqlbound_slow_queries_total\{[^}]*db_query_summary="meteredSlow"[^}]*level="warn"[^}]*\} 1/);
    } finally {
      await db.close();
      await prometheus.shutdown();
    }
  });
});
