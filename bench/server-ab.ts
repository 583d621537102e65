// Two builds of the API, A and B (two checkouts, e.g. a worktree of main and this one), on the same seeded
// database at the same time, driven in alternating slices (A B B A ...) at the same open-model rate: each
// slice's API CPU per request comes from the server process's /proc ticks. Comparing the two in one run,
// slice by slice, cancels the drift of a machine shared with other work, which figures taken minutes apart do not.
//   npx tsx bench/server-ab.ts --a /path/to/checkout-a --b . [--procedure dashboard.get|alerts.list] [--cache off]
//     [--rate 500] [--slice 4] [--pairs 6] [--users 1000]
// Both checkouts need node_modules (a symlink to this one's will do); the database is this checkout's load-test one.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Pool } from 'undici';
import { freePort, runCommand, startDatabase } from '../codegen/database/server.js';
import { issueToken } from '../src/server/auth.js';
import { projectRoot } from '../src/server/paths.js';
import { median } from './harness.js';
import { CLOCK_TICKS, treeCpuTicks } from './proc-stat.js';

const { values: args } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string', default: '.' },
    procedure: { type: 'string', default: 'dashboard.get' },
    cache: { type: 'string', default: 'off' },
    rate: { type: 'string', default: '500' },
    slice: { type: 'string', default: '4' },
    pairs: { type: 'string', default: '6' },
    users: { type: 'string', default: '1000' },
    'data-dir': { type: 'string', default: '.data/loadtest' },
  },
});
if (args.a === undefined) throw new Error('--a <checkout> is required');
const rate = Number(args.rate);
const sliceS = Number(args.slice);
const pairs = Number(args.pairs);
const userCount = Number(args.users);
const AUTH_SECRET = 'loadtest-secret-0123456789abcdef0123456789';
const HOST = '127.0.0.1';
const inputs: Record<string, string> = {
  'dashboard.get': '',
  'alerts.list': `?input=${encodeURIComponent(JSON.stringify({ limit: 50 }))}`,
};
const query = inputs[args.procedure];
if (query === undefined) throw new Error(`--procedure: one of ${Object.keys(inputs).join(', ')}`);

type Server = { label: string; child: ChildProcess; base: string };

async function startServer(label: string, dir: string, databaseUrl: string): Promise<Server> {
  const port = await freePort();
  // SERVER_AB_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles both servers.
  const nodeArgs = (process.env.SERVER_AB_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'src/server/main.ts'], {
    cwd: dir,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST,
      SQLBOUND_AUTH_SECRET: AUTH_SECRET,
      SQLBOUND_CACHE: args.cache === 'on' ? 'on' : 'off',
      SQLBOUND_LOG_LEVEL: 'warn',
      SQLBOUND_CURSOR_SECRET: 'loadtest-cursor-secret-0123456789abcdef0123',
      WEB_CONCURRENCY: '1',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://${HOST}:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${label} exited with ${child.exitCode}`);
    if (
      await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { label, child, base };
    if (Date.now() > deadline) throw new Error(`${label} did not become healthy in 60 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** One open-model slice: `rate` requests a second for `seconds`; the server's CPU ticks per request. */
async function slice(server: Server, tokens: string[], seconds: number): Promise<{ cpuUs: number; errors: number }> {
  const pool = new Pool(server.base, { connections: 256, pipelining: 1 });
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const pid = server.child.pid ?? null;
  const before = treeCpuTicks(pid);
  const start = performance.now() + 20;
  const inFlight: Promise<boolean>[] = [];
  for (let i = 0; i < total; i += 1) {
    const wait = start + i * interval - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const token = tokens[i % tokens.length] ?? '';
    inFlight.push(
      pool
        .request({ method: 'GET', path: `/trpc/${args.procedure}${query}`, headers: { authorization: `Bearer ${token}` } })
        .then(async (response) => {
          await response.body.text();
          return response.statusCode === 200;
        })
        .catch(() => false),
    );
  }
  const ok = await Promise.all(inFlight);
  const ticks = treeCpuTicks(pid) - before;
  await pool.close();
  return { cpuUs: ((ticks / CLOCK_TICKS) * 1e6) / total, errors: ok.filter((v) => !v).length };
}

await runCommand(async () => {
  const database = await startDatabase({ kind: 'persistent', dataDir: resolve(projectRoot, args['data-dir']) });
  const probe = new pg.Client({ connectionString: database.url });
  await probe.connect();
  const users = await probe.query<{ user_id: string }>('SELECT user_id FROM user_counters ORDER BY hashint8(user_id) LIMIT $1', [
    userCount,
  ]);
  await probe.end();
  const tokens = users.rows.map((row) => issueToken(AUTH_SECRET, row.user_id));
  const url = database.socketUrl ?? database.url;
  const servers = [await startServer('A', resolve(args.a ?? ''), url), await startServer('B', resolve(args.b), url)];
  try {
    for (const server of servers) await slice(server, tokens, 3); // warm up: JIT, pool, prepared statements
    const perSlice = new Map<string, number[]>(servers.map((server) => [server.label, []]));
    let errors = 0;
    for (let pair = 0; pair < pairs; pair += 1) {
      for (const server of pair % 2 === 0 ? servers : [...servers].reverse()) {
        const result = await slice(server, tokens, sliceS);
        errors += result.errors;
        perSlice.get(server.label)?.push(result.cpuUs);
      }
    }
    const a = perSlice.get('A') ?? [];
    const b = perSlice.get('B') ?? [];
    const ratios = b.map((value, index) => value / (a[index] ?? Number.NaN));
    console.log(
      [
        `${args.procedure}, cache ${args.cache}, ${rate}/s, ${pairs} pairs of ${sliceS} s slices (A B, B A, ...), ${userCount} users, errors ${errors}`,
        `A = ${resolve(args.a ?? '')}, B = ${resolve(args.b)}`,
        '',
        '| build | API CPU per request, median of slices (µs) | slices (µs) |',
        '|---|---|---|',
        `| A | ${median(a).toFixed(0)} | ${a.map((v) => v.toFixed(0)).join(' ')} |`,
        `| B | ${median(b).toFixed(0)} | ${b.map((v) => v.toFixed(0)).join(' ')} |`,
        '',
        `B / A, median of the paired slices: ${median(ratios).toFixed(3)} (pairs: ${ratios.map((r) => r.toFixed(2)).join(' ')})`,
      ].join('\n'),
    );
  } finally {
    for (const server of servers) {
      server.child.kill('SIGTERM');
      await new Promise((r) => server.child.once('exit', r));
    }
    await database.stop();
  }
});
