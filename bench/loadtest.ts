// npm run loadtest: the example server on 127.0.0.1 against a seeded, production-sized database, loaded by
// "1000 concurrent users" two ways (open model at ~1000 arrivals/s, and a burst of 1000 simultaneous loads
// on 1000 connections), each with the cache bypassed and on, plus alerts.list under the open model; and the
// machine's ceiling for the burst, a bare node:http server (bench/ceiling-server.ts) burst the same way.
// Latency is recorded into an HDR histogram from each request's *scheduled* send time, so queueing in the
// generator or the server (coordinated omission) shows in the percentiles. Targets only 127.0.0.1; every run
// is bounded in time and request count. Each run prints its CPU per request (API tree, DB tree, from /proc)
// and the CPU the hypervisor stole during it (/proc/stat), labelled noisy above 5 %.
//   npm run loadtest -- [--users 100000] [--duration 20] [--rate 1000] [--burst 1000] [--workers 1] [--data-dir .data/loadtest]
//   --capacity: steps the open-model rate (--rates 250,375,...,4000; --duration 5 by default) for the dashboard
//   and alerts.list, cache bypassed, with 1 and 2 API workers (or --workers N), and reports the highest rate at
//   which HTTP p95 < 200 ms with no errors. A failed step runs once more before it ends a series (both printed).
//   --topology: the cache-bypassed open-model dashboard run twice, directly (one process on the primary) and
//   through the production topology (--workers API workers through PgBouncer, reading from a streaming replica).
//   Closed model (bench/wrk.ts; after the default mode's runs, or alone with --closed): wrk, an outside generator,
//   holds --connections (1000) connections for --closed-duration (30) s per run against the dashboard, with
//   --closed-users (1000,20000) users' tokens in rotation, cache bypassed and on, and against the ceiling server
//   in the same invocation; then the cached run with --closed-workers (2) API workers against the one-worker run.
//   Without wrk installed the section prints one SKIPPED line.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as hdr from 'hdr-histogram-js';
import pg from 'pg';
import { Client, Pool } from 'undici';
import { projectRoot } from '../src/server/paths.js';
import { checkpoint, ensureSeeded } from '../src/server/seeded.js';
import { freePort, runCommand, startDatabase } from '../codegen/database/server.js';
import { issueToken } from '../src/server/auth.js';
import { startPgBouncer } from '../codegen/database/pgbouncer.js';
import { startReplica } from '../codegen/database/replica.js';
import { afterStep, capacityReport, parseRates, type CapacityStep } from './capacity.js';
import { collectResponses, startCeiling } from './ceiling.js';
import { busyPercent, CLOCK_TICKS, formatSteal, machineCpu, reapedChildrenTicks, stealPercent, treeCpuTicks } from './proc-stat.js';
import { bucketPercentile, queryBuckets, replicaReads } from './prometheus-text.js';
import { closedReport, type ClosedResult } from './closed-report.js';
import { findWrk, runWrk, WRK_SKIPPED_LINE, type WrkSummary } from './wrk.js';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '100000' },
    duration: { type: 'string' },
    rate: { type: 'string', default: '1000' },
    rates: { type: 'string' },
    burst: { type: 'string', default: '1000' },
    'data-dir': { type: 'string', default: '.data/loadtest' },
    workers: { type: 'string' },
    topology: { type: 'boolean', default: false },
    capacity: { type: 'boolean', default: false },
    closed: { type: 'boolean', default: false },
    'closed-duration': { type: 'string', default: '30' },
    'closed-users': { type: 'string', default: '1000,20000' },
    'closed-workers': { type: 'string', default: '2' },
    connections: { type: 'string', default: '1000' },
  },
});
const userCount = Number(args.users);
// Capacity steps are short: a step either keeps up with its rate within seconds or its queue grows.
const durationS = Number(args.duration ?? (args.capacity ? '5' : '20'));
const rate = Number(args.rate);
const burstSize = Number(args.burst);
const serverWorkers = Number(args.workers ?? '1');
const capacityRates = parseRates(args.rates);
if (
  ![userCount, durationS, rate, burstSize, serverWorkers].every((n) => Number.isFinite(n) && n > 0) ||
  durationS > 300 ||
  rate > 5000 ||
  burstSize > 5000 ||
  !Number.isInteger(serverWorkers) ||
  serverWorkers > 16
) {
  throw new Error('--users, --duration (<= 300 s), --rate (<= 5000/s), --burst (<= 5000) and --workers (<= 16) must be positive numbers');
}
const closedSeconds = Number(args['closed-duration']);
const closedConnections = Number(args.connections);
const closedWorkers = Number(args['closed-workers']);
const closedUsers = args['closed-users'].split(',').map(Number);
if (
  ![closedSeconds, closedConnections, closedWorkers, ...closedUsers].every((n) => Number.isInteger(n) && n > 0) ||
  closedSeconds > 300 ||
  closedConnections > 10_000 ||
  closedWorkers > 16 ||
  closedUsers.some((n) => n > 100_000)
) {
  throw new Error(
    '--closed-duration (<= 300 s), --connections (<= 10000), --closed-workers (<= 16) and --closed-users (each <= 100000) must be positive integers',
  );
}
const AUTH_SECRET = 'loadtest-secret-0123456789abcdef0123456789';
const HOST = '127.0.0.1';
const CORES = availableParallelism();

