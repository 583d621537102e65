// Read-your-writes across node:cluster workers (issue 29, item 1): npm run start:topology with two workers and the
// replica's replay paused. 100 write-then-read pairs through the HTTP API, each request on its own connection (so
// the workers take them in turn), give 0 stale reads, because each user's write position is in the shared Redis.
// The replica still shows every alert unread (a read there would have been stale), and with the positions removed
// from Redis the same reads turn stale through the worker that did not take the write: the test could fail.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { PGBOUNCER, REDIS, findEngine, freePort, skippedLine } from '@sqlbound/cli/testing';
import { issueToken } from '../../src/server/auth.js';
import { projectRoot } from '../../src/server/paths.js';
import { call, listsUnread, setReplay, stillUnread, unreadAlerts, writeThenRead } from '../support/read-your-writes.js';

const missing = [PGBOUNCER, REDIS].filter((engine) => findEngine(engine) === null);
for (const engine of missing) console.log(skippedLine(engine));

describe('read-your-writes across two start:topology workers', { skip: missing.length > 0 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sqlbound-ryw-topology-'));
  await chmod(dir, 0o755);
  after(() => rm(dir, { recursive: true, force: true }));

  test('100 write-then-read pairs with the replica paused: 0 stale reads', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/topology.ts'], {
      cwd: projectRoot,
      env: {
        ...process.env,
        DATABASE_URL: '',
        SQLBOUND_LOG_LEVEL: 'warn',
        SQLBOUND_TOPOLOGY_DIR: dir,
        WEB_CONCURRENCY: '2',
        SQLBOUND_POOL_MAX: '4',
        PORT: String(port),
        // The lag bound would send every read to the primary after 5 s of paused replay, hiding a stale read.
        SQLBOUND_REPLICA_MAX_LAG_MS: '600000',
        SQLBOUND_REPLICA_CHECK_INTERVAL_MS: '100',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    try {
      const deadline = Date.now() + 180_000;
      while (!/ try: curl/.test(output)) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`did not start: ${output}`);
        await new Promise((resolveWait) => setTimeout(resolveWait, 100));
      }
      const primaryUrl = /primary +(postgres:\/\/\S+)/.exec(output)?.[1] ?? '';
      const replicaUrl = /replica1 +(postgres:\/\/\S+)/.exec(output)?.[1] ?? '';
      const redisUrl = /redis +(redis:\/\/\S+)/.exec(output)?.[1] ?? '';
      const authSecret = /^SQLBOUND_AUTH_SECRET=(\S+)$/m.exec(await readFile(join(dir, 'secrets.env'), 'utf8'))?.[1] ?? '';
      const url = `http://127.0.0.1:${port}`;
      const alerts = await unreadAlerts(primaryUrl, 101);
      assert.equal(alerts.length, 101);
      const [control, ...pairs] = alerts as [(typeof alerts)[0], ...typeof alerts];
      // Every worker's monitor has seen the replica up (reads of a user without writes go to it) before the pause.
      await new Promise((resolveWait) => setTimeout(resolveWait, 1000));
      await setReplay(replicaUrl, true);

      const result = await writeThenRead(authSecret, pairs, { write: url, read: url }, false);
      assert.deepEqual(result, { pairs: 100, stale: 0, positions: 100 });
      assert.equal(
        await stillUnread(
          replicaUrl,
          pairs.map((alert) => alert.id),
        ),
        100,
        'the paused replica still shows them unread',
      );

      // Control: without the shared position, the worker that did not take the write reads the paused replica.
      const token = issueToken(authSecret, control.userId);
      const written = await call(`${url}/trpc/alerts.markRead`, { token, body: JSON.stringify({ alertId: control.id }) });
      assert.equal(written.status, 200, written.body);
      const redis = new Redis(redisUrl);
      try {
        const keys = await redis.keys('sqlbound:write-position:*');
        assert.ok(keys.length > 0, 'positions are in Redis');
        await redis.del(...keys);
      } finally {
        redis.disconnect();
      }
      let stale = 0;
      for (let read = 0; read < 6; read += 1) if (await listsUnread(url, token, control)) stale += 1;
      assert.ok(stale >= 1, 'a stale read without the shared position');
      await setReplay(replicaUrl, false);
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await exited;
    assert.equal(code, 0, output);
  });
});
