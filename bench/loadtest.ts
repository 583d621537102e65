// npm run loadtest: the example server on 127.0.0.1 against a seeded, production-sized database, loaded by
// "1000 concurrent users" two ways (open model at ~1000 arrivals/s, and a burst of 1000 simultaneous loads
// on 1000 connections), each with the cache bypassed and on, plus alerts.list under the open model.
// Latency is recorded into an HDR histogram from each request's *scheduled* send time, so queueing in the
// generator or the server (coordinated omission) shows in the percentiles. Targets only 127.0.0.1; every run
// is bounded in time and request count.
//   npm run loadtest -- [--users 100000] [--duration 20] [--rate 1000] [--burst 1000] [--data-dir .data/loadtest]
//   --topology: the cache-bypassed open-model dashboard run twice, directly (one process on the primary) and
//   through the production topology (--workers API workers through PgBouncer, reading from a streaming replica).
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as hdr from 'hdr-histogram-js';
import pg from 'pg';
import { Pool } from 'undici';
import { projectRoot } from '../src/server/paths.js';
import { ensureSeeded } from '../src/server/seeded.js';
import { freePort, runCommand, startDatabase } from '../src/database/server.js';
import { issueToken } from '../src/server/auth.js';
import { startPgBouncer } from '../src/database/pgbouncer.js';
import { startReplica } from '../src/database/replica.js';
import { Client } from 'undici';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '100000' },
    duration: { type: 'string', default: '20' },
    rate: { type: 'string', default: '1000' },
    burst: { type: 'string', default: '1000' },
    'data-dir': { type: 'string', default: '.data/loadtest' },
    workers: { type: 'string', default: '1' },
    topology: { type: 'boolean', default: false },
  },
});
const userCount = Number(args.users);
const durationS = Number(args.duration);
const rate = Number(args.rate);
const burstSize = Number(args.burst);
const serverWorkers = Number(args.workers);
if (
  ![userCount, durationS, rate, burstSize].every((n) => Number.isFinite(n) && n > 0) ||
  durationS > 300 ||
  rate > 5000 ||
  burstSize > 5000
) {
  throw new Error('--users, --duration (<= 300 s), --rate (<= 5000/s) and --burst (<= 5000) must be positive numbers');
}
const AUTH_SECRET = 'loadtest-secret-0123456789abcdef0123456789';
const HOST = '127.0.0.1';

type Shape = { procedure: string; input: (userIndex: number) => unknown };
const dashboard: Shape = { procedure: 'dashboard.get', input: () => undefined };
const alertsList: Shape = { procedure: 'alerts.list', input: () => ({ limit: 50 }) };

function path(shape: Shape, userIndex: number): string {
  const input = shape.input(userIndex);
  return input === undefined ? `/trpc/${shape.procedure}` : `/trpc/${shape.procedure}?input=${encodeURIComponent(JSON.stringify(input))}`;
}

// ---- CPU of a process tree, from /proc ----
// A process's utime+stime, plus cutime+cstime: the time of its children that ended and were reaped. Backends
// come and go during a run (the burst opens and closes connections); summing only the live processes seen at
// the start lost every ended backend's ticks, before and after, and printed a negative DB CPU (-3, -2).
// The tree's total is the root's own and reaped children's time plus each live child's, read anew each time.
const CLOCK_TICKS = 100;
function statFields(pid: number | string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null; // the process ended while we looked
  }
}
/** Fields after the command: [11] utime, [12] stime, [13] cutime, [14] cstime (proc(5), 0-based from state). */
const ownAndReaped = (fields: string[]) => Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
function treeCpuTicks(root: number | null): number {
  if (root === null) return 0;
  const rootFields = statFields(root);
  if (rootFields === null) return 0;
  let ticks = ownAndReaped(rootFields);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry);
    // A child that ends between the two reads is counted once: live here, or reaped in the root's cutime later.
    if (fields !== null && Number(fields[1]) === root) ticks += ownAndReaped(fields);
  }
  return ticks;
}

