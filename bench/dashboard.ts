// The dashboard three ways, side by side in one run: the generated single statement (includes + counters),
// a naive N+1 loop, and several queries in parallel. Each sequentially and as 1000 concurrent loads through
// a pool of 20, for a typical user and the heaviest user. Prints percentiles and ratios; asserts nothing.
//   BENCH_USERS=100000 BENCH_ROUNDS=200 [BENCH_DATA_DIR=.data/loadtest] npm run bench:dashboard
// It reuses the load test's seeded database (DATABASE_URL when set).
import { pino } from 'pino';
import { ensureSeeded } from '../src/server/seeded.js';
import { resolve } from 'node:path';
import { runCommand, startDatabase } from '../codegen/database/server.js';
import { projectRoot } from '../src/server/paths.js';
import { createDb, type Db } from 'sqlbound';
import { strategies, type Strategy } from './dashboard-strategies.js';
import { percentile, pickSubjects } from './harness.js';
import pg from 'pg';

const users = Number(process.env.BENCH_USERS ?? 100_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 200);
const burst = Number(process.env.BENCH_BURST ?? 1000);

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
  const server = await startDatabase({ kind: 'persistent', dataDir: resolve(projectRoot, process.env.BENCH_DATA_DIR ?? '.data/loadtest') });
  await ensureSeeded(server, { users, seed: 1, label: 'bench', log: (line) => process.stderr.write(`${line}\n`) });
  const picked = await pickSubjects(server.url);
  const probe = new pg.Client({ connectionString: server.url });
  await probe.connect();
  const burstUsers = await probe.query<{ user_id: string }>('SELECT user_id FROM user_counters ORDER BY hashint8(user_id) LIMIT $1', [
    burst,
  ]);
  await probe.end();
  // Silent: slow-query lines during the burst would cost the run what it measures.
  const db = createDb({ connectionString: server.url, max: 20, cursorSecret: 'bench', cache: false, logger: pino({ level: 'silent' }) });
  const subjects = [picked.typical, picked.heavy];
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
