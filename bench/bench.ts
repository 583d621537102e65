// npm run bench: one table of ratios, each pair measured interleaved in one run on the load test's seeded database.
//   npm run bench -- [--users 100000] [--data-dir .data/loadtest] [--rounds 30] [--calls 10] [--in-flight 1000] [--json bench.json]
//     [--compare earlier.json]: after the table, each ratio of an earlier --json report beside this run's (bench/compare.ts)
// Rows: the generated functions against raw pg on the statement they send (dashboard, 51-row page), keyset against OFFSET for the heaviest user by depth (with buffers from EXPLAIN), the dashboard as one
// statement against N+1 and parallel queries, cache hit against miss (and the statements a hit sends), the heaviest
// user against a typical one, and the performance page's refresh. Absolute times are this machine's, now; the
// ratios are what two runs can compare (--json writes every figure).
import { writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { pino } from 'pino';
import { createDb, type Cursor, type Db, type Statement } from 'sqlbound';
import { loadManifest } from '@sqlbound/cli/codegen';
import { getDashboard, listAlerts } from '../generated/index.js';
import { runCommand, startDatabase } from '../codegen/database/server.js';
import { manifestPath, projectRoot } from '../src/server/paths.js';
import { CATALOG_STATEMENTS, CATALOG_TAG } from '../src/server/perf/catalog.js';
import { ensureSeeded } from '../src/server/seeded.js';
import { strategies } from './dashboard-strategies.js';
import { createPayloadPairs, measurePair, type PairFigures } from './payload-scenarios.js';
import { comparisonTable, readBenchReport } from './compare.js';
import { interleaved, pairedP50Ratio, pickSubjects, progress, seeded, type Measured, type Subjects, type Task } from './harness.js';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '100000' },
    'data-dir': { type: 'string', default: '.data/loadtest' },
    rounds: { type: 'string', default: '30' },
    calls: { type: 'string', default: '10' },
    'in-flight': { type: 'string', default: '1000' },
    json: { type: 'string' },
    compare: { type: 'string' },
  },
});
const users = Number(args.users);
const rounds = Number(args.rounds);
const callsPerRound = Number(args.calls);
const inFlight = Number(args['in-flight']);
if (![users, rounds, callsPerRound, inFlight].every((n) => Number.isInteger(n) && n > 0)) {
  throw new Error('--users, --rounds, --calls and --in-flight must be positive integers');
}
const PAGE = 50;
const DEPTHS = [1, 10, 50, 100];
const log = progress('bench');

/** One line of the ratio table: subject against baseline, measured in the same interleaved rounds. */
type Ratio = {
  section: string;
  comparison: string;
  subject: Pick<Measured, 'p50Ms' | 'p95Ms' | 'cpuUsPerCall'>;
  baseline: Pick<Measured, 'p50Ms' | 'p95Ms' | 'cpuUsPerCall'>;
  p50: number;
  pairedP50: number;
  p95: number;
  cpu: number;
  extra: string;
  target: { text: string; met: boolean } | null;
};

function ratio(
  section: string,
  comparison: string,
  subject: Measured,
  baseline: Measured,
  extra = '',
  target: Ratio['target'] = null,
): Ratio {
  return {
    section,
    comparison,
    subject: { p50Ms: subject.p50Ms, p95Ms: subject.p95Ms, cpuUsPerCall: subject.cpuUsPerCall },
    baseline: { p50Ms: baseline.p50Ms, p95Ms: baseline.p95Ms, cpuUsPerCall: baseline.cpuUsPerCall },
    p50: subject.p50Ms / baseline.p50Ms,
    pairedP50: pairedP50Ratio(subject, baseline),
    p95: subject.p95Ms / baseline.p95Ms,
    cpu: subject.cpuUsPerCall / baseline.cpuUsPerCall,
    extra,
    target,
  };
}

const measuredOf = (results: Map<string, Measured>, name: string): Measured => {
  const measured = results.get(name);
  if (measured === undefined) throw new Error(`no figures for ${name}`);
  return measured;
};

