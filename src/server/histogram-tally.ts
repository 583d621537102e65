// One series of an OpenTelemetry histogram counted in plain numbers and added to the SDK's own series at collection.
// The SDK hashes a record's attributes on every call (sorted keys, JSON.stringify): about 4 % of the API's CPU per
// cached answer under load. A caller that always records the same attributes (the front door's answers) counts here
// instead, and /metrics shows one series, as if every observation had gone through the SDK.
import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  type DataPoint,
  type Histogram,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';

/** The histogram the SDK also records (its instrument's name, unit, description and bucket boundaries), one series of it. */
export type HistogramSeries = {
  /** The name of the meter whose instrument records the other series. */
  meter: string;
  name: string;
  unit: string;
  description: string;
  boundaries: readonly number[];
  attributes: Attributes;
};

export type HistogramTally = {
  record(value: number): void;
  /** Adds the observations so far to the collection's point of this series (cumulative, as the SDK's are). */
  addTo(collection: ResourceMetrics): void;
};

const hrTime = (ms: number): HrTime => [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];

function sameAttributes(a: Attributes, b: Attributes): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

const sameBoundaries = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((bound, i) => bound === b[i]);

export function createHistogramTally(series: HistogramSeries): HistogramTally {
  const { boundaries } = series;
  // counts[i]: observations <= boundaries[i] and above the bound before it; the last, those above every bound.
  const counts = new Array<number>(boundaries.length + 1).fill(0);
  let count = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  const startTime = hrTime(Date.now());
  const point = (endTime: HrTime): DataPoint<Histogram> => ({
    attributes: series.attributes,
    startTime,
    endTime,
    value: { buckets: { boundaries: [...boundaries], counts: [...counts] }, count, sum, min, max },
  });
  // The SDK's point, with ours added: a new object, since the SDK's shares its bucket arrays with its own state.
  const merged = (theirs: DataPoint<Histogram>): DataPoint<Histogram> => ({
    ...theirs,
    value: {
      buckets: { boundaries: theirs.value.buckets.boundaries, counts: theirs.value.buckets.counts.map((n, i) => n + (counts[i] ?? 0)) },
      count: theirs.value.count + count,
      sum: (theirs.value.sum ?? 0) + sum,
      min: Math.min(theirs.value.min ?? min, min),
      max: Math.max(theirs.value.max ?? max, max),
    },
  });
  return {
    record(value) {
      let bucket = 0;
      while (bucket < boundaries.length && (boundaries[bucket] ?? 0) < value) bucket += 1;
      counts[bucket] = (counts[bucket] ?? 0) + 1;
      count += 1;
      sum += value;
      if (value < min) min = value;
      if (value > max) max = value;
    },
    addTo(collection) {
      if (count === 0) return;
      let scope = collection.scopeMetrics.find((candidate) => candidate.scope.name === series.meter);
      if (scope === undefined) {
        scope = { scope: { name: series.meter }, metrics: [] };
        collection.scopeMetrics.push(scope);
      }
      const metric = scope.metrics.find((candidate) => candidate.descriptor.name === series.name);
      if (metric === undefined) {
        const created: MetricData = {
          descriptor: { name: series.name, unit: series.unit, description: series.description, valueType: ValueType.DOUBLE },
          // As a pull exporter's (Prometheus) are.
          aggregationTemporality: AggregationTemporality.CUMULATIVE,
          dataPointType: DataPointType.HISTOGRAM,
          dataPoints: [point(hrTime(Date.now()))],
        };
        scope.metrics.push(created);
        return;
      }
      if (metric.dataPointType !== DataPointType.HISTOGRAM) throw new Error(`${series.name} is not a histogram`);
      const at = metric.dataPoints.findIndex((candidate) => sameAttributes(candidate.attributes, series.attributes));
      const theirs = at === -1 ? undefined : metric.dataPoints[at];
      if (theirs === undefined) {
        metric.dataPoints.push(point(metric.dataPoints[0]?.endTime ?? hrTime(Date.now())));
        return;
      }
      if (!sameBoundaries(theirs.value.buckets.boundaries, boundaries))
        throw new Error(`${series.name}: the tally's buckets differ from the SDK's`);
      metric.dataPoints[at] = merged(theirs);
    },
  };
}
