/**
 * The NATS JetStream sink against a real nats-server (test/real/nats/up.sh): the server is
 * restarted while events flow; afterwards the stream holds every event exactly once.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Registry } from 'prom-client';
import { UsageEmitter } from '../../src/metering/emitter.js';
import { toStructuredJson, usageEvent } from '../../src/metering/events.js';
import { meteringMetrics } from '../../src/metering/outbox/metrics.js';
import { Outbox } from '../../src/metering/outbox/outbox.js';
import { SinkDelivery } from '../../src/metering/sinks/delivery.js';
import { NatsSink } from '../../src/metering/sinks/nats.js';
import type { UsageRecord } from '../../src/metering/record.js';

const SCRIPTS = join(import.meta.dirname, 'nats');
const PORT = process.env.STATSMOLN_NATS_PORT ?? '4222';
const SERVER = `nats://127.0.0.1:${PORT}`;
const EVENTS = 3000;

function script(name: 'up.sh' | 'down.sh'): void {
  execFileSync('bash', [join(SCRIPTS, name)], { stdio: ['ignore', 'inherit', 'inherit'] });
}

function record(index: number): UsageRecord {
  return {
    tenant: `agency-${index % 5}`,
    dataCenter: 'sto-1',
    environment: 'production',
    meter: 'compute.vcpu.hours',
    resource: `project-${index}`,
    windowStart: new Date(Date.UTC(2026, 10, 1) + Math.floor(index / 500) * 3_600_000).toISOString(),
    quantity: String(index % 17),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function streamMessages(stream: string): Promise<{ messages: number; subjects: number }> {
  const connection = await connect({ servers: SERVER, timeout: 5_000 });
  try {
    const manager = await jetstreamManager(connection);
    const info = await manager.streams.info(stream, { subjects_filter: '>' });
    return { messages: info.state.messages, subjects: info.state.num_subjects ?? 0 };
  } finally {
    await connection.close();
  }
}

describe('NATS JetStream sink against a real nats-server', () => {
  let directory: string;
  const run = Date.now().toString(36);
  const stream = `STATSMOLN_TEST_${run.toUpperCase()}`;
  const prefix = `test-${run}`;

  beforeAll(async () => {
    script('up.sh');
    directory = await mkdtemp(join(tmpdir(), 'statsmoln-nats-'));
  });
  afterAll(async () => {
    const connection = await connect({ servers: SERVER, timeout: 5_000 }).catch(() => undefined);
    if (connection) {
      await (await jetstreamManager(connection)).streams.delete(stream).catch(() => undefined);
      await connection.close();
    }
    await rm(directory, { recursive: true, force: true });
  });

  it('loses nothing and stores no duplicate when the server restarts mid-stream', async () => {
    const registry = new Registry();
    const metrics = meteringMetrics(registry);
    const outbox = await Outbox.open({ directory, sinks: ['nats'], metrics });
    const emitter = new UsageEmitter({ outbox, source: '/statsmoln/real-test', metrics });
    const sink = new NatsSink({ servers: SERVER, stream, subjectPrefix: prefix, timeoutMs: 2_000, metrics });
    const failures: string[] = [];
    const delivery = new SinkDelivery({
      outbox,
      sink,
      metrics,
      batchSize: 100,
      backoff: { initialMs: 100, maxMs: 2_000, seed: 3 },
      onFailure: (error) => failures.push(error.message),
    });
    delivery.start();

    let restarted = false;
    for (let start = 0; start < EVENTS; start += 50) {
      await emitter.emit(Array.from({ length: 50 }, (_, offset) => record(start + offset)));
      if (!restarted && outbox.cursor('nats') >= EVENTS / 3) {
        restarted = true;
        script('down.sh');
        await sleep(1_000);
        script('up.sh');
      }
      await sleep(5);
    }
    expect(restarted).toBe(true);

    const deadline = Date.now() + 120_000;
    while (outbox.depth('nats') > 0 && Date.now() < deadline) await sleep(100);
    expect(outbox.depth('nats')).toBe(0);

    // A retry after a lost acknowledgement: the same events again are de-duplicated by JetStream.
    const source = { source: '/statsmoln/real-test' };
    const again = await outbox.append(Array.from({ length: 200 }, (_, index) => toStructuredJson(usageEvent(record(index), source))));
    while (outbox.cursor('nats') < again && Date.now() < deadline) await sleep(100);

    await delivery.stop();
    await sink.close();
    await outbox.close();
    const stored = await streamMessages(stream);
    console.log(
      `NATS restart test: ${EVENTS} distinct events (+200 re-sent), ${failures.length} failed delivery attempts while the server restarted, ${stored.messages} messages stored`,
    );
    expect(failures.length).toBeGreaterThan(0);
    expect(stored.messages).toBe(EVENTS);
    expect(stored.subjects).toBe(5); // one subject per tenant
  });
});
