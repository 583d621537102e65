// A connection URL's own `options` (`?options=-c search_path=app`) and the startup options sqlbound adds for its
// timeouts both reach the session: node-postgres lets the URL's replace the config's (the timeouts were silently
// dropped), so the pool takes them out of the URL and sends both, joined.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { sql } from 'kysely';
import { createDb } from 'sqlbound';
import { testDatabase } from '../support/database.js';

const database = await testDatabase({ migrated: false });

test("the URL's search_path and sqlbound's statement_timeout both reach the session", async () => {
  const url = new URL(database.url);
  url.searchParams.set('options', '-c search_path=elsewhere,public');
  const db = createDb({ connectionString: url.toString(), cursorSecret: 'url-options', statementTimeoutMs: 4321 });
  after(() => db.close());
  const path = await sql<{ search_path: string }>`SHOW search_path`.execute(db.kysely);
  assert.equal(path.rows[0]?.search_path, 'elsewhere,public');
  const timeout = await sql<{ statement_timeout: string }>`SHOW statement_timeout`.execute(db.kysely);
  assert.equal(timeout.rows[0]?.statement_timeout, '4321ms');
});
