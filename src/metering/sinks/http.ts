import { CloudEvent, HTTP } from 'cloudevents';
import type { OutboxEntry } from '../outbox/frame.js';
import { meteringMetrics, type MeteringMetrics } from '../outbox/metrics.js';
import { SinkDeliveryError, type Sink } from './sink.js';

export const BATCH_CONTENT_TYPE = 'application/cloudevents-batch+json';

export interface HttpSinkOptions {
  name?: string;
  url: string;
  /** Per request; a request that takes longer is aborted and counts as a failure. */
  timeoutMs?: number;
  /** Send a whole batch in one request (`application/cloudevents-batch+json`) instead of one per event. */
  batch?: boolean;
  /** Extra headers, e.g. authorization; their values are never logged or put in errors. */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  metrics?: MeteringMetrics;
}

const REQUEST_ID_HEADERS = ['x-request-id', 'x-openstack-request-id', 'x-amzn-requestid', 'request-id'];

/**
 * The CloudEvents HTTP binding, structured content mode (`application/cloudevents+json`), or the
 * batch format. An event is acknowledged only by a 2xx answer.
 */
export class HttpSink implements Sink {
  readonly name: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly metrics: MeteringMetrics;

  constructor(private readonly options: HttpSinkOptions) {
    this.name = options.name ?? 'http';
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchImpl = options.fetch ?? fetch;
    this.metrics = options.metrics ?? meteringMetrics();
    const url = new URL(options.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RangeError('HTTP sink URL must be http or https');
  }

  async deliver(entries: readonly OutboxEntry[]): Promise<void> {
    if (this.options.batch) {
      await this.post(`[${entries.map((entry) => entry.payload).join(',')}]`, { 'content-type': BATCH_CONTENT_TYPE });
      return;
    }
    for (const entry of entries) {
      const message = HTTP.structured(new CloudEvent(JSON.parse(entry.payload) as Record<string, unknown>, false));
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(message.headers)) if (typeof value === 'string') headers[key.toLowerCase()] = value;
      await this.post(String(message.body), headers);
    }
  }

  private async post(body: string, headers: Record<string, string>): Promise<void> {
    const started = performance.now();
    let outcome = 'error';
    try {
      let response: Response;
      try {
        response = await this.fetchImpl(this.options.url, {
          method: 'POST',
          headers: { ...this.options.headers, ...headers },
          body,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (error) {
        const timedOut = (error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError';
        outcome = timedOut ? 'timeout' : 'network';
        throw new SinkDeliveryError(
          timedOut ? `HTTP sink ${this.name}: no answer within ${this.timeoutMs} ms` : `HTTP sink ${this.name}: ${(error as Error).message}`,
          outcome,
          undefined,
          { cause: error },
        );
      }
      await response.arrayBuffer().catch(() => undefined);
      const requestId = REQUEST_ID_HEADERS.map((name) => response.headers.get(name)).find((value) => value !== null) ?? undefined;
      outcome = String(response.status);
      if (response.status < 200 || response.status > 299) {
        throw new SinkDeliveryError(
          `HTTP sink ${this.name}: ${response.status} ${response.statusText}${requestId ? ` (request id ${requestId})` : ''}`,
          `http_${response.status}`,
          requestId,
        );
      }
    } finally {
      this.metrics.sinkRequestDuration.observe({ sink: this.name, outcome }, (performance.now() - started) / 1000);
    }
  }

  async close(): Promise<void> {
    // Stateless: every request stands alone.
  }
}
