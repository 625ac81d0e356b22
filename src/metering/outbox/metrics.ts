import { Counter, Gauge, Histogram, register, type Registry } from 'prom-client';

/** Outbox and delivery metrics; labels are bounded (sink names from configuration, meter names). */
export interface MeteringMetrics {
  registry: Registry;
  outboxDepth: Gauge<'sink'>;
  oldestUndeliveredAge: Gauge<'sink'>;
  deliveries: Counter<'sink'>;
  deliveredEvents: Counter<'sink'>;
  failures: Counter<'sink' | 'reason'>;
  appendedEvents: Counter<'meter'>;
  outboxAppends: Counter;
  outboxDiscardedBytes: Counter;
  sinkRequestDuration: Histogram<'sink' | 'outcome'>;
}

/** Refreshers run at every scrape, so ages grow while nothing else happens (per registry). */
const refreshers = new WeakMap<Registry, Set<() => void>>();

function refresherSet(registry: Registry): Set<() => void> {
  let set = refreshers.get(registry);
  if (!set) {
    set = new Set();
    refreshers.set(registry, set);
  }
  return set;
}

/** Registers a function that updates gauges just before they are collected; returns its removal. */
export function refreshBeforeScrape(registry: Registry, refresh: () => void): () => void {
  const set = refresherSet(registry);
  set.add(refresh);
  return () => set.delete(refresh);
}

function getOrCreate<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/** The metering metrics in a registry (the default one unless given), created once. */
export function meteringMetrics(registry: Registry = register): MeteringMetrics {
  const registers = [registry];
  const refresh = (): void => {
    for (const update of refresherSet(registry)) update();
  };
  return {
    registry,
    outboxDepth: getOrCreate(registry, 'statsmoln_outbox_depth', () =>
      new Gauge({
        name: 'statsmoln_outbox_depth',
        help: 'Events in the outbox not yet delivered to the sink.',
        labelNames: ['sink'],
        registers,
        collect: refresh,
      }),
    ),
    oldestUndeliveredAge: getOrCreate(registry, 'statsmoln_outbox_oldest_undelivered_age_seconds', () =>
      new Gauge({
        name: 'statsmoln_outbox_oldest_undelivered_age_seconds',
        help: 'Age of the oldest event not yet delivered to the sink (0 when none).',
        labelNames: ['sink'],
        registers,
        collect: refresh,
      }),
    ),
    deliveries: getOrCreate(registry, 'statsmoln_sink_deliveries_total', () =>
      new Counter({ name: 'statsmoln_sink_deliveries_total', help: 'Batches the sink acknowledged.', labelNames: ['sink'], registers }),
    ),
    deliveredEvents: getOrCreate(registry, 'statsmoln_sink_delivered_events_total', () =>
      new Counter({ name: 'statsmoln_sink_delivered_events_total', help: 'Events the sink acknowledged.', labelNames: ['sink'], registers }),
    ),
    failures: getOrCreate(registry, 'statsmoln_sink_failures_total', () =>
      new Counter({
        name: 'statsmoln_sink_failures_total',
        help: 'Delivery attempts that failed and will be retried.',
        labelNames: ['sink', 'reason'],
        registers,
      }),
    ),
    appendedEvents: getOrCreate(registry, 'statsmoln_usage_events_appended_total', () =>
      new Counter({ name: 'statsmoln_usage_events_appended_total', help: 'Usage events durably appended to the outbox.', labelNames: ['meter'], registers }),
    ),
    outboxAppends: getOrCreate(registry, 'statsmoln_outbox_fsyncs_total', () =>
      new Counter({ name: 'statsmoln_outbox_fsyncs_total', help: 'Group commits (one fsync each) of the outbox.', registers }),
    ),
    outboxDiscardedBytes: getOrCreate(registry, 'statsmoln_outbox_recovery_discarded_bytes_total', () =>
      new Counter({
        name: 'statsmoln_outbox_recovery_discarded_bytes_total',
        help: 'Bytes of torn final writes discarded when the outbox recovered.',
        registers,
      }),
    ),
    sinkRequestDuration: getOrCreate(registry, 'statsmoln_sink_request_duration_seconds', () =>
      new Histogram({
        name: 'statsmoln_sink_request_duration_seconds',
        help: 'Duration of one request to a sink backend (HTTP POST, JetStream publish batch).',
        labelNames: ['sink', 'outcome'],
        buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30],
        registers,
      }),
    ),
  };
}
