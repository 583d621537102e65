// Issue 27, "the audit works on any project": the tables of every configured schema are sized, so a seq scan of a
// 60k-row table outside public is a finding, and its fix is valid, schema-qualified and new. The project has two
// schemas (accounts in public, a big ledger.entries); codegen accepts its list while the index exists; the audit
// database then loses that index. Every CREATE INDEX the audit suggests is parsed with libpg-query, applied, and the
// audit run again: it must then pass.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadModule, parseSync } from 'libpg-query';
import pg from 'pg';
import postgres from 'postgres';
import { auditRules, parseConfig } from '../../codegen/config.js';
import { MANIFEST_VERSION, parseManifest } from '../../codegen/manifest/manifest.js';
import { generateQueries } from '../../codegen/pipeline.js';
import { runPlanAudit } from '../../codegen/audit/plan-audit.js';
import { formatPlanAuditReport } from '../../codegen/audit/report.js';
import { suggestIndex } from '../../codegen/audit/suggest.js';
import { readSuggestionCatalog } from '../../codegen/audit/suggestion-catalog.js';
import { testDatabase } from '../support/database.js';

await loadModule();

const SCHEMA = `
CREATE SCHEMA ledger;
CREATE TABLE public.accounts (id int8 PRIMARY KEY, name text NOT NULL);
CREATE TABLE ledger.entries (
  id int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id int8 NOT NULL REFERENCES public.accounts,
  amount int NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX entries_account_created ON ledger.entries (account_id, created_at DESC, id DESC);`;

const QUERIES = `-- name: listEntries :list
-- order: created_at DESC, id DESC
SELECT id, amount, created_at FROM ledger.entries WHERE account_id = :accountId;
`;

const config = parseConfig(
  {
    schemas: ['public', 'ledger'],
    cache: { scopeParam: 'accountId', scopeColumn: 'account_id', ownerTable: 'accounts' },
    audit: {
      owners: {
        typical: 'SELECT id FROM public.accounts ORDER BY id LIMIT $1',
        heavy: 'SELECT account_id AS id FROM ledger.entries GROUP BY account_id ORDER BY count(*) DESC LIMIT $1',
      },
    },
  },
  'sqlbound.config.json',
  process.cwd(),
);
const { rules, schema, schemas } = auditRules(config);

const db = await testDatabase({ migrated: false });

test('a seq scan of a big table outside public is flagged, and applying its schema-qualified fix makes the audit pass', async () => {
  const sql = postgres(db.directUrl, { max: 1, onnotice: () => {} });
  let manifestText: string | undefined;
  try {
    await sql.unsafe(SCHEMA);
    const generation = await generateQueries(sql, [{ file: 'entries.sql', text: QUERIES }]);
    assert.deepEqual(generation.errors, []);
    manifestText = generation.files.get('manifest.json');
  } finally {
    await sql.end();
  }
  assert.ok(manifestText !== undefined);
  const manifest = parseManifest(JSON.parse(manifestText));

  const client = new pg.Client({ connectionString: db.directUrl });
  await client.connect();
  try {
    await client.query(`INSERT INTO public.accounts SELECT n, 'account ' || n FROM generate_series(1, 300) n`);
    await client.query(
      `INSERT INTO ledger.entries (account_id, amount, created_at)
       SELECT 1 + n % 300, n % 1000, now() - n * interval '1 minute' FROM generate_series(1, 60000) n`,
    );
    await client.query('DROP INDEX ledger.entries_account_created');
    await client.query('ANALYZE');

    const audit = () => runPlanAudit(db.directUrl, manifest, { rules, schema, schemas, samples: 3, judgeBudgets: false });
    const flagged = await audit();
    const report = formatPlanAuditReport(flagged);
    assert.ok((flagged.tableRows.entries ?? 0) >= 50_000, JSON.stringify(flagged.tableRows));
    const [listEntries] = flagged.queries;
    assert.equal(listEntries?.verdict, 'violation', report);
    const seqScan = listEntries.findings.find((finding) => finding.kind === 'seq_scan');
    assert.ok(seqScan?.kind === 'seq_scan' && seqScan.table === 'entries', report);

    const fixes = [
      ...new Set([...flagged.queries.flatMap((query) => query.findings), ...flagged.schemaFindings].map((finding) => finding.fix)),
    ];
    const creates = fixes.filter((fix) => fix.startsWith('CREATE INDEX'));
    assert.ok(creates.length > 0, report);
    assert.ok(fixes.includes(seqScan.fix), 'the seq scan carries a CREATE INDEX');
    for (const fix of creates) {
      const statements = parseSync(fix).stmts ?? [];
      assert.equal(statements.length, 1, fix);
      const node = statements[0]?.stmt;
      const index = node !== undefined && 'IndexStmt' in node ? node.IndexStmt : undefined;
      assert.equal(index?.relation?.schemaname, 'ledger', `${fix} names its schema`);
      assert.ok((index.indexParams ?? []).length > 0, `${fix} has keys`);
      await client.query(fix);
    }
    // The seq scan's fix leads with the filtered column, then the list's order.
    assert.match(seqScan.fix, /^CREATE INDEX \S* ?ON ledger\.entries \(account_id, created_at DESC, id DESC\);$/);
    await client.query('ANALYZE');

    const fixed = await audit();
    assert.equal(fixed.violations, 0, formatPlanAuditReport(fixed));
    assert.equal(fixed.queries[0]?.verdict, 'ok');

    // The index now exists, as the catalog reads it (columns, method, directions): it is never suggested again, in
    // the list's order or the reverse one (a backward scan serves it).
    const catalog = await readSuggestionCatalog(client, schemas);
    const entries = catalog.tableOf('entries');
    assert.equal(entries?.schema, 'ledger');
    for (const direction of ['DESC', 'ASC'] as const) {
      const order = [
        { column: 'created_at', direction },
        { column: 'id', direction },
      ];
      const again = suggestIndex(entries, ["(account_id = '7'::bigint)"], order, catalog.indexes);
      assert.equal(again.kind, 'none', JSON.stringify(again));
    }
  } finally {
    await client.end();
  }
});

test('a database with the schema but no owner is refused with a message naming the config key, not a file of sqlbound', async () => {
  const empty = await testDatabase({ migrated: false });
  const client = new pg.Client({ connectionString: empty.directUrl });
  await client.connect();
  try {
    await client.query(SCHEMA);
  } finally {
    await client.end();
  }
  const manifest = parseManifest({ version: MANIFEST_VERSION, queries: [] });
  await assert.rejects(
    runPlanAudit(empty.directUrl, manifest, { rules, schema, schemas, samples: 1, judgeBudgets: false }),
    (error: Error) => {
      assert.match(error.message, /^the audit\.owners\.heavy query of sqlbound\.config\.json found no owner/);
      assert.match(error.message, /\n {2}fix: .*"audit": \{ "owners": \{ "heavy"/);
      assert.doesNotMatch(error.message, /\.ts\b|seed the database first/);
      return true;
    },
  );
});
