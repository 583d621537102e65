// The runtime's overhead over raw pg: a primary-key lookup on a seeded database, each scenario on its own warm pool,
// rounds interleaved in shuffled order so drift hits every scenario alike. Prints medians, p95 and ratios of
// scenarios that run the same statement the same way; then the same for real payloads (the dashboard and a
// 51-row alerts page, bench/payload-scenarios.ts), with Node CPU per call and throughput with many in flight.
// Not part of npm test (a smoke run at tiny counts is); `npm run bench:runtime`.
//   BENCH_USERS (10000) BENCH_ROUNDS (30) BENCH_CALLS (500) BENCH_IN_FLIGHT (1000)
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import type { DB } from '../generated/db.js';
import { migrate } from '../codegen/database/migrate.js';
import { seed } from '../src/server/seed.js';
import { runCommand, startDatabase } from '../codegen/database/server.js';
import { createDb, type Db, type Statement } from 'sqlbound';
import { startupOptions } from '../src/runtime/pool.js';
import { createPrometheusMetrics } from '../src/server/prometheus.js';
import { schemaDir } from '../src/server/paths.js';
import { createPayloadPairs, measurePair, type PairFigures } from './payload-scenarios.js';
import { percentile, seeded, shuffle } from './harness.js';

const USERS = Number(process.env.BENCH_USERS ?? 10_000);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const CALLS_PER_ROUND = Number(process.env.BENCH_CALLS ?? 500);
const CONCURRENCY = 16;
const TEXT = 'SELECT id, email FROM users WHERE id = $1';
const statement: Statement = { name: 'userById', text: TEXT };

type Scenario = { name: string; call: (id: number) => Promise<unknown> };

const ratio = (value: number) => `${value.toFixed(3)}x`;

/** The payload rows: absolute figures per side, then the generated/raw ratios the goals are about. */
function payloadTable(measured: readonly PairFigures[]): string[] {
  const first = measured[0];
  const lines = [''];
  if (first !== undefined) {
    lines.push(
      `payloads: rounds ${first.rounds} x ${first.callsPerRound} sequential calls per side (interleaved, shuffled), plus ${first.inFlight} in flight for throughput; raw pg runs the generated statement's text, named, with the same values`,
    );
  }
  lines.push('');
  lines.push('| payload | side | p50 (ms) | p95 (ms) | Node CPU per call (us) | throughput, median of rounds (calls/s) |');
  lines.push('|---|---|---|---|---|---|');
  for (const figures of measured) {
    for (const [side, s] of [
      ['generated', figures.generated],
      ['raw pg, same prepared statement', figures.raw],
    ] as const) {
      lines.push(
        `| ${figures.label} | ${side} | ${s.p50Ms.toFixed(4)} | ${s.p95Ms.toFixed(4)} | ${s.cpuUsPerCall.toFixed(1)} | ${s.throughputPerSecond.toFixed(0)} |`,
      );
    }
  }
  lines.push('');
  lines.push(
    '| payload: generated vs raw pg | p50 ratio | p95 ratio | Node CPU ratio | throughput ratio | paired p50 ratio | paired throughput ratio |',
  );
  lines.push('|---|---|---|---|---|---|---|');
  for (const { label, ratios } of measured) {
    lines.push(
      `| ${label} | ${ratio(ratios.p50)} | ${ratio(ratios.p95)} | ${ratio(ratios.cpu)} | ${ratio(ratios.throughput)} | ${ratio(ratios.pairedP50)} | ${ratio(ratios.pairedThroughput)} |`,
    );
  }
  return lines;
}