// ---- server-side query durations from the Prometheus histogram (cumulative buckets) ----
type Buckets = Map<number, number>;
function queryBuckets(metrics: string, queryName: string): Buckets {
  const buckets: Buckets = new Map();
  for (const line of metrics.split('\n')) {
    const histogram =
      line.startsWith('db_client_operation_duration_bucket{') || line.startsWith('db_client_operation_duration_seconds_bucket{');
    if (!histogram || !line.includes(`db_query_summary="${queryName}"`) || !line.includes('outcome="ok"')) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    const count = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (le === undefined) continue;
    const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + count);
  }
  return buckets;
}
/** p-th percentile by linear interpolation inside the bucket, from the difference of two snapshots. */
function bucketPercentile(before: Buckets, after: Buckets, p: number): { ms: number; count: number } {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((bound) => (after.get(bound) ?? 0) - (before.get(bound) ?? 0));
  const total = counts[counts.length - 1] ?? 0;
  if (total === 0) return { ms: Number.NaN, count: 0 };
  const rank = (p / 100) * total;
  let lower = 0;
  let lowerCount = 0;
  for (const [index, bound] of bounds.entries()) {
    const count = counts[index] ?? 0;
    if (count >= rank) {
      const upper = Number.isFinite(bound) ? bound : lower * 2;
      const share = count === lowerCount ? 0 : (rank - lowerCount) / (count - lowerCount);
      return { ms: (lower + (upper - lower) * share) * 1000, count: total };
    }
    lower = bound;
    lowerCount = count;
  }
  return { ms: Number.NaN, count: total };
}

// ---- the server under test ----
type Server = { child: ChildProcess; base: string; stop: () => Promise<void> };
async function startServer(
  databaseUrl: string,
  cache: boolean,
  extraEnv: Record<string, string> = {},
  workers = serverWorkers,
): Promise<Server> {
  const port = await freePort();
  // LOADTEST_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server under load.
  const nodeArgs = (process.env.LOADTEST_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const entry = workers > 1 ? 'src/server/cluster.ts' : 'src/server/main.ts';
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', entry], {
    cwd: projectRoot,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST,
      SQLBOUND_AUTH_SECRET: AUTH_SECRET,
      SQLBOUND_CACHE: cache ? 'on' : 'off',
      SQLBOUND_LOG_LEVEL: 'warn',
      SQLBOUND_CURSOR_SECRET: 'loadtest-cursor-secret-0123456789abcdef0123',
      WEB_CONCURRENCY: String(workers),
      ...extraEnv,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://${HOST}:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const ok = await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error('server did not become healthy in 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    child,
    base,
    stop: () =>
      new Promise((resolveStop) => {
        child.once('exit', () => resolveStop());
        child.kill('SIGTERM');
      }),
  };
}

type RunResult = {
  label: string;
  histogram: hdr.Histogram;
  requests: number;
  errors: number;
  seconds: number;
  peakWaiters: number;
  dbCpuPercentOfMachine: number;
  serverCpuPercentOfMachine: number;
  generatorCpuPercentOfMachine: number;
  serverQuery: { name: string; p50: number; p95: number; count: number } | null;
  replicaCpuPercentOfMachine: number | null;
  /** Reads served by the replica over reads that could use one, from the worker that answered /metrics. */
  replicaShare: number | null;
};

function replicaReads(metrics: string): { replica: number; primary: number } {
  const reads = { replica: 0, primary: 0 };
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('sqlbound_replica_reads_total{')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.includes('target="replica"')) reads.replica += value;
    else if (line.includes('target="primary"')) reads.primary += value;
  }
  return reads;
}

