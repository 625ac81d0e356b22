import { appendFile, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ManualClock } from '../../src/metering/clock.js';
import { decodeFrame, encodeFrame, FRAME_HEADER_BYTES } from '../../src/metering/outbox/frame.js';
import { OutboxCorruptError } from '../../src/metering/outbox/errors.js';
import { Outbox } from '../../src/metering/outbox/outbox.js';
import { metricValue, privateMetrics, temporaryDirectory } from './helpers.js';

const payload = (index: number): string => JSON.stringify({ id: `event-${index}`, source: '/t', type: 'x', data: { index } });

describe('outbox framing', () => {
  it('round-trips a frame and detects a flipped bit and a short frame', () => {
    const frame = encodeFrame({ seq: 2 ** 40 + 7, appendedAt: 1_790_000_000_000, payload: 'hällo' });
    const decoded = decodeFrame(frame, 0);
    expect(decoded).toEqual({ kind: 'frame', entry: { seq: 2 ** 40 + 7, appendedAt: 1_790_000_000_000, payload: 'hällo' }, bytes: frame.length });
    const flipped = Buffer.from(frame);
    flipped[FRAME_HEADER_BYTES + 1]! ^= 0x01;
    expect(decodeFrame(flipped, 0)).toEqual({ kind: 'corrupt', reason: 'checksum mismatch' });
    expect(decodeFrame(frame.subarray(0, frame.length - 1), 0)).toEqual({ kind: 'incomplete', needed: frame.length });
    expect(decodeFrame(Buffer.alloc(40), 0).kind).toBe('corrupt');
  });
});

