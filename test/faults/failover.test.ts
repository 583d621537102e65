// Failover of the primary (issue 29, item 7): createDb on a libpq-style two-host URL (primary, then its streaming
// replica) writes to the primary; the primary stops (fast shutdown, as an operator or an orchestrator stops it) and
// the replica is promoted with pg_promote() while a writer keeps writing. Writes resume on the new primary within
// 10 s without a new db handle, every failure meanwhile is a typed UnavailableError (503 in the API), and no
// acknowledged write is lost: each one is on the new primary. The same through the example API over HTTP (profile
// writes answer 503 during the outage, then 200 again on the same process). Prints `# FAULT failover...` lines.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createDb, isSqlboundError, type Statement } from 'sqlbound';
import { migrate, startDatabase, startReplica } from '@sqlbound/cli/testing';
import { issueToken } from '../../src/server/auth.js';
import { start } from '../../src/server/main.js';
import { schemaDir } from '../../src/server/paths.js';
import { seed } from '../../src/server/seed.js';
import { call } from '../support/read-your-writes.js';
import { capturingLogger } from '../runtime/support.js';
import { parseHosts } from '../../src/runtime/writable-host.js';

const insert: Statement = { name: 'ledgerInsert', text: 'INSERT INTO ledger (id) VALUES ($1)' };
const serverPort: Statement = { name: 'serverPort', text: 'SELECT inet_server_port() AS port' };

