// What every benchmark here shares: percentiles, a seeded generator, interleaved rounds (drift and noise hit every
// task alike, so ratios within one run hold where absolute figures do not), Node CPU per call, the two subjects
// (a typical and the heaviest user) and progress on stderr.
import pg from 'pg';

/** Nearest-rank percentile of an ascending array (NaN when empty). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

export const median = (values: readonly number[]): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

/** mulberry32: a seeded generator, so ids and orders repeat between runs. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    const swapped = copy[j] as T;
    copy[j] = copy[i] as T;
    copy[i] = swapped;
  }
  return copy;
}

export const progress = (label: string) => (line: string) => process.stderr.write(`[${label}] ${line}\n`);

/** One thing to time. `before` runs untimed ahead of every call (e.g. clearing a cache to force a miss). */
export type Task = { name: string; run: () => Promise<unknown>; before?: () => Promise<unknown> };

export type Measured = {
  name: string;
  calls: number;
  p50Ms: number;
  p95Ms: number;
  /** Node CPU (user + system) of this process per call, over the task's batches. */
  cpuUsPerCall: number;
  /** The task's p50 in each round, to pair with another task's in the same round. */
  roundP50Ms: number[];
};

/**
 * Every task `callsPerRound` times sequentially per round, tasks in a new shuffled order each round. Sequential
 * calls keep the CPU figure the task's own: nothing else of this process runs between its timestamps.
 */
export async function interleaved(
  tasks: readonly Task[],
  options: { rounds: number; callsPerRound: number; random: () => number; log?: (line: string) => void },
): Promise<Map<string, Measured>> {
  const samples = new Map(tasks.map((task) => [task.name, [] as number[]]));
  const cpu = new Map(tasks.map((task) => [task.name, 0]));
  const roundP50 = new Map(tasks.map((task) => [task.name, [] as number[]]));
  for (const task of tasks) await task.run(); // warm: prepared statements, JIT, caches
  for (let round = 0; round < options.rounds; round += 1) {
    for (const task of shuffle(tasks, options.random)) {
      const times: number[] = [];
      let cpuUs = 0;
      for (let call = 0; call < options.callsPerRound; call += 1) {
        if (task.before !== undefined) await task.before();
        const cpuStart = process.cpuUsage();
        const start = performance.now();
        await task.run();
        times.push(performance.now() - start);
        const used = process.cpuUsage(cpuStart);
        cpuUs += used.user + used.system;
      }
      samples.get(task.name)?.push(...times);
      cpu.set(task.name, (cpu.get(task.name) ?? 0) + cpuUs);
      roundP50.get(task.name)?.push(median(times));
    }
    if (options.log !== undefined && (round + 1) % Math.max(1, Math.floor(options.rounds / 4)) === 0) {
      options.log(`round ${round + 1}/${options.rounds}`);
    }
  }
  return new Map(
    tasks.map((task) => {
      const sorted = [...(samples.get(task.name) ?? [])].sort((a, b) => a - b);
      const measured: Measured = {
        name: task.name,
        calls: sorted.length,
        p50Ms: percentile(sorted, 50),
        p95Ms: percentile(sorted, 95),
        cpuUsPerCall: (cpu.get(task.name) ?? 0) / Math.max(1, sorted.length),
        roundP50Ms: roundP50.get(task.name) ?? [],
      };
      return [task.name, measured];
    }),
  );
}

/** The median over rounds of subject/baseline p50 in the same round: drift between rounds cancels. */
export function pairedP50Ratio(subject: Measured, baseline: Measured): number {
  return median(subject.roundP50Ms.map((value, round) => value / (baseline.roundP50Ms[round] ?? Number.NaN)));
}

/** Calls with `inFlight` of them outstanding at once, as calls per second. */
export async function throughput(run: () => Promise<unknown>, calls: number, inFlight: number): Promise<number> {
  let remaining = calls;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(inFlight, calls) }, async () => {
      while (remaining > 0) {
        remaining -= 1;
        await run();
      }
    }),
  );
  return calls / ((performance.now() - start) / 1000);
}

export type Subject = { label: string; userId: string; alerts: number };
export type Subjects = { typical: Subject; heavy: Subject };

/** The median user by alert count, and the heaviest one (by the seed's counters). */
export async function pickSubjects(url: string): Promise<Subjects> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ typical: string; typical_alerts: number; heavy: string; heavy_alerts: number }>(`
      WITH ranked AS (SELECT user_id, total_alerts, row_number() OVER (ORDER BY total_alerts, user_id) AS r, count(*) OVER () AS n
                      FROM user_counters)
      SELECT (SELECT user_id FROM ranked WHERE r = greatest(n / 2, 1)) AS typical,
             (SELECT total_alerts FROM ranked WHERE r = greatest(n / 2, 1))::int AS typical_alerts,
             (SELECT user_id FROM ranked ORDER BY total_alerts DESC, user_id LIMIT 1) AS heavy,
             (SELECT max(total_alerts) FROM ranked)::int AS heavy_alerts`);
    const row = rows[0];
    if (row === undefined || row.typical === null || row.heavy === null) throw new Error('the database holds no users');
    return {
      typical: { label: `typical user (${row.typical_alerts} alerts)`, userId: row.typical, alerts: row.typical_alerts },
      heavy: { label: `heaviest user (${row.heavy_alerts} alerts)`, userId: row.heavy, alerts: row.heavy_alerts },
    };
  } finally {
    await client.end();
  }
}
