// The pool under load and at its limits: size cap, pool timeout, statement timeout, options.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidOptionsError, PoolTimeoutError, StatementTimeoutError, createDb, optionsFromEnv, isSqlboundError } from 'sqlbound';
import { testDatabase } from '../support/database.js';
import { LEVEL, assertNoLeak, backendsOf, capturingLogger, sleepStatement, uniqueAppName, withClient } from './support.js';

const { url } = await testDatabase({ migrated: false });

describe('pool', () => {
  test('1000 concurrent calls with max 20 never open more than 20 backends, and all succeed', async () => {
    const applicationName = uniqueAppName('load');
    // The last of 1000 callers queues behind ~50 rounds of 20; on a loaded 2-core machine that can take seconds.
    const db = createDb({
      connectionString: url,
      max: 20,
      connectionTimeoutMillis: 60_000,
      applicationName,
      logger: capturingLogger('info').logger,
      cursorSecret: 's',
    });
    try {
      await withClient(url, async (probe) => {
        let running = true;
        const samples: number[] = [];
        const sampler = (async () => {
          while (running) {
            samples.push(await backendsOf(probe, applicationName));
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        })();
        const statement = sleepStatement('loadSleep', 0.002);
        const results = await Promise.allSettled(Array.from({ length: 1000 }, (_, i) => db.execute<{ n: number }>(statement, [i])));
        running = false;
        await sampler;
        const failures = results.filter((result) => result.status === 'rejected');
        assert.equal(failures.length, 0, String(failures[0]?.status === 'rejected' ? failures[0].reason : ''));
        results.forEach((result, i) => {
          assert.ok(result.status === 'fulfilled');
          assert.equal(result.value.rows[0]?.n, i);
        });
        const peak = Math.max(...samples);
        assert.ok(samples.length >= 3, `too few samples (${samples.length})`);
        assert.ok(peak <= 20, `peak backends ${peak} > 20`);
        assert.ok(peak >= 2, `the load never used more than one connection (peak ${peak})`);
        assert.ok(db.poolStats().total <= 20);
      });
      assertNoLeak(db);
    } finally {
      await db.close();
    }
  });

  test('a caller waiting past connectionTimeoutMillis gets PoolTimeoutError', async () => {
    // pg-pool also bounds a new connection's handshake with connectionTimeoutMillis: keep it long enough for a
    // loaded machine, and warm the only connection before holding it.
    const db = createDb({
      connectionString: url,
      max: 1,
      connectionTimeoutMillis: 1000,
      logger: capturingLogger('info').logger,
      cursorSecret: 's',
    });
    try {
      await db.execute(sleepStatement('warmup', 0), [0]);
      const holder = db.execute(sleepStatement('holdTheOnlyConnection', 1.6), [1]);
      await assert.rejects(db.execute(sleepStatement('starved', 0), [2]), (error: unknown) => {
        assert.ok(error instanceof PoolTimeoutError, String(error));
        assert.equal(error.queryName, 'starved');
        return true;
      });
      await holder;
      assertNoLeak(db);
      const after = await db.execute<{ n: number }>(sleepStatement('afterTimeout', 0), [3]);
      assert.equal(after.rows[0]?.n, 3);
      assertNoLeak(db);
    } finally {
      await db.close();
    }
  });

  test('statement_timeout (sent at startup) gives StatementTimeoutError and the connection is reused', async () => {
    const db = createDb({
      connectionString: url,
      max: 2,
      statementTimeoutMs: 150,
      logger: capturingLogger('info').logger,
      cursorSecret: 's',
    });
    try {
      await assert.rejects(db.execute(sleepStatement('tooSlow', 2), [1]), (error: unknown) => {
        assert.ok(error instanceof StatementTimeoutError, String(error));
        assert.equal(error.sqlState, '57014');
        assert.equal(error.queryName, 'tooSlow');
        return true;
      });
      assertNoLeak(db);
      const shown = await db.execute<{ statement_timeout: string }>({ name: 'showTimeout', text: 'SHOW statement_timeout' }, []);
      assert.equal(shown.rows[0]?.statement_timeout, '150ms');
      assertNoLeak(db);
    } finally {
      await db.close();
    }
  });

  test('a user cancel (57014 without statement timeout) is not reported as a statement timeout', async () => {
    const applicationName = uniqueAppName('cancel');
    const db = createDb({ connectionString: url, max: 1, applicationName, logger: capturingLogger('info').logger, cursorSecret: 's' });
    try {
      const slow = assert.rejects(db.execute(sleepStatement('cancelled', 5), [1]), (error: unknown) => {
        assert.ok(isSqlboundError(error));
        assert.equal(error.code, 'DATABASE_ERROR');
        assert.equal(error.sqlState, '57014');
        return true;
      });
      await withClient(url, async (admin) => {
        for (let i = 0; i < 200; i += 1) {
          const cancelled = await admin.query<{ ok: boolean }>(
            "SELECT bool_or(pg_cancel_backend(pid)) AS ok FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'",
            [applicationName],
          );
          if (cancelled.rows[0]?.ok === true) break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      });
      await slow;
      assertNoLeak(db);
    } finally {
      await db.close();
    }
  });

  test('options: connectionTimeoutMillis 0 is rejected; the runtime reads no environment variable', () => {
    assert.throws(() => createDb({ connectionString: url, connectionTimeoutMillis: 0, cursorSecret: 's' }), InvalidOptionsError);
    const saved = process.env.SQLBOUND_POOL_MAX;
    process.env.SQLBOUND_POOL_MAX = '7';
    try {
      const db = createDb({ connectionString: url, cursorSecret: 's' });
      assert.equal(db.settings.max, 20, 'createDb ignores SQLBOUND_POOL_MAX unless optionsFromEnv() is asked');
      void db.close();
    } finally {
      if (saved === undefined) delete process.env.SQLBOUND_POOL_MAX;
      else process.env.SQLBOUND_POOL_MAX = saved;
    }
  });

  test('optionsFromEnv: SQLBOUND_* variables become options, explicit options win, a bad value names its variable', () => {
    const env = {
      SQLBOUND_DATABASE_URL: url,
      SQLBOUND_POOL_MAX: '7',
      SQLBOUND_SLOW_QUERY_WARN_MS: '123',
      SQLBOUND_PREPARED_STATEMENTS: 'false',
      SQLBOUND_CACHE: 'off',
      SQLBOUND_CURSOR_SECRET: 'from-env',
      DB_POOL_MAX: '99',
    };
    const options = optionsFromEnv(env);
    assert.deepEqual(
      { ...options, logger: undefined },
      {
        connectionString: url,
        max: 7,
        slowQueryWarnMs: 123,
        preparedStatements: false,
        cache: false,
        cursorSecret: 'from-env',
        logger: undefined,
      },
      'only SQLBOUND_* variables are read',
    );
    const fromEnv = createDb({ ...options });
    assert.equal(fromEnv.settings.max, 7);
    assert.equal(fromEnv.settings.slowQueryWarnMs, 123);
    assert.equal(fromEnv.settings.preparedStatements, false);
    assert.equal(fromEnv.settings.connectionTimeoutMillis, 5000);
    assert.equal(fromEnv.cache, null);
    void fromEnv.close();
    const explicit = createDb({ ...options, max: 3 });
    assert.equal(explicit.settings.max, 3);
    void explicit.close();
    assert.throws(() => optionsFromEnv({ SQLBOUND_POOL_MAX: 'many' }), /SQLBOUND_POOL_MAX=many: expected an integer/);
    assert.throws(() => optionsFromEnv({ SQLBOUND_KEEP_ALIVE: 'maybe' }), /SQLBOUND_KEEP_ALIVE=maybe/);
    assert.throws(
      () => createDb({ ...optionsFromEnv({ SQLBOUND_CONNECTION_TIMEOUT_MS: '0' }), connectionString: url }),
      /connectionTimeoutMillis/,
    );
    assert.throws(() => createDb({}), /connectionString: required/);
  });

  test('a missing cursor secret is replaced by a random one, with a warning', () => {
    const captured = capturingLogger('info');
    const db = createDb({ connectionString: url, logger: captured.logger });
    assert.ok(db.cursorSecret.length >= 32);
    assert.ok(
      captured.lines.some((line) => line.level === LEVEL.warn && line.msg.includes('random per-process secret')),
      'the warning was logged',
    );
    void db.close();
  });

  test('close resolves after every connection has closed: a server stopped right after finds none to terminate', async () => {
    const applicationName = uniqueAppName('closing');
    const captured = capturingLogger('info');
    const db = createDb({ connectionString: url, max: 20, applicationName, logger: captured.logger, cursorSecret: 's' });
    // 20 connections open at once, then idle in the pool.
    await Promise.all(Array.from({ length: 40 }, () => db.execute({ name: 'opening', text: 'SELECT pg_sleep(0.02)' }, [])));
    await withClient(url, async (admin) => {
      assert.equal(await backendsOf(admin, applicationName), 20);
      await db.close();
      // A backend leaves pg_stat_activity before its socket closes, and close waited for the sockets.
      assert.equal(await backendsOf(admin, applicationName), 0, 'backends still open when close resolved');
      // What a stop right after close does to the connections still open: each would surface as a 57P01 warning.
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
      await new Promise((resolveWait) => setTimeout(resolveWait, 300));
    });
    assert.deepEqual(
      captured.lines.filter((line) => line.level >= LEVEL.warn).map((line) => line.msg),
      [],
      'no connection was still open after close',
    );
  });
});
