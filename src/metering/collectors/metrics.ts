import { Counter, Gauge, Histogram, register, type Registry } from 'prom-client';

/** Collector metrics. Labels are bounded: a tenant, never a resource. */
export interface CollectorMetrics {
  windowsCollected: Counter<'tenant'>;
  watermarkLag: Gauge<'tenant'>;
  partialWindows: Counter<'tenant'>;
  failures: Counter<'tenant' | 'stage'>;
  sweeps: Counter<'outcome'>;
  runDuration: Histogram<'kind'>;
}

const cache = new WeakMap<Registry, CollectorMetrics>();

export function collectorMetrics(registry: Registry = register): CollectorMetrics {
  const cached = cache.get(registry);
  if (cached) return cached;
  const registers = [registry];
  const metrics: CollectorMetrics = {
    windowsCollected: new Counter({
      name: 'statsmoln_metering_windows_collected_total',
      help: 'Placement-hours whose usage events were appended to the outbox and watermarks advanced.',
      labelNames: ['tenant'],
      registers,
    }),
    watermarkLag: new Gauge({
      name: 'statsmoln_metering_watermark_lag_seconds',
      help: 'Time between now and the oldest watermark (collectedThrough) of the tenant.',
      labelNames: ['tenant'],
      registers,
    }),
    partialWindows: new Counter({
      name: 'statsmoln_metering_partial_windows_total',
      help: 'Placement-hours integrated from samples covering less than the whole hour.',
      labelNames: ['tenant'],
      registers,
    }),
    failures: new Counter({
      name: 'statsmoln_metering_collector_failures_total',
      help: 'Failed sweeps or collections of a tenant, by stage (sweep, collect, watermark).',
      labelNames: ['tenant', 'stage'],
      registers,
    }),
    sweeps: new Counter({ name: 'statsmoln_metering_sweeps_total', help: 'Placement sweeps by outcome.', labelNames: ['outcome'], registers }),
    runDuration: new Histogram({
      name: 'statsmoln_metering_run_duration_seconds',
      help: 'Duration of one sampling or collection run over every tenant.',
      labelNames: ['kind'],
      buckets: [0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
      registers,
    }),
  };
  cache.set(registry, metrics);
  return metrics;
}