type Shape = { name: string; procedure: string; query: string; input: (userIndex: number) => unknown };
const dashboard: Shape = { name: 'dashboard', procedure: 'dashboard.get', query: 'getDashboard', input: () => undefined };
const alertsList: Shape = { name: 'alerts.list', procedure: 'alerts.list', query: 'listAlerts', input: () => ({ limit: 50 }) };

function path(shape: Shape, userIndex: number): string {
  const input = shape.input(userIndex);
  return input === undefined ? `/trpc/${shape.procedure}` : `/trpc/${shape.procedure}?input=${encodeURIComponent(JSON.stringify(input))}`;
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
  /** CPU time per request, in µs: the API process tree's and the postmaster tree's. */
  apiCpuUsPerRequest: number;
  dbCpuUsPerRequest: number;
  /** Share of the machine's CPU time the hypervisor stole during the run; null without /proc/stat. */
  stealPercent: number | null;
  /** CPU % of the machine used by processes outside the run (other work on a shared host); null without /proc/stat. */
  othersPercentOfMachine: number | null;
  serverQuery: { name: string; p50: number; p95: number; count: number } | null;
  replicaCpuPercentOfMachine: number | null;
  /** Reads served by the replica over reads that could use one, from the worker that answered /metrics. */
  replicaShare: number | null;
};

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
      // A scrape serializes every metric: about 7 ms of the API's CPU each, measured on an idle API (16 KB of
      // text), more under load. Ten a second took 7 % or more of a core from the process being measured.
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return () => {
    running = false;
    void loop;
    return peak;
  };
}

type Target = { child: ChildProcess; base: string };
type Drive = (record: (scheduledAt: number, ok: boolean) => void, begin: () => void) => Promise<void>;

