// The SDK's own overhead on real payloads: each generated call beside raw pg running the same named prepared
// statement with the same values on a pool of the same size and server settings, measured interleaved. Shared by
// `npm run bench:runtime` and `npm run bench`; plain data in, plain data out, nothing printed here.
//
// The raw side's statement is not re-typed: each generated function is called once per user against a recording
// Queryable, which captures the Statement object (name and text as codegen emitted them) and the exact values the
// generated code sends (the keyset page's limit+1 included). Raw pg then runs that text under a name of its own
// and returns `result.rows` as they come: JSON columns parsed by pg, nothing revived, cursor columns left in.
import pg from 'pg';
import { pino, type Logger } from 'pino';
import type { DB } from '../generated/db.js';
import { getDashboard, listAlerts } from '../generated/index.js';
import { createDb, type Cursor, type Db, type Queryable, type Rows, type Statement } from 'sqlbound';
import { startupOptions } from '../src/runtime/pool.js';
import { percentile, seeded, shuffle as shuffled } from './harness.js';

/** The two payloads of issue 16, and a page deep in a list, opened with a cursor (issue 30). */
export type PayloadName = 'dashboard' | 'alertsPage' | 'alertsPageDeep';

/** The page of the deep pair: far enough that the cursor carries a real boundary, near enough for every seeded heavy user. */
export const DEEP_PAGE = 21;

/** One call of either side, for a user. */
export type PayloadCall = (userId: string) => Promise<unknown>;

/** A generated call and raw pg on the same statement, over the users it is measured for. */
export type PayloadPair = {
  name: PayloadName;
  /** What the pair measures, for a table row. */
  label: string;
  /** The statement both sides run (captured from the generated module). */
  statement: Statement;
  /** The users the calls cycle through (both sides the same ones, in the same order). */
  userIds: readonly string[];
  generated: PayloadCall;
  raw: PayloadCall;
};

export type PayloadSetupOptions = {
  /** The seeded database (e.g. the one `ensureSeeded` or `startDatabase` gives). */
  url: string;
  /** Pool size of each side; default 20 (the runtime's default). */
  max?: number;
  /** The users the dashboard calls cycle through; default up to 200 users picked by `payloadUsers`. */
  dashboardUsers?: number;
  /** sqlbound's logger; default pino at info (production-like: no per-call debug line is formatted). */
  logger?: Logger;
};

export type PayloadSetup = {
  pairs: PayloadPair[];
  /** The sqlbound handle of the generated side (its settings are createDb's defaults). */
  db: Db<DB>;
  /** The raw pg pool (the same startup timeouts as sqlbound's, so the ratio isolates the wrapper). */
  rawPool: pg.Pool;
  close(): Promise<void>;
};

/** Latency, CPU and throughput of one side of a pair. */
export type SideFigures = {
  p50Ms: number;
  p95Ms: number;
  /** Node CPU (user + system, process.cpuUsage) per sequential call. */
  cpuUsPerCall: number;
  /** Calls per second with `inFlight` calls started at once, median of rounds. */
  throughputPerSecond: number;
};

/** generated / raw, so 1.00 is no overhead (for throughput, below 1 is slower). */
export type PairRatios = {
  p50: number;
  p95: number;
  cpu: number;
  throughput: number;
  /** Median over rounds of each round's p50 ratio: drift between rounds cancels. */
  pairedP50: number;
  /** Median over rounds of each round's throughput ratio. */
  pairedThroughput: number;
};

export type PairFigures = {
  name: PayloadName;
  label: string;
  rounds: number;
  callsPerRound: number;
  inFlight: number;
  generated: SideFigures;
  raw: SideFigures;
  ratios: PairRatios;
};

export type MeasureOptions = {
  /** Interleaved rounds; default 20. */
  rounds?: number;
  /** Sequential calls per side and round; default 200. */
  callsPerRound?: number;
  /** Calls started at once for throughput, per side and round; default 1000. */
  inFlight?: number;
  /** Seeded generator for the shuffles; default mulberry32(1). */
  random?: () => number;
  /** Called after each round, sequential then burst: `round` of `rounds` (twice the option). */
  onRound?: (round: number, rounds: number) => void;
};

