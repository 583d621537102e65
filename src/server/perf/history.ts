// The p95 of each query over the last minutes, for the page's sparklines: cumulative bucket readings taken every
// interval, and the p95 of what each interval added. A fixed number of readings is kept, so memory is bounded by
// (queries × points × buckets) whatever the traffic.
import { bucketDelta, bucketQuantile, type Buckets } from './quantile.js';

export type History = {
  record(at: number, buckets: ReadonlyMap<string, Buckets>): void;
  /** p95 in ms of each interval, oldest first; null for an interval without calls. */
  p95Series(name: string): (number | null)[];
  readonly intervalMs: number;
};

export function createHistory(options: { intervalMs: number; points: number }): History {
  const readings: { at: number; buckets: ReadonlyMap<string, Buckets> }[] = [];
  return {
    intervalMs: options.intervalMs,
    record(at, buckets) {
      readings.push({ at, buckets });
      // points intervals need points + 1 readings.
      if (readings.length > options.points + 1) readings.shift();
    },
    p95Series(name) {
      const series: (number | null)[] = [];
      for (let k = 1; k < readings.length; k++) {
        const now = readings[k]?.buckets.get(name);
        series.push(now === undefined ? null : bucketQuantile(bucketDelta(now, readings[k - 1]?.buckets.get(name)), 0.95));
      }
      return series;
    },
  };
}
