// OpenTelemetry instruments, through @opentelemetry/api only: the application picks the SDK (or none: no-ops).
// Names follow the stable database client semantic conventions where one exists.
import type { Attributes, BatchObservableCallback, Meter } from '@opentelemetry/api';
import type { PoolStats } from './options.js';

/** Seconds. The OTel default buckets lack 0.2 s, which a p95 < 200 ms objective needs. */
const DURATION_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10];
const ROW_BUCKETS = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 10_000];

type Outcome = 'ok' | 'error';

type CallMeasurement = {
  queryName: string;
  durationSeconds: number;
  waitSeconds: number | null;
  rows: number;
  errorType: string | undefined;
};

export type Metrics = {
  recordCall(measurement: CallMeasurement): void;
  recordSlow(queryName: string, level: 'warn' | 'error'): void;
  /** A slow call whose log line was held back by the slow-line rate limit (counted in recordSlow as well). */
  recordSlowUnlogged(queryName: string, level: 'warn' | 'error'): void;
  close(): void;
};

export function createMetrics(meter: Meter, poolName: string, stats: () => PoolStats): Metrics {
  const base = { 'db.system.name': 'postgresql', 'db.client.connection.pool.name': poolName };
  const duration = meter.createHistogram('db.client.operation.duration', {
    description: 'Duration of database client operations (pool wait plus execution), by query name and outcome.',
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
  const waitTime = meter.createHistogram('db.client.connection.wait_time', {
    description: 'Time it took to obtain a connection from the pool.',
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
  const returnedRows = meter.createHistogram('db.client.response.returned_rows', {
    description: 'Rows returned (or affected) by an operation.',
    unit: '{row}',
    advice: { explicitBucketBoundaries: ROW_BUCKETS },
  });
  const slowQueries = meter.createCounter('sqlbound.slow_queries', {
    description: 'Statements at or above the slow-query warn (level=warn) or error (level=error) threshold.',
    unit: '{query}',
  });
  const unloggedSlowQueries = meter.createCounter('sqlbound.slow_queries.unlogged', {
    description:
      'Slow statements whose log line was held back: one line per query and level per slowQueryLogIntervalMs, the rest counted here.',
    unit: '{query}',
  });
  const connectionCount = meter.createObservableUpDownCounter('db.client.connection.count', {
    description: 'Connections in the pool, by state.',
    unit: '{connection}',
  });
  const pendingRequests = meter.createObservableUpDownCounter('db.client.connection.pending_requests', {
    description: 'Callers waiting for a pooled connection.',
    unit: '{request}',
  });
  const maxConnections = meter.createObservableUpDownCounter('db.client.connection.max', {
    description: 'The maximum number of connections the pool allows.',
    unit: '{connection}',
  });
  const idleAttributes = { ...base, 'db.client.connection.state': 'idle' };
  const usedAttributes = { ...base, 'db.client.connection.state': 'used' };
  const observe: BatchObservableCallback = (result) => {
    const current = stats();
    result.observe(connectionCount, current.idle, idleAttributes);
    result.observe(connectionCount, current.total - current.idle, usedAttributes);
    result.observe(pendingRequests, current.waiting, base);
    result.observe(maxConnections, current.max, base);
  };
  meter.addBatchObservableCallback(observe, [connectionCount, pendingRequests, maxConnections]);

  // Attribute objects are cached per query name and outcome: no allocation per call on the hot path.
  const attributeCache = new Map<string, Attributes>();
  const attributesFor = (queryName: string, errorType: string | undefined): Attributes => {
    const key = errorType === undefined ? queryName : `${queryName}\u0000${errorType}`;
    let attributes = attributeCache.get(key);
    if (attributes === undefined) {
      if (attributeCache.size > 10_000) attributeCache.clear();
      attributes =
        errorType === undefined
          ? { ...base, 'db.query.summary': queryName, outcome: 'ok' satisfies Outcome }
          : { ...base, 'db.query.summary': queryName, outcome: 'error' satisfies Outcome, 'error.type': errorType };
      attributeCache.set(key, attributes);
    }
    return attributes;
  };

  // Cached too: in a burst every queued call is slow, and each is counted.
  const slowAttributeCache = new Map<string, Attributes>();
  const slowAttributesFor = (queryName: string, level: 'warn' | 'error'): Attributes => {
    const key = `${queryName}\u0000${level}`;
    let attributes = slowAttributeCache.get(key);
    if (attributes === undefined) {
      if (slowAttributeCache.size > 10_000) slowAttributeCache.clear();
      attributes = { ...base, 'db.query.summary': queryName, level };
      slowAttributeCache.set(key, attributes);
    }
    return attributes;
  };

  return {
    recordCall({ queryName, durationSeconds, waitSeconds, rows, errorType }) {
      const attributes = attributesFor(queryName, errorType);
      duration.record(durationSeconds, attributes);
      if (waitSeconds !== null) waitTime.record(waitSeconds, base);
      if (errorType === undefined) returnedRows.record(rows, attributes);
    },
    recordSlow(queryName, level) {
      slowQueries.add(1, slowAttributesFor(queryName, level));
    },
    recordSlowUnlogged(queryName, level) {
      unloggedSlowQueries.add(1, slowAttributesFor(queryName, level));
    },
    close() {
      meter.removeBatchObservableCallback(observe, [connectionCount, pendingRequests, maxConnections]);
    },
  };
}
