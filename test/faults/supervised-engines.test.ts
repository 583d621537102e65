// Supervised engines under start:topology (issue 29, item 5): with light load on two workers, Redis, PgBouncer and
// the replica are each killed with SIGKILL in turn. Each is restarted on its port with one log line, the API
// recovers without a restart of its own (every request after the recovery succeeds; a failure meanwhile is a 503,
// never a 500), and at shutdown no temporary folder of any engine is left, the killed ones included. Prints one
// `# FAULT supervised <engine>: {...}` line per engine with the figures docs/reliability.md quotes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PGBOUNCER, REDIS, findEngine, freePort, skippedLine } from '@sqlbound/cli/testing';
import { issueToken } from '../../src/server/auth.js';
import { projectRoot } from '../../src/server/paths.js';
import { call } from '../support/read-your-writes.js';

const missing = [PGBOUNCER, REDIS].filter((engine) => findEngine(engine) === null);
for (const engine of missing) console.log(skippedLine(engine));

type Outcome = { at: number; status: number };

describe('start:topology supervises its engines', { skip: missing.length > 0 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sqlbound-supervised-'));
  // The engines' temporary folders go here (TMPDIR), so the test sees exactly what the topology left behind.
  const temp = join(dir, 'tmp');
  await mkdir(temp);
  await chmod(dir, 0o755);
  await chmod(temp, 0o777);
  after(() => rm(dir, { recursive: true, force: true, maxRetries: 5 }));

  test('Redis, PgBouncer and the replica killed in turn are restarted; the API recovers; nothing is left', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/topology.ts'], {
      cwd: projectRoot,
      env: {
        ...process.env,
        TMPDIR: temp,
        DATABASE_URL: '',
        SQLBOUND_LOG_LEVEL: 'warn',
        SQLBOUND_TOPOLOGY_DIR: join(dir, 'topology'),
        WEB_CONCURRENCY: '2',
        SQLBOUND_POOL_MAX: '4',
        PORT: String(port),
        SQLBOUND_REPLICA_CHECK_INTERVAL_MS: '200',
        // A request waits at most 2 s for a connection while PgBouncer is down, so the load keeps sampling.
        SQLBOUND_CONNECTION_TIMEOUT_MS: '2000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const outcomes: Outcome[] = [];
    let loading = true;
    const load: Promise<void>[] = [];
    try {
      const deadline = Date.now() + 180_000;
      while (!/ try: curl/.test(output)) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`did not start: ${output}`);
        await sleep(100);
      }
      const pidOf = (name: string) => Number(new RegExp(`^ +${name} .*pid (\\d+), supervised`, 'm').exec(output)?.[1]);
      const pids = { Redis: pidOf('redis'), PgBouncer: pidOf('pgbouncer'), replica1: pidOf('replica1') };
      const authSecret = /^SQLBOUND_AUTH_SECRET=(\S+)$/m.exec(await readFile(join(dir, 'topology', 'secrets.env'), 'utf8'))?.[1] ?? '';
      const url = `http://127.0.0.1:${port}`;
      // Light load: 4 clients, each a read then a write, every 50 ms, on fresh connections (both workers serve).
      for (let client = 0; client < 4; client += 1) {
        const token = issueToken(authSecret, String(client + 1));
        load.push(
          (async () => {
            for (let i = 0; loading; i += 1) {
              const answer =
                i % 2 === 0
                  ? await call(`${url}/trpc/alerts.list`, { token }).catch(() => ({ status: 0 }))
                  : await call(`${url}/trpc/profile.update`, { token, body: JSON.stringify({ phone: `+1 555 ${1000 + i}` }) }).catch(
                      () => ({ status: 0 }),
                    );
              outcomes.push({ at: Date.now(), status: answer.status });
              await sleep(50);
            }
          })(),
        );
      }
      await sleep(1500);
      for (const name of ['Redis', 'PgBouncer', 'replica1'] as const) {
        const pid = pids[name];
        assert.ok(Number.isInteger(pid) && pid > 0, `${name} pid in the banner:\n${output}`);
        const linesBefore = output.split('\n').length;
        const from = outcomes.length;
        const killedAt = Date.now();
        process.kill(pid, 'SIGKILL');
        const restartLine = new RegExp(`${name} \\(pid ${pid}\\) exited: restarted as pid (\\d+) after (\\d+) ms`);
        while (!restartLine.test(output)) {
          if (Date.now() - killedAt > 60_000) throw new Error(`${name} was not restarted:\n${output}`);
          await sleep(50);
        }
        const restarted = restartLine.exec(output);
        // The API is recovered when every request of a whole second succeeds; the time to it counts from the kill.
        let recoveredAt = 0;
        while (recoveredAt === 0) {
          await sleep(100);
          const recent = outcomes.slice(from).filter((outcome) => outcome.at > Date.now() - 1000);
          if (Date.now() - killedAt > 60_000) throw new Error(`${name}: the API did not recover: ${JSON.stringify(recent)}\n${output}`);
          if (recent.length >= 8 && recent.every((outcome) => outcome.status === 200)) {
            const window = outcomes.slice(from);
            const lastFailure = window.filter((outcome) => outcome.status !== 200).at(-1);
            recoveredAt = lastFailure === undefined ? killedAt : lastFailure.at;
          }
        }
        await sleep(500);
        const window = outcomes.slice(from);
        const byStatus: Record<string, number> = {};
        for (const outcome of window) byStatus[outcome.status] = (byStatus[outcome.status] ?? 0) + 1;
        const newLines = output
          .split('\n')
          .slice(linesBefore - 1)
          .filter((line) => line.trim() !== '');
        const figures = {
          requests: window.length,
          byStatus,
          restartMs: Number(restarted?.[2]),
          recoverMs: recoveredAt - killedAt,
          logLines: newLines.length,
          restartLines: newLines.filter((line) => line.includes('exited: restarted as pid')).length,
        };
        console.log(`# FAULT supervised ${name}: ${JSON.stringify(figures)}`);
        assert.equal(figures.restartLines, 1, `one line per restart:\n${newLines.join('\n')}`);
        for (const status of Object.keys(byStatus)) assert.ok(status === '200' || status === '503', `${name}: status ${status}`);
        const newPid = Number(restarted?.[1]);
        assert.doesNotThrow(() => process.kill(newPid, 0), `${name} runs again as ${newPid}`);
      }
      assert.doesNotMatch(output, /worker \d+ exited/, 'no worker restarted');
    } finally {
      loading = false;
      await Promise.all(load);
      child.kill('SIGTERM');
    }
    const [code] = await exited;
    assert.equal(code, 0, output);
    const left = (await readdir(temp)).filter((entry) => entry.startsWith('sqlbound-'));
    assert.deepEqual(left, [], 'no engine folder left behind');
  });
});