type PlanRow = { 'QUERY PLAN': [{ Plan: { 'Shared Hit Blocks': number; 'Shared Read Blocks': number } }] };

/** Shared buffers the statement touches (hit + read), from EXPLAIN (ANALYZE, BUFFERS) on the top plan node. */
async function buffersOf(client: pg.Client, text: string, values: readonly unknown[]): Promise<number> {
  const { rows } = await client.query<PlanRow>(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${text}`, [...values]);
  const plan = rows[0]?.['QUERY PLAN'][0].Plan;
  if (plan === undefined) throw new Error('EXPLAIN returned no plan');
  return plan['Shared Hit Blocks'] + plan['Shared Read Blocks'];
}

type DepthFigures = {
  page: number;
  keyset: Measured;
  offset: Measured;
  keysetBuffers: number;
  offsetBuffers: number;
};

/**
 * The heaviest user's alerts, page by page: the generated keyset function against the same first-page statement
 * shifted with OFFSET (text from the manifest, so both read the same rows in the same order; checked per depth).
 */
async function keysetAgainstOffset(db: Db, client: pg.Client, subjects: Subjects, random: () => number) {
  const manifest = await loadManifest(manifestPath);
  const model = manifest.queries.find((query) => query.name === 'listAlerts');
  if (model === undefined || model.statements.kind !== 'list') throw new Error('the manifest has no listAlerts :list');
  const { first, after } = model.statements;
  const offsetStatement: Statement = { name: 'bench.listAlertsOffset', text: `${first}\nOFFSET $5::int4` };
  const userId = subjects.heavy.userId;
  const pages = Math.floor((subjects.heavy.alerts - 1) / PAGE) + 1;
  const depths = DEPTHS.filter((page) => page <= pages);
  log(`keyset vs OFFSET: walking ${Math.max(...depths)} pages of the heaviest user (${subjects.heavy.alerts} alerts)`);

  // Cursors of the generated function, and the raw boundary (created_at as text keeps microseconds) for EXPLAIN.
  const cursors = new Map<number, Cursor<'listAlerts'> | null>([[1, null]]);
  const boundaries = new Map<number, [string, string] | null>([[1, null]]);
  let cursor: Cursor<'listAlerts'> | null = null;
  let boundary: [string, string] | null = null;
  for (let page = 1; page <= Math.max(...depths); page += 1) {
    cursors.set(page, cursor);
    boundaries.set(page, boundary);
    const result = await listAlerts(db, { userId, limit: PAGE, cursor });
    const raw: pg.QueryResult<{ id: string; __cursor_0: string; __cursor_1: string }> = await client.query<{
      id: string;
      __cursor_0: string;
      __cursor_1: string;
    }>(boundary === null ? first : after, boundary === null ? [userId, null, null, PAGE + 1] : [userId, null, null, ...boundary, PAGE + 1]);
    const last: { __cursor_0: string; __cursor_1: string } | undefined = raw.rows[PAGE - 1];
    const offsetRows = await db.execute<{ id: string }>(offsetStatement, [userId, null, null, PAGE + 1, (page - 1) * PAGE]);
    const ids = (rows: { id: string }[]) => rows.slice(0, PAGE).map((row) => row.id);
    if (ids(result.items).join() !== ids(offsetRows.rows).join() || ids(result.items).join() !== ids(raw.rows).join()) {
      throw new Error(`page ${page}: keyset and OFFSET return different rows`);
    }
    cursor = result.nextCursor;
    boundary = last === undefined ? null : [last.__cursor_0, last.__cursor_1];
  }

  const tasks: Task[] = depths.flatMap((page) => [
    { name: `keyset page ${page}`, run: () => listAlerts(db, { userId, limit: PAGE, cursor: cursors.get(page) ?? null }) },
    { name: `OFFSET page ${page}`, run: () => db.execute(offsetStatement, [userId, null, null, PAGE + 1, (page - 1) * PAGE]) },
  ]);
  log(`keyset vs OFFSET: ${tasks.length} tasks x ${rounds} rounds x ${callsPerRound} calls`);
  const results = await interleaved(tasks, { rounds, callsPerRound, random, log });
  const figures: DepthFigures[] = [];
  for (const page of depths) {
    const bound = boundaries.get(page) ?? null;
    figures.push({
      page,
      keyset: measuredOf(results, `keyset page ${page}`),
      offset: measuredOf(results, `OFFSET page ${page}`),
      keysetBuffers: await buffersOf(
        client,
        bound === null ? first : after,
        bound === null ? [userId, null, null, PAGE + 1] : [userId, null, null, ...bound, PAGE + 1],
      ),
      offsetBuffers: await buffersOf(client, offsetStatement.text, [userId, null, null, PAGE + 1, (page - 1) * PAGE]),
    });
  }
  const top = figures[0];
  if (top === undefined) throw new Error('no depth measured');
  const ratios = figures.slice(1).map((depth) =>
    ratio(
      'keyset vs OFFSET',
      `keyset page ${depth.page} / keyset page 1 (heaviest user, limit ${PAGE})`,
      depth.keyset,
      top.keyset,
      `OFFSET page ${depth.page} / page 1: p50 ${(depth.offset.p50Ms / top.offset.p50Ms).toFixed(2)}×, buffers ${depth.keysetBuffers} vs OFFSET ${depth.offsetBuffers}`,
      {
        text: 'paired p50 ≤ 1.2',
        met: pairedP50Ratio(depth.keyset, top.keyset) <= 1.2,
      },
    ),
  );
  const deepest = figures[figures.length - 1];
  if (deepest !== undefined && deepest.page > 1) {
    ratios.push(
      ratio(
        'keyset vs OFFSET',
        `OFFSET page ${deepest.page} / keyset page ${deepest.page}`,
        deepest.offset,
        deepest.keyset,
        `buffers ${deepest.offsetBuffers} vs ${deepest.keysetBuffers}`,
      ),
    );
  }
  const table = [
    `| page (limit ${PAGE}) | keyset p50 / p95 (ms) | keyset buffers | OFFSET p50 / p95 (ms) | OFFSET buffers | keyset p50 vs page 1 | OFFSET p50 vs page 1 |`,
    '|---|---|---|---|---|---|---|',
    ...figures.map(
      (depth) =>
        `| ${depth.page} | ${ms(depth.keyset.p50Ms)} / ${ms(depth.keyset.p95Ms)} | ${depth.keysetBuffers} | ${ms(depth.offset.p50Ms)} / ${ms(depth.offset.p95Ms)} | ${depth.offsetBuffers} | ${(depth.keyset.p50Ms / top.keyset.p50Ms).toFixed(2)} | ${(depth.offset.p50Ms / top.offset.p50Ms).toFixed(2)} |`,
    ),
  ];
  if (depths.length < DEPTHS.length) table.push(`(the heaviest user has ${pages} pages: deeper pages are not measured)`);
  return {
    ratios,
    table,
    json: figures.map(({ page, keyset, offset, keysetBuffers, offsetBuffers }) => ({
      page,
      keyset: strip(keyset),
      offset: strip(offset),
      keysetBuffers,
      offsetBuffers,
    })),
  };
}

/** The dashboard three ways, and the heaviest user against a typical one on the dashboard and the first alerts page. */
async function dashboardAndSubjects(db: Db, subjects: Subjects, random: () => number) {
  const people = [subjects.typical, subjects.heavy];
  const tasks: Task[] = [
    ...people.flatMap((subject) =>
      strategies.map((strategy) => ({ name: `${strategy.name} | ${subject.label}`, run: () => strategy.load(db, subject.userId) })),
    ),
    ...people.map((subject) => ({
      name: `first alerts page | ${subject.label}`,
      run: () => listAlerts(db, { userId: subject.userId, limit: PAGE, cursor: null }),
    })),
  ];
  log(`dashboard strategies and subjects: ${tasks.length} tasks x ${rounds} rounds x ${callsPerRound} calls`);
  const results = await interleaved(tasks, { rounds, callsPerRound, random, log });
  const [one, ...others] = strategies;
  if (one === undefined) throw new Error('no strategies');
  const ratios: Ratio[] = [];
  for (const subject of people) {
    const base = measuredOf(results, `${one.name} | ${subject.label}`);
    for (const other of others) {
      ratios.push(
        ratio('dashboard', `${other.name} / ${one.name} (${subject.label})`, measuredOf(results, `${other.name} | ${subject.label}`), base),
      );
    }
  }
  ratios.push(
    ratio(
      'heavy vs typical',
      `dashboard, ${subjects.heavy.label} / ${subjects.typical.label}`,
      measuredOf(results, `${one.name} | ${subjects.heavy.label}`),
      measuredOf(results, `${one.name} | ${subjects.typical.label}`),
    ),
    ratio(
      'heavy vs typical',
      `first alerts page (limit ${PAGE}), ${subjects.heavy.label} / ${subjects.typical.label}`,
      measuredOf(results, `first alerts page | ${subjects.heavy.label}`),
      measuredOf(results, `first alerts page | ${subjects.typical.label}`),
    ),
  );
  return { ratios, json: [...results.values()].map(strip) };
}

/** Total calls recorded by pg_stat_statements in this database (null without the extension). */
async function statementCalls(client: pg.Client): Promise<number | null> {
  const { rows } = await client
    .query<{ calls: string | null }>(
      `SELECT sum(calls)::text AS calls FROM pg_stat_statements
       WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '%pg_stat_statements%'`,
    )
    .catch(() => ({ rows: [{ calls: null }] }));
  const calls = rows[0]?.calls;
  return calls === null || calls === undefined ? null : Number(calls);
}

/** The dashboard read through the result cache (hit), after clearing it (miss), and with the cache bypassed. */
async function cacheHitAgainstMiss(url: string, client: pg.Client, subjects: Subjects, random: () => number) {
  const cached = createDb({ connectionString: url, max: 20, cursorSecret: 'bench', logger: pino({ level: 'silent' }), cache: {} });
  const userId = subjects.typical.userId;
  try {
    const warm = () => getDashboard(cached, { userId });
    const tasks: Task[] = [
      // `before` keeps the entry fresh whatever the TTL (30 s) does during a long run: every timed call is a hit.
      { name: 'cache hit', run: warm, before: warm },
      { name: 'cache miss', run: warm, before: () => cached.cache?.clear() ?? Promise.resolve() },
      // The same untimed `before` as the miss: clearing fills both LRU caches' slot arrays (10,000 each), which
      // leaves the CPU's caches cold for the call after it. Only the miss had it, so its ratio counted that too.
      {
        name: 'cache bypassed',
        run: () => getDashboard(cached, { userId }, { bypassCache: true }),
        before: () => cached.cache?.clear() ?? Promise.resolve(),
      },
    ];
    log(`cache: ${tasks.length} tasks x ${rounds} rounds x ${callsPerRound} calls`);
    const results = await interleaved(tasks, { rounds, callsPerRound, random, log });
    // What a hit sends: statements counted by the server across a batch of hits.
    await warm();
    const hits = 200;
    const before = await statementCalls(client);
    for (let k = 0; k < hits; k += 1) await warm();
    const after = await statementCalls(client);
    const sent = before === null || after === null ? null : after - before; // the count query excludes itself
    const hit = measuredOf(results, 'cache hit');
    const miss = measuredOf(results, 'cache miss');
    return {
      ratios: [
        ratio(
          'cache',
          `dashboard cache hit / miss (${subjects.typical.label})`,
          hit,
          miss,
          sent === null ? 'statements per hit: n/a (no pg_stat_statements)' : `statements sent by ${hits} hits: ${sent}`,
          sent === null ? null : { text: 'a hit sends 0 statements', met: sent === 0 },
        ),
        ratio('cache', 'dashboard cache miss / cache bypassed', miss, measuredOf(results, 'cache bypassed'), '', {
          text: 'Node CPU ≤ 1.3',
          met: miss.cpuUsPerCall / measuredOf(results, 'cache bypassed').cpuUsPerCall <= 1.3,
        }),
      ],
      json: { results: [...results.values()].map(strip), statementsSentByHits: sent, hits },
    };
  } finally {
    await cached.close();
  }
}

// Sequential calls per side and round for the SDK rows, per --calls: their differences are 10-50 us on calls of
// 100-300 us of CPU, so a window needs a few hundred calls (at 100, the CPU ratio of unchanged code moved by 0.1).
const SDK_CALLS_PER_TASK_CALL = 30;

/**
 * The SDK's own overhead on real payloads: each generated call against raw pg running the statement it sends
 * (captured, not re-typed) with the same values, named and prepared, on a pool of the same size.
 */
async function sdkAgainstRawPg(url: string, random: () => number) {
  const setup = await createPayloadPairs({ url });
  try {
    const figures: PairFigures[] = [];
    for (const pair of setup.pairs) {
      log(`SDK vs raw pg: ${pair.label}, ${rounds} rounds x ${callsPerRound * SDK_CALLS_PER_TASK_CALL} calls, ${inFlight} in flight`);
      figures.push(
        await measurePair(pair, {
          rounds,
          callsPerRound: callsPerRound * SDK_CALLS_PER_TASK_CALL,
          inFlight,
          random,
          onRound: (round, total) => {
            if (round % Math.max(1, Math.floor(total / 4)) === 0) log(`round ${round}/${total}`);
          },
        }),
      );
    }
    const ratios: Ratio[] = figures.map((pair) => ({
      section: 'SDK vs raw pg',
      comparison: `${pair.label}: generated / raw pg`,
      subject: { p50Ms: pair.generated.p50Ms, p95Ms: pair.generated.p95Ms, cpuUsPerCall: pair.generated.cpuUsPerCall },
      baseline: { p50Ms: pair.raw.p50Ms, p95Ms: pair.raw.p95Ms, cpuUsPerCall: pair.raw.cpuUsPerCall },
      p50: pair.ratios.p50,
      pairedP50: pair.ratios.pairedP50,
      p95: pair.ratios.p95,
      cpu: pair.ratios.cpu,
      extra: `CPU ${pair.generated.cpuUsPerCall.toFixed(0)} vs ${pair.raw.cpuUsPerCall.toFixed(0)} µs; throughput with ${pair.inFlight} in flight ${pair.ratios.pairedThroughput.toFixed(2)}× (paired)`,
      // Issue 30: as fast as hand-written pg or faster, in Node CPU and with 1000 in flight.
      target: {
        text: 'CPU ≤ 1.00, throughput ≥ 1.00, p50 ≤ 1.05',
        met: pair.ratios.cpu <= 1 && pair.ratios.pairedThroughput >= 1 && pair.ratios.pairedP50 <= 1.05,
      },
    }));
    return { ratios, json: figures };
  } finally {
    await setup.close();
  }
}

/** The performance page's refresh: its catalog statements' execution time, from pg_stat_statements. */
async function pageRefresh(db: Db, client: pg.Client) {
  if ((await statementCalls(client)) === null)
    return { line: 'performance page refresh: n/a (pg_stat_statements not available)', json: null };
  const renders = 20;
  for (const statement of CATALOG_STATEMENTS) await db.execute(statement, []); // prepare on a connection
  await client.query('SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)');
  for (let k = 0; k < renders; k += 1) for (const statement of CATALOG_STATEMENTS) await db.execute(statement, []);
  const { rows } = await client.query<{ total_ms: number; min_ms: number }>(
    `SELECT sum(total_exec_time)::float8 AS total_ms, sum(min_exec_time)::float8 AS min_ms FROM pg_stat_statements
     WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query LIKE $1`,
    [`%${CATALOG_TAG}%`],
  );
  const meanMs = (rows[0]?.total_ms ?? Number.NaN) / renders;
  const fastestMs = rows[0]?.min_ms ?? Number.NaN;
  return {
    line: `performance page refresh: ${CATALOG_STATEMENTS.length} statements, execution ${ms(meanMs)} ms mean of ${renders} (fastest ${ms(fastestMs)} ms); target under 5 ms: ${meanMs < 5 ? 'met' : 'MISSED'}`,
    json: { statements: CATALOG_STATEMENTS.length, renders, meanMs, fastestMs },
  };
}

const ms = (value: number) => value.toFixed(value < 10 ? 3 : 1);
const strip = ({ roundP50Ms: _rounds, ...rest }: Measured) => rest;

function ratioTable(ratios: readonly Ratio[]): string[] {
  return [
    '| comparison | subject p50 / p95 (ms) | baseline p50 / p95 (ms) | p50 ratio | paired p50 ratio | p95 ratio | Node CPU per call ratio | more | target |',
    '|---|---|---|---|---|---|---|---|---|',
    ...ratios.map(
      (row) =>
        `| ${row.section}: ${row.comparison} | ${ms(row.subject.p50Ms)} / ${ms(row.subject.p95Ms)} | ${ms(row.baseline.p50Ms)} / ${ms(row.baseline.p95Ms)} | ${row.p50.toFixed(2)} | ${row.pairedP50.toFixed(2)} | ${row.p95.toFixed(2)} | ${row.cpu.toFixed(2)} | ${row.extra} | ${
          row.target === null ? '' : `${row.target.text}: ${row.target.met ? 'met' : 'MISSED'}`
        } |`,
    ),
  ];
}

// Read before the run: a wrong path or file fails now, not after minutes of measuring.
const earlier = args.compare === undefined ? null : await readBenchReport(args.compare);

await runCommand(async () => {
  const started = performance.now();
  const server = await startDatabase({ kind: 'persistent', dataDir: resolve(projectRoot, args['data-dir']) });
  await ensureSeeded(server, { users, seed: 1, label: 'bench', log: (line) => process.stderr.write(`${line}\n`) });
  const url = server.socketUrl ?? server.url;
  const subjects = await pickSubjects(url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // Statement counts and the page's own cost come from pg_stat_statements (preloaded by the embedded server).
  await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements').catch(() => undefined);
  // Production-like: warn level, so no per-call line; thresholds as shipped.
  const db = createDb({ connectionString: url, max: 20, cursorSecret: 'bench', logger: pino({ level: 'warn' }), cache: false });
  const random = seeded(1);
  try {
    const sdk = await sdkAgainstRawPg(url, random);
    const keyset = await keysetAgainstOffset(db, client, subjects, random);
    const dashboard = await dashboardAndSubjects(db, subjects, random);
    const cache = await cacheHitAgainstMiss(url, client, subjects, random);
    const page = await pageRefresh(db, client);
    const ratios = [...sdk.ratios, ...keyset.ratios, ...dashboard.ratios, ...cache.ratios];
    const seconds = (performance.now() - started) / 1000;
    const machine = { cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', node: process.version, loadavg: loadavg() };
    const lines = [
      `users ${users}; ${rounds} interleaved rounds x ${callsPerRound} sequential calls per task; pool max 20; ` +
        `${machine.cores} cores (${machine.cpu}), ${machine.node}, load average at the end ${machine.loadavg.map((n) => n.toFixed(1)).join(' ')}; ${seconds.toFixed(0)} s`,
      '',
      ...ratioTable(ratios),
      '',
      ...keyset.table,
      '',
      page.line,
      '',
      'Ratios are subject / baseline; "paired" is the median over rounds of the ratio within a round, which drift does not move.',
    ];
    const report = {
      date: new Date().toISOString(),
      users,
      rounds,
      callsPerRound,
      machine,
      seconds,
      subjects,
      ratios,
      sdkAgainstRawPg: sdk.json,
      keysetAgainstOffset: keyset.json,
      dashboard: dashboard.json,
      cache: cache.json,
      pageRefresh: page.json,
    };
    if (earlier !== null) lines.push('', ...comparisonTable(earlier, report, { before: args.compare ?? 'earlier', after: 'this run' }));
    console.log(lines.join('\n'));
    if (args.json !== undefined) {
      await writeFile(args.json, `${JSON.stringify(report, null, 2)}\n`);
      log(`figures written to ${args.json}`);
    }
  } finally {
    await client.end();
    await db.close();
  }
});
