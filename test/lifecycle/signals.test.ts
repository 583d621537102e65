// `npm start` as a process tree (npm -> node, PostgreSQL in its own process group): a signal to any of
// them drains in-flight requests, stops the embedded server and exits 0; the drain is bounded; a locked or stale
// data directory and a taken port are reported in one line. Each case runs the real `npm start`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import pg from 'pg';
import { startDatabase } from '../../codegen/database/server.js';
import { embeddedEnv, isAlive, npmRun, npmStart, postmasterPid, processChain, type Started } from './support.js';

const external = process.env.DATABASE_URL !== undefined && process.env.DATABASE_URL !== '';
let dataDir = '';

before(async () => {
  const parent = await mkdtemp(join(tmpdir(), 'sqlbound-lifecycle-'));
  // As root the server runs as the OS user postgres, which must be able to reach the data directory.
  await chmod(parent, 0o755);
  dataDir = join(parent, 'pg');
});
after(async () => {
  if (dataDir === '') return;
  await stopLeftoverPostmaster();
  await rm(join(dataDir, '..'), { recursive: true, force: true });
});

/**
 * A case that failed half-way can leave the server it started running (npm start killed by the cleanup below).
 * Each case begins by stopping such a leftover, so one failure does not cascade into the next cases; it is never
 * called between a case's shutdown and its own assertions, which must see what npm start left behind.
 */
async function stopLeftoverPostmaster(): Promise<void> {
  const pid = await postmasterPid(dataDir);
  if (pid === null || !isAlive(pid)) return;
  process.kill(pid, 'SIGINT');
  for (let waited = 0; waited < 10_000 && isAlive(pid); waited += 50) await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 25));
  }
}

/** Holds a row lock on one unread alert of the demo user, so that marking it read blocks until released. */
async function lockAnUnreadAlert(databaseUrl: string): Promise<{ alertId: string; client: pg.Client }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  // The server's shutdown terminates this session too; that is expected, not a test failure.
  client.on('error', () => undefined);
  await client.connect();
  // Earlier cases marked alerts read: make sure one is unread again (the counters' triggers keep up).
  await client.query('UPDATE alerts SET read_at = NULL WHERE id = (SELECT min(id) FROM alerts WHERE user_id = 1) AND read_at IS NOT NULL');
  await client.query('BEGIN');
  const locked = await client.query<{ id: string }>(
    'SELECT id::text AS id FROM alerts WHERE user_id = 1 AND read_at IS NULL ORDER BY id LIMIT 1 FOR UPDATE',
  );
  const alertId = locked.rows[0]?.id;
  assert.ok(alertId !== undefined, 'the demo user has an unread alert');
  return { alertId, client };
}

