import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { usageEventId } from '../../src/metering/events.js';
import { Outbox } from '../../src/metering/outbox/outbox.js';
import { SinkDelivery } from '../../src/metering/sinks/delivery.js';
import { FileSink } from '../../src/metering/sinks/file.js';
import { syntheticRecord, temporaryDirectory } from './helpers.js';

/** Runs the child until it has acknowledged at least `minimum` records, then SIGKILLs it. */
async function runAndKill(outboxDirectory: string, eventLog: string, minimum: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'crash-child.ts'), outboxDirectory, eventLog], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let acked = 0;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  child.stdout.setEncoding('utf8');
  let buffer = '';
  child.stdout.on('data', (chunk: string) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      const match = /^acked (\d+)$/.exec(line);
      if (match) acked = Number(match[1]);
    }
    if (acked >= minimum && child.exitCode === null && !child.killed) child.kill('SIGKILL');
  });
  const signal = await exited;
  if (signal !== 'SIGKILL') throw new Error(`child ended without being killed: ${stderr}`);
  return acked;
}

describe('a crash between writing the outbox and delivering', () => {
  let directory: { path: string; remove: () => Promise<void> };
  beforeAll(async () => {
    directory = await temporaryDirectory('crash');
  });
  afterAll(async () => {
    await directory.remove();
  });

  it('delivers every acknowledged event at least once, with identical ids and no torn record', async () => {
    const outboxDirectory = join(directory.path, 'outbox');
    const eventLog = join(directory.path, 'events.jsonl');
    let acked = 0;
    for (const minimum of [300, 600]) acked = Math.max(acked, await runAndKill(outboxDirectory, eventLog, minimum));
    const beforeRecovery = await readFile(eventLog, 'utf8').catch(() => '');

    const outbox = await Outbox.open({ directory: outboxDirectory, sinks: ['file'], segmentBytes: 16 * 1024 });
    const sink = await FileSink.open({ path: eventLog });
    await new SinkDelivery({ outbox, sink, batchSize: 50 }).drain();
    await sink.close();
    const emitted = outbox.lastSeq;
    await outbox.close();

    const text = await readFile(eventLog, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const events = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; data: { resource: string } });
    const ids = events.map((event) => event.id);
    const distinct = new Set(ids);
    // Every record the child saw acknowledged is in the log, under the id its content gives.
    for (let index = 0; index < acked; index += 1) expect(distinct.has(usageEventId(syntheticRecord(index)))).toBe(true);
    // Nothing else: every event is one of the records the child emitted, with the id of that record.
    for (const event of events) {
      const index = Number(event.data.resource.replace('project-', ''));
      expect(event.id).toBe(usageEventId(syntheticRecord(index)));
    }
    // Each run starts again at record 0, as a collector re-collecting after a crash: same ids again.
    const highest = Math.max(...events.map((event) => Number(event.data.resource.replace('project-', ''))));
    expect(distinct.size).toBe(highest + 1);
    // Every outbox entry of both runs reached the log at least once.
    expect(events.length).toBeGreaterThanOrEqual(emitted);
    expect(emitted).toBeGreaterThanOrEqual(acked);
    console.log(
      `crash test: ${acked} acknowledged before the kills, ${emitted} in the outbox, ${beforeRecovery.split('\n').length - 1} lines before recovery, ${events.length} lines after (${events.length - distinct.size} duplicates)`,
    );
  });
});
