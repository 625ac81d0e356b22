/**
 * Metering inside the operator: the pipeline (outbox and sink deliveries) opens with the operator
 * on every replica, so that a former leader still delivers what it collected; the collector's
 * sampling and collection loops run on the leader only, as a Manager leader runnable.
 */
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { MeteringCollector, type PartitionBackendSource } from '../metering/collectors/index.js';
import { MeteringPipeline, type SinkConfig } from '../metering/pipeline.js';
import type { KubeClient, Logger, Manager } from '../runtime/index.js';

export interface OperatorMeteringOptions {
  /** Durable state: `<directory>/outbox` (events not yet delivered) and `<directory>/samples` (sweeps). */
  directory: string;
  /** CloudEvents `source` of every event, e.g. `/statsmoln/<installation>`. */
  source: string;
  sinks: readonly SinkConfig[];
  /** Time between sweeps of sizes, stored bytes and floating IPs (default 60 s). */
  sampleIntervalMs?: number;
  /** Time between collection runs (default 5 min). */
  collectIntervalMs?: number;
  /** Read Neutron floating IPs (default true). */
  floatingIps?: boolean;
  /** Placements swept, and tenants collected, in parallel (default 16). */
  concurrency?: number;
}

export interface OperatorMetering {
  pipeline: MeteringPipeline;
  collector: MeteringCollector;
  /** Stops delivery and closes the outbox; events not yet delivered stay on disk. */
  close(): Promise<void>;
}

interface MeteringEnvironment {
  manager: Manager;
  client: KubeClient;
  backends: PartitionBackendSource;
  registry: Registry;
  logger: Logger;
}

export async function startOperatorMetering(options: OperatorMeteringOptions, env: MeteringEnvironment): Promise<OperatorMetering> {
  if (options.sinks.length === 0) throw new Error('metering needs at least one sink (file, http or nats)');
  const pipeline = await MeteringPipeline.open({ directory: join(options.directory, 'outbox'), source: options.source, sinks: options.sinks, registry: env.registry });
  const collector = new MeteringCollector({
    client: env.client,
    backends: env.backends,
    emitter: pipeline.emitter,
    sampleDirectory: join(options.directory, 'samples'),
    logger: env.logger.child({ component: 'metering' }),
    registry: env.registry,
    ...(options.sampleIntervalMs !== undefined ? { sampleIntervalMs: options.sampleIntervalMs } : {}),
    ...(options.collectIntervalMs !== undefined ? { collectIntervalMs: options.collectIntervalMs } : {}),
    ...(options.floatingIps !== undefined ? { floatingIps: options.floatingIps } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
  });
  env.manager.addLeaderRunnable('metering-collector', async (signal) => {
    collector.start(signal);
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await collector.stop();
  });
  pipeline.start();
  return { pipeline, collector, close: () => pipeline.stop() };
}
