import { register, type Registry } from 'prom-client';
import { systemClock, type Clock } from './clock.js';
import type { BackoffOptions } from './backoff.js';
import { UsageEmitter } from './emitter.js';
import { meteringMetrics } from './outbox/metrics.js';
import { Outbox } from './outbox/outbox.js';
import type { EffectivePriceList } from './rating/price-lists.js';
import { MonthToDateTotals } from './rating/running-totals.js';
import { SinkDelivery } from './sinks/delivery.js';
import { FileSink } from './sinks/file.js';
import { HttpSink } from './sinks/http.js';
import { NatsSink } from './sinks/nats.js';
import type { Sink } from './sinks/sink.js';

export type SinkConfig =
  | { kind: 'file'; name?: string; path: string }
  | { kind: 'http'; name?: string; url: string; batch?: boolean; timeoutMs?: number; headers?: Record<string, string> }
  | {
      kind: 'nats';
      name?: string;
      servers: string | string[];
      stream?: string;
      subjectPrefix?: string;
      duplicateWindowMs?: number;
      timeoutMs?: number;
    };

export interface MeteringPipelineOptions {
  /** The outbox directory. */
  directory: string;
  /** CloudEvents `source` of every event, e.g. `/statsmoln/<installation>`. */
  source: string;
  sinks: readonly SinkConfig[];
  clock?: Clock;
  backoff?: BackoffOptions;
  batchSize?: number;
  /** When given, month-to-date amounts are published too. */
  priceLists?: readonly EffectivePriceList[];
  registry?: Registry;
}

/**
 * The whole metering path after the collectors: one outbox, one delivery loop per sink, the
 * emitter collectors call, and the month-to-date gauges.
 */
export class MeteringPipeline {
  private constructor(
    readonly outbox: Outbox,
    readonly emitter: UsageEmitter,
    readonly totals: MonthToDateTotals,
    readonly deliveries: readonly SinkDelivery[],
    private readonly sinks: readonly Sink[],
  ) {}

  static async open(options: MeteringPipelineOptions): Promise<MeteringPipeline> {
    const registry = options.registry ?? register;
    const metrics = meteringMetrics(registry);
    const clock = options.clock ?? systemClock;
    const sinks: Sink[] = [];
    try {
      for (const config of options.sinks) sinks.push(await openSink(config, metrics));
      const names = sinks.map((sink) => sink.name);
      const duplicate = names.find((name, index) => names.indexOf(name) !== index);
      if (duplicate) throw new RangeError(`two sinks are named ${duplicate}; give them distinct names`);
      const outbox = await Outbox.open({ directory: options.directory, sinks: names, clock, metrics });
      const totals = new MonthToDateTotals({ source: options.source, clock, registry, ...(options.priceLists ? { priceLists: options.priceLists } : {}) });
      const emitter = new UsageEmitter({ outbox, source: options.source, metrics, totals });
      const deliveries = sinks.map(
        (sink, index) =>
          new SinkDelivery({
            outbox,
            sink,
            clock,
            metrics,
            batchSize: options.batchSize,
            backoff: { ...options.backoff, seed: (options.backoff?.seed ?? 1) + index },
          }),
      );
      return new MeteringPipeline(outbox, emitter, totals, deliveries, sinks);
    } catch (error) {
      await Promise.allSettled(sinks.map((sink) => sink.close()));
      throw error;
    }
  }

  start(): void {
    for (const delivery of this.deliveries) delivery.start();
  }

  /** Stops delivery (events not yet delivered stay in the outbox) and closes everything. */
  async stop(): Promise<void> {
    await Promise.all(this.deliveries.map((delivery) => delivery.stop()));
    await Promise.allSettled(this.sinks.map((sink) => sink.close()));
    await this.outbox.close();
  }
}

async function openSink(config: SinkConfig, metrics: ReturnType<typeof meteringMetrics>): Promise<Sink> {
  switch (config.kind) {
    case 'file':
      return FileSink.open({ path: config.path, ...(config.name ? { name: config.name } : {}) });
    case 'http':
      return new HttpSink({ ...config, metrics });
    case 'nats':
      return new NatsSink({ ...config, metrics });
  }
}