type Captured = { statement: Statement; values: readonly unknown[] };

/** Runs a generated call against a Queryable that records what it would send and returns no rows. */
async function capture(call: (db: Queryable) => Promise<unknown>): Promise<Captured> {
  let seen: Captured | null = null;
  const recorder: Queryable = {
    cursorSecret: 'capture',
    inTransaction: false,
    execute<Row>(statement: Statement, values: readonly unknown[]): Promise<Rows<Row>> {
      seen = { statement, values: [...values] };
      return Promise.resolve({ rows: [], rowCount: 0 });
    },
    stream() {
      throw new Error('a payload scenario does not stream');
    },
  };
  // A :one over no rows throws NotFound: the statement is recorded before that.
  await call(recorder).catch(() => undefined);
  if (seen === null) throw new Error('the generated call sent no statement');
  return seen;
}

/**
 * The users of the two payloads: typical users for the dashboard (the first `dashboardUsers` ids that have a
 * full dashboard: 5 recent alerts and a scan), and the user with the most alerts for the alerts page, which
 * must have at least 51 (a first page of 50 reads 51 rows).
 */
export async function payloadUsers(url: string, dashboardUsers = 200): Promise<{ dashboard: string[]; alertsPage: string }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const dashboard = await client.query<{ id: string }>(
      `SELECT c.user_id::text AS id FROM user_counters c
       WHERE c.total_alerts >= 5 AND EXISTS (SELECT 1 FROM scans s WHERE s.user_id = c.user_id)
       ORDER BY c.user_id LIMIT $1`,
      [dashboardUsers],
    );
    const heavy = await client.query<{ id: string; n: string }>(
      'SELECT user_id::text AS id, total_alerts::text AS n FROM user_counters ORDER BY total_alerts DESC, user_id LIMIT 1',
    );
    const alertsPage = heavy.rows[0];
    if (alertsPage === undefined || Number(alertsPage.n) < 51) {
      throw new Error(`no user has 51 alerts (the most is ${alertsPage?.n ?? 0}): seed more users (one in about a thousand is heavy)`);
    }
    if (dashboard.rows.length === 0) throw new Error('no user has a full dashboard: seed the database first');
    return { dashboard: dashboard.rows.map((row) => row.id), alertsPage: alertsPage.id };
  } finally {
    await client.end();
  }
}

/**
 * Opens the generated side (createDb with its defaults, the cache bypassed per call) and the raw side (a pg.Pool
 * with the same size and startup timeouts), and builds the dashboard and 51-row alerts page pairs.
 */
