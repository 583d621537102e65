import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { testDatabase } from '../support/database.js';

// Each index the schema promises, as pg_get_indexdef prints it (minus the name and schema).
const expected: Record<string, string> = {
  users_email_lower_key: 'CREATE UNIQUE INDEX ON users USING btree (lower(email))',
  subscriptions_user_id_key: 'CREATE UNIQUE INDEX ON subscriptions USING btree (user_id)',
  data_brokers_name_key: 'CREATE UNIQUE INDEX ON data_brokers USING btree (name)',
  exposures_user_created_idx: 'CREATE INDEX ON exposures USING btree (user_id, created_at DESC, id DESC)',
  exposures_broker_id_idx: 'CREATE INDEX ON exposures USING btree (broker_id)',
  alerts_user_created_idx: 'CREATE INDEX ON alerts USING btree (user_id, created_at DESC, id DESC)',
  alerts_user_unread_idx: 'CREATE INDEX ON alerts USING btree (user_id, created_at DESC, id DESC) WHERE (read_at IS NULL)',
  alerts_exposure_created_idx: 'CREATE INDEX ON alerts USING btree (exposure_id, created_at DESC, id DESC)',
  scans_user_created_idx: 'CREATE INDEX ON scans USING btree (user_id, created_at DESC, id DESC)',
};

test('the catalog has every promised index', async () => {
  const db = await testDatabase();
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const result = await client.query<{ name: string; definition: string }>(`
      SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public'`);
    const actual = new Map(result.rows.map((row) => [row.name, row.definition.replace(` ${row.name} ON public.`, ' ON ')]));
    for (const [name, definition] of Object.entries(expected)) {
      assert.equal(actual.get(name), definition, `index ${name}`);
    }
  } finally {
    await client.end();
  }
});

test('every foreign key has an index whose leading column is the key', async () => {
  const db = await testDatabase();
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const result = await client.query<{ constraint: string }>(`
      SELECT con.conname AS constraint
      FROM pg_constraint con
      WHERE con.contype = 'f'
        AND NOT EXISTS (
          SELECT 1 FROM pg_index i
          WHERE i.indrelid = con.conrelid AND i.indkey[0] = con.conkey[1])`);
    assert.deepEqual(result.rows, []);
  } finally {
    await client.end();
  }
});
