// Bounded logs during an outage. Every line below was once one per event: ioredis wrote an unhandled-error line with
// a stack at each failed reconnect of the bus's connections (about three a second per process), and the pool wrote
// "idle database connection failed" once per terminated backend. Each case counts the lines of an outage.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import pg from 'pg';
import { REDIS, findEngine, skippedLine, startRedis } from '@sqlbound/cli/testing';
import { issueToken } from '../../src/server/auth.js';
import { projectRoot } from '../../src/server/paths.js';
import { seed } from '../../src/server/seed.js';
import { testDatabase } from '../support/database.js';
import { AUTH_SECRET, report, sleep, startApiOn, USERS } from './support.js';

const redisInstalled = findEngine(REDIS) !== null;
if (!redisInstalled) console.log(skippedLine(REDIS));

const database = await testDatabase();
await seed(database.url, { users: USERS, seed: 1 });

/** One request every 50 ms while `running`: reads keep the cache (and its connections) busy through the outage. */
function trickle(url: string): { stop(): Promise<number[]> } {
  const statuses: number[] = [];
  let running = true;
  const token = issueToken(AUTH_SECRET, '1');
  const loop = (async () => {
    while (running) {
      const status = await fetch(`${url}/trpc/dashboard.get`, { headers: { authorization: `Bearer ${token}` } }).then(
        (response) => response.status,
        () => -1,
      );
      statuses.push(status);
      await sleep(50);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return statuses;
    },
  };
}

test('a 15 s Redis outage: one structured line, none from ioredis', { skip: !redisInstalled, timeout: 90_000 }, async () => {
  const redis = await startRedis();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
    cwd: projectRoot,
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      PORT: '0',
      SQLBOUND_LOG_LEVEL: 'info',
      SQLBOUND_REDIS_URL: redis.url,
      SQLBOUND_DATABASE_PREPARED: '1',
      SQLBOUND_AUTH_SECRET: AUTH_SECRET,
      SQLBOUND_CURSOR_SECRET: 'log-bounds-cursor-secret-0123456789abcdef',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  try {
    for (let waited = 0; !/listening on http/.test(output); waited += 20) {
      assert.ok(waited < 60_000 && child.exitCode === null, `the API did not start: ${output}`);
      await sleep(20);
    }
    const url = /listening on (http:\/\/\S+)/.exec(output)?.[1] ?? '';
    const load = trickle(url);
    await sleep(500);
    const before = output.length;
    await redis.stop();
    await sleep(15_000);
    const during = output.slice(before);
    const statuses = await load.stop();
    const lines = during.split('\n').filter((line) => line.trim() !== '');
    const figures = {
      outageMs: 15_000,
      requests: statuses.length,
      failed: statuses.filter((status) => status !== 200).length,
      lines: lines.length,
      ioredisLines: lines.filter((line) => line.includes('ioredis')).length,
    };
    report('redis-outage-15s-log-lines', figures);
    assert.equal(figures.failed, 0, 'reads go to the database while Redis is down');
    assert.equal(figures.ioredisLines, 0, during);
    assert.match(during, /Redis \(shared cache\) is unreachable/);
    // The unreachable line, and at most a "held back" report: never a line per reconnect attempt (75 in 15 s).
    assert.ok(lines.length <= 2, during);
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `not a structured line: ${line}`);
  } finally {
    if (child.exitCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
    await redis.stop();
  }
});

test(
  'pg_terminate_backend of idle connections, every 300 ms for 6 s: bounded by the 2 s window, counts reported',
  { timeout: 90_000 },
  async () => {
    const applicationName = `log_bounds_${process.pid}`;
    const intervalMs = 2000;
    const api = await startApiOn(database.url, { max: 20, applicationName, failureLogIntervalMs: intervalMs });
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      const token = issueToken(AUTH_SECRET, '1');
      let terminated = 0;
      const started = performance.now();
      while (performance.now() - started < 6000) {
        // Twenty at once open the pool's connections; once answered they are idle, where a terminate reaches pg-pool.
        await Promise.all(
          Array.from({ length: 20 }, () => fetch(`${api.base}/trpc/dashboard.get`, { headers: { authorization: `Bearer ${token}` } })),
        );
        const result = await admin.query<{ n: number }>(
          'SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1',
          [applicationName],
        );
        terminated += result.rows[0]?.n ?? 0;
        await sleep(300);
      }
      const outageMs = performance.now() - started;
      // The last window's held-back count is reported when that window ends with no new line.
      await sleep(intervalMs * 2 + 500);
      const idleLines = api.log.lines.filter(
        (line) => /idle database connection failure|idle database connection failed/.test(String(line.msg)) && line.level >= 40,
      );
      const suppressed = idleLines.reduce((sum, line) => sum + (typeof line.suppressed === 'number' ? line.suppressed : 0), 0);
      const figures = {
        outageMs: Math.round(outageMs),
        backendsTerminated: terminated,
        lines: idleLines.length,
        suppressed,
      };
      report('terminate-idle-log-lines', figures);
      assert.ok(terminated >= 40, `only ${terminated} backends were terminated`);
      // One line per window (and the held-back report of the last one), not one per connection.
      assert.ok(idleLines.length <= Math.ceil(outageMs / intervalMs) + 2, JSON.stringify(figures));
      // The held-back failures are counted: lines and counts account for the terminated idle connections (a backend
      // terminated while it served a statement fails that statement instead, and is logged with it).
      assert.ok(suppressed > 0, 'the held-back failures are counted');
      assert.ok(idleLines.length + suppressed >= terminated / 2, JSON.stringify(figures));
    } finally {
      await admin.end();
      await api.close();
    }
  },
);