async function peakWaitersSampler(base: string): Promise<() => number> {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const text = await fetch(`${base}/metrics`).then(
        (r) => r.text(),
        () => '',
      );
      for (const line of text.split('\n')) {
        if (line.startsWith('db_client_connection_pending_requests'))
          peak = Math.max(peak, Number(line.slice(line.lastIndexOf(' ') + 1)) || 0);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return () => {
    running = false;
    void loop;
    return peak;
  };
}

async function measure(
  label: string,
  server: Server,
  postmaster: number | null,
  queryName: string,
  drive: (record: (scheduledAt: number, ok: boolean) => void, begin: () => void) => Promise<void>,
  replicaPostmaster: number | null = null,
): Promise<RunResult> {
  // One keep-alive connection for /metrics: with several workers, the same connection stays on the same worker,
  // so the before and after snapshots are of one worker's histograms.
  const metricsClient = new Client(server.base, { keepAliveTimeout: 600_000, keepAliveMaxTimeout: 600_000 });
  const scrape = async () => await (await metricsClient.request({ method: 'GET', path: '/metrics' })).body.text();
  const replicaBefore = treeCpuTicks(replicaPostmaster);
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
  let requests = 0;
  let errors = 0;
  const metricsBefore = await scrape();
  const stopSampler = await peakWaitersSampler(server.base);
  // The window opens when the driver sends its first measured request (a burst first opens its connections
  // and warms them up; timing that would dilute its throughput and CPU).
  const opening: { window: { started: number; cpu: number; server: number; generator: NodeJS.CpuUsage } | null } = { window: null };
  const begin = () => {
    opening.window ??= {
      started: performance.now(),
      cpu: treeCpuTicks(postmaster),
      server: treeCpuTicks(server.child.pid ?? null),
      generator: process.cpuUsage(),
    };
  };
  await drive((scheduledAt, ok) => {
    requests += 1;
    if (!ok) errors += 1;
    histogram.recordValue(Math.max(1, Math.round((performance.now() - scheduledAt) * 1000)));
  }, begin);
  begin(); // a driver that sent nothing
  const opened = opening.window ?? { started: performance.now(), cpu: 0, server: 0, generator: process.cpuUsage() };
  const seconds = (performance.now() - opened.started) / 1000;
  const peakWaiters = stopSampler();
  const cpuBefore = opened.cpu;
  const cpuAfter = treeCpuTicks(postmaster);
  const serverBefore = opened.server;
  const serverAfter = treeCpuTicks(server.child.pid ?? null); // the server process and its cluster workers
  const generator = process.cpuUsage(opened.generator);
  const metricsAfter = await scrape();
  await metricsClient.close();
  const replicaAfter = treeCpuTicks(replicaPostmaster);
  const readsBefore = replicaReads(metricsBefore);
  const readsAfter = replicaReads(metricsAfter);
  const routed = readsAfter.replica - readsBefore.replica + (readsAfter.primary - readsBefore.primary);
  const before = queryBuckets(metricsBefore, queryName);
  const after = queryBuckets(metricsAfter, queryName);
  const p50 = bucketPercentile(before, after, 50);
  const p95 = bucketPercentile(before, after, 95);
  return {
    label,
    histogram,
    requests,
    errors,
    seconds,
    peakWaiters,
    dbCpuPercentOfMachine: ((cpuAfter - cpuBefore) / CLOCK_TICKS / seconds / 2) * 100,
    serverCpuPercentOfMachine: ((serverAfter - serverBefore) / CLOCK_TICKS / seconds / 2) * 100,
    generatorCpuPercentOfMachine: ((generator.user + generator.system) / 1e6 / seconds / 2) * 100,
    serverQuery: p95.count > 0 ? { name: queryName, p50: p50.ms, p95: p95.ms, count: p95.count } : null,
    replicaCpuPercentOfMachine: replicaPostmaster === null ? null : ((replicaAfter - replicaBefore) / CLOCK_TICKS / seconds / 2) * 100,
    replicaShare: routed > 0 ? (readsAfter.replica - readsBefore.replica) / routed : null,
  };
}

/** Open model: arrivals on a fixed schedule whatever the responses do, each user about once a second. */
function openModel(server: Server, shape: Shape, tokens: string[], seconds = durationS) {
  return async (record: (scheduledAt: number, ok: boolean) => void, begin: () => void) => {
    const pool = new Pool(server.base, { connections: tokens.length, pipelining: 1 });
    const total = Math.round(rate * seconds);
    const interval = 1000 / rate;
    begin();
    const start = performance.now() + 50;
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < total; i += 1) {
      const scheduledAt = start + i * interval;
      const wait = scheduledAt - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const user = i % tokens.length;
      inFlight.push(
        pool
          .request({
            method: 'GET',
            path: path(shape, user),
            headers: { authorization: `Bearer ${tokens[user]}` },
            headersTimeout: 30_000,
            bodyTimeout: 30_000,
          })
          .then(async (response) => {
            await response.body.text();
            record(scheduledAt, response.statusCode === 200);
          })
          .catch(() => record(scheduledAt, false)),
      );
    }
    await Promise.all(inFlight);
    await pool.close();
  };
}

