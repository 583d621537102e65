// Two API processes (the npm start entry point) share one Redis (Debian's redis-server) as bentocache's L2 and bus:
// one serves the other's cached dashboard, a write through one drops the other's copy within 100 ms, and with
// Redis gone reads still come from the database, and that is logged.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { REDIS, findEngine, skippedLine, startRedis, type RedisServer } from '@sqlbound/cli/testing';
import { issueToken } from '../../src/server/auth.js';
import { projectRoot } from '../../src/server/paths.js';
import { seed } from '../../src/server/seed.js';
import { testDatabase } from '../support/database.js';

const installed = findEngine(REDIS) !== null;
if (!installed) console.log(skippedLine(REDIS));

const AUTH_SECRET = 'shared-cache-auth-secret-0123456789abcdef';
const database = installed ? await testDatabase() : null;
if (database !== null) await seed(database.url, { users: 20, seed: 1 });

type Instance = { url: string; child: ChildProcess; output: () => string };

async function startInstance(redisUrl: string, databaseUrl: string): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
    cwd: projectRoot,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: '0',
      SQLBOUND_LOG_LEVEL: 'warn',
      SQLBOUND_REDIS_URL: redisUrl,
      SQLBOUND_DATABASE_PREPARED: '1',
      SQLBOUND_AUTH_SECRET: AUTH_SECRET,
      SQLBOUND_CURSOR_SECRET: 'shared-cache-cursor-secret-0123456789abcdef',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const found = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (found !== undefined) {
        clearInterval(timer);
        resolve(found);
      }
    }, 20);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`API exited early with ${String(code)}: ${output}`));
    });
  });
  return { url, child, output: () => output };
}

type Dashboard = { unread_alerts: number; total_alerts: number };

async function dashboard(instance: Instance, userId: string): Promise<Dashboard> {
  const response = await fetch(`${instance.url}/trpc/dashboard.get`, {
    headers: { authorization: `Bearer ${issueToken(AUTH_SECRET, userId)}` },
  });
  assert.equal(response.status, 200);
  return ((await response.json()) as { result: { data: Dashboard } }).result.data;
}

async function cacheHits(instance: Instance): Promise<number> {
  const text = await (await fetch(`${instance.url}/metrics`)).text();
  // npm start answers a repeated dashboard from its cached response bytes (derived from getDashboard's entry, with
  // its tags): a hit on either counts.
  const hits = text
    .split('\n')
    .filter(
      (entry) =>
        (entry.startsWith('sqlbound_cache_hits_total{') && entry.includes('db_query_name="getDashboard"')) ||
        (entry.startsWith('api_response_cache_total{') && entry.includes('procedure="dashboard.get"') && entry.includes('outcome="hit"')),
    );
  return hits.reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

describe('Redis as the shared cache of two API processes', { skip: !installed }, () => {
  let redis: RedisServer;
  let a: Instance;
  let b: Instance;
  let unread: { userId: string; alertIds: string[] };
  before(async () => {
    if (database === null) return;
    redis = await startRedis();
    [a, b] = await Promise.all([startInstance(redis.url, database.url), startInstance(redis.url, database.url)]);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query<{ user_id: string; ids: string[] }>(
      `SELECT user_id::text AS user_id, array_agg(id::text ORDER BY id) AS ids FROM alerts WHERE read_at IS NULL
       GROUP BY user_id HAVING count(*) >= 3 ORDER BY user_id LIMIT 1`,
    );
    await client.end();
    const row = rows[0];
    assert.ok(row !== undefined, 'a seeded user with unread alerts');
    unread = { userId: row.user_id, alertIds: row.ids };
  });
  after(async () => {
    for (const instance of [a, b]) {
      if (instance === undefined || instance.child.exitCode !== null) continue;
      const exited = once(instance.child, 'exit');
      instance.child.kill('SIGTERM');
      await exited;
    }
    await redis?.stop();
  });

  test("one instance serves the other's cached entry", async () => {
    const first = await dashboard(a, unread.userId); // miss on a: fills its L1 and Redis
    const before = await cacheHits(b);
    const second = await dashboard(b, unread.userId);
    assert.deepEqual(second, first);
    assert.equal(await cacheHits(b), before + 1, 'b read the entry a stored, from Redis');
  });

  test("a write through one instance drops the other's cached dashboard within 100 ms", async (t) => {
    for (const alertId of unread.alertIds.slice(0, 2)) {
      const cached = await dashboard(a, unread.userId); // in a's L1 now
      const response = await fetch(`${b.url}/trpc/alerts.markRead`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${issueToken(AUTH_SECRET, unread.userId)}` },
        body: JSON.stringify({ alertId }),
      });
      assert.equal(response.status, 200);
      const written = performance.now();
      // When the first request that came back fresh was sent, after b's write returned: the invalidation had
      // reached a by then. (Its reply time is the machine's, not the cache's.)
      let fresh: Dashboard = cached;
      let sentAfter = 0;
      const polls: string[] = [];
      while (fresh.unread_alerts === cached.unread_alerts && sentAfter < 1000) {
        sentAfter = performance.now() - written;
        fresh = await dashboard(a, unread.userId);
        polls.push(`${sentAfter.toFixed(1)} ms: ${fresh.unread_alerts === cached.unread_alerts ? 'old' : 'new'}`);
      }
      assert.equal(fresh.unread_alerts, cached.unread_alerts - 1, 'a shows the write made through b');
      assert.ok(sentAfter <= 100, `a still served the old dashboard ${sentAfter.toFixed(1)} ms after b's write (${polls.join(', ')})`);
      t.diagnostic(`a's reads after b's write: ${polls.join(', ')}`);
    }
  });

  test('with Redis down, reads still come from the database, and the outage is logged', async () => {
    await redis.stop();
    const other = unread.alertIds[2] as string;
    const before = await dashboard(a, unread.userId);
    const response = await fetch(`${b.url}/trpc/alerts.markRead`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${issueToken(AUTH_SECRET, unread.userId)}` },
      body: JSON.stringify({ alertId: other }),
    });
    assert.equal(response.status, 200);
    // b's own cache is dropped by its own write; a reads the database once its entry is gone (no bus now).
    const onB = await dashboard(b, unread.userId);
    assert.equal(onB.unread_alerts, before.unread_alerts - 1);
    for (const user of ['1', '2', '3']) assert.ok((await dashboard(a, user)).total_alerts >= 0);
    // The outage is seen when ioredis's next reconnect attempt fails (200 ms after the close, later on a loaded
    // machine): wait for the line, with a margin no scheduling delay crosses.
    const logged = /Redis \(shared cache\) is unreachable/;
    for (let waited = 0; !logged.test(a.output() + b.output()) && waited < 15_000; waited += 100) await sleep(100);
    assert.match(a.output() + b.output(), logged);
    assert.doesNotMatch(a.output() + b.output(), /"level":60/);
  });
});
