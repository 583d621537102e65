// Each test file gets its own database, cloned from the run's migrated template (see scripts/test.ts).
// Run outside npm test (SQLBOUND_TEST_ADMIN_URL unset), a file starts its own ephemeral server.
// Under `scripts/test.ts --via-pgbouncer` (SQLBOUND_TEST_POOLER_URL set), a file's URL goes through PgBouncer in
// transaction mode; `directUrl` still reaches the server.
import { after } from 'node:test';
import { createDatabase, dropDatabase, uniqueDatabaseName } from '../../codegen/database/admin.js';
import { migrate } from '../../codegen/database/migrate.js';
import { startDatabase, withDatabase, type DatabaseServer } from '../../codegen/database/server.js';
import { schemaDir } from '../../src/server/paths.js';
import { poolerUrl } from './pooler.js';

type Harness = { adminUrl: string; template: string | null };

let harness: Promise<Harness> | null = null;

function getHarness(): Promise<Harness> {
  harness ??= (async () => {
    const adminUrl = process.env.SQLBOUND_TEST_ADMIN_URL;
    const template = process.env.SQLBOUND_TEST_TEMPLATE;
    if (adminUrl !== undefined && template !== undefined) return { adminUrl, template };
    const server: DatabaseServer = await startDatabase({ kind: 'ephemeral' });
    after(() => server.stop());
    return { adminUrl: server.adminUrl, template: null };
  })();
  return harness;
}

export type TestDatabase = { url: string; name: string; adminUrl: string; directUrl: string };
export { poolerOptions } from './pooler.js';

/** A fresh migrated database for this file, dropped when the file's tests end. */
export async function testDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const { adminUrl, template } = await getHarness();
  const name = uniqueDatabaseName('test');
  const migrated = options.migrated ?? true;
  await createDatabase(adminUrl, name, migrated && template !== null ? template : undefined);
  const directUrl = withDatabase(adminUrl, name);
  if (migrated && template === null) await migrate(directUrl, schemaDir);
  after(() => dropDatabase(adminUrl, name));
  return { url: poolerUrl === undefined ? directUrl : withDatabase(poolerUrl, name), name, adminUrl, directUrl };
}