/** Burst: 1000 connections opened first, then 1000 loads sent at the same instant. */
function burst(server: Server, shape: Shape, tokens: string[]) {
  return async (record: (scheduledAt: number, ok: boolean) => void, begin: () => void) => {
    const pool = new Pool(server.base, { connections: tokens.length, pipelining: 1 });
    await Promise.all(tokens.map(() => pool.request({ method: 'GET', path: '/healthz' }).then((r) => r.body.text())));
    begin();
    const scheduledAt = performance.now();
    await Promise.all(
      tokens.map((token, user) =>
        pool
          .request({
            method: 'GET',
            path: path(shape, user),
            headers: { authorization: `Bearer ${token}` },
            headersTimeout: 30_000,
            bodyTimeout: 30_000,
          })
          .then(async (response) => {
            await response.body.text();
            record(scheduledAt, response.statusCode === 200);
          })
          .catch(() => record(scheduledAt, false)),
      ),
    );
    await pool.close();
  };
}

const ms = (h: hdr.Histogram, p: number) => (h.getValueAtPercentile(p) / 1000).toFixed(1);

/** Direct (one process, Unix socket to the primary) against the topology, the cache bypassed, open model. */
async function topologyComparison(primary: Awaited<ReturnType<typeof startDatabase>>, tokens: string[]): Promise<number> {
  const results: RunResult[] = [];
  const label = `dashboard, open model ${rate}/s for ${durationS}s, cache bypassed`;
  const direct = await startServer(primary.socketUrl ?? primary.url, false, {}, 1);
  try {
    process.stderr.write('[loadtest] direct: warming up\n');
    await measure('warm-up', direct, primary.pid, 'getDashboard', openModel(direct, dashboard, tokens.slice(0, 200), 3));
    process.stderr.write(`[loadtest] direct: ${label}\n`);
    results.push(
      await measure(
        `direct, 1 process: ${label}`,
        direct,
        primary.pid,
        'getDashboard',
        openModel(direct, dashboard, tokens.slice(0, 1000)),
      ),
    );
  } finally {
    await direct.stop();
  }
  process.stderr.write('[loadtest] topology: starting a replica and PgBouncer\n');
  const replica = await startReplica({ primaryUrl: primary.adminUrl, name: 'replica1' });
  const bouncer = await startPgBouncer({ serverUrl: primary.adminUrl, defaultPoolSize: 20 });
  const database = new URL(primary.url).pathname.slice(1);
  const workers = Math.max(2, serverWorkers);
  const topology = await startServer(
    bouncer.url(database),
    false,
    {
      SQLBOUND_REPLICA_URLS: replica.url(database),
      SQLBOUND_TIMEOUTS_VIA: 'none',
      SQLBOUND_PREPARED_STATEMENTS: bouncer.preparedStatements ? 'true' : 'false',
    },
    workers,
  );
  try {
    await measure('warm-up', topology, primary.pid, 'getDashboard', openModel(topology, dashboard, tokens.slice(0, 200), 3), replica.pid);
    process.stderr.write(`[loadtest] topology: ${label}\n`);
    results.push(
      await measure(
        `topology, ${workers} workers via PgBouncer ${bouncer.version} + replica: ${label}`,
        topology,
        primary.pid,
        'getDashboard',
        openModel(topology, dashboard, tokens.slice(0, 1000)),
        replica.pid,
      ),
    );
  } finally {
    await topology.stop();
    await bouncer.stop();
    await replica.stop();
  }
  const lines = [
    `users ${userCount}; pool max 20 per process; generator: undici, HDR histogram from scheduled send times; measured on a shared, noisy 2-core machine`,
    '',
    '| run | requests | errors | throughput (req/s) | HTTP p50 / p95 (ms) | server-side getDashboard p50 / p95 (ms) | DB CPU % of 2 cores: primary / replica | API CPU % | reads served by the replica |',
    '|---|---|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.label} | ${r.requests} | ${r.errors} | ${(r.requests / r.seconds).toFixed(0)} | ${ms(r.histogram, 50)} / ${ms(r.histogram, 95)} | ${
          r.serverQuery ? `${r.serverQuery.p50.toFixed(1)} / ${r.serverQuery.p95.toFixed(1)} (n=${r.serverQuery.count})` : 'n/a'
        } | ${r.dbCpuPercentOfMachine.toFixed(0)} / ${r.replicaCpuPercentOfMachine === null ? '-' : r.replicaCpuPercentOfMachine.toFixed(0)} | ${r.serverCpuPercentOfMachine.toFixed(0)} | ${
          r.replicaShare === null ? '-' : `${(r.replicaShare * 100).toFixed(1)} %`
        } |`,
    ),
    '',
    "Server-side percentiles and the replica share come from one worker's /metrics (the same keep-alive connection before and after); each worker serves about half the arrivals.",
  ];
  console.log(lines.join('\n'));
  return results.some((r) => r.errors > 0) ? 1 : 0;
}

await runCommand(async () => {
  const server = await startDatabase({ kind: 'persistent', dataDir: resolve(projectRoot, args['data-dir']) });
  await ensureSeeded(server, { users: userCount, seed: 1, label: 'loadtest', log: (line) => process.stderr.write(`${line}\n`) });
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  // Distinct users, heavy ones included (their share is what the seeder gives: about 1 in 1000).
  const users = await client.query<{ user_id: string }>('SELECT user_id FROM user_counters ORDER BY hashint8(user_id) LIMIT $1', [
    Math.max(burstSize, 1000),
  ]);
  await client.query('SELECT pg_stat_statements_reset()').catch(() => undefined);
  await client.end();
  const tokens = users.rows.map((row) => issueToken(AUTH_SECRET, row.user_id, { ttlSeconds: 3600 }));
  const results: RunResult[] = [];
  if (args.topology) return topologyComparison(server, tokens);
  for (const cache of [false, true]) {
    // A Unix socket between server and database: on this shared 2-core host a loopback TCP write would spend
    // the app's CPU on both ends of the TCP stack (the HTTP side stays on 127.0.0.1).
    const api = await startServer(server.socketUrl ?? server.url, cache);
    const mode = cache ? 'cache on' : 'cache bypassed';
    try {
      process.stderr.write(`[loadtest] ${mode}: warming up\n`);
      await measure('warm-up', api, server.pid, 'getDashboard', openModel(api, dashboard, tokens.slice(0, 200), 3));
      for (const [label, shape, query, drive] of [
        [`dashboard, open model ${rate}/s for ${durationS}s, ${mode}`, dashboard, 'getDashboard', openModel],
        [`dashboard, burst of ${burstSize} on ${burstSize} connections, ${mode}`, dashboard, 'getDashboard', burst],
        [`alerts.list, open model ${rate}/s for ${durationS}s, ${mode}`, alertsList, 'listAlerts', openModel],
      ] as const) {
        if (cache && shape === alertsList) continue; // listAlerts is not cached: one run says it all
        if (process.env.LOADTEST_ONLY && !label.includes(process.env.LOADTEST_ONLY)) continue;
        process.stderr.write(`[loadtest] ${label}\n`);
        const subset = drive === burst ? tokens.slice(0, burstSize) : tokens.slice(0, 1000);
        results.push(await measure(label, api, server.pid, query, drive(api, shape, subset)));
      }
    } finally {
      await api.stop();
    }
  }
  const lines = [
    `users ${userCount}; server: ${serverWorkers} Node process(es), pool max 20 each; generator: undici, HDR histogram from scheduled send times`,
    '',
    '| run | requests | errors | throughput (req/s) | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | pool peak waiters | CPU % of 2 cores: DB / API / generator | server-side query p50 / p95 (ms) |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.label} | ${r.requests} | ${r.errors} | ${(r.requests / r.seconds).toFixed(0)} | ${ms(r.histogram, 50)} | ${ms(r.histogram, 95)} | ${ms(r.histogram, 99)} | ${ms(r.histogram, 100)} | ${r.peakWaiters} | ${r.dbCpuPercentOfMachine.toFixed(0)} / ${r.serverCpuPercentOfMachine.toFixed(0)} / ${r.generatorCpuPercentOfMachine.toFixed(0)} | ${
          r.serverQuery
            ? `${r.serverQuery.name} ${r.serverQuery.p50.toFixed(1)} / ${r.serverQuery.p95.toFixed(1)} (n=${r.serverQuery.count})`
            : 'no statements (cache)'
        } |`,
    ),
    '',
    'Server-side query percentiles are interpolated inside the db.client.operation.duration histogram buckets (pool wait + execution).',
  ];
  console.log(lines.join('\n'));
  return results.some((r) => r.errors > 0) ? 1 : 0;
});
