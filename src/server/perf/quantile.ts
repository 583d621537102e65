// Quantiles from explicit-bucket histograms, the way Prometheus's histogram_quantile reads the same buckets:
// linear interpolation inside the bucket that holds the rank, the lowest bucket starting at 0, and the top
// (+Inf) bucket answered with its lower bound. The page and the alert rules therefore agree on a query's p95.

export type Buckets = { boundaries: readonly number[]; counts: readonly number[] };

/** q in 0..1; null when there is no observation. */
export function bucketQuantile(buckets: Buckets, q: number): number | null {
  const total = buckets.counts.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let k = 0; k < buckets.counts.length; k++) {
    const count = buckets.counts[k] ?? 0;
    if (seen + count >= rank && count > 0) {
      const upper = buckets.boundaries[k];
      const lower = k === 0 ? 0 : (buckets.boundaries[k - 1] ?? 0);
      if (upper === undefined) return lower;
      return lower + (upper - lower) * ((rank - seen) / count);
    }
    seen += count;
  }
  return buckets.boundaries[buckets.boundaries.length - 1] ?? null;
}

/** Bucket counts observed between two cumulative readings of one histogram. */
export function bucketDelta(now: Buckets, before: Buckets | undefined): Buckets {
  if (before === undefined || before.counts.length !== now.counts.length) return now;
  return { boundaries: now.boundaries, counts: now.counts.map((count, k) => Math.max(0, count - (before.counts[k] ?? 0))) };
}
