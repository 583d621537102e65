// Capacity stepping for the load test: which arrival rates to try, when to stop, and what the steps say.
// Capacity is the highest offered rate at which HTTP p95 stayed under the bound with no errors: one rate at the
// edge of saturation says nothing about headroom, the step where it breaks does. A failed step is run once more
// before it ends the series: a stall of half a second (a GC, a checkpoint) fails a 5 s step at any rate, and on a
// quiet machine it ended one series at 1000/s whose rerun passed up to 2500/s. Both runs are printed, and the
// capacity line names every rate that passed only on its rerun.
import { formatSteal } from './proc-stat.js';

// Steps of 125/s up to 1000/s, where a 2-core machine's single API process tops out, then wider toward the goal.
export const DEFAULT_CAPACITY_RATES = [250, 375, 500, 625, 750, 875, 1000, 1250, 1500, 2000, 2500, 3000, 4000];
export const CAPACITY_P95_MS = 200;
export const CAPACITY_GOAL_PER_S = 2000;

export type CapacityStep = {
  endpoint: string;
  workers: number;
  rate: number;
  achievedRate: number;
  p95Ms: number;
  errors: number;
  requests: number;
  apiCpuUsPerRequest: number;
  dbCpuUsPerRequest: number;
  stealPercent: number | null;
  othersPercent: number | null;
  generatorCpuPercent: number;
};

export const stepPassed = (step: CapacityStep): boolean => step.p95Ms < CAPACITY_P95_MS && step.errors === 0;

/** Runs of one rate before its failure counts: the first, and one rerun. */
export const RUNS_PER_FAILED_STEP = 2;

/** What to do after a step: go on to the next rate, run this rate again, or end the series. */
export function afterStep(runsOfThisRate: readonly CapacityStep[]): 'next' | 'rerun' | 'stop' {
  const last = runsOfThisRate.at(-1);
  if (last === undefined || stepPassed(last)) return 'next';
  return runsOfThisRate.length < RUNS_PER_FAILED_STEP ? 'rerun' : 'stop';
}

/** Rates are tried in increasing order; a rate that fails twice ends the series (higher ones only queue more). */
export function parseRates(text: string | undefined): number[] {
  if (text === undefined) return DEFAULT_CAPACITY_RATES;
  const rates = text.split(',').map((part) => Number(part.trim()));
  if (rates.length === 0 || rates.some((rate) => !Number.isFinite(rate) || rate <= 0 || rate > 5000)) {
    throw new Error(`--rates ${text}: expected comma-separated rates in 1..5000 per second`);
  }
  return [...rates].sort((a, b) => a - b);
}

export type Capacity = {
  endpoint: string;
  workers: number;
  rate: number | null;
  lastTried: number;
  ceilingNotReached: boolean;
  /** Rates whose first run failed and whose rerun passed, with the failed run's p95. */
  passedOnRerun: { rate: number; firstP95Ms: number }[];
};

/** One capacity per endpoint×workers series, in the order the series ran; a rate's verdict is its last run's. */
export function capacities(steps: CapacityStep[]): Capacity[] {
  const series = new Map<string, CapacityStep[]>();
  for (const step of steps) {
    const key = `${step.endpoint}\u0000${step.workers}`;
    series.set(key, [...(series.get(key) ?? []), step]);
  }
  return [...series.values()].map((run) => {
    const first = run[0];
    if (first === undefined) throw new Error('empty capacity series');
    const runsByRate = new Map<number, CapacityStep[]>();
    for (const step of run) runsByRate.set(step.rate, [...(runsByRate.get(step.rate) ?? []), step]);
    const verdicts = [...runsByRate.entries()].map(([rate, runs]) => ({ rate, runs, passed: stepPassed(runs.at(-1) ?? first) }));
    const passed = verdicts.filter((verdict) => verdict.passed).map((verdict) => verdict.rate);
    return {
      endpoint: first.endpoint,
      workers: first.workers,
      rate: passed.length === 0 ? null : Math.max(...passed),
      lastTried: Math.max(...run.map((step) => step.rate)),
      ceilingNotReached: verdicts.every((verdict) => verdict.passed),
      passedOnRerun: verdicts
        .filter((verdict) => verdict.passed && verdict.runs.length > 1)
        .map((verdict) => ({ rate: verdict.rate, firstP95Ms: verdict.runs[0]?.p95Ms ?? Number.NaN })),
    };
  });
}

export function capacityReport(steps: CapacityStep[], cores: number): string[] {
  const fixed = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
  const lines = [
    `| endpoint | workers | rate (/s) | achieved (/s) | HTTP p95 (ms) | errors | API CPU µs/request | DB CPU µs/request | steal % | other processes, CPU % | generator CPU % of ${cores} cores |`,
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...steps.map(
      (step) =>
        `| ${step.endpoint} | ${step.workers} | ${step.rate} | ${fixed(step.achievedRate)} | ${fixed(step.p95Ms, 1)}${stepPassed(step) ? '' : ' ✗'} | ${step.errors} | ${fixed(step.apiCpuUsPerRequest)} | ${fixed(step.dbCpuUsPerRequest)} | ${formatSteal(step.stealPercent)} | ${step.othersPercent === null ? 'n/a' : fixed(step.othersPercent)} | ${fixed(step.generatorCpuPercent)} |`,
    ),
    '',
  ];
  for (const capacity of capacities(steps)) {
    const found =
      capacity.rate === null
        ? `none (the lowest step, ${Math.min(...steps.filter((s) => s.endpoint === capacity.endpoint && s.workers === capacity.workers).map((s) => s.rate))}/s, failed)`
        : capacity.ceilingNotReached
          ? `≥ ${capacity.rate}/s (every step passed; the highest tried)`
          : `${capacity.rate}/s`;
    const verdict = capacity.rate !== null && capacity.rate >= CAPACITY_GOAL_PER_S ? 'met' : 'missed';
    const reruns =
      capacity.passedOnRerun.length === 0
        ? ''
        : `; passed only on a rerun: ${capacity.passedOnRerun.map((rerun) => `${rerun.rate}/s (first run p95 ${fixed(rerun.firstP95Ms, 1)} ms)`).join(', ')}`;
    lines.push(
      `capacity: ${capacity.endpoint}, ${capacity.workers} worker(s), cache bypassed: ${found} at HTTP p95 < ${CAPACITY_P95_MS} ms with 0 errors; goal ≥ ${CAPACITY_GOAL_PER_S}/s: ${verdict}${reruns}`,
    );
  }
  return lines;
}