async function measure(
  label: string,
  server: Target,
  postmaster: number | null,
  queryName: string | null,
  drive: Drive,
  replicaPostmaster: number | null = null,
): Promise<RunResult> {
  // One keep-alive connection for /metrics: with several workers, the same connection stays on the same worker,
  // so the before and after snapshots are of one worker's histograms. The ceiling (queryName null) has none.
  const metricsClient = queryName === null ? null : new Client(server.base, { keepAliveTimeout: 600_000, keepAliveMaxTimeout: 600_000 });
  const scrape = async () =>
    metricsClient === null ? '' : await (await metricsClient.request({ method: 'GET', path: '/metrics' })).body.text();
  const replicaBefore = treeCpuTicks(replicaPostmaster);
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
  let requests = 0;
  let errors = 0;
  const metricsBefore = await scrape();
  const stopSampler = queryName === null ? () => 0 : await peakWaitersSampler(server.base);
  // The window opens when the driver sends its first measured request (a burst first opens its connections
  // and warms them up; timing that would dilute its throughput and CPU).
  type Window = { started: number; cpu: number; server: number; generator: NodeJS.CpuUsage; machine: ReturnType<typeof machineCpu> };
  const opening: { window: Window | null } = { window: null };
  const begin = () => {
    opening.window ??= {
      started: performance.now(),
      cpu: treeCpuTicks(postmaster),
      server: treeCpuTicks(server.child.pid ?? null),
      generator: process.cpuUsage(),
      machine: machineCpu(),
    };
  };
  await drive((scheduledAt, ok) => {
    requests += 1;
    if (!ok) errors += 1;
    histogram.recordValue(Math.max(1, Math.round((performance.now() - scheduledAt) * 1000)));
  }, begin);
  begin(); // a driver that sent nothing
  const opened = opening.window ?? { started: performance.now(), cpu: 0, server: 0, generator: process.cpuUsage(), machine: null };
  const seconds = (performance.now() - opened.started) / 1000;
  const machineAfter = machineCpu();
  const peakWaiters = stopSampler();
  const dbTicks = treeCpuTicks(postmaster) - opened.cpu;
  const serverTicks = treeCpuTicks(server.child.pid ?? null) - opened.server; // the server process and its cluster workers
  const generator = process.cpuUsage(opened.generator);
  const metricsAfter = await scrape();
  await metricsClient?.close();
  const replicaAfter = treeCpuTicks(replicaPostmaster);
  const readsBefore = replicaReads(metricsBefore);
  const readsAfter = replicaReads(metricsAfter);
  const routed = readsAfter.replica - readsBefore.replica + (readsAfter.primary - readsBefore.primary);
  const before = queryBuckets(metricsBefore, queryName ?? '');
  const after = queryBuckets(metricsAfter, queryName ?? '');
  const p50 = bucketPercentile(before, after, 50);
  const p95 = bucketPercentile(before, after, 95);
  const percentOfMachine = (ticks: number) => (ticks / CLOCK_TICKS / seconds / CORES) * 100;
  const generatorPercent = ((generator.user + generator.system) / 1e6 / seconds / CORES) * 100;
  const others = (busy: number | null, ticks: number[]) =>
    busy === null ? null : Math.max(0, busy - generatorPercent - ticks.reduce((sum, t) => sum + percentOfMachine(t), 0));
  const usPerRequest = (ticks: number) => (requests === 0 ? Number.NaN : ((ticks / CLOCK_TICKS) * 1e6) / requests);
  return {
    label,
    histogram,
    requests,
    errors,
    seconds,
    peakWaiters,
    dbCpuPercentOfMachine: percentOfMachine(dbTicks),
    serverCpuPercentOfMachine: percentOfMachine(serverTicks),
    generatorCpuPercentOfMachine: generatorPercent,
    apiCpuUsPerRequest: usPerRequest(serverTicks),
    dbCpuUsPerRequest: usPerRequest(dbTicks),
    stealPercent: stealPercent(opened.machine, machineAfter),
    othersPercentOfMachine: others(busyPercent(opened.machine, machineAfter), [dbTicks, serverTicks, replicaAfter - replicaBefore]),
    serverQuery: queryName !== null && p95.count > 0 ? { name: queryName, p50: p50.ms, p95: p95.ms, count: p95.count } : null,
    replicaCpuPercentOfMachine: replicaPostmaster === null ? null : percentOfMachine(replicaAfter - replicaBefore),
    replicaShare: routed > 0 ? (readsAfter.replica - readsBefore.replica) / routed : null,
  };
}

/** Open model: arrivals on a fixed schedule whatever the responses do, each user about once a second. */
function openModel(server: Target, shape: Shape, tokens: string[], seconds = durationS, perSecond = rate): Drive {
  return async (record, begin) => {
    const pool = new Pool(server.base, { connections: tokens.length, pipelining: 1 });
    const total = Math.round(perSecond * seconds);
    const interval = 1000 / perSecond;
    begin();
    const start = performance.now() + 50;
    const inFlight: Promise<void>[] = [];
    const slowest: number[] = [];
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
            const second = Math.floor((scheduledAt - start) / 1000);
            slowest[second] = Math.max(slowest[second] ?? 0, performance.now() - scheduledAt);
            record(scheduledAt, response.statusCode === 200);
          })
          .catch(() => record(scheduledAt, false)),
      );
    }
    await Promise.all(inFlight);
    // Where in the schedule the tail is: a cold cache's is in its first seconds, a stall's anywhere.
    progress(`  slowest response per second of the schedule (ms): ${Array.from(slowest, (ms) => (ms ?? 0).toFixed(0)).join(' ')}`);
    await pool.close();
  };
}

