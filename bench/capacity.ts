// Capacity stepping for the load test: which arrival rates to try, when to stop, and what the steps say.
// Capacity is the highest offered rate at which HTTP p95 stayed under the bound with no errors: one rate at the
// edge of saturation says nothing about headroom, the step where it breaks does.
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

/** Rates are tried in increasing order; the first failed step ends the series (higher ones only queue more). */
export function parseRates(text: string | undefined): number[] {
  if (text === undefined) return DEFAULT_CAPACITY_RATES;
  const rates = text.split(',').map((part) => Number(part.trim()));
  if (rates.length === 0 || rates.some((rate) => !Number.isFinite(rate) || rate <= 0 || rate > 5000)) {
    throw new Error(`--rates ${text}: expected comma-separated rates in 1..5000 per second`);
  }
  return [...rates].sort((a, b) => a - b);
}

export type Capacity = { endpoint: string; workers: number; rate: number | null; lastTried: number; ceilingNotReached: boolean };

/** One capacity per endpoint×workers series, in the order the series ran. */
export function capacities(steps: CapacityStep[]): Capacity[] {
  const series = new Map<string, CapacityStep[]>();
  for (const step of steps) {
    const key = `${step.endpoint}\u0000${step.workers}`;
    series.set(key, [...(series.get(key) ?? []), step]);
  }
  return [...series.values()].map((run) => {
    const first = run[0];
    if (first === undefined) throw new Error('empty capacity series');
    const passed = run.filter(stepPassed).map((step) => step.rate);
    const lastTried = Math.max(...run.map((step) => step.rate));
    return {
      endpoint: first.endpoint,
      workers: first.workers,
      rate: passed.length === 0 ? null : Math.max(...passed),
      lastTried,
      ceilingNotReached: run.every(stepPassed),
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
    lines.push(
      `capacity: ${capacity.endpoint}, ${capacity.workers} worker(s), cache bypassed: ${found} at HTTP p95 < ${CAPACITY_P95_MS} ms with 0 errors; goal ≥ ${CAPACITY_GOAL_PER_S}/s: ${verdict}`,
    );
  }
  return lines;
}