await runCommand(async () => {
  const server = await startDatabase({ kind: 'ephemeral' });
  await migrate(server.url, schemaDir);
  await seed(server.url, { users: USERS, seed: 1 });

  // Raw pools get the server-side settings sqlbound sends by default (statement_timeout arms a timer per statement
  // on the server), so ratios compare the wrapper alone; one extra raw scenario shows the cost of those settings.
  const bare = { connectionString: server.url, max: 20 };
  const poolOptions = {
    ...bare,
    options: startupOptions({ timeoutsVia: 'startup', statementTimeoutMs: 30_000, idleInTransactionTimeoutMs: 60_000 }),
  };
  const rawPool = new pg.Pool(poolOptions);
  const rawNamedPool = new pg.Pool(poolOptions);
  const rawNamedBarePool = new pg.Pool(bare);
  const kyselyPool = new pg.Pool(poolOptions);
  const plainKysely = new Kysely<DB>({ dialect: new PostgresDialect({ pool: kyselyPool }) });
  // Production-like: info level, so the per-call debug line is skipped; the global (no-op) meter provider.
  const logger = pino({ level: 'info' });
  const common = { connectionString: server.url, max: 20, logger, cursorSecret: 'bench' };
  const prepared = createDb<DB>({ ...common, preparedStatements: true });
  const unprepared = createDb<DB>({ ...common, preparedStatements: false });
  const kyselyDb = createDb<DB>(common);
  const prometheus = createPrometheusMetrics();
  const preparedWithSdk = createDb<DB>({ ...common, preparedStatements: true, meterProvider: prometheus.meterProvider });
  const dbs: Db<DB>[] = [prepared, unprepared, kyselyDb, preparedWithSdk];

  const scenarios: Scenario[] = [
    { name: 'raw pg, unnamed', call: (id) => rawPool.query(TEXT, [id]) },
    { name: 'sqlbound, prepared off', call: (id) => unprepared.execute(statement, [id]) },
    { name: 'raw pg, named prepared', call: (id) => rawNamedPool.query({ name: 'raw_user_by_id', text: TEXT, values: [id] }) },
    {
      name: 'raw pg, named prepared, no server timeouts',
      call: (id) => rawNamedBarePool.query({ name: 'raw_user_by_id', text: TEXT, values: [id] }),
    },
    { name: 'sqlbound, prepared on', call: (id) => prepared.execute(statement, [id]) },
    { name: 'sqlbound, prepared on, OTel SDK', call: (id) => preparedWithSdk.execute(statement, [id]) },
    {
      name: 'Kysely alone',
      call: (id) => plainKysely.selectFrom('users').select(['id', 'email']).where('id', '=', String(id)).execute(),
    },
    {
      name: 'Kysely through sqlbound',
      call: (id) => kyselyDb.kysely.selectFrom('users').select(['id', 'email']).where('id', '=', String(id)).execute(),
    },
  ];
  const comparisons: [string, string, string][] = [
    ['prepared vs raw named', 'sqlbound, prepared on', 'raw pg, named prepared'],
    ['unprepared vs raw unnamed', 'sqlbound, prepared off', 'raw pg, unnamed'],
    ['Kysely wrapped vs alone', 'Kysely through sqlbound', 'Kysely alone'],
    ['prepared + OTel SDK vs raw named', 'sqlbound, prepared on, OTel SDK', 'raw pg, named prepared'],
    ['sqlbound prepared vs unprepared', 'sqlbound, prepared on', 'sqlbound, prepared off'],
    ['raw named: server timeouts set vs not', 'raw pg, named prepared', 'raw pg, named prepared, no server timeouts'],
  ];

  const random = seeded(1);
  const nextId = () => 1 + Math.floor(random() * USERS);
  // Warm every pool to 20 connections and every connection's prepared statement.
  for (const scenario of scenarios) {
    for (let i = 0; i < 5; i += 1) await Promise.all(Array.from({ length: 40 }, () => scenario.call(nextId())));
  }

  const latencies = new Map<string, number[]>(scenarios.map((scenario) => [scenario.name, []]));
  // Per round and scenario: the round's median latency, so ratios can be paired within a round (drift cancels).
  const roundMedians = new Map<string, number[]>(scenarios.map((scenario) => [scenario.name, []]));
  const throughput = new Map<string, number[]>(scenarios.map((scenario) => [scenario.name, []]));
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const scenario of shuffle(scenarios, random)) {
      const samples: number[] = [];
      for (let i = 0; i < CALLS_PER_ROUND; i += 1) {
        const id = nextId();
        const start = performance.now();
        await scenario.call(id);
        samples.push(performance.now() - start);
      }
      latencies.get(scenario.name)!.push(...samples);
      roundMedians.get(scenario.name)!.push(
        percentile(
          samples.sort((a, b) => a - b),
          50,
        ),
      );
    }
    for (const scenario of shuffle(scenarios, random)) {
      // Closed loop with CONCURRENCY callers in flight: throughput shows the runtime's CPU per call.
      let remaining = CALLS_PER_ROUND;
      const start = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (remaining > 0) {
            remaining -= 1;
            await scenario.call(nextId());
          }
        }),
      );
      throughput.get(scenario.name)!.push(CALLS_PER_ROUND / ((performance.now() - start) / 1000));
    }
  }

  const summary = new Map<string, { p50: number; p95: number; opsPerSecond: number }>();
  for (const scenario of scenarios) {
    const sorted = [...latencies.get(scenario.name)!].sort((a, b) => a - b);
    const rates = [...throughput.get(scenario.name)!].sort((a, b) => a - b);
    summary.set(scenario.name, { p50: percentile(sorted, 50), p95: percentile(sorted, 95), opsPerSecond: percentile(rates, 50) });
  }
  const lines: string[] = [];
  lines.push(
    `rounds ${ROUNDS} x ${CALLS_PER_ROUND} sequential calls per scenario (interleaved, shuffled), plus ${CONCURRENCY} in flight for throughput`,
  );
  lines.push('');
  lines.push('| scenario | p50 (ms) | p95 (ms) | throughput, median of rounds (ops/s) |');
  lines.push('|---|---|---|---|');
  for (const scenario of scenarios) {
    const s = summary.get(scenario.name)!;
    lines.push(`| ${scenario.name} | ${s.p50.toFixed(4)} | ${s.p95.toFixed(4)} | ${s.opsPerSecond.toFixed(0)} |`);
  }
  lines.push('');
  lines.push('| comparison | p50 ratio | p95 ratio | paired p50 ratio (median of rounds) | paired throughput ratio |');
  lines.push('|---|---|---|---|---|');
  const paired = (values: Map<string, number[]>, subject: string, baseline: string) => {
    const a = values.get(subject)!;
    const b = values.get(baseline)!;
    return percentile(
      a.map((value, round) => value / (b[round] ?? Number.NaN)).sort((x, y) => x - y),
      50,
    );
  };
  for (const [label, subject, baseline] of comparisons) {
    const a = summary.get(subject)!;
    const b = summary.get(baseline)!;
    lines.push(
      `| ${label} | ${(a.p50 / b.p50).toFixed(3)} | ${(a.p95 / b.p95).toFixed(3)} | ${paired(roundMedians, subject, baseline).toFixed(3)} | ${paired(throughput, subject, baseline).toFixed(3)} |`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);

  await plainKysely.destroy();
  await Promise.all([rawPool.end(), rawNamedPool.end(), rawNamedBarePool.end(), ...dbs.map((db) => db.close())]);
  await prometheus.shutdown();

  // Real payloads, one pair at a time (so the lookup pools above no longer hold connections).
  const payloads = await createPayloadPairs({ url: server.url, logger });
  const measured: PairFigures[] = [];
  for (const pair of payloads.pairs) {
    process.stderr.write(`[bench:runtime] ${pair.label}: ${ROUNDS} rounds\n`);
    measured.push(await measurePair(pair, { rounds: ROUNDS, callsPerRound: CALLS_PER_ROUND, inFlight: IN_FLIGHT, random: seeded(2) }));
  }
  await payloads.close();
  process.stdout.write(`${payloadTable(measured).join('\n')}\n`);
  await server.stop();
});
