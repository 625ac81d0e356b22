import { systemClock, type Clock } from '../clock.js';
import { Backoff, type BackoffOptions } from '../backoff.js';
import type { OutboxEntry } from '../outbox/frame.js';
import type { Outbox } from '../outbox/outbox.js';
import { meteringMetrics, type MeteringMetrics } from '../outbox/metrics.js';
import { SinkDeliveryError, type Sink } from './sink.js';

export interface SinkDeliveryOptions {
  outbox: Outbox;
  sink: Sink;
  clock?: Clock;
  backoff?: BackoffOptions;
  /** Entries read and delivered at once. */
  batchSize?: number;
  metrics?: MeteringMetrics;
  /** Called with every failed attempt (for logging); never receives secrets from the sinks. */
  onFailure?: (error: Error, retryInMs: number) => void;
}

export type DeliveryStep =
  | { kind: 'idle' }
  | { kind: 'delivered'; count: number; lastSeq: number }
  | { kind: 'failed'; error: Error; retryInMs: number };

/**
 * Moves events from the outbox to one sink, at least once: read a batch after the sink's cursor,
 * deliver it, and only then move the cursor. A failed batch is retried as a whole after a capped,
 * jittered exponential backoff; nothing leaves the outbox until the sink has acknowledged it.
 */
export class SinkDelivery {
  private readonly clock: Clock;
  private readonly backoff: Backoff;
  private readonly batchSize: number;
  private readonly metrics: MeteringMetrics;
  private inFlight: OutboxEntry[] = [];
  private loop: Promise<void> | undefined;
  private abort: AbortController | undefined;

  constructor(private readonly options: SinkDeliveryOptions) {
    this.clock = options.clock ?? systemClock;
    this.backoff = new Backoff(options.backoff);
    this.batchSize = options.batchSize ?? 500;
    this.metrics = options.metrics ?? meteringMetrics();
    if (!options.outbox.sinks.includes(options.sink.name)) {
      throw new RangeError(`sink ${options.sink.name} is not one of the outbox's sinks (${options.outbox.sinks.join(', ')})`);
    }
  }

  get sinkName(): string {
    return this.options.sink.name;
  }

  /** One attempt: deliver the pending batch (or read the next one) and acknowledge it. */
  async step(): Promise<DeliveryStep> {
    const { outbox, sink } = this.options;
    let stage: 'read' | 'deliver' | 'ack' = 'read';
    try {
      if (this.inFlight.length === 0) {
        this.inFlight = await outbox.read(sink.name, outbox.cursor(sink.name), this.batchSize);
        if (this.inFlight.length === 0) return { kind: 'idle' };
      }
      const batch = this.inFlight;
      stage = 'deliver';
      await sink.deliver(batch);
      stage = 'ack';
      const lastSeq = batch.at(-1)!.seq;
      await outbox.ack(sink.name, lastSeq);
      this.inFlight = [];
      this.backoff.reset();
      this.metrics.deliveries.inc({ sink: sink.name });
      this.metrics.deliveredEvents.inc({ sink: sink.name }, batch.length);
      return { kind: 'delivered', count: batch.length, lastSeq };
    } catch (caught) {
      const error = caught instanceof Error ? caught : new Error(String(caught));
      // A failed acknowledgement leaves the batch in flight: it is delivered again (at least once).
      const reason = error instanceof SinkDeliveryError ? error.reason : stage === 'deliver' ? 'error' : `outbox_${stage}`;
      this.metrics.failures.inc({ sink: sink.name, reason });
      const retryInMs = this.backoff.next();
      this.options.onFailure?.(error, retryInMs);
      return { kind: 'failed', error, retryInMs };
    }
  }

  /** Runs until `stop`: delivers, sleeps on the clock after failures, waits for appends when idle. */
  start(): void {
    if (this.loop) return;
    const abort = new AbortController();
    this.abort = abort;
    this.loop = (async () => {
      while (!abort.signal.aborted) {
        const step = await this.step();
        if (abort.signal.aborted) break;
        if (step.kind === 'idle') {
          await this.options.outbox.waitForEntriesAfter(this.options.outbox.cursor(this.sinkName), abort.signal);
        } else if (step.kind === 'failed') {
          await this.clock.sleep(step.retryInMs, abort.signal).catch(() => undefined);
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.abort?.abort(new Error('delivery stopped'));
    const loop = this.loop;
    this.loop = undefined;
    await loop;
  }

  /** Delivers until the sink has everything appended so far (retrying on the clock); for batch jobs and tests. */
  async drain(): Promise<void> {
    for (;;) {
      const step = await this.step();
      if (step.kind === 'idle') return;
      if (step.kind === 'failed') await this.clock.sleep(step.retryInMs);
    }
  }
}
