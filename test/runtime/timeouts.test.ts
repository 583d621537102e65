// timeoutsVia 'none' (PgBouncer transaction pooling): no startup parameters; timeouts come from the role
// (ALTER ROLE ... SET) and, inside transactions, from SET LOCAL sent with BEGIN.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { StatementTimeoutError, applyRoleTimeouts, createDb, roleTimeoutStatements } from 'sqlbound';
import { testDatabase } from '../support/database.js';
import { assertNoLeak, capturingLogger, sleepStatement, withClient } from './support.js';

const { url, name: database, adminUrl } = await testDatabase({ migrated: false });
const role = `sqlbound_app_${Math.random().toString(36).slice(2, 10)}`;
const password = 'app-password';
await withClient(adminUrl, (admin) => admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`));
after(async () => {
  await withClient(adminUrl, async (admin) => {
    await admin.query(`ALTER ROLE ${role} IN DATABASE ${database} RESET ALL`).catch(() => undefined);
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
  });
});

function urlAs(user: string): string {
  const parsed = new URL(url);
  parsed.username = user;
  parsed.password = password;
  return parsed.toString();
}

describe('timeouts without startup parameters', () => {
  test('roleTimeoutStatements quotes the role and validates values', () => {
    assert.deepEqual(roleTimeoutStatements('app', { statementTimeoutMs: 5000, idleInTransactionTimeoutMs: 60000 }, 'db'), [
      'ALTER ROLE "app" IN DATABASE "db" SET statement_timeout = 5000',
      'ALTER ROLE "app" IN DATABASE "db" SET idle_in_transaction_session_timeout = 60000',
    ]);
    assert.throws(() => roleTimeoutStatements('app', { statementTimeoutMs: -1 }), RangeError);
  });

  test("with timeoutsVia 'none' nothing is sent at startup", async () => {
    const db = createDb({
      connectionString: urlAs(role),
      timeoutsVia: 'none',
      statementTimeoutMs: 150,
      logger: capturingLogger('info').logger,
      cursorSecret: 's',
    });
    try {
      const shown = await db.execute<{ statement_timeout: string }>({ name: 'show', text: 'SHOW statement_timeout' }, []);
      assert.equal(shown.rows[0]?.statement_timeout, '0');
    } finally {
      await db.close();
    }
  });

  test("with timeoutsVia 'none' plus the role setting, a slow statement still gets StatementTimeoutError", async () => {
    await applyRoleTimeouts(adminUrl, role, { statementTimeoutMs: 200, idleInTransactionTimeoutMs: 10_000 }, { database });
    const db = createDb({ connectionString: urlAs(role), timeoutsVia: 'none', logger: capturingLogger('info').logger, cursorSecret: 's' });
    try {
      const shown = await db.execute<{ statement_timeout: string }>({ name: 'show', text: 'SHOW statement_timeout' }, []);
      assert.equal(shown.rows[0]?.statement_timeout, '200ms');
      await assert.rejects(db.execute(sleepStatement('slowUnderRole', 2), [1]), StatementTimeoutError);
      assertNoLeak(db);
    } finally {
      await db.close();
    }
  });

  test("inside transactions, timeoutsVia 'none' sends SET LOCAL with BEGIN (one round trip)", async () => {
    const db = createDb({
      connectionString: url,
      timeoutsVia: 'none',
      statementTimeoutMs: 150,
      logger: capturingLogger('info').logger,
      cursorSecret: 's',
    });
    try {
      await assert.rejects(
        db.transaction((tx) => tx.execute(sleepStatement('slowInTransaction', 2), [1])),
        StatementTimeoutError,
      );
      const outside = await db.execute<{ statement_timeout: string }>({ name: 'show', text: 'SHOW statement_timeout' }, []);
      assert.equal(outside.rows[0]?.statement_timeout, '0', 'SET LOCAL must not leak out of the transaction');
      assertNoLeak(db);
    } finally {
      await db.close();
    }
  });
});