export async function createPayloadPairs(options: PayloadSetupOptions): Promise<PayloadSetup> {
  const max = options.max ?? 20;
  const users = await payloadUsers(options.url, options.dashboardUsers ?? 200);
  const db = createDb<DB>({
    connectionString: options.url,
    max,
    logger: options.logger ?? pino({ level: 'info' }),
    cursorSecret: 'payload-bench',
    // pg's pool waits for a connection without a limit; a burst of 1000 on a loaded machine waited past the
    // default 5 s, and the run died on it. The raw side has no limit: a long one here keeps the two alike.
    connectionTimeoutMillis: 120_000,
  });
  const startup = startupOptions(db.settings);
  const rawPool = new pg.Pool({
    connectionString: options.url,
    max,
    ...(startup === undefined ? {} : { options: startup }),
    application_name: 'payload-bench-raw',
  });

  // As pg's users must: an idle connection that dies (the server stopping at the end of a run) is not a crash.
  rawPool.on('error', () => undefined);
  const rawSide = async (
    rawName: string,
    userIds: readonly string[],
    generated: (db: Queryable, userId: string) => Promise<unknown>,
  ): Promise<{ statement: Statement; raw: PayloadCall }> => {
    const byUser = new Map<string, readonly unknown[]>();
    let statement: Statement | null = null;
    for (const userId of userIds) {
      const seen = await capture((recorder) => generated(recorder, userId));
      if (statement !== null && seen.statement.text !== statement.text) throw new Error(`${rawName}: the statement differs between users`);
      statement = seen.statement;
      byUser.set(userId, seen.values);
    }
    if (statement === null) throw new Error(`${rawName}: no user`);
    const text = statement.text;
    const raw: PayloadCall = async (userId) => {
      const values = byUser.get(userId);
      if (values === undefined) throw new Error(`${rawName}: user ${userId} was not captured`);
      const result = await rawPool.query<Record<string, unknown>>({ name: rawName, text, values: [...values] });
      return result.rows;
    };
    return { statement, raw };
  };

  const dashboardCall = (queryable: Queryable, userId: string) => getDashboard(queryable, { userId }, { bypassCache: true });
  const pageCall = (queryable: Queryable, userId: string) => listAlerts(queryable, { userId, limit: 50, cursor: null });
  const dashboardRaw = await rawSide('raw_getDashboard', users.dashboard, dashboardCall);
  const pageRaw = await rawSide('raw_listAlerts', [users.alertsPage], pageCall);
  // The deep page's cursor is the one the generated function hands out after page DEEP_PAGE - 1. Raw pg runs the
  // keyset statement with the boundary that cursor opens to (captured), as hand-written pg would hold it. A small
  // seed (the smoke tests') may have fewer pages: the deepest page that has a cursor, from page 2.
  let deepCursor: Cursor<'listAlerts'> | null = null;
  let deepPage = 1;
  while (deepPage < DEEP_PAGE) {
    const next: Cursor<'listAlerts'> | null = (await listAlerts(db, { userId: users.alertsPage, limit: 50, cursor: deepCursor }))
      .nextCursor;
    if (next === null) break;
    deepCursor = next;
    deepPage += 1;
  }
  if (deepCursor === null) throw new Error(`user ${users.alertsPage} has one page of alerts: seed more users`);
  const deepCall = (queryable: Queryable, userId: string) => listAlerts(queryable, { userId, limit: 50, cursor: deepCursor });
  const deepRaw = await rawSide('raw_listAlerts_after', [users.alertsPage], (recorder, userId) =>
    // The recorder's cursorSecret differs: the capture opens the cursor with the real secret through a view of it.
    deepCall({ ...recorder, cursorSecret: db.cursorSecret, execute: recorder.execute.bind(recorder) }, userId),
  );
  const pairs: PayloadPair[] = [
    {
      name: 'dashboard',
      label: 'dashboard (getDashboard, cache bypassed)',
      statement: dashboardRaw.statement,
      userIds: users.dashboard,
      generated: (userId) => dashboardCall(db, userId),
      raw: dashboardRaw.raw,
    },
    {
      name: 'alertsPage',
      label: 'alerts page of 50 (listAlerts, 51 rows read)',
      statement: pageRaw.statement,
      userIds: [users.alertsPage],
      generated: (userId) => pageCall(db, userId),
      raw: pageRaw.raw,
    },
    {
      name: 'alertsPageDeep',
      label: `alerts page ${deepPage} of 50 (listAlerts with a cursor, 51 rows read)`,
      statement: deepRaw.statement,
      userIds: [users.alertsPage],
      generated: (userId) => deepCall(db, userId),
      raw: deepRaw.raw,
    },
  ];
  return {
    pairs,
    db,
    rawPool,
    async close() {
      await Promise.all([db.close(), rawPool.end()]);
    },
  };
}

type Side = 'generated' | 'raw';
type Samples = { latencies: number[]; roundP50: number[]; cpuUs: number; calls: number; throughput: number[] };

const emptySamples = (): Samples => ({ latencies: [], roundP50: [], cpuUs: 0, calls: 0, throughput: [] });

async function burst(call: PayloadCall, userIds: readonly string[], inFlight: number, offset: number): Promise<number> {
  const start = performance.now();
  await Promise.all(Array.from({ length: inFlight }, (_, k) => call(userIds[(offset + k) % userIds.length]!)));
  return inFlight / ((performance.now() - start) / 1000);
}

