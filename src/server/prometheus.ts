// For the example server only (a library never picks the SDK): an OpenTelemetry SDK MeterProvider whose metrics
// are read on demand as Prometheus text, for a `/metrics` route. Pass `meterProvider` to createDb, or register it
// globally with metrics.setGlobalMeterProvider().
import type { MeterProvider as MeterProviderApi } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { createHistogramTally, type HistogramSeries, type HistogramTally } from './histogram-tally.js';

export type PrometheusMetrics = {
  meterProvider: MeterProviderApi;
  /** The current metrics in Prometheus text exposition format (content type `text/plain; version=0.0.4`). */
  metricsText(): Promise<string>;
  /** The same metrics as data (the performance page reads the histograms from it). */
  collect(): Promise<ResourceMetrics>;
  /**
   * A recorder for one series of a histogram the SDK also records, counted in plain numbers (no attribute hashing
   * per observation) and added to the SDK's series at every collection (histogram-tally.ts).
   */
  tallyHistogram(series: HistogramSeries): (value: number) => void;
  shutdown(): Promise<void>;
};

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** `serviceName` becomes the resource's service.name (target_info); without it the SDK says unknown_service:node. */
export function createPrometheusMetrics(serviceName = 'sqlbound-api'): PrometheusMetrics {
  // preventServerStart: the exporter's own HTTP server is not started; the app serves the text on its own route.
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const resource = defaultResource().merge(resourceFromAttributes({ 'service.name': serviceName }));
  const provider = new MeterProvider({ readers: [exporter], resource });
  const serializer = new PrometheusSerializer();
  const tallies: HistogramTally[] = [];
  const collect = async () => {
    const { resourceMetrics, errors } = await exporter.collect();
    if (errors.length > 0) throw new AggregateError(errors, 'collecting metrics failed');
    for (const tally of tallies) tally.addTo(resourceMetrics);
    return resourceMetrics;
  };
  return {
    meterProvider: provider,
    async metricsText() {
      return serializer.serialize(await collect());
    },
    collect,
    tallyHistogram(series) {
      const tally = createHistogramTally(series);
      tallies.push(tally);
      return (value) => tally.record(value);
    },
    shutdown: () => provider.shutdown(),
  };
}