async function sql(url: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

test('promoting the replica: writes resume within 10 s on the new primary, no acknowledged write lost', async () => {
  const primary = await startDatabase({ kind: 'ephemeral' });
  after(() => primary.stop());
  await sql(primary.url, 'CREATE TABLE ledger (id int PRIMARY KEY)');
  const replica = await startReplica({ primaryUrl: primary.adminUrl, name: 'failover1' });
  after(() => replica.stop());
  const first = new URL(primary.url);
  const both = `${first.protocol}//${first.username}:${first.password}@${first.host},127.0.0.1:${replica.port}${first.pathname}`;
  const log = capturingLogger('info');
  const db = createDb({
    connectionString: both,
    max: 4,
    connectionTimeoutMillis: 1000,
    cache: false,
    cursorSecret: 's',
    logger: log.logger,
  });
  after(() => db.close());

  const port = async () => (await db.execute<{ port: number }>(serverPort, [])).rows[0]?.port;
  assert.equal(await port(), Number(first.port), 'writes go to the primary first');

  const acknowledged: number[] = [];
  const failures: Record<string, number> = {};
  let writing = true;
  let lastSuccess = 0;
  const writer = (async () => {
    for (let id = 1; writing; id += 1) {
      try {
        await db.execute(insert, [id]);
        acknowledged.push(id);
        lastSuccess = Date.now();
      } catch (error) {
        const kind = isSqlboundError(error) ? error.code : `untyped ${String(error)}`;
        failures[kind] = (failures[kind] ?? 0) + 1;
      }
      await sleep(20);
    }
  })();
  await sleep(1000);
  const beforeStop = acknowledged.length;
  await primary.stop();
  const stoppedAt = Date.now();
  await sleep(500);
  await sql(replica.url(first.pathname.slice(1)), 'SELECT pg_promote(true, 30)');
  const promotedAt = Date.now();
  while (lastSuccess < promotedAt) {
    if (Date.now() - promotedAt > 10_000) break;
    await sleep(20);
  }
  const resumedMs = lastSuccess - promotedAt;
  await sleep(1000);
  writing = false;
  await writer;

  const figures = {
    acknowledged: acknowledged.length,
    beforeStop,
    failures,
    outageMs: lastSuccess - stoppedAt,
    resumedAfterPromoteMs: resumedMs,
  };
  console.log(`# FAULT failover: ${JSON.stringify(figures)}`);
  assert.ok(lastSuccess >= promotedAt && resumedMs <= 10_000, `writes resumed ${resumedMs} ms after the promotion`);
  assert.equal(await port(), replica.port, 'writes now go to the promoted replica');
  for (const kind of Object.keys(failures)) assert.equal(kind, 'UNAVAILABLE', `failure ${kind}`);
  const { rows } = await sql(replica.url(first.pathname.slice(1)), 'SELECT id FROM ledger');
  const stored = new Set(rows.map((row: { id: number }) => row.id));
  const lost = acknowledged.filter((id) => !stored.has(id));
  assert.deepEqual(lost, [], 'every acknowledged write is on the new primary');
  assert.ok(/the writable primary is now 127\.0\.0\.1:\d+ \(was/.test(log.text()), 'one line names the new primary');
});

test('a multi-host URL is read as libpq reads it; a single host is not a failover URL', () => {
  const parsed = parseHosts('postgresql://app:p%40ss@db1:6432,[::1],db3/app?sslmode=disable');
  assert.ok(parsed !== null);
  assert.deepEqual(parsed.hosts, [
    { host: 'db1', port: 6432 },
    { host: '::1', port: 5432 },
    { host: 'db3', port: 5432 },
  ]);
  assert.equal(parsed.urlFor({ host: '::1', port: 5432 }), 'postgresql://app:p%40ss@[::1]:5432/app?sslmode=disable');
  assert.equal(parseHosts('postgres://app@db1:5432/app'), null);
  assert.throws(() => parseHosts('postgres://app@db1:x,db2/app'), /cannot read host/);
});

test('the example API on both hosts: profile writes over HTTP resume after pg_promote() without a restart', async () => {
  const primary = await startDatabase({ kind: 'ephemeral' });
  after(() => primary.stop());
  await migrate(primary.url, schemaDir);
  await seed(primary.url, { users: 5, seed: 1 });
  const replica = await startReplica({ primaryUrl: primary.adminUrl, name: 'failover2' });
  after(() => replica.stop());
  const first = new URL(primary.url);
  const both = `${first.protocol}//${first.username}:${first.password}@${first.host},127.0.0.1:${replica.port}${first.pathname}`;
  const authSecret = 'failover-auth-secret-0123456789abcdefghij';
  const api = await start({
    port: 0,
    databaseUrl: both,
    prepare: false,
    authSecret,
    cursorSecret: 'failover-cursor-secret-0123456789abcdefghij',
    logger: capturingLogger('info').logger,
  });
  after(() => api.close());
  const token = issueToken(authSecret, '1');
  let acknowledged: string | null = null;
  let writing = true;
  let lastSuccess = 0;
  const statuses: Record<string, number> = {};
  const writer = (async () => {
    for (let i = 1000; writing; i += 1) {
      const phone = `+1 555 ${i}`;
      const answer = await call(`${api.url}/trpc/profile.update`, { token, body: JSON.stringify({ phone }) });
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      if (answer.status === 200) {
        acknowledged = phone;
        lastSuccess = Date.now();
      }
      await sleep(20);
    }
  })();
  await sleep(1000);
  await primary.stop();
  await sleep(500);
  await sql(replica.url(first.pathname.slice(1)), 'SELECT pg_promote(true, 30)');
  const promotedAt = Date.now();
  while (lastSuccess < promotedAt && Date.now() - promotedAt < 10_000) await sleep(20);
  const resumedMs = lastSuccess - promotedAt;
  await sleep(500);
  writing = false;
  await writer;
  console.log(`# FAULT failover over HTTP: ${JSON.stringify({ statuses, resumedAfterPromoteMs: resumedMs })}`);
  assert.ok(lastSuccess >= promotedAt && resumedMs <= 10_000, `writes resumed ${resumedMs} ms after the promotion`);
  for (const status of Object.keys(statuses)) assert.ok(status === '200' || status === '503', `status ${status}`);
  const { rows } = await sql(replica.url(first.pathname.slice(1)), 'SELECT phone FROM users WHERE id = 1');
  assert.equal((rows[0] as { phone: string }).phone, acknowledged, 'the last acknowledged write is on the new primary');
});
