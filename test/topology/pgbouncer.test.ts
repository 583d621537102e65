// The runtime through Debian's PgBouncer in transaction mode: startup parameters are refused there, so timeouts
// come from the role; named prepared statements (PgBouncer < 1.21) fall back to unnamed ones without failing a
// call or a transaction; SET LOCAL does not outlive its transaction; the runtime holds no session state.
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { StatementTimeoutError, UnavailableError, applyRoleTimeouts, createDb, type Db } from 'sqlbound';
import { PGBOUNCER, findEngine, skippedLine, startPgBouncer, type PgBouncer } from '@sqlbound/cli/testing';
import { projectRoot } from '../../src/server/paths.js';
import { testDatabase } from '../support/database.js';
import { LEVEL, assertNoLeak, capturingLogger, withClient } from '../runtime/support.js';

const installed = findEngine(PGBOUNCER) !== null;
if (!installed) console.log(skippedLine(PGBOUNCER));

// At the top level: testDatabase's after() hook must belong to the file, not to a hook.
const database = installed ? await testDatabase({ migrated: false }) : { url: '', name: '', adminUrl: '' };

const statement = { name: 'pgbouncerProbe', text: 'SELECT $1::int + 1 AS n, pg_backend_pid() AS pid' };

describe('the runtime through PgBouncer (transaction pooling)', { skip: !installed }, () => {
  let bouncer: PgBouncer;
  let pooledUrl: string;
  const dbs: Db[] = [];
  const open = (options: Parameters<typeof createDb>[0]) => {
    const db = createDb({ cursorSecret: 's', timeoutsVia: 'none', ...options });
    dbs.push(db);
    return db;
  };
  before(async () => {
    // One server connection per database: every client shares it, so a named statement collides at once.
    bouncer = await startPgBouncer({ serverUrl: database.adminUrl, defaultPoolSize: 1 });
    pooledUrl = bouncer.url(database.name);
  });
  after(async () => {
    for (const db of dbs) await db.close();
    await bouncer?.stop();
  });

  test('PgBouncer 1.18 (Debian) has no protocol-level prepared statements in transaction mode', () => {
    assert.match(bouncer.version, /^\d+\.\d+/);
    assert.equal(bouncer.settings.poolMode, 'transaction');
    assert.equal(bouncer.preparedStatements, false);
  });

  test("timeouts as startup options are refused by PgBouncer, with the reason in the error; 'none' connects", async () => {
    const startup = open({
      connectionString: pooledUrl,
      timeoutsVia: 'startup',
      logger: capturingLogger('info').logger,
      connectionTimeoutMillis: 3000,
    });
    const error = await startup.execute(statement, [1]).then(
      () => null,
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof UnavailableError, `expected UnavailableError, got ${String(error)}`);
    assert.match(String((error.cause as Error | undefined)?.message ?? error.message), /unsupported startup parameter/);
    assert.match(error.message, /timeoutsVia: 'none' \(SQLBOUND_TIMEOUTS_VIA=none\)/);
    const none = open({ connectionString: pooledUrl, logger: capturingLogger('info').logger });
    assert.equal((await none.execute<{ n: number }>(statement, [1])).rows[0]?.n, 2);
  });

  test('named statements that collide on a shared server connection fall back to unnamed ones, with one warning', async () => {
    const log = capturingLogger('info');
    const db = open({ connectionString: pooledUrl, max: 4, logger: log.logger });
    assert.equal(db.settings.preparedStatements, true);
    // Several clients at once: each parses the same named statement on the one server connection.
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => db.execute<{ n: number }>(statement, [i])));
    assert.deepEqual(
      results.map((result) => result.rows[0]?.n),
      Array.from({ length: 8 }, (_, i) => i + 1),
    );
    const again = await Promise.all(Array.from({ length: 8 }, (_, i) => db.execute<{ n: number }>(statement, [i])));
    assert.equal(again.length, 8);
    const warnings = log.lines.filter((line) => line.level === LEVEL.warn && /named prepared statements/.test(line.msg));
    assert.equal(warnings.length, 1, log.text());
    assert.ok(
      log.lines.every((line) => line.level < LEVEL.error),
      log.text(),
    );
    assertNoLeak(db);
  });

  test('a transaction whose named statement collides is rerun with unnamed statements and commits once', async () => {
    await withClient(database.url, (client) => client.query('CREATE TABLE IF NOT EXISTS bounced (id serial PRIMARY KEY, n int NOT NULL)'));
    const db = open({ connectionString: pooledUrl, max: 4, logger: capturingLogger('info').logger });
    const insert = { name: 'bouncedInsert', text: 'INSERT INTO bounced (n) VALUES ($1::int)' };
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        db.transaction(async (tx) => {
          await tx.execute(statement, [i]);
          await tx.execute(insert, [i]);
        }),
      ),
    );
    const rows = await withClient(database.url, (client) => client.query<{ n: number }>('SELECT n FROM bounced ORDER BY n'));
    assert.deepEqual(
      rows.rows.map((row) => row.n),
      [0, 1, 2, 3, 4, 5],
    );
    assertNoLeak(db);
  });

  test('role timeouts hold through PgBouncer, and SET LOCAL ends with its transaction', async () => {
    await applyRoleTimeouts(database.adminUrl, 'postgres', { statementTimeoutMs: 400 }, { database: database.name });
    try {
      // A fresh PgBouncer: server sessions opened after ALTER ROLE start with the role's settings.
      const fresh = await startPgBouncer({ serverUrl: database.adminUrl, defaultPoolSize: 1 });
      try {
        const db = open({
          connectionString: fresh.url(database.name),
          statementTimeoutMs: 5000,
          preparedStatements: false,
          logger: capturingLogger('info').logger,
        });
        await assert.rejects(db.execute({ name: 'sleepy', text: 'SELECT pg_sleep(1)' }, []), StatementTimeoutError);
        const inside = await db.transaction((tx) =>
          tx.execute<{ statement_timeout: string }>({ name: 'show', text: 'SHOW statement_timeout' }, []),
        );
        assert.equal(inside.rows[0]?.statement_timeout, '5s');
        // Same single server connection, next transaction: back to the role's setting.
        const outside = await db.execute<{ statement_timeout: string }>({ name: 'show', text: 'SHOW statement_timeout' }, []);
        assert.equal(outside.rows[0]?.statement_timeout, '400ms');
      } finally {
        await fresh.stop();
      }
    } finally {
      await withClient(database.adminUrl, (admin) => admin.query(`ALTER ROLE postgres IN DATABASE ${database.name} RESET ALL`));
    }
  });
});

test('the runtime holds no session state: no SET outside SET LOCAL, no session advisory lock, no LISTEN', async () => {
  const dir = join(projectRoot, 'src', 'runtime');
  const offenders: string[] = [];
  for (const file of await readdir(dir)) {
    if (!file.endsWith('.ts') || file === 'role-timeouts.ts') continue; // role-timeouts writes ALTER ROLE ... SET
    const text = await readFile(join(dir, file), 'utf8');
    text.split('\n').forEach((line, index) => {
      if (/^\s*\/\//.test(line)) return;
      if (/['"`]\s*SET\s+(?!LOCAL)/i.test(line) || /pg_advisory_lock\(|pg_try_advisory_lock\(|\bLISTEN\s/i.test(line)) {
        offenders.push(`${file}:${index + 1}: ${line.trim()}`);
      }
    });
  }
  assert.deepEqual(offenders, []);
});
