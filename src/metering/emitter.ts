import { assertValidSource, lifecycleEvent, toStructuredJson, usageEventJson, type LifecycleRecord } from './events.js';
import type { Outbox } from './outbox/outbox.js';
import { meteringMetrics, type MeteringMetrics } from './outbox/metrics.js';
import type { UsageRecord } from './record.js';

export interface UsageEmitterOptions {
  outbox: Outbox;
  /** CloudEvents `source`, e.g. `/statsmoln/<installation>`. */
  source: string;
  metrics?: MeteringMetrics;
  /** Month-to-date gauges to update once the events are durable. */
  totals?: { observe(record: UsageRecord): void };
}

/**
 * The one entry point for collectors: records become CloudEvents and are appended to the outbox.
 * When `emit` resolves the events are on disk; a collector advances its watermark only after that.
 */
export class UsageEmitter {
  private readonly metrics: MeteringMetrics;

  constructor(private readonly options: UsageEmitterOptions) {
    assertValidSource(options.source);
    this.metrics = options.metrics ?? meteringMetrics();
  }

  async emit(records: readonly UsageRecord[]): Promise<number> {
    const payloads = records.map((record) => usageEventJson(record, this.options));
    const lastSeq = await this.options.outbox.append(payloads);
    const perMeter = new Map<string, number>();
    for (const record of records) perMeter.set(record.meter, (perMeter.get(record.meter) ?? 0) + 1);
    for (const [meter, count] of perMeter) this.metrics.appendedEvents.inc({ meter }, count);
    if (this.options.totals) for (const record of records) this.options.totals.observe(record);
    return lastSeq;
  }

  async emitLifecycle(records: readonly LifecycleRecord[]): Promise<number> {
    return this.options.outbox.append(records.map((record) => toStructuredJson(lifecycleEvent(record, this.options))));
  }
}
