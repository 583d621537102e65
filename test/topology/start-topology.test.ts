// npm run start:topology as a process: a configuration over the connection budget refuses to start and names the
// number to change; a fitting one starts the primary, a replica, PgBouncer, Redis and two workers, serves through
// them (one /metrics scrape holds both workers' series), and SIGTERM stops everything with exit 0. It prints no
// token: one is minted from the secrets it kept.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { PGBOUNCER, REDIS, findEngine, freePort, skippedLine } from '@sqlbound/cli/testing';
import { projectRoot } from '../../src/server/paths.js';
import { labelValues } from '../ops/exposition.js';
import { issueToken } from '../../src/server/auth.js';

const missing = [PGBOUNCER, REDIS].filter((engine) => findEngine(engine) === null);
for (const engine of missing) console.log(skippedLine(engine));

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/topology.ts'], {
    cwd: projectRoot,
    env: { ...process.env, DATABASE_URL: '', SQLBOUND_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  return { child, output: () => output, exited: once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]> };
}

describe('npm run start:topology', { skip: missing.length > 0 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sqlbound-topology-test-'));
  // Run as root, PostgreSQL runs as the postgres user, which must reach its data directory inside this one.
  await chmod(dir, 0o755);
  after(() => rm(dir, { recursive: true, force: true }));

  test('a configuration over the budget refuses to start and says which number to change', async () => {
    const topology = run({
      SQLBOUND_TOPOLOGY_DIR: dir,
      WEB_CONCURRENCY: '4',
      SQLBOUND_POOL_MAX: '20',
      SQLBOUND_PGBOUNCER_MAX_CLIENT_CONN: '50',
      PORT: '0',
    });
    const [code] = await topology.exited;
    assert.equal(code, 1, topology.output());
    assert.match(
      topology.output(),
      /4 instances x pool max 20 = 80 client connections exceed PgBouncer's max_client_conn 50: lower the instances \(WEB_CONCURRENCY\)/,
    );
    assert.doesNotMatch(topology.output(), /listening|workers /);
  });

  test('starts every engine and two workers, serves through them, and stops on SIGTERM with exit 0', async () => {
    const port = await freePort();
    const topology = run({ SQLBOUND_TOPOLOGY_DIR: dir, WEB_CONCURRENCY: '2', SQLBOUND_POOL_MAX: '4', PORT: String(port) });
    try {
      const deadline = Date.now() + 180_000;
      while (!/ try: curl/.test(topology.output())) {
        if (topology.child.exitCode !== null || Date.now() > deadline) throw new Error(`did not start: ${topology.output()}`);
        await new Promise((resolveWait) => setTimeout(resolveWait, 100));
      }
      const text = topology.output();
      for (const part of ['primary ', 'replica1 ', 'pgbouncer ', 'redis ', 'budget ', `http://127.0.0.1:${port}`])
        assert.ok(text.includes(part), `${part} in\n${text}`);
      // A bearer token as auth.ts writes it, anywhere in what the primary and its worker wrote.
      assert.doesNotMatch(text, /[1-9]\d{0,18}\.[1-9]\d{0,11}\.[A-Za-z0-9_-]{43}/, 'no token printed');
      assert.match(text, /token +not printed/);
      // The secrets this run made are kept for npm run token, readable by their owner only.
      const file = join(dir, 'secrets.env');
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      const authSecret = /^SQLBOUND_AUTH_SECRET=(\S+)$/m.exec(await readFile(file, 'utf8'))?.[1] ?? '';
      const token = issueToken(authSecret, '1');
      const response = await fetch(`http://127.0.0.1:${port}/trpc/dashboard.get`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(response.status, 200);
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
      // Whichever worker takes the scrape, it holds both workers' series (src/server/cluster-metrics.ts).
      for (let scrape = 0; scrape < 2; scrape += 1) {
        const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        assert.equal(labelValues(metrics, 'target_info', 'worker').size, 2, metrics);
      }
    } finally {
      topology.child.kill('SIGTERM');
    }
    const [code, signal] = await topology.exited;
    assert.equal(signal, null);
    assert.equal(code, 0, topology.output());
  });
});
