// Read-your-writes across two separate API processes (npm start's entry point) on one primary and one replica whose
// replay is paused (issue 29, item 1). With a shared Redis, 100 pairs written through one instance and read through
// the other give 0 stale reads. Without any shared store, the position the write's answer carries (x-sqlbound-lsn),
// sent back by the client, gives 0 stale reads too; the same reads without it are stale (the test could fail), and
// a malformed position is a 400.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { REDIS, findEngine, skippedLine, startRedis, startReplica, type RedisServer, type Replica } from '@sqlbound/cli/testing';
import { issueToken } from '../../src/server/auth.js';
import { projectRoot } from '../../src/server/paths.js';
import { seed } from '../../src/server/seed.js';
import { WRITE_POSITION_HEADER } from '../../src/server/write-position.js';
import { testDatabase } from '../support/database.js';
import { call, listsUnread, setReplay, stillUnread, unreadAlerts, writeThenRead } from '../support/read-your-writes.js';

const installed = findEngine(REDIS) !== null;
if (!installed) console.log(skippedLine(REDIS));

const AUTH_SECRET = 'ryw-instances-auth-secret-0123456789abcdef';
const database = await testDatabase();
await seed(database.url, { users: 100, seed: 1 });

type Instance = { url: string; child: ChildProcess; output: () => string };

async function startInstance(env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
    cwd: projectRoot,
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      PORT: '0',
      SQLBOUND_LOG_LEVEL: 'warn',
      SQLBOUND_DATABASE_PREPARED: '1',
      SQLBOUND_AUTH_SECRET: AUTH_SECRET,
      SQLBOUND_CURSOR_SECRET: 'ryw-instances-cursor-secret-0123456789abcdef',
      SQLBOUND_REPLICA_MAX_LAG_MS: '600000',
      SQLBOUND_REPLICA_CHECK_INTERVAL_MS: '100',
      SQLBOUND_REDIS_URL: '',
      ...env,
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

async function stop(instance: Instance | undefined): Promise<void> {
  if (instance === undefined || instance.child.exitCode !== null) return;
  const exited = once(instance.child, 'exit');
  instance.child.kill('SIGTERM');
  await exited;
}

describe('read-your-writes across two API processes', () => {
  let replica: Replica;
  let replicaUrl: string;
  const alerts = unreadAlerts(database.url, 300);
  before(async () => {
    replica = await startReplica({ primaryUrl: database.adminUrl, name: 'ryw_instances' });
    replicaUrl = replica.url(database.name);
    assert.ok((await alerts).length >= 260, 'enough unread alerts');
  });
  after(async () => {
    await replica?.stop();
  });

  test('without a shared store, the position the client sends back: 0 stale; without it, stale; malformed, 400', async () => {
    const env = { SQLBOUND_REPLICA_URLS: replicaUrl };
    const [a, b] = await Promise.all([startInstance(env), startInstance(env)]);
    try {
      const pairs = (await alerts).slice(0, 100);
      await sleep(1000);
      await setReplay(replicaUrl, true);
      const result = await writeThenRead(AUTH_SECRET, pairs, { write: a.url, read: b.url }, true);
      assert.deepEqual(result, { pairs: 100, stale: 0, positions: 100 });
      assert.equal(
        await stillUnread(
          replicaUrl,
          pairs.map((alert) => alert.id),
        ),
        100,
      );

      // Without the header, instance b knows nothing of a's writes: it reads the paused replica.
      const control = (await alerts).slice(100, 110);
      const uncarried = await writeThenRead(AUTH_SECRET, control, { write: a.url, read: b.url }, false);
      assert.equal(uncarried.stale, control.length);

      // The header is echoed on answers that wrote nothing, so a client can keep the last one it got.
      const first = control[0];
      assert.ok(first !== undefined);
      const token = issueToken(AUTH_SECRET, first.userId);
      const echoed = await call(`${b.url}/trpc/dashboard.get`, { token, position: '0/1' });
      assert.equal(echoed.status, 200, echoed.body);
      assert.equal(echoed.position, '0/1');

      for (const bad of ['16B3748', '0/16B3748, 0/1', 'x/1', '0/123456789']) {
        const refused = await call(`${b.url}/trpc/alerts.list`, { token, position: bad });
        assert.equal(refused.status, 400, `${bad}: ${refused.body}`);
        assert.match(refused.body, new RegExp(WRITE_POSITION_HEADER));
      }
      const markRefused = await call(`${b.url}/trpc/alerts.markRead`, {
        token,
        body: JSON.stringify({ alertId: (await alerts)[259]?.id }),
        position: 'nope',
      });
      assert.equal(markRefused.status, 400);
      assert.equal(await stillUnread(database.url, [(await alerts)[259]?.id ?? '']), 1, 'a refused request changes nothing');
    } finally {
      await setReplay(replicaUrl, false);
      await Promise.all([stop(a), stop(b)]);
    }
  });

  test('sharing Redis, 100 pairs written through one instance and read through the other: 0 stale', { skip: !installed }, async () => {
    let redis: RedisServer | undefined;
    let a: Instance | undefined;
    let b: Instance | undefined;
    try {
      redis = await startRedis();
      const env = { SQLBOUND_REPLICA_URLS: replicaUrl, SQLBOUND_REDIS_URL: redis.url };
      [a, b] = await Promise.all([startInstance(env), startInstance(env)]);
      const pairs = (await alerts).slice(110, 210);
      await sleep(1000);
      await setReplay(replicaUrl, true);
      const result = await writeThenRead(AUTH_SECRET, pairs, { write: a.url, read: b.url }, false);
      assert.deepEqual(result, { pairs: 100, stale: 0, positions: 100 });
      assert.equal(
        await stillUnread(
          replicaUrl,
          pairs.map((alert) => alert.id),
        ),
        100,
      );
      // Each instance also serves its reads right after its own writes (its local map and Redis agree).
      const own = await writeThenRead(AUTH_SECRET, (await alerts).slice(210, 220), { write: b.url, read: b.url }, false);
      assert.equal(own.stale, 0);
      // Another user's reads still use the replica: only the writer is held back.
      const other = (await alerts)[250];
      assert.ok(other !== undefined);
      assert.equal(await listsUnread(b.url, issueToken(AUTH_SECRET, other.userId), other), true);
    } finally {
      await setReplay(replicaUrl, false);
      await Promise.all([stop(a), stop(b)]);
      await redis?.stop();
    }
  });
});
