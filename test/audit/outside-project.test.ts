// `sqlbound audit` on a project that is not the example: its tables live in a schema of its own (crm, not public),
// its owners and sample ids come from its own sqlbound.config.json. Codegen, then the audit, both through the CLI
// run in the project's folder, end to end. The audited database has lost an index codegen relied on: the audit flags
// the seq scan of the big crm table with a fix qualified by its schema.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { migrate } from '../../codegen/database/migrate.js';
import { projectRoot } from '../../src/server/paths.js';
import { testDatabase } from '../support/database.js';

const SCHEMA = `CREATE SCHEMA crm;
CREATE TABLE crm.accounts (id bigserial PRIMARY KEY, name text NOT NULL);
CREATE TABLE crm.tickets (
  id bigserial PRIMARY KEY,
  account_id bigint NOT NULL REFERENCES crm.accounts (id),
  title text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tickets_account_created ON crm.tickets (account_id, created_at DESC, id DESC);
`;
const QUERIES = `-- name: ticketById :maybe
SELECT id, title FROM crm.tickets WHERE id = :ticketId AND account_id = :accountId;

-- name: listTickets :list
-- order: created_at DESC, id DESC
SELECT id, title, created_at FROM crm.tickets WHERE account_id = :accountId;

-- name: ticketsSince :list
-- order: created_at DESC, id DESC
SELECT id, created_at FROM crm.tickets WHERE account_id = :accountId AND created_at > :since;
`;
const CONFIG = {
  queries: ['db/queries/*.sql'],
  schema: { from: 'migrations', dir: 'db/schema' },
  out: 'src/db',
  schemas: ['crm'],
  cache: { scopeParam: 'accountId', scopeColumn: 'account_id', ownerTable: 'accounts' },
  audit: {
    owners: {
      typical: 'SELECT id FROM crm.accounts ORDER BY id LIMIT $1',
      heavy: 'SELECT account_id AS id FROM crm.tickets GROUP BY account_id ORDER BY count(*) DESC LIMIT $1',
    },
    samples: { ticketId: 'SELECT id FROM crm.tickets WHERE account_id = $1 ORDER BY id LIMIT 1' },
  },
};

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const cli = join(projectRoot, 'codegen', 'cli', 'main.ts');
let project: string | null = null;
after(async () => {
  if (project !== null) await rm(project, { recursive: true, force: true });
});

function run(cwd: string, args: string[], databaseUrl: string): Promise<{ code: number; stdout: string; stderr: string }> {
  // tsx reads the repo's tsconfig (its paths name the runtime's source), not one in the project's folder.
  const env = { ...process.env, DATABASE_URL: databaseUrl, TSX_TSCONFIG_PATH: join(projectRoot, 'tsconfig.json') };
  return new Promise((resolveRun) => {
    execFile(process.execPath, ['--import', tsx, cli, ...args], { cwd, env }, (error, stdout, stderr) =>
      resolveRun({ code: error === null ? 0 : Number(error.code), stdout, stderr }),
    );
  });
}

test('sqlbound audit runs end to end on an outside project with a non-public schema and its own config', { timeout: 240_000 }, async () => {
  project = await mkdtemp(join(tmpdir(), 'sqlbound-outside-'));
  await mkdir(join(project, 'db', 'schema'), { recursive: true });
  await mkdir(join(project, 'db', 'queries'), { recursive: true });
  await writeFile(join(project, 'db', 'schema', '001_crm.sql'), SCHEMA);
  await writeFile(join(project, 'db', 'queries', 'tickets.sql'), QUERIES);
  await writeFile(join(project, 'sqlbound.config.json'), JSON.stringify(CONFIG, null, 2));

  const db = await testDatabase({ migrated: false });
  const generated = await run(project, ['codegen'], db.adminUrl);
  assert.equal(generated.code, 0, generated.stderr);

  await migrate(db.directUrl, join(project, 'db', 'schema'));
  const client = new pg.Client({ connectionString: db.directUrl });
  await client.connect();
  try {
    await client.query(`INSERT INTO crm.accounts (name) SELECT 'account ' || n FROM generate_series(1, 20) n`);
    // One heavy account, the rest light: 12,000 rows, over the size at which a seq scan is a finding.
    await client.query(
      `INSERT INTO crm.tickets (account_id, title, created_at)
       SELECT CASE WHEN n % 3 = 0 THEN 1 ELSE 2 + n % 19 END, 'ticket ' || n, now() - n * interval '1 minute'
       FROM generate_series(1, 12000) n`,
    );
    // The audited database lost the index codegen's plan proof relied on: the audit must say so, in crm's terms.
    await client.query('DROP INDEX crm.tickets_account_created');
    await client.query('ANALYZE crm.tickets');
  } finally {
    await client.end();
  }

  const audited = await run(project, ['audit', '--samples', '3', '--report', 'audit.md'], db.directUrl);
  assert.equal(audited.code, 1, audited.stderr);
  const report = await readFile(join(project, 'audit.md'), 'utf8');
  const json = JSON.parse(await readFile(join(project, 'audit.json'), 'utf8')) as {
    tableRows: Record<string, number>;
    queries: { name: string; runs: number; unmeasured: string | null; findings: { kind: string; fix: string }[] }[];
  };
  // The crm schema's tables are sized (the audit looked at public only).
  assert.ok((json.tableRows.tickets ?? 0) >= 10_000, JSON.stringify(json.tableRows));
  // Owners and the owned ticket id came from the project's config: those queries were measured.
  const byName = new Map(json.queries.map((query) => [query.name, query]));
  assert.ok((byName.get('ticketById')?.runs ?? 0) > 0, audited.stderr);
  assert.ok((byName.get('listTickets')?.runs ?? 0) > 0, audited.stderr);
  // A timestamptz param nobody can sample: "not measured" and why, and a fix naming the project's config keys.
  const since = byName.get('ticketsSince');
  assert.equal(since?.runs, 0);
  assert.equal(since?.unmeasured, 'no sample value for since');
  assert.match(audited.stderr, /ticketsSince: not measured \(no sample value for since\)/);
  assert.match(report, /\| ticketsSince :list \|.*not measured \(no sample value for since\)/);
  const fixes = json.queries.flatMap((query) => query.findings.map((finding) => finding.fix));
  assert.ok(
    fixes.some((fix) => /"audit": \{ "samples": \{ "since"/.test(fix) && /"audit": \{ "values": \{ "since"/.test(fix)),
    fixes.join('\n'),
  );
  // The 12,000-row table outside public is flagged, and the fix names its schema (whatever the search_path).
  const listFixes = byName.get('listTickets')?.findings.map((finding) => finding.fix) ?? [];
  assert.ok(
    listFixes.some((fix) => /^CREATE INDEX (\S+ )?ON crm\.tickets \(account_id, created_at DESC, id DESC\);$/.test(fix)),
    listFixes.join('\n'),
  );
  assert.doesNotMatch(report, /CREATE INDEX (\S+ )?ON (?!crm\.)/);
  for (const text of [report, audited.stderr, ...fixes]) {
    assert.doesNotMatch(text, /NaN/);
    assert.doesNotMatch(text, /codegen\/audit|samples\.ts/);
  }
});