/** Warms both sides: every pooled connection opened and its statement prepared. */
export async function warmPair(pair: PayloadPair, inFlight = 100): Promise<void> {
  for (const side of [pair.generated, pair.raw]) {
    for (let k = 0; k < 3; k += 1) await burst(side, pair.userIds, Math.max(inFlight, 40), k);
  }
}

/**
 * Measures a pair interleaved: `rounds` rounds each run both sides in shuffled order, `callsPerRound` sequential
 * calls per side (latency, and Node CPU over the window); then `rounds` more run `inFlight` calls at once per side
 * (throughput). Both sides call the same users in the same order within a round. Returns figures and
 * generated/raw ratios.
 */
export async function measurePair(pair: PayloadPair, options: MeasureOptions = {}): Promise<PairFigures> {
  const rounds = options.rounds ?? 20;
  const callsPerRound = options.callsPerRound ?? 200;
  const inFlight = options.inFlight ?? 1000;
  const random = options.random ?? seeded(1);
  const samples: Record<Side, Samples> = { generated: emptySamples(), raw: emptySamples() };
  const sides: Side[] = ['generated', 'raw'];
  await warmPair(pair);
  for (let round = 0; round < rounds; round += 1) {
    const offset = Math.floor(random() * pair.userIds.length);
    for (const side of shuffled(sides, random)) {
      const call = pair[side];
      const into = samples[side];
      const latencies: number[] = [];
      const cpuBefore = process.cpuUsage();
      for (let k = 0; k < callsPerRound; k += 1) {
        const userId = pair.userIds[(offset + k) % pair.userIds.length]!;
        const start = performance.now();
        await call(userId);
        latencies.push(performance.now() - start);
      }
      const cpu = process.cpuUsage(cpuBefore);
      into.cpuUs += cpu.user + cpu.system;
      into.calls += callsPerRound;
      into.latencies.push(...latencies);
      into.roundP50.push(
        percentile(
          latencies.sort((a, b) => a - b),
          50,
        ),
      );
    }
    options.onRound?.(round + 1, 2 * rounds);
  }
  // The bursts after every sequential round, not between them: a burst of 1000 calls leaves megabytes of garbage,
  // and the collection it triggers fell into whichever side's sequential window came next (the CPU ratio of
  // unchanged code moved by ±0.1 between runs).
  for (let round = 0; round < rounds; round += 1) {
    const offset = Math.floor(random() * pair.userIds.length);
    for (const side of shuffled(sides, random)) samples[side].throughput.push(await burst(pair[side], pair.userIds, inFlight, offset));
    options.onRound?.(rounds + round + 1, 2 * rounds);
  }
  const figures = (side: Side): SideFigures => {
    const { latencies, cpuUs, calls, throughput } = samples[side];
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      p50Ms: percentile(sorted, 50),
      p95Ms: percentile(sorted, 95),
      cpuUsPerCall: cpuUs / calls,
      throughputPerSecond: percentile(
        [...throughput].sort((a, b) => a - b),
        50,
      ),
    };
  };
  const pairedMedian = (a: readonly number[], b: readonly number[]) =>
    percentile(
      a.map((value, k) => value / (b[k] ?? Number.NaN)).sort((x, y) => x - y),
      50,
    );
  const generated = figures('generated');
  const raw = figures('raw');
  return {
    name: pair.name,
    label: pair.label,
    rounds,
    callsPerRound,
    inFlight,
    generated,
    raw,
    ratios: {
      p50: generated.p50Ms / raw.p50Ms,
      p95: generated.p95Ms / raw.p95Ms,
      cpu: generated.cpuUsPerCall / raw.cpuUsPerCall,
      throughput: generated.throughputPerSecond / raw.throughputPerSecond,
      pairedP50: pairedMedian(samples.generated.roundP50, samples.raw.roundP50),
      pairedThroughput: pairedMedian(samples.generated.throughput, samples.raw.throughput),
    },
  };
}