/** Burst: N connections opened first, then N loads sent at the same instant. */
function burst(server: Target, shape: Shape, tokens: string[]): Drive {
  return async (record, begin) => {
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
const percent = (value: number | null) => (value === null ? 'n/a' : value.toFixed(0));
const micros = (value: number) => (Number.isFinite(value) ? value.toFixed(0) : 'n/a');
const progress = (line: string) => process.stderr.write(`[loadtest] ${line}\n`);

/** Direct (one process, Unix socket to the primary) against the topology, the cache bypassed, open model. */
async function topologyComparison(primary: Database, tokens: string[]): Promise<number> {
  const results: RunResult[] = [];
  const label = `dashboard, open model ${rate}/s for ${durationS}s, cache bypassed`;
  const direct = await startServer(primary.socketUrl ?? primary.url, false, {}, 1);
  try {
    progress('direct: warming up');
    await measure('warm-up', direct, primary.pid, 'getDashboard', openModel(direct, dashboard, tokens.slice(0, 200), 3));
    progress(`direct: ${label}`);
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
  progress('topology: starting a replica and PgBouncer');
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
    progress(`topology: ${label}`);
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
    `users ${userCount}; pool max 20 per process; generator: undici, HDR histogram from scheduled send times; ${CORES} cores, steal above 5 % labelled noisy; other processes: the machine's CPU used outside this run (other work on the host)`,
    '',
    `| run | requests | errors | throughput (req/s) | HTTP p50 / p95 (ms) | server-side getDashboard p50 / p95 (ms) | DB CPU % of ${CORES} cores: primary / replica | API CPU % | CPU µs/request: API / DB | steal % | other processes, CPU % (PgBouncer included) | reads served by the replica |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.label} | ${r.requests} | ${r.errors} | ${(r.requests / r.seconds).toFixed(0)} | ${ms(r.histogram, 50)} / ${ms(r.histogram, 95)} | ${
          r.serverQuery ? `${r.serverQuery.p50.toFixed(1)} / ${r.serverQuery.p95.toFixed(1)} (n=${r.serverQuery.count})` : 'n/a'
        } | ${r.dbCpuPercentOfMachine.toFixed(0)} / ${r.replicaCpuPercentOfMachine === null ? '-' : r.replicaCpuPercentOfMachine.toFixed(0)} | ${r.serverCpuPercentOfMachine.toFixed(0)} | ${micros(r.apiCpuUsPerRequest)} / ${micros(r.dbCpuUsPerRequest)} | ${formatSteal(r.stealPercent)} | ${percent(r.othersPercentOfMachine)} | ${
          r.replicaShare === null ? '-' : `${(r.replicaShare * 100).toFixed(1)} %`
        } |`,
    ),
    '',
    "Server-side percentiles and the replica share come from one worker's /metrics (the same keep-alive connection before and after); each worker serves about half the arrivals.",
  ];
  console.log(lines.join('\n'));
  return results.some((r) => r.errors > 0) ? 1 : 0;
}

type LoadUsers = { ids: string[]; tokens: string[] };
type Database = Awaited<ReturnType<typeof startDatabase>>;
const only = (label: string) => process.env.LOADTEST_ONLY === undefined || label.includes(process.env.LOADTEST_ONLY);

function resultRow(r: RunResult): string {
  return `| ${r.label} | ${r.requests} | ${r.errors} | ${(r.requests / r.seconds).toFixed(0)} | ${ms(r.histogram, 50)} | ${ms(r.histogram, 95)} | ${ms(r.histogram, 99)} | ${ms(r.histogram, 100)} | ${r.peakWaiters} | ${r.dbCpuPercentOfMachine.toFixed(0)} / ${r.serverCpuPercentOfMachine.toFixed(0)} / ${r.generatorCpuPercentOfMachine.toFixed(0)} | ${micros(r.apiCpuUsPerRequest)} / ${micros(r.dbCpuUsPerRequest)} | ${formatSteal(r.stealPercent)} | ${percent(r.othersPercentOfMachine)} | ${
    r.serverQuery
      ? `${r.serverQuery.name} ${r.serverQuery.p50.toFixed(1)} / ${r.serverQuery.p95.toFixed(1)} (n=${r.serverQuery.count})`
      : 'no statements'
  } |`;
}

/** The bare node:http ceiling, burst by the same generator: warmed up like the API, then one burst. */
async function ceilingRun(bodies: Map<string, string>, tokens: string[]): Promise<RunResult> {
  progress('ceiling: starting the bare node:http server');
  const ceiling = await startCeiling(AUTH_SECRET, bodies, HOST);
  try {
    await measure('warm-up', ceiling, null, null, openModel(ceiling, dashboard, tokens.slice(0, 200), Math.min(3, durationS)));
    const label = `ceiling: bare node:http, 1 process, burst of ${burstSize} on ${burstSize} connections`;
    progress(label);
    return await measure(label, ceiling, null, null, burst(ceiling, dashboard, tokens));
  } finally {
    await ceiling.stop();
  }
}

/** The burst rows against the ceiling, and the cache-bypassed burst against the floor the DB's CPU sets. */
function ceilingReport(runs: {
  ceiling: RunResult | null;
  cacheOn: RunResult | null;
  bypassed: RunResult | null;
  bypassedOpen: RunResult | null;
}): string[] {
  const { ceiling, cacheOn, bypassed, bypassedOpen } = runs;
  if (ceiling === null) return [];
  const p95 = (r: RunResult) => r.histogram.getValueAtPercentile(95) / 1000;
  const ceilingP95 = p95(ceiling);
  const ratio = (r: RunResult) => `${(p95(r) / ceilingP95).toFixed(2)}×`;
  // Every dashboard the burst sends costs the database this much CPU, and the cores share it at best evenly.
  const dbPerDashboard = bypassedOpen?.dbCpuUsPerRequest ?? bypassed?.dbCpuUsPerRequest ?? Number.NaN;
  const floorMs = (dbPerDashboard * burstSize) / CORES / 1000;
  const workers = `${serverWorkers} worker(s)`;
  const lines = [
    '',
    `Burst of ${burstSize} on ${burstSize} fresh connections against the ceiling measured in this run (same generator):`,
    '',
    '| burst | HTTP p95 (ms) | × ceiling | target | verdict |',
    '|---|---|---|---|---|',
    `| ceiling: bare node:http, token check + Map lookup + write of the real dashboard bytes | ${ceilingP95.toFixed(1)} | 1.00× | | |`,
  ];
  if (cacheOn !== null) {
    const met = p95(cacheOn) <= 1.5 * ceilingP95;
    lines.push(
      `| API, ${workers}, cache on | ${p95(cacheOn).toFixed(1)} | ${ratio(cacheOn)} | ≤ 1.5× ceiling | ${met ? 'met' : 'missed'} |`,
    );
  }
  if (bypassed !== null) {
    lines.push(
      `| API, ${workers}, cache bypassed | ${p95(bypassed).toFixed(1)} | ${ratio(bypassed)} | ≥ DB floor ${Number.isFinite(floorMs) ? floorMs.toFixed(0) : 'n/a'} ms | ${
        Number.isFinite(floorMs) && floorMs > 0 ? `${(p95(bypassed) / floorMs).toFixed(2)}× the floor` : 'n/a'
      } |`,
    );
    lines.push(
      '',
      `DB CPU per dashboard (postmaster tree, /proc): ${micros(dbPerDashboard)} µs in the open-model cache-bypassed run, ${micros(bypassed.dbCpuUsPerRequest)} µs in the burst;` +
        ` floor for the cache-bypassed burst = ${micros(dbPerDashboard)} µs × ${burstSize} / ${CORES} cores = ${Number.isFinite(floorMs) ? floorMs.toFixed(0) : 'n/a'} ms, beside its p95 of ${p95(bypassed).toFixed(1)} ms.`,
    );
  }
  return lines;
}

/** The default mode: open model and burst, cache bypassed and on, alerts.list, and the ceiling. */
async function standardRuns(server: Database, users: LoadUsers): Promise<number> {
  const { tokens } = users;
  const burstTokens = tokens.slice(0, burstSize);
  const results: RunResult[] = [];
  const named: Parameters<typeof ceilingReport>[0] = { ceiling: null, cacheOn: null, bypassed: null, bypassedOpen: null };
  for (const cache of [false, true]) {
    // A Unix socket between server and database: on this shared 2-core host a loopback TCP write would spend
    // the app's CPU on both ends of the TCP stack (the HTTP side stays on 127.0.0.1).
    const api = await startServer(server.socketUrl ?? server.url, cache);
    const mode = cache ? 'cache on' : 'cache bypassed';
    let bodies: Map<string, string> | null = null;
    try {
      progress(`${mode}: warming up`);
      await measure('warm-up', api, server.pid, dashboard.query, openModel(api, dashboard, tokens.slice(0, 200), Math.min(3, durationS)));
      const ceilingLabel = 'ceiling burst';
      if (!cache && only(ceilingLabel)) {
        progress(`collecting the ${burstTokens.length} burst users' dashboard responses for the ceiling`);
        bodies = await collectResponses(
          api.base,
          path(dashboard, 0),
          burstTokens.map((token, index) => ({ userId: users.ids[index] ?? '', token })),
        );
      }
      for (const [label, shape, drive] of [
        [`dashboard, open model ${rate}/s for ${durationS}s, ${mode}`, dashboard, openModel],
        [`dashboard, burst of ${burstSize} on ${burstSize} connections, ${mode}${cache ? ' (warm)' : ''}`, dashboard, burst],
        [`alerts.list, open model ${rate}/s for ${durationS}s, ${mode}`, alertsList, openModel],
      ] as const) {
        if (cache && shape === alertsList) continue; // listAlerts is not cached: one run says it all
        if (!only(label)) continue;
        progress(label);
        const subset = drive === burst ? burstTokens : tokens.slice(0, 1000);
        if (cache && drive === burst) {
          // The cached burst is of users whose dashboards are cached (each loaded once, within the TTL), as the
          // ceiling's map holds every user's bytes: a cold entry is a cache-bypassed load plus a store.
          progress(`${mode}: loading the ${burstTokens.length} burst users' dashboards once, so their entries are warm`);
          await collectResponses(
            api.base,
            path(dashboard, 0),
            burstTokens.map((token, index) => ({ userId: users.ids[index] ?? '', token })),
          );
        }
        const result = await measure(label, api, server.pid, shape.query, drive(api, shape, subset));
        results.push(result);
        if (shape === dashboard && drive === burst) named[cache ? 'cacheOn' : 'bypassed'] = result;
        if (shape === dashboard && drive === openModel && !cache) named.bypassedOpen = result;
      }
    } finally {
      await api.stop();
    }
    // Between the two API servers, so the ceiling shares the run's conditions; the API is stopped meanwhile.
    if (bodies !== null) {
      named.ceiling = await ceilingRun(bodies, burstTokens);
      results.push(named.ceiling);
    }
  }
  const lines = [
    `users ${userCount}; server: ${serverWorkers} Node process(es), pool max 20 each; generator: undici, HDR histogram from scheduled send times; ${CORES} cores, steal above 5 % labelled noisy; other processes: the machine's CPU used outside this run (other work on the host)`,
    '',
    `| run | requests | errors | throughput (req/s) | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | pool waiters, peak of 1 s samples | CPU % of ${CORES} cores: DB / API / generator | CPU µs/request: API / DB | steal % | other processes, CPU % | server-side query p50 / p95 (ms) |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...results.map(resultRow),
    '',
    'Server-side query percentiles are interpolated inside the db.client.operation.duration histogram buckets (pool wait + execution).',
    ...ceilingReport(named),
  ];
  console.log(lines.join('\n'));
  return results.some((r) => r.errors > 0) ? 1 : 0;
}

/** --capacity: the open-model rate stepped up per endpoint and worker count, cache bypassed, until p95 or errors break. */
async function capacityRuns(server: Database, users: LoadUsers): Promise<number> {
  const workerCounts = args.workers === undefined ? [1, 2] : [serverWorkers];
  const steps: CapacityStep[] = [];
  for (const workers of workerCounts) {
    const api = await startServer(server.socketUrl ?? server.url, false, {}, workers);
    try {
      for (const shape of [dashboard, alertsList]) {
        const series = `capacity: ${shape.name}, ${workers} worker(s), cache bypassed`;
        if (!only(series)) continue;
        progress(`${series}: warming up`);
        const warmUpRate = capacityRates[0] ?? rate;
        await measure(
          'warm-up',
          api,
          server.pid,
          shape.query,
          openModel(api, shape, users.tokens.slice(0, 200), Math.min(3, durationS), warmUpRate),
        );
        const runs: CapacityStep[] = [];
        for (let index = 0; index < capacityRates.length;) {
          const stepRate = capacityRates[index]!;
          const r = await measure(
            series,
            api,
            server.pid,
            shape.query,
            openModel(api, shape, users.tokens.slice(0, 1000), durationS, stepRate),
          );
          const step: CapacityStep = {
            endpoint: shape.name,
            workers,
            rate: stepRate,
            achievedRate: r.requests / r.seconds,
            p95Ms: r.histogram.getValueAtPercentile(95) / 1000,
            errors: r.errors,
            requests: r.requests,
            apiCpuUsPerRequest: r.apiCpuUsPerRequest,
            dbCpuUsPerRequest: r.dbCpuUsPerRequest,
            stealPercent: r.stealPercent,
            othersPercent: r.othersPercentOfMachine,
            generatorCpuPercent: r.generatorCpuPercentOfMachine,
          };
          steps.push(step);
          runs.push(step);
          const next = afterStep(runs);
          progress(
            `${series}, ${stepRate}/s for ${durationS}s: p95 ${step.p95Ms.toFixed(1)} ms, ${step.errors} errors, steal ${formatSteal(step.stealPercent)}${next === 'rerun' ? '; failed: running this rate once more' : ''}`,
          );
          if (next === 'stop') break;
          if (next === 'next') {
            index += 1;
            runs.length = 0;
          }
        }
      }
    } finally {
      await api.stop();
    }
  }
  console.log(
    [
      `users ${userCount}; capacity: open model, ${durationS}s per step, cache bypassed, pool max 20 per worker; the generator shares the ${CORES} cores; steal above 5 % labelled noisy`,
      '',
      ...capacityReport(steps, CORES),
    ].join('\n'),
  );
  // Errors at the step that broke are the measurement; a series with no successful request at all is a failure.
  return steps.some((step) => step.errors === step.requests) ? 1 : 0;
}

/** One wrk run against a server, with the CPU its process tree, the database and wrk itself spent meanwhile. */
async function closedRun(
  wrk: string,
  spec: Pick<ClosedResult, 'label' | 'target' | 'cache' | 'workers'>,
  server: Target,
  postmaster: number | null,
  tokens: string[],
  seconds = closedSeconds,
): Promise<ClosedResult> {
  progress(`closed model: ${spec.label} (${seconds} s)`);
  const machineBefore = machineCpu();
  const serverBefore = treeCpuTicks(server.child.pid ?? null);
  const dbBefore = treeCpuTicks(postmaster);
  const wrkBefore = reapedChildrenTicks();
  const summary: WrkSummary = await runWrk({
    wrk,
    base: server.base,
    path: path(dashboard, 0),
    tokens,
    connections: closedConnections,
    threads: CORES,
    seconds,
    onProgress: (elapsed) => progress(`  ${spec.label}: ${elapsed.toFixed(0)} of ${seconds} s`),
  });
  const serverTicks = treeCpuTicks(server.child.pid ?? null) - serverBefore;
  const dbTicks = postmaster === null ? 0 : treeCpuTicks(postmaster) - dbBefore;
  const wrkTicks = reapedChildrenTicks() - wrkBefore;
  const machineAfter = machineCpu();
  const percentOfMachine = (ticks: number) => (ticks / CLOCK_TICKS / summary.seconds / CORES) * 100;
  const perRequest = (ticks: number) => (summary.requests === 0 ? Number.NaN : ((ticks / CLOCK_TICKS) * 1e6) / summary.requests);
  const busy = busyPercent(machineBefore, machineAfter);
  return {
    ...spec,
    users: tokens.length,
    summary,
    apiCpuUsPerRequest: perRequest(serverTicks),
    dbCpuUsPerRequest: perRequest(dbTicks),
    serverCpuPercent: percentOfMachine(serverTicks),
    dbCpuPercent: percentOfMachine(dbTicks),
    wrkCpuPercent: percentOfMachine(wrkTicks),
    stealPercent: stealPercent(machineBefore, machineAfter),
    othersPercent:
      busy === null ? null : Math.max(0, busy - percentOfMachine(serverTicks) - percentOfMachine(dbTicks) - percentOfMachine(wrkTicks)),
  };
}

/**
 * The closed model with wrk: for each user count, the ceiling, the API with the cache bypassed and with it on
 * (the fewest users warm: each loaded once just before; more users cold), then the cached run of the fewest users
 * with --closed-workers workers. The ceiling serves every user's real dashboard bytes, fetched from the API first.
 */
async function closedRuns(server: Database, users: LoadUsers): Promise<number> {
  const wrk = findWrk();
  if (wrk === null) {
    console.log(WRK_SKIPPED_LINE);
    return 0;
  }
  const wrkVersion = /^wrk \S+/.exec(spawnSync(wrk, ['--version'], { encoding: 'utf8' }).stdout)?.[0] ?? 'wrk';
  const counts = [...new Set(closedUsers.map((n) => Math.min(n, users.tokens.length)))].sort((a, b) => a - b);
  const fewest = counts[0] ?? 1;
  const tokens = users.tokens.slice(0, Math.max(...counts));
  const databaseUrl = server.socketUrl ?? server.url;
  const warmUpSeconds = Math.min(3, closedSeconds);
  const results: ClosedResult[] = [];
  const loadOnce = (api: Target, count: number) => {
    progress(`closed model: loading ${count} users' dashboards once, so their cache entries are warm`);
    return collectResponses(
      api.base,
      path(dashboard, 0),
      tokens.slice(0, count).map((token, index) => ({ userId: users.ids[index] ?? '', token })),
    );
  };
  const bypassed = await startServer(databaseUrl, false, {}, 1);
  const started: { stop: () => Promise<void> }[] = [bypassed];
  try {
    progress(`closed model: collecting ${tokens.length} users' dashboard responses for the ceiling (cache bypassed)`);
    const bodies = await collectResponses(
      bypassed.base,
      path(dashboard, 0),
      tokens.map((token, index) => ({ userId: users.ids[index] ?? '', token })),
    );
    const cached = await startServer(databaseUrl, true, {}, 1);
    started.push(cached);
    const ceiling = await startCeiling(AUTH_SECRET, bodies, HOST);
    started.push(ceiling);
    for (const [label, target] of [
      ['API, cache bypassed', bypassed],
      ['ceiling', ceiling],
    ] as const) {
      await closedRun(
        wrk,
        { label: `warm-up: ${label}`, target: 'api', cache: null, workers: 1 },
        target,
        null,
        tokens.slice(0, fewest),
        warmUpSeconds,
      );
    }
    for (const count of counts) {
      const subset = tokens.slice(0, count);
      const warm = count === fewest;
      results.push(
        await closedRun(
          wrk,
          { label: `ceiling: bare node:http, ${count} users`, target: 'ceiling', cache: null, workers: 1 },
          ceiling,
          null,
          subset,
        ),
        await closedRun(
          wrk,
          { label: `API, 1 worker, cache bypassed, ${count} users`, target: 'api', cache: 'bypassed', workers: 1 },
          bypassed,
          server.pid,
          subset,
        ),
      );
      if (warm) {
        await closedRun(
          wrk,
          { label: 'warm-up: API, cache on', target: 'api', cache: null, workers: 1 },
          cached,
          server.pid,
          subset,
          warmUpSeconds,
        );
        await loadOnce(cached, count);
      }
      results.push(
        await closedRun(
          wrk,
          {
            label: `API, 1 worker, cache on (${warm ? 'warm' : 'cold: first load of each user misses'}), ${count} users`,
            target: 'api',
            cache: 'on',
            workers: 1,
          },
          cached,
          server.pid,
          subset,
        ),
      );
    }
  } finally {
    for (const one of started.reverse()) await one.stop();
  }
  if (closedWorkers > 1) {
    const cluster = await startServer(databaseUrl, true, {}, closedWorkers);
    try {
      const subset = tokens.slice(0, fewest);
      await closedRun(
        wrk,
        { label: `warm-up: ${closedWorkers} workers, cache on`, target: 'api', cache: null, workers: closedWorkers },
        cluster,
        server.pid,
        subset,
        warmUpSeconds,
      );
      // Each worker has its own memory cache: load every user once per worker (keep-alive connections land on
      // both workers; twice the users' loads reach each about as often).
      for (let round = 0; round < closedWorkers; round += 1) await loadOnce(cluster, fewest);
      results.push(
        await closedRun(
          wrk,
          { label: `API, ${closedWorkers} workers, cache on (warm), ${fewest} users`, target: 'api', cache: 'on', workers: closedWorkers },
          cluster,
          server.pid,
          subset,
        ),
      );
    } finally {
      await cluster.stop();
    }
  }
  console.log(
    closedReport({
      results,
      userCounts: counts,
      workerCount: closedWorkers,
      connections: closedConnections,
      threads: Math.min(CORES, closedConnections),
      seconds: closedSeconds,
      cores: CORES,
      wrkVersion,
    }).join('\n'),
  );
  return results.some((r) => r.summary.non2xx > 0 || r.summary.requests === 0) ? 1 : 0;
}

await runCommand(async () => {
  const server = await startDatabase({ kind: 'persistent', dataDir: resolve(projectRoot, args['data-dir']) });
  await ensureSeeded(server, { users: userCount, seed: 1, label: 'loadtest', log: (line) => process.stderr.write(`${line}\n`) });
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  // Whatever an earlier invocation (or the seed) left dirty is written now, not by a checkpoint during a run.
  progress('CHECKPOINT before measuring');
  if ((await checkpoint(client)) === 'refused') progress('CHECKPOINT refused (the role needs pg_checkpoint): skipped');
  // Distinct users, heavy ones included (their share is what the seeder gives: about 1 in 1000).
  const rows = await client.query<{ user_id: string }>('SELECT user_id FROM user_counters ORDER BY hashint8(user_id) LIMIT $1', [
    Math.max(burstSize, 1000, ...closedUsers),
  ]);
  await client.query('SELECT pg_stat_statements_reset()').catch(() => undefined);
  await client.end();
  const ids = rows.rows.map((row) => row.user_id);
  const users: LoadUsers = { ids, tokens: ids.map((id) => issueToken(AUTH_SECRET, id, { ttlSeconds: 3600 })) };
  if (args.topology) return topologyComparison(server, users.tokens);
  if (args.capacity) return capacityRuns(server, users);
  if (args.closed) return closedRuns(server, users);
  const open = await standardRuns(server, users);
  const closed = await closedRuns(server, users);
  return Math.max(open, closed);
});
