// The dashboard three ways, side by side in one run: the generated single statement (includes + counters),
// a naive N+1 loop, and several queries in parallel. Each sequentially and as 1000 concurrent loads through
// a pool of 20, for a typical user and the heaviest user. Prints percentiles and ratios; asserts nothing.
//   BENCH_USERS=100000 BENCH_ROUNDS=200 npm run bench:dashboard
import pg from 'pg';
import { pino } from 'pino';
import { getDashboard } from '../generated/index.js';
import { ensureSeeded } from '../src/server/seeded.js';
import { runCommand, startDatabase } from '../src/database/server.js';
import { createDb, type Db } from 'sqlbound';
import type { Statement } from '../src/runtime/contract.js';

const users = Number(process.env.BENCH_USERS ?? 100_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 200);
const burst = Number(process.env.BENCH_BURST ?? 1000);

const statement = (name: string, text: string): Statement => ({ name, text });
const q = {
  profile: statement('bench.profile', 'SELECT id, email, full_name, phone, created_at FROM users WHERE id = $1'),
  subscription: statement('bench.subscription', 'SELECT plan, status, current_period_end FROM subscriptions WHERE user_id = $1'),
  counters: statement('bench.counters', 'SELECT * FROM user_counters WHERE user_id = $1'),
  recentAlerts: statement(
    'bench.recentAlerts',
    'SELECT id, kind, severity, title, created_at, read_at, exposure_id FROM alerts WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 5',
  ),
  exposure: statement('bench.exposure', 'SELECT id, status, data_types, created_at, removed_at, broker_id FROM exposures WHERE id = $1'),
  broker: statement('bench.broker', 'SELECT id, name, domain, opt_out_url FROM data_brokers WHERE id = $1'),
  latestScan: statement('bench.latestScan', 'SELECT * FROM scans WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1'),
  recentWithRelations: statement(
    'bench.recentWithRelations',
    `SELECT a.id, a.kind, a.severity, a.title, a.created_at, a.read_at, e.id AS exposure_id, e.status, b.name AS broker
     FROM (SELECT * FROM alerts WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 5) a
     LEFT JOIN exposures e ON e.id = a.exposure_id LEFT JOIN data_brokers b ON b.id = e.broker_id
     ORDER BY a.created_at DESC, a.id DESC`,
  ),
};

type Strategy = { name: string; load: (db: Db, userId: string) => Promise<unknown> };

const strategies: Strategy[] = [
  { name: 'one statement (generated)', load: (db, userId) => getDashboard(db, { userId }, { bypassCache: true }) },
  {
    name: 'naive N+1 loop',
    load: async (db, userId) => {
      const profile = await db.execute(q.profile, [userId]);
      const subscription = await db.execute(q.subscription, [userId]);
      const counters = await db.execute(q.counters, [userId]);
      const alerts = await db.execute<{ exposure_id: string | null }>(q.recentAlerts, [userId]);
      const related = [];
      for (const alert of alerts.rows) {
        if (alert.exposure_id === null) continue;
        const exposure = await db.execute<{ broker_id: string }>(q.exposure, [alert.exposure_id]);
        const brokerId = exposure.rows[0]?.broker_id;
        related.push(exposure, brokerId === undefined ? null : await db.execute(q.broker, [brokerId]));
      }
      const scan = await db.execute(q.latestScan, [userId]);
      return { profile, subscription, counters, alerts, related, scan };
    },
  },
  {
    name: '5 queries in parallel',
    load: (db, userId) =>
      Promise.all([
        db.execute(q.profile, [userId]),
        db.execute(q.subscription, [userId]),
        db.execute(q.counters, [userId]),
        db.execute(q.recentWithRelations, [userId]),
        db.execute(q.latestScan, [userId]),
      ]),
  },
];

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

const fmt = (ms: number) => ms.toFixed(2);

async function sequential(db: Db, strategy: Strategy, userId: string, samples: number[]): Promise<void> {
  const start = performance.now();
  await strategy.load(db, userId);
  samples.push(performance.now() - start);
}

async function concurrent(db: Db, strategy: Strategy, userIds: string[]): Promise<{ p50: number; p95: number; throughput: number }> {
  const latencies: number[] = [];
  const start = performance.now();
  await Promise.all(
    userIds.map(async (userId) => {
      const begun = performance.now();
      await strategy.load(db, userId);
      latencies.push(performance.now() - begun);
    }),
  );
  const elapsed = performance.now() - start;
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p95: percentile(latencies, 95), throughput: (userIds.length / elapsed) * 1000 };
}