describe('outbox', () => {
  let directory: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    directory = await temporaryDirectory('outbox');
  });
  afterEach(async () => {
    await directory.remove();
  });

  it('appends in order, reads after a cursor, and keeps cursors per sink across a reopen', async () => {
    const { metrics } = privateMetrics();
    const outbox = await Outbox.open({ directory: directory.path, sinks: ['file', 'http'], metrics });
    const results = await Promise.all([outbox.append([payload(1), payload(2)]), outbox.append([payload(3)])]);
    expect(results).toEqual([2, 3]);
    const all = await outbox.read('file', 0, 10);
    expect(all.map((entry) => entry.payload)).toEqual([payload(1), payload(2), payload(3)]);
    expect((await outbox.read('file', 1, 1)).map((entry) => entry.seq)).toEqual([2]);
    await outbox.ack('file', 3);
    await outbox.ack('http', 1);
    await outbox.close();

    const reopened = await Outbox.open({ directory: directory.path, sinks: ['file', 'http'], metrics });
    expect(reopened.recovery).toEqual({ segments: 1, undelivered: 2, lastSeq: 3, discardedBytes: 0 });
    expect(reopened.cursor('file')).toBe(3);
    expect(reopened.cursor('http')).toBe(1);
    expect((await reopened.read('http', 1, 10)).map((entry) => entry.seq)).toEqual([2, 3]);
    expect(await reopened.append([payload(4)])).toBe(4);
    await reopened.close();
  });

  it('shares one fsync between appends that arrive together (group commit)', async () => {
    const { registry, metrics } = privateMetrics();
    const outbox = await Outbox.open({ directory: directory.path, sinks: ['file'], metrics });
    const appends = Array.from({ length: 50 }, (_, index) => outbox.append([payload(index)]));
    await Promise.all(appends);
    const fsyncs = (await metricValue(registry, 'statsmoln_outbox_fsyncs_total')) ?? 0;
    expect(fsyncs).toBeGreaterThanOrEqual(1);
    expect(fsyncs).toBeLessThan(50);
    expect(outbox.lastSeq).toBe(50);
    await outbox.close();
  });

  it('discards a torn final frame on recovery and continues with the next seq', async () => {
    const outbox = await Outbox.open({ directory: directory.path, sinks: ['file'] });
    await outbox.append([payload(1), payload(2), payload(3)]);
    await outbox.close();
    const [segment] = await readdir(join(directory.path, 'segments'));
    const path = join(directory.path, 'segments', segment!);
    const size = (await stat(path)).size;
    await truncate(path, size - 5); // the crash cut the last frame short

    const recovered = await Outbox.open({ directory: directory.path, sinks: ['file'] });
    expect(recovered.recovery).toMatchObject({ lastSeq: 2, discardReason: 'a frame cut short' });
    expect(recovered.recovery.discardedBytes).toBe(encodeFrame({ seq: 3, appendedAt: 0, payload: payload(3) }).length - 5);
    expect((await recovered.read('file', 0, 10)).map((entry) => entry.payload)).toEqual([payload(1), payload(2)]);
    expect(await recovered.append([payload(30)])).toBe(3);
    await recovered.close();
    const again = await Outbox.open({ directory: directory.path, sinks: ['file'] });
    expect((await again.read('file', 0, 10)).map((entry) => entry.payload)).toEqual([payload(1), payload(2), payload(30)]);
    await again.close();
  });

  it('discards garbage after the last frame (a torn header) but refuses damage in an older segment', async () => {
    const outbox = await Outbox.open({ directory: directory.path, sinks: ['file'], segmentBytes: 200 });
    for (let index = 1; index <= 6; index += 1) await outbox.append([payload(index)]);
    await outbox.close();
    const names = (await readdir(join(directory.path, 'segments'))).sort();
    expect(names.length).toBeGreaterThan(1);
    await appendFile(join(directory.path, 'segments', names.at(-1)!), Buffer.from([0, 0, 0, 9, 1, 2]));
    const recovered = await Outbox.open({ directory: directory.path, sinks: ['file'], segmentBytes: 200 });
    expect(recovered.recovery).toMatchObject({ lastSeq: 6, discardedBytes: 6 });
    await recovered.close();

    const first = join(directory.path, 'segments', names[0]!);
    const bytes = await readFile(first);
    bytes[bytes.length - 1]! ^= 0xff;
    await writeFile(first, bytes);
    await expect(Outbox.open({ directory: directory.path, sinks: ['file'] })).rejects.toThrow(OutboxCorruptError);
  });

  it('removes a segment only once every sink has passed it', async () => {
    const outbox = await Outbox.open({ directory: directory.path, sinks: ['a', 'b'], segmentBytes: 300 });
    for (let index = 1; index <= 9; index += 1) await outbox.append([payload(index)]);
    const segments = async (): Promise<string[]> => (await readdir(join(directory.path, 'segments'))).sort();
    const before = await segments();
    expect(before.length).toBeGreaterThanOrEqual(3);
    await outbox.ack('a', 9);
    expect(await segments()).toEqual(before);
    await outbox.ack('b', 9);
    const after = await segments();
    expect(after).toEqual([before.at(-1)]); // the active segment stays
    await outbox.close();
    const reopened = await Outbox.open({ directory: directory.path, sinks: ['a', 'b'], segmentBytes: 300 });
    expect(reopened.lastSeq).toBe(9);
    expect(await reopened.append([payload(10)])).toBe(10);
    expect((await reopened.read('a', 9, 5)).map((entry) => entry.seq)).toEqual([10]);
    await reopened.close();
  });

  it('reads across segments in order, in batches', async () => {
    const outbox = await Outbox.open({ directory: directory.path, sinks: ['file'], segmentBytes: 500 });
    await outbox.append(Array.from({ length: 40 }, (_, index) => payload(index + 1)));
    for (let index = 41; index <= 60; index += 1) await outbox.append([payload(index)]);
    const seen: number[] = [];
    let cursor = 0;
    for (;;) {
      const batch = await outbox.read('file', cursor, 7);
      if (batch.length === 0) break;
      seen.push(...batch.map((entry) => entry.seq));
      cursor = batch.at(-1)!.seq;
    }
    expect(seen).toEqual(Array.from({ length: 60 }, (_, index) => index + 1));
    await outbox.close();
  });

  it('reports depth and the age of the oldest undelivered event per sink', async () => {
    const { registry, metrics } = privateMetrics();
    const clock = new ManualClock('2026-11-01T00:00:00Z');
    const outbox = await Outbox.open({ directory: directory.path, sinks: ['file', 'http'], clock, metrics });
    await outbox.append([payload(1)]);
    clock.advance(30_000);
    await outbox.append([payload(2), payload(3)]);
    clock.advance(15_000);
    await outbox.ack('file', 1);
    expect(await metricValue(registry, 'statsmoln_outbox_depth', { sink: 'file' })).toBe(2);
    expect(await metricValue(registry, 'statsmoln_outbox_depth', { sink: 'http' })).toBe(3);
    expect(await metricValue(registry, 'statsmoln_outbox_oldest_undelivered_age_seconds', { sink: 'file' })).toBe(15);
    expect(await metricValue(registry, 'statsmoln_outbox_oldest_undelivered_age_seconds', { sink: 'http' })).toBe(45);
    clock.advance(60_000); // nothing happens, yet a scrape sees the backlog age
    expect(await metricValue(registry, 'statsmoln_outbox_oldest_undelivered_age_seconds', { sink: 'http' })).toBe(105);
    await outbox.ack('file', 3);
    expect(await metricValue(registry, 'statsmoln_outbox_oldest_undelivered_age_seconds', { sink: 'file' })).toBe(0);
    await outbox.close();
    const reopened = await Outbox.open({ directory: directory.path, sinks: ['file', 'http'], clock, metrics });
    expect(reopened.oldestUndeliveredAgeMs('http')).toBe(105_000);
    await reopened.close();
  });

  it('refuses to acknowledge what is not durable and rejects unknown sinks', async () => {
    const outbox = await Outbox.open({ directory: directory.path, sinks: ['file'] });
    await outbox.append([payload(1)]);
    await expect(outbox.ack('file', 2)).rejects.toThrow(/not durable/);
    await expect(outbox.read('other', 0, 1)).rejects.toThrow(/unknown sink/);
    await outbox.close();
    await expect(outbox.append([payload(2)])).rejects.toThrow(/closed/);
  });
});
