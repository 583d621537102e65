// Reading the API's Prometheus text for the load test: a query's duration histogram, and replica routing counts.

/** A query's duration histogram (cumulative buckets), summed over its label sets. */
export type Buckets = Map<number, number>;
export function queryBuckets(metrics: string, queryName: string): Buckets {
  const buckets: Buckets = new Map();
  for (const line of metrics.split('\n')) {
    const histogram =
      line.startsWith('db_client_operation_duration_bucket{') || line.startsWith('db_client_operation_duration_seconds_bucket{');
    if (!histogram || !line.includes(`db_query_summary="${queryName}"`) || !line.includes('outcome="ok"')) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    const count = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (le === undefined) continue;
    const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + count);
  }
  return buckets;
}
/** p-th percentile by linear interpolation inside the bucket, from the difference of two snapshots. */
export function bucketPercentile(before: Buckets, after: Buckets, p: number): { ms: number; count: number } {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((bound) => (after.get(bound) ?? 0) - (before.get(bound) ?? 0));
  const total = counts[counts.length - 1] ?? 0;
  if (total === 0) return { ms: Number.NaN, count: 0 };
  const rank = (p / 100) * total;
  let lower = 0;
  let lowerCount = 0;
  for (const [index, bound] of bounds.entries()) {
    const count = counts[index] ?? 0;
    if (count >= rank) {
      const upper = Number.isFinite(bound) ? bound : lower * 2;
      const share = count === lowerCount ? 0 : (rank - lowerCount) / (count - lowerCount);
      return { ms: (lower + (upper - lower) * share) * 1000, count: total };
    }
    lower = bound;
    lowerCount = count;
  }
  return { ms: Number.NaN, count: total };
}

/** Reads routed to a replica and to the primary, from sqlbound_replica_reads_total. */
export function replicaReads(metrics: string): { replica: number; primary: number } {
  const reads = { replica: 0, primary: 0 };
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('sqlbound_replica_reads_total{')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.includes('target="replica"')) reads.replica += value;
    else if (line.includes('target="primary"')) reads.primary += value;
  }
  return reads;
}
