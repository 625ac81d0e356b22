import { connect, headers as natsHeaders, nanos, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, StorageType, type JetStreamClient } from '@nats-io/jetstream';
import { readEnvelope, STRUCTURED_CONTENT_TYPE, USAGE_EVENT_TYPE, LIFECYCLE_EVENT_TYPE } from '../events.js';
import type { OutboxEntry } from '../outbox/frame.js';
import { meteringMetrics, type MeteringMetrics } from '../outbox/metrics.js';
import { SinkDeliveryError, type Sink } from './sink.js';

export interface NatsSinkOptions {
  name?: string;
  servers: string | string[];
  /** Stream holding the events; created when missing. */
  stream?: string;
  /** Subjects are `<prefix>.usage.<tenant>` and `<prefix>.lifecycle.<tenant>`. */
  subjectPrefix?: string;
  /** JetStream drops a message whose id it saw within this window. */
  duplicateWindowMs?: number;
  /** Per publish acknowledgement. */
  timeoutMs?: number;
  connectTimeoutMs?: number;
  metrics?: MeteringMetrics;
}

const SUBJECT_TOKEN = /^[A-Za-z0-9_-]+$/;

/**
 * The CloudEvents NATS binding (structured mode: the payload is the event JSON, `content-type`
 * header) on JetStream. `Nats-Msg-Id` is the event id, so a retried publish within the stream's
 * duplicate window is stored once. Every publish acknowledgement is awaited before the batch counts.
 */
export class NatsSink implements Sink {
  readonly name: string;
  private readonly stream: string;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly metrics: MeteringMetrics;
  private connection: NatsConnection | undefined;
  private client: JetStreamClient | undefined;
  private streamReady = false;

  constructor(private readonly options: NatsSinkOptions) {
    this.name = options.name ?? 'nats';
    this.stream = options.stream ?? 'STATSMOLN_EVENTS';
    this.prefix = options.subjectPrefix ?? 'statsmoln';
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.metrics = options.metrics ?? meteringMetrics();
  }

  subjectFor(type: string, tenant: string | undefined): string {
    const kind = type === USAGE_EVENT_TYPE ? 'usage' : type === LIFECYCLE_EVENT_TYPE ? 'lifecycle' : undefined;
    if (!kind) throw new SinkDeliveryError(`NATS sink ${this.name}: no subject for event type ${type}`, 'invalid_event');
    if (!tenant || !SUBJECT_TOKEN.test(tenant)) throw new SinkDeliveryError(`NATS sink ${this.name}: subject (tenant) is not a NATS token`, 'invalid_event');
    return `${this.prefix}.${kind}.${tenant}`;
  }

  private async ensureConnected(): Promise<JetStreamClient> {
    if (this.connection && !this.connection.isClosed() && this.client && this.streamReady) return this.client;
    try {
      if (!this.connection || this.connection.isClosed()) {
        this.connection = await connect({
          servers: this.options.servers,
          timeout: this.options.connectTimeoutMs ?? 5_000,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 250,
          name: `statsmoln-${this.name}`,
        });
        this.client = undefined;
        this.streamReady = false;
      }
      if (!this.streamReady) {
        const manager = await jetstreamManager(this.connection, { timeout: this.timeoutMs });
        try {
          await manager.streams.info(this.stream);
        } catch (error) {
          if ((error as Error).name !== 'StreamNotFoundError' && !/stream not found/i.test((error as Error).message)) throw error;
          await manager.streams.add({
            name: this.stream,
            subjects: [`${this.prefix}.usage.>`, `${this.prefix}.lifecycle.>`],
            storage: StorageType.File,
            duplicate_window: nanos(this.options.duplicateWindowMs ?? 2 * 60 * 60 * 1000),
          });
        }
        this.streamReady = true;
      }
      this.client ??= jetstream(this.connection, { timeout: this.timeoutMs });
      return this.client;
    } catch (error) {
      throw new SinkDeliveryError(`NATS sink ${this.name}: cannot reach JetStream: ${(error as Error).message}`, 'connect', undefined, {
        cause: error,
      });
    }
  }

  async deliver(entries: readonly OutboxEntry[]): Promise<void> {
    const client = await this.ensureConnected();
    const started = performance.now();
    let outcome = 'error';
    try {
      const acks = entries.map((entry) => {
        const envelope = readEnvelope(entry.payload);
        const messageHeaders = natsHeaders();
        messageHeaders.set('content-type', STRUCTURED_CONTENT_TYPE);
        return client.publish(this.subjectFor(envelope.type, envelope.subject), entry.payload, {
          msgID: envelope.id,
          headers: messageHeaders,
          timeout: this.timeoutMs,
        });
      });
      const results = await Promise.allSettled(acks);
      const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) {
        const reason = failed.reason as Error;
        if (reason instanceof SinkDeliveryError) throw reason;
        throw new SinkDeliveryError(`NATS sink ${this.name}: publish not acknowledged: ${reason.message}`, 'publish', undefined, { cause: reason });
      }
      outcome = 'ok';
    } finally {
      this.metrics.sinkRequestDuration.observe({ sink: this.name, outcome }, (performance.now() - started) / 1000);
    }
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    this.client = undefined;
    if (connection && !connection.isClosed()) await connection.drain();
  }
}