await runCommand(async () => {
  const server = await startDatabase({ kind: 'ephemeral' });
  await ensureSeeded(server, { users, seed: 1, label: 'bench', log: (line) => process.stderr.write(`${line}\n`) });
  const probe = new pg.Client({ connectionString: server.url });
  await probe.connect();
  const picked = await probe.query<{ typical: string; heavy: string; heavy_alerts: number; typical_alerts: number }>(`
    WITH ranked AS (SELECT user_id, total_alerts, row_number() OVER (ORDER BY total_alerts, user_id) AS r, count(*) OVER () AS n FROM user_counters)
    SELECT (SELECT user_id FROM ranked WHERE r = n / 2) AS typical, (SELECT total_alerts FROM ranked WHERE r = n / 2) AS typical_alerts,
           (SELECT user_id FROM ranked ORDER BY total_alerts DESC, user_id LIMIT 1) AS heavy,
           (SELECT max(total_alerts) FROM ranked) AS heavy_alerts`);
  const burstUsers = await probe.query<{ user_id: string }>('SELECT user_id FROM user_counters ORDER BY hashint8(user_id) LIMIT $1', [
    burst,
  ]);
  await probe.end();
  const row = picked.rows[0];
  if (!row) throw new Error('no users');
  // Silent: slow-query lines during the burst would cost the run what it measures.
  const db = createDb({ connectionString: server.url, max: 20, cursorSecret: 'bench', cache: false, logger: pino({ level: 'silent' }) });
  const subjects = [
    { label: `typical user (${row.typical_alerts} alerts)`, userId: row.typical },
    { label: `heaviest user (${row.heavy_alerts} alerts)`, userId: row.heavy },
  ];
  for (const strategy of strategies) for (const subject of subjects) await strategy.load(db, subject.userId); // warm up
  const samples = new Map<string, number[]>();
  for (let round = 0; round < rounds; round += 1) {
    for (const subject of subjects) {
      for (const strategy of [...strategies].sort(() => Math.random() - 0.5)) {
        const key = `${strategy.name}|${subject.label}`;
        const list = samples.get(key) ?? [];
        samples.set(key, list);
        await sequential(db, strategy, subject.userId, list);
      }
    }
  }
  const lines: string[] = [];
  lines.push(`users ${users}, ${rounds} interleaved sequential rounds, burst ${burst} concurrent loads, pool max 20`, '');
  lines.push('| strategy | subject | sequential p50 (ms) | p95 (ms) | p50 vs one statement |', '|---|---|---|---|---|');
  for (const subject of subjects) {
    const base = percentile(
      [...(samples.get(`${strategies[0]?.name}|${subject.label}`) ?? [])].sort((a, b) => a - b),
      50,
    );
    for (const strategy of strategies) {
      const sorted = [...(samples.get(`${strategy.name}|${subject.label}`) ?? [])].sort((a, b) => a - b);
      const p50 = percentile(sorted, 50);
      lines.push(`| ${strategy.name} | ${subject.label} | ${fmt(p50)} | ${fmt(percentile(sorted, 95))} | ${(p50 / base).toFixed(2)} |`);
    }
  }
  const heavyVsTypical = (name: string) => {
    const get = (label: string) =>
      percentile(
        [...(samples.get(`${name}|${label}`) ?? [])].sort((a, b) => a - b),
        50,
      );
    return get(subjects[1]?.label ?? '') / get(subjects[0]?.label ?? '');
  };
  lines.push('', `heaviest vs typical user, one statement, p50 ratio: ${heavyVsTypical(strategies[0]?.name ?? '').toFixed(2)}`);
  // Each strategy against the one statement, per subject: the claims RESULTS.md makes, printed by the run itself.
  for (const strategy of strategies.slice(1)) {
    const ratios = subjects.map((subject) => {
      const get = (name: string) =>
        percentile(
          [...(samples.get(`${name}|${subject.label}`) ?? [])].sort((a, b) => a - b),
          50,
        );
      return `${subject.label} ${(get(strategy.name) / get(strategies[0]?.name ?? '')).toFixed(2)}`;
    });
    lines.push(`${strategy.name} vs one statement, p50 ratio: ${ratios.join(', ')}`);
  }
  lines.push('', `| strategy | ${burst} concurrent: p50 (ms) | p95 (ms) | throughput (loads/s) |`, '|---|---|---|---|');
  const ids = burstUsers.rows.map((r) => r.user_id);
  for (const strategy of strategies) {
    await concurrent(db, strategy, ids.slice(0, 100));
    const result = await concurrent(db, strategy, ids);
    lines.push(`| ${strategy.name} | ${fmt(result.p50)} | ${fmt(result.p95)} | ${result.throughput.toFixed(0)} |`);
  }
  await db.close();
  console.log(lines.join('\n'));
});
