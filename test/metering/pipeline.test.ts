import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { MeteringPipeline } from '../../src/metering/pipeline.js';
import { metricValue, syntheticRecord, temporaryDirectory } from './helpers.js';

describe('metering pipeline', () => {
  it('delivers emitted usage to every configured sink and counts appends per meter', async () => {
    const directory = await temporaryDirectory('pipeline');
    const registry = new Registry();
    try {
      const pipeline = await MeteringPipeline.open({
        directory: join(directory.path, 'outbox'),
        source: '/statsmoln/test',
        registry,
        sinks: [
          { kind: 'file', path: join(directory.path, 'a.jsonl') },
          { kind: 'file', name: 'archive', path: join(directory.path, 'b.jsonl') },
        ],
      });
      pipeline.start();
      const records = Array.from({ length: 20 }, (_, index) => syntheticRecord(index));
      await pipeline.emitter.emit(records);
      while (pipeline.outbox.depth('file') > 0 || pipeline.outbox.depth('archive') > 0) await new Promise((resolve) => setTimeout(resolve, 5));
      await pipeline.stop();
      const first = await readFile(join(directory.path, 'a.jsonl'), 'utf8');
      expect(first.trimEnd().split('\n')).toHaveLength(20);
      expect(await readFile(join(directory.path, 'b.jsonl'), 'utf8')).toBe(first);
      expect(await metricValue(registry, 'statsmoln_usage_events_appended_total', { meter: 'compute.vcpu.hours' })).toBe(5);
      expect(await metricValue(registry, 'statsmoln_sink_delivered_events_total', { sink: 'archive' })).toBe(20);
    } finally {
      await directory.remove();
    }
  });

  it('refuses two sinks with the same name', async () => {
    const directory = await temporaryDirectory('pipeline');
    try {
      await expect(
        MeteringPipeline.open({
          directory: join(directory.path, 'outbox'),
          source: '/s',
          registry: new Registry(),
          sinks: [
            { kind: 'file', path: join(directory.path, 'a.jsonl') },
            { kind: 'file', path: join(directory.path, 'b.jsonl') },
          ],
        }),
      ).rejects.toThrow(/two sinks are named file/);
    } finally {
      await directory.remove();
    }
  });
});
