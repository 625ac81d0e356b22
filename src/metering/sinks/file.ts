import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { OutboxEntry } from '../outbox/frame.js';
import { SinkDeliveryError, type Sink } from './sink.js';

export interface FileSinkOptions {
  name?: string;
  /** The JSON-lines event log: one structured CloudEvent per line. */
  path: string;
}

/**
 * Appends events as JSON lines and fsyncs before acknowledging. A line torn by a crash (the file does
 * not end in a newline) is cut off when the sink opens; its event is still in the outbox and comes again.
 */
export class FileSink implements Sink {
  readonly name: string;
  private handle: FileHandle | undefined;
  /** Bytes of a torn final line removed when the sink opened. */
  repairedBytes = 0;

  private constructor(private readonly options: FileSinkOptions) {
    this.name = options.name ?? 'file';
  }

  static async open(options: FileSinkOptions): Promise<FileSink> {
    const sink = new FileSink(options);
    await mkdir(dirname(options.path), { recursive: true });
    const handle = await open(options.path, 'a+');
    sink.repairedBytes = await cutTornLine(handle);
    sink.handle = handle;
    return sink;
  }

  async deliver(entries: readonly OutboxEntry[]): Promise<void> {
    const handle = this.handle;
    if (!handle) throw new SinkDeliveryError('file sink is closed', 'closed');
    const lines: string[] = [];
    for (const entry of entries) {
      if (entry.payload.includes('\n')) throw new SinkDeliveryError(`outbox entry ${entry.seq} holds a newline`, 'invalid_event');
      lines.push(entry.payload, '\n');
    }
    try {
      await handle.appendFile(lines.join(''));
      await handle.datasync();
    } catch (error) {
      throw new SinkDeliveryError(`writing ${this.options.path} failed: ${(error as Error).message}`, 'io', undefined, { cause: error });
    }
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}

/** Truncates the file after its last newline; returns the number of bytes removed. */
async function cutTornLine(handle: FileHandle): Promise<number> {
  const { size } = await handle.stat();
  if (size === 0) return 0;
  const chunk = Buffer.alloc(64 * 1024);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const { bytesRead } = await handle.read(chunk, 0, end - start, start);
    const newline = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (newline >= 0) {
      const keep = start + newline + 1;
      if (keep === size) return 0;
      await handle.truncate(keep);
      await handle.sync();
      return size - keep;
    }
    end = start;
  }
  await handle.truncate(0);
  await handle.sync();
  return size;
}
