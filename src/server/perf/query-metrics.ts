// Per-query figures from the runtime's own instruments, read through the SDK reader that also serves /metrics:
// the duration histogram (db.client.operation.duration by db.query.summary, every outcome and pool summed) and
// the cache counters (by db.query.name). Nothing is measured twice.
import { DataPointType, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { Buckets } from './quantile.js';

export type QueryMetrics = {
  calls: number;
  errors: number;
  /** Duration buckets in milliseconds. */
  buckets: Buckets;
  cacheHits: number;
  cacheMisses: number;
};

const DURATION = 'db.client.operation.duration';
const CACHE_HITS = 'sqlbound.cache.hits';
const CACHE_MISSES = 'sqlbound.cache.misses';

function entry(byName: Map<string, QueryMetrics>, name: string): QueryMetrics {
  let found = byName.get(name);
  if (found === undefined) {
    found = { calls: 0, errors: 0, buckets: { boundaries: [], counts: [] }, cacheHits: 0, cacheMisses: 0 };
    byName.set(name, found);
  }
  return found;
}

export function readQueryMetrics(resourceMetrics: ResourceMetrics): Map<string, QueryMetrics> {
  const byName = new Map<string, QueryMetrics>();
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      const name = metric.descriptor.name;
      if (name === DURATION && metric.dataPointType === DataPointType.HISTOGRAM) {
        for (const point of metric.dataPoints) {
          const query = point.attributes['db.query.summary'];
          if (typeof query !== 'string') continue;
          const target = entry(byName, query);
          const count = point.value.count;
          target.calls += count;
          if (point.attributes.outcome === 'error') target.errors += count;
          const counts = point.value.buckets.counts;
          target.buckets = {
            boundaries: point.value.buckets.boundaries.map((seconds) => seconds * 1000),
            counts: counts.map((c, k) => c + (target.buckets.counts[k] ?? 0)),
          };
        }
      } else if ((name === CACHE_HITS || name === CACHE_MISSES) && metric.dataPointType === DataPointType.SUM) {
        for (const point of metric.dataPoints) {
          const query = point.attributes['db.query.name'];
          if (typeof query !== 'string') continue;
          const target = entry(byName, query);
          if (name === CACHE_HITS) target.cacheHits += point.value;
          else target.cacheMisses += point.value;
        }
      }
    }
  }
  return byName;
}
