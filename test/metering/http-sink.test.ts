import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManualClock } from '../../src/metering/clock.js';
import { usageEventId } from '../../src/metering/events.js';
import { UsageEmitter } from '../../src/metering/emitter.js';
import { Outbox } from '../../src/metering/outbox/outbox.js';
import { SinkDelivery } from '../../src/metering/sinks/delivery.js';
import { BATCH_CONTENT_TYPE, HttpSink } from '../../src/metering/sinks/http.js';
import { SinkDeliveryError } from '../../src/metering/sinks/sink.js';
import { metricValue, privateMetrics, syntheticRecord, temporaryDirectory } from './helpers.js';

interface Received {
  contentType: string;
  ids: string[];
}

async function body(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A CloudEvents receiver that answers 503 while `failing()` is true. */
async function receiver(failing: () => boolean): Promise<{ server: Server; url: string; received: Received[]; refused: number[] }> {
  const received: Received[] = [];
  const refused: number[] = [];
  const server = createServer((request, response) => {
    void body(request).then((text) => {
      if (failing()) {
        refused.push(1);
        response.writeHead(503, { 'x-request-id': 'req-503' }).end('down');
        return;
      }
      const contentType = request.headers['content-type'] ?? '';
      const parsed = JSON.parse(text) as { id: string } | Array<{ id: string }>;
      received.push({ contentType, ids: Array.isArray(parsed) ? parsed.map((event) => event.id) : [parsed.id] });
      response.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/events`, received, refused };
}

describe('HTTP sink', () => {
  let directory: { path: string; remove: () => Promise<void> };
  let server: Server | undefined;
  beforeEach(async () => {
    directory = await temporaryDirectory('http-sink');
  });
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
    await directory.remove();
  });

  it('loses nothing while the receiver fails for ten simulated minutes', async () => {
    const clock = new ManualClock('2026-11-05T12:00:00Z');
    const outageEnd = clock.now() + 10 * 60_000;
    const http = await receiver(() => clock.now() < outageEnd);
    server = http.server;
    const { registry, metrics } = privateMetrics();
    const outbox = await Outbox.open({ directory: directory.path, sinks: ['http'], clock, metrics });
    const emitter = new UsageEmitter({ outbox, source: '/statsmoln/test', metrics });
    const delivery = new SinkDelivery({
      outbox,
      sink: new HttpSink({ url: http.url, metrics, timeoutMs: 5_000 }),
      clock,
      metrics,
      batchSize: 8,
      backoff: { initialMs: 1_000, maxMs: 60_000, seed: 42 },
    });
    const delays: number[] = [];
    let next = 0;
    let nextAppendAt = clock.now();
    while (clock.now() < outageEnd + 5 * 60_000) {
      if (clock.now() >= nextAppendAt) {
        const records = Array.from({ length: 5 }, () => syntheticRecord(next++));
        await emitter.emit(records);
        nextAppendAt += 60_000;
      }
      const step = await delivery.step();
      if (step.kind === 'failed') {
        expect(step.error).toBeInstanceOf(SinkDeliveryError);
        expect((step.error as SinkDeliveryError).requestId).toBe('req-503');
        delays.push(step.retryInMs);
        clock.advance(step.retryInMs);
      } else if (step.kind === 'idle') {
        clock.advance(1_000);
      }
    }
    await delivery.drain();

    const appended = Array.from({ length: next }, (_, index) => syntheticRecord(index));
    const receivedIds = http.received.flatMap((request) => request.ids);
    expect(new Set(receivedIds)).toEqual(new Set(appended.map(usageEventId)));
    expect(appended.length).toBe(5 * 15);
    expect(http.received.every((request) => request.contentType.startsWith('application/cloudevents+json'))).toBe(true);
    expect(http.refused.length).toBe(delays.length);
    expect(delays.length).toBeGreaterThan(5);
    expect(Math.max(...delays)).toBeLessThanOrEqual(60_000);
    expect(delays[0]).toBeGreaterThanOrEqual(500);
    expect(delays[0]).toBeLessThanOrEqual(1_000);
    expect(outbox.depth('http')).toBe(0);
    expect(await metricValue(registry, 'statsmoln_sink_failures_total', { sink: 'http', reason: 'http_503' })).toBe(delays.length);
    expect(await metricValue(registry, 'statsmoln_sink_delivered_events_total', { sink: 'http' })).toBe(75);
    await outbox.close();
  });

  it('sends a batch as application/cloudevents-batch+json', async () => {
    const http = await receiver(() => false);
    server = http.server;
    const outbox = await Outbox.open({ directory: directory.path, sinks: ['http'] });
    const emitter = new UsageEmitter({ outbox, source: '/statsmoln/test' });
    await emitter.emit([syntheticRecord(1), syntheticRecord(2), syntheticRecord(3)]);
    const delivery = new SinkDelivery({ outbox, sink: new HttpSink({ url: http.url, batch: true }), batchSize: 10 });
    expect(await delivery.step()).toEqual({ kind: 'delivered', count: 3, lastSeq: 3 });
    expect(http.received).toHaveLength(1);
    expect(http.received[0]!.contentType).toBe(BATCH_CONTENT_TYPE);
    expect(http.received[0]!.ids).toHaveLength(3);
    await outbox.close();
  });

  it('times out a request that gets no answer, and keeps the event', async () => {
    server = createServer(() => undefined);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const outbox = await Outbox.open({ directory: directory.path, sinks: ['http'] });
    await new UsageEmitter({ outbox, source: '/s' }).emit([syntheticRecord(1)]);
    const delivery = new SinkDelivery({ outbox, sink: new HttpSink({ url: `http://127.0.0.1:${port}/`, timeoutMs: 200 }) });
    const step = await delivery.step();
    expect(step.kind).toBe('failed');
    expect(step.kind === 'failed' && (step.error as SinkDeliveryError).reason).toBe('timeout');
    expect(outbox.depth('http')).toBe(1);
    server.closeAllConnections();
    await outbox.close();
  });
});
