import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { auditSchema, fixScript, formatSchemaFindings, type SchemaFinding } from '../../codegen/audit/schema.js';
import { testDatabase } from '../support/database.js';

async function withClient<T>(url: string, body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

function only<K extends SchemaFinding['kind']>(findings: SchemaFinding[], kind: K): Extract<SchemaFinding, { kind: K }>[] {
  return findings.filter((finding): finding is Extract<SchemaFinding, { kind: K }> => finding.kind === kind);
}

test('the shipped schema has no findings', async () => {
  const db = await testDatabase();
  const findings = await withClient(db.url, (client) => auditSchema(client));
  assert.deepEqual(findings, [], formatSchemaFindings(findings));
  assert.equal(formatSchemaFindings(findings), 'Schema audit: no findings.\n');
});

test('a dropped foreign-key index is reported with the CREATE INDEX that restores it', async () => {
  const db = await testDatabase();
  await withClient(db.url, async (client) => {
    await client.query('DROP INDEX exposures_broker_id_idx');
    const findings = await auditSchema(client);
    const report = formatSchemaFindings(findings);
    console.log(report);
    assert.equal(findings.length, 1, report);
    const [finding] = only(findings, 'fk_without_index');
    assert.ok(finding !== undefined, report);
    assert.equal(finding.table, 'exposures');
    assert.equal(finding.constraint, 'exposures_broker_id_fkey');
    assert.deepEqual(finding.columns, ['broker_id']);
    assert.equal(finding.referencedTable, 'data_brokers');
    assert.equal(finding.fix, 'CREATE INDEX exposures_broker_id_idx ON public.exposures (broker_id);');
    assert.match(report, /CREATE INDEX \S+ ON public\.exposures \(broker_id\)/);
    // The fix works: applying it leaves nothing to report.
    await client.query(finding.fix);
    assert.deepEqual(await auditSchema(client), []);
  });
});

test('a duplicate index is reported with its DROP INDEX, never the one a constraint needs', async () => {
  const db = await testDatabase();
  await withClient(db.url, async (client) => {
    // An exact copy, a prefix of a composite, and a non-unique copy of a unique index.
    await client.query('CREATE INDEX exposures_broker_copy ON exposures (broker_id)');
    await client.query('CREATE INDEX alerts_user_only ON alerts (user_id)');
    await client.query('CREATE INDEX subscriptions_user_plain ON subscriptions (user_id)');
    // Not duplicates: another predicate, another order of the second column, an expression, INCLUDE extra.
    await client.query('CREATE INDEX alerts_user_read_idx ON alerts (user_id, created_at DESC) WHERE read_at IS NOT NULL');
    await client.query('CREATE INDEX scans_user_created_asc_id ON scans (user_id, created_at DESC, id ASC)');
    await client.query('CREATE INDEX users_email_upper ON users (upper(email))');
    await client.query('CREATE INDEX exposures_user_status ON exposures (user_id) INCLUDE (status)');
    const findings = await auditSchema(client);
    const report = formatSchemaFindings(findings);
    console.log(report);
    const duplicates = only(findings, 'duplicate_index');
    assert.equal(findings.length, duplicates.length, report);
    const byIndex = new Map(duplicates.map((finding) => [finding.index, finding]));
    assert.deepEqual([...byIndex.keys()].sort(), ['alerts_user_only', 'exposures_broker_copy', 'subscriptions_user_plain'], report);
    assert.equal(byIndex.get('exposures_broker_copy')?.fix, 'DROP INDEX public.exposures_broker_copy;');
    assert.equal(byIndex.get('exposures_broker_copy')?.coveredBy, 'exposures_broker_id_idx');
    assert.equal(byIndex.get('alerts_user_only')?.fix, 'DROP INDEX public.alerts_user_only;');
    assert.equal(byIndex.get('alerts_user_only')?.coveredBy, 'alerts_user_created_idx');
    assert.equal(byIndex.get('subscriptions_user_plain')?.coveredBy, 'subscriptions_user_id_key');
    assert.match(report, /DROP INDEX public\.exposures_broker_copy/);
    for (const statement of fixScript(findings)) await client.query(statement);
    assert.deepEqual(await auditSchema(client), []);
  });
});

test('a unique constraint is kept when a plain index duplicates it, whichever is older', async () => {
  const db = await testDatabase();
  await withClient(db.url, async (client) => {
    await client.query('CREATE INDEX data_brokers_domain_idx ON data_brokers (domain)');
    await client.query('ALTER TABLE data_brokers ADD CONSTRAINT data_brokers_domain_key UNIQUE (domain)');
    const findings = await auditSchema(client);
    assert.deepEqual(
      findings.map((finding) => finding.fix),
      ['DROP INDEX public.data_brokers_domain_idx;'],
      formatSchemaFindings(findings),
    );
  });
});

test('a user-scoped table without indexes gets one consistent fix for all three rules', async () => {
  const db = await testDatabase();
  await withClient(db.url, async (client) => {
    await client.query(`
      CREATE TABLE notes (
        id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        body text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    const findings = await auditSchema(client);
    const report = formatSchemaFindings(findings);
    console.log(report);
    assert.deepEqual(
      findings.map((finding) => finding.kind).sort(),
      ['fk_without_index', 'scope_column_without_index', 'time_ordered_without_scope_index'],
      report,
    );
    assert.ok(findings.every((finding) => finding.table === 'notes'));
    assert.deepEqual(fixScript(findings), ['CREATE INDEX notes_user_created_idx ON public.notes (user_id, created_at DESC, id DESC);']);
    assert.match(report, /^\| kind \| table \| columns \/ index \| problem \| fix \|$/m);
    for (const statement of fixScript(findings)) await client.query(statement);
    assert.deepEqual(await auditSchema(client), []);
  });
});

test('a user_id index without created_at still fails the time-order rule only', async () => {
  const db = await testDatabase();
  await withClient(db.url, async (client) => {
    await client.query('DROP INDEX scans_user_created_idx');
    await client.query('CREATE INDEX scans_user_status_idx ON scans (user_id, status)');
    const findings = await auditSchema(client);
    assert.deepEqual(
      findings.map((finding) => [finding.kind, finding.fix]),
      [['time_ordered_without_scope_index', 'CREATE INDEX scans_user_created_idx ON public.scans (user_id, created_at DESC, id DESC);']],
      formatSchemaFindings(findings),
    );
  });
});