function markRead(started: Started, alertId: string): Promise<number> {
  return fetch(`${started.url}/trpc/alerts.markRead`, {
    method: 'POST',
    headers: { authorization: `Bearer ${started.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ alertId }),
  }).then(
    (response) => response.status,
    () => -1,
  );
}

async function blockedOnLock(databaseUrl: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const result = await client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
    );
    return (result.rows[0]?.n ?? 0) > 0;
  } finally {
    await client.end();
  }
}

/** Cleanup after a case, whatever state it left: the npm tree gets SIGTERM, and SIGKILL if it does not go. */
async function stopFreshly(started: Started): Promise<void> {
  if (started.child.exitCode !== null) return;
  started.child.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (started.child.pid !== undefined) process.kill(-started.child.pid, 'SIGKILL');
  }, 20_000);
  await started.exited;
  clearTimeout(timer);
}

type Target = 'npm' | 'node' | 'group';

async function signalTarget(started: Started, target: Target, signal: NodeJS.Signals): Promise<void> {
  const pid = started.child.pid;
  assert.ok(pid !== undefined);
  if (target === 'group') {
    // What Ctrl-C in a terminal does: the whole foreground process group gets SIGINT.
    process.kill(-pid, signal);
    return;
  }
  const chain = await processChain(pid);
  process.kill(chain[target], signal);
}

describe('npm start lifecycle', { skip: external ? 'DATABASE_URL is set: these cases need the embedded server' : false }, () => {
  beforeEach(stopLeftoverPostmaster);
  const cases: [Target, NodeJS.Signals][] = [
    ['npm', 'SIGTERM'],
    ['npm', 'SIGINT'],
    ['node', 'SIGINT'],
    ['node', 'SIGTERM'],
    ['group', 'SIGINT'],
  ];
  for (const [target, signal] of cases) {
    test(
      `${signal} to ${target}: in-flight request completes, "stopped" is logged, exit 0, PostgreSQL gone`,
      { timeout: 90_000 },
      async () => {
        const started = await npmStart(embeddedEnv(dataDir));
        const postgresPid = await postmasterPid(dataDir);
        let lock: Awaited<ReturnType<typeof lockAnUnreadAlert>> | null = null;
        try {
          assert.ok(postgresPid !== null && isAlive(postgresPid));
          lock = await lockAnUnreadAlert(started.databaseUrl);
          const inFlight = markRead(started, lock.alertId);
          await eventually(() => blockedOnLock(started.databaseUrl), 'the request to wait on the row lock');
          await signalTarget(started, target, signal);
          await eventually(async () => started.output().includes('shutting down'), 'shutdown to begin');
          // Draining: no new connections are accepted, the request in flight is still waiting.
          assert.equal(
            await fetch(`${started.url}/healthz`).then(
              (r) => r.status,
              () => -1,
            ),
            -1,
          );
          assert.equal(started.child.exitCode, null, 'still draining');
          await lock.client.query('COMMIT');
          assert.equal(await inFlight, 200, 'the in-flight request completed');
        } finally {
          await lock?.client.end().catch(() => undefined);
          await stopFreshly(started);
        }
        const exit = await started.exited;
        assert.deepEqual([exit.code, exit.signal], [0, null], started.output());
        assert.match(started.output(), /"msg":"stopped"/);
        assert.equal(isAlive(postgresPid), false, 'PostgreSQL is not left running');
        assert.equal(await postmasterPid(dataDir), null, 'postmaster.pid removed by a clean shutdown');
      },
    );
  }

  test(
    'the drain is bounded: a request blocked past the drain time is cancelled, and shutdown ends in drain + 5 s',
    { timeout: 90_000 },
    async () => {
      const drainMs = 1000;
      const started = await npmStart(embeddedEnv(dataDir, { SQLBOUND_DRAIN_MS: String(drainMs) }));
      const postgresPid = await postmasterPid(dataDir);
      let lock: Awaited<ReturnType<typeof lockAnUnreadAlert>> | null = null;
      try {
        assert.ok(postgresPid !== null);
        lock = await lockAnUnreadAlert(started.databaseUrl);
        const inFlight = markRead(started, lock.alertId);
        await eventually(() => blockedOnLock(started.databaseUrl), 'the request to wait on the row lock');
        const signalledAt = performance.now();
        await signalTarget(started, 'npm', 'SIGTERM');
        const exit = await started.exited;
        const shutdownMs = exit.atMs - signalledAt;
        assert.deepEqual([exit.code, exit.signal], [0, null], started.output());
        assert.ok(shutdownMs < drainMs + 5000, `shutdown took ${Math.round(shutdownMs)} ms`);
        assert.ok(shutdownMs >= drainMs, `the drain waited ${Math.round(shutdownMs)} ms, less than its ${drainMs} ms`);
        assert.notEqual(await inFlight, 200, 'the blocked request was cut, not completed');
        assert.match(started.output(), /drain time is over/);
        assert.match(started.output(), /"msg":"stopped"/);
        assert.equal(isAlive(postgresPid), false);
      } finally {
        await lock?.client.end().catch(() => undefined);
        await stopFreshly(started);
      }
    },
  );

  test(
    'a second npm start, migrate and seed while the data dir is in use exit 1 with one line naming the pid',
    { timeout: 90_000 },
    async () => {
      const started = await npmStart(embeddedEnv(dataDir));
      try {
        const holder = await postmasterPid(dataDir);
        assert.ok(holder !== null);
        const env = embeddedEnv(dataDir);
        for (const args of [['start'], ['migrate'], ['seed', '--', '--users', '20', '--reset']]) {
          const result = await npmRun(args, env);
          assert.equal(result.code, 1, `${args.join(' ')}: ${result.output}`);
          assert.match(result.output, new RegExp(`data dir .* is in use by pid ${holder}`), args.join(' '));
        }
        // The refused commands changed nothing: the running API still serves.
        const response = await fetch(`${started.url}/healthz`);
        assert.equal(response.status, 200);
      } finally {
        await stopFreshly(started);
      }
    },
  );

  test('a stale postmaster.pid whose process is gone is recovered from', { timeout: 90_000 }, async () => {
    const gone = spawn(process.execPath, ['-e', '0']);
    await once(gone, 'exit');
    assert.ok(gone.pid !== undefined && !isAlive(gone.pid));
    await writeFile(join(dataDir, 'postmaster.pid'), `${gone.pid}\n${dataDir}\n`);
    const started = await npmStart(embeddedEnv(dataDir));
    try {
      assert.equal((await fetch(`${started.url}/healthz`)).status, 200);
    } finally {
      await stopFreshly(started);
    }
    assert.equal((await started.exited).code, 0);
  });

  test('a port in use is one line and exit 1, and the embedded server is stopped again', { timeout: 90_000 }, async () => {
    const blocker = createServer();
    await new Promise<void>((resolveListen) => blocker.listen(0, '127.0.0.1', resolveListen));
    const address = blocker.address();
    assert.ok(address !== null && typeof address === 'object');
    try {
      const result = await npmRun(['start'], embeddedEnv(dataDir, { PORT: String(address.port) }));
      assert.equal(result.code, 1, result.output);
      assert.match(result.output, new RegExp(`port ${address.port} is in use`));
      assert.doesNotMatch(result.output, /\n\s+at /, 'no stack trace');
      assert.equal(await postmasterPid(dataDir), null, 'the embedded server was stopped');
    } finally {
      blocker.close();
    }
  });

  test(
    'after a postmaster crash and an outside restart, SIGTERM still stops promptly and logs "stopped"',
    { timeout: 90_000 },
    async () => {
      const started = await npmStart(embeddedEnv(dataDir));
      let outside: Awaited<ReturnType<typeof startDatabase>> | null = null;
      try {
        const crashed = await postmasterPid(dataDir);
        assert.ok(crashed !== null);
        const port = Number(new URL(started.databaseUrl).port);
        process.kill(crashed, 'SIGKILL');
        await eventually(async () => (await fetch(`${started.url}/healthz`)).status === 503, 'the API to report the outage');
        // Restarted by someone else (here: this test), on the same data dir and port. Its backends may linger a moment.
        await eventually(async () => {
          outside = await startDatabase({ kind: 'persistent', dataDir, port }).catch(() => null);
          return outside !== null;
        }, 'the outside restart');
        await eventually(async () => (await fetch(`${started.url}/healthz`)).status === 200, 'the API to recover');
        const signalledAt = performance.now();
        await signalTarget(started, 'npm', 'SIGTERM');
        const exit = await started.exited;
        assert.equal(exit.code, 0, started.output());
        assert.ok(exit.atMs - signalledAt < 5000, `shutdown took ${Math.round(exit.atMs - signalledAt)} ms`);
        assert.match(started.output(), /"msg":"stopped"/);
      } finally {
        await stopFreshly(started);
        await (outside as Awaited<ReturnType<typeof startDatabase>> | null)?.stop();
      }
    },
  );
});
