import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ManualClock } from '../../src/metering/clock.js';
import { UsageEmitter } from '../../src/metering/emitter.js';
import { Outbox } from '../../src/metering/outbox/outbox.js';
import { SinkDelivery } from '../../src/metering/sinks/delivery.js';
import { FileSink } from '../../src/metering/sinks/file.js';
import { SinkDeliveryError, type Sink } from '../../src/metering/sinks/sink.js';
import type { OutboxEntry } from '../../src/metering/outbox/frame.js';
import { syntheticRecord, temporaryDirectory } from './helpers.js';

describe('file sink', () => {
  let directory: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    directory = await temporaryDirectory('file-sink');
  });
  afterEach(async () => {
    await directory.remove();
  });

  it('cuts a torn final line when it opens, so the log holds only whole events', async () => {
    const path = join(directory.path, 'events.jsonl');
    await writeFile(path, '{"id":"a"}\n{"id":"b"}\n{"id":"c","da');
    const sink = await FileSink.open({ path });
    expect(sink.repairedBytes).toBe('{"id":"c","da'.length);
    await sink.deliver([{ seq: 1, appendedAt: 0, payload: '{"id":"c"}' }]);
    await sink.close();
    expect(await readFile(path, 'utf8')).toBe('{"id":"a"}\n{"id":"b"}\n{"id":"c"}\n');
  });

  it('delivers in the background loop, waiting on the clock after a failure', async () => {
    const clock = new ManualClock('2026-11-01T00:00:00Z');
    const outbox = await Outbox.open({ directory: join(directory.path, 'outbox'), sinks: ['flaky'], clock });
    const delivered: string[] = [];
    let failuresLeft = 2;
    const flaky: Sink = {
      name: 'flaky',
      deliver: async (entries: readonly OutboxEntry[]) => {
        if (failuresLeft-- > 0) throw new SinkDeliveryError('down', 'down');
        delivered.push(...entries.map((entry) => entry.payload));
      },
      close: async () => undefined,
    };
    const delivery = new SinkDelivery({ outbox, sink: flaky, clock, backoff: { initialMs: 1_000, jitter: 0 } });
    delivery.start();
    await new UsageEmitter({ outbox, source: '/s' }).emit([syntheticRecord(1), syntheticRecord(2)]);
    const waitForSleeper = async (): Promise<void> => {
      while (clock.pendingSleepers === 0) await new Promise((resolve) => setImmediate(resolve));
    };
    await waitForSleeper();
    expect(delivered).toEqual([]);
    clock.advance(999);
    await new Promise((resolve) => setImmediate(resolve));
    expect(delivered).toEqual([]);
    clock.advance(1); // the first retry after exactly 1 s fails again, the next waits 2 s
    await waitForSleeper();
    clock.advance(2_000);
    while (outbox.depth('flaky') > 0) await new Promise((resolve) => setImmediate(resolve));
    expect(delivered).toHaveLength(2);
    await delivery.stop();
    await outbox.close();
  });
});
