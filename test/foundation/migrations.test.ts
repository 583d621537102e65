import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { migrate, MigrationError } from '../../codegen/database/migrate.js';
import { schemaDir } from '../../src/server/paths.js';
import { testDatabase } from '../support/database.js';

async function tableNames(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
    return result.rows.map((row) => row.name);
  } finally {
    await client.end();
  }
}

test('migrations apply to an empty database, and re-running applies nothing', async () => {
  const db = await testDatabase({ migrated: false });
  const files = (await readdir(schemaDir)).filter((file) => file.endsWith('.sql')).sort();
  const first = await migrate(db.url, schemaDir);
  assert.deepEqual(first.applied, files);
  const tables = await tableNames(db.url);
  for (const table of ['users', 'subscriptions', 'data_brokers', 'exposures', 'alerts', 'scans']) {
    assert.ok(tables.includes(table), `table ${table} exists`);
  }
  const second = await migrate(db.url, schemaDir);
  assert.deepEqual(second.applied, []);
});

test('a broken migration names its file and the database message, and leaves the schema unchanged', async () => {
  const db = await testDatabase({ migrated: false });
  const directory = await mkdtemp(join(tmpdir(), 'sqlbound-migrations-'));
  await cp(schemaDir, directory, { recursive: true });
  await migrate(db.url, directory);
  const before = await tableNames(db.url);
  await writeFile(join(directory, '900_broken.sql'), 'CREATE TABLE half_done (id int);\nALTER TABLE no_such_table ADD COLUMN x int;\n');
  await assert.rejects(migrate(db.url, directory), (error: unknown) => {
    assert.ok(error instanceof MigrationError);
    assert.equal(error.file, '900_broken.sql');
    assert.match(error.message, /900_broken\.sql/);
    assert.match(error.message, /relation "no_such_table" does not exist/);
    return true;
  });
  assert.deepEqual(await tableNames(db.url), before, 'the first statement of the broken file was rolled back');
});
