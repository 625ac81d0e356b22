import { mkdir, open, readdir, readFile, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock, type Clock } from '../clock.js';
import { decodeFrame, encodeFrame, type OutboxEntry } from './frame.js';
import { fsyncDirectory, writeFileDurably } from './durable.js';
import { OutboxClosedError, OutboxCorruptError, OutboxFailedError } from './errors.js';
import { meteringMetrics, refreshBeforeScrape, type MeteringMetrics } from './metrics.js';

export type { OutboxEntry } from './frame.js';

export interface OutboxOptions {
  /** Directory of the outbox: `segments/` and `cursors/` live under it. */
  directory: string;
  /** Every sink that delivers from this outbox; a segment is removed once all of them passed it. */
  sinks: readonly string[];
  clock?: Clock;
  /** A new segment starts once the active one reaches this size. */
  segmentBytes?: number;
  metrics?: MeteringMetrics;
}

/** What recovery found when the outbox opened. */
export interface RecoveryReport {
  segments: number;
  /** Entries on disk that some sink has not yet passed. */
  undelivered: number;
  lastSeq: number;
  /** Bytes of a torn final write that were cut off the last segment. */
  discardedBytes: number;
  discardReason?: string;
}

interface Segment {
  firstSeq: number;
  /** Last durable seq in the segment; firstSeq - 1 when empty. */
  lastSeq: number;
  path: string;
  /** Bytes known to be on disk after an fsync; readers never read beyond. */
  durableBytes: number;
}

interface PendingAppend {
  frames: Buffer[];
  lastSeq: number;
  resolve: (lastSeq: number) => void;
  reject: (error: Error) => void;
}

interface ReadPosition {
  nextSeq: number;
  segmentFirstSeq: number;
  offset: number;
}

const SINK_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SEGMENT_FILE = /^(\d{20})\.seg$/;
const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const READ_CHUNK_BYTES = 1024 * 1024;

function segmentName(firstSeq: number): string {
  return `${String(firstSeq).padStart(20, '0')}.seg`;
}

/**
 * A durable, append-only outbox. `append` resolves only after the entries are fsynced (appends that
 * arrive while an fsync is running share the next one: group commit). Each sink has a cursor (the
 * last seq it delivered) persisted durably by `ack`; segments every sink has passed are deleted.
 */
export class Outbox {
  private readonly segmentsDirectory: string;
  private readonly cursorsDirectory: string;
  private readonly clock: Clock;
  private readonly segmentBytes: number;
  private readonly metrics: MeteringMetrics;
  private readonly segments: Segment[] = [];
  private readonly cursors = new Map<string, number>();
  private readonly readPositions = new Map<string, ReadPosition>();
  /** appendedAt of every seq after `timesBase` still needed by some sink. */
  private times: number[] = [];
  private timesBase = 0;
  private active!: FileHandle;
  private nextSeq = 1;
  private pending: PendingAppend[] = [];
  private flushing: Promise<void> | undefined;
  private failure: Error | undefined;
  private closed = false;
  private appendWaiters: Array<() => void> = [];
  private cursorWrites = new Map<string, Promise<void>>();
  private stopRefreshing: () => void = () => undefined;
  recovery!: RecoveryReport;

  private constructor(private readonly options: OutboxOptions) {
    this.segmentsDirectory = join(options.directory, 'segments');
    this.cursorsDirectory = join(options.directory, 'cursors');
    this.clock = options.clock ?? systemClock;
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.metrics = options.metrics ?? meteringMetrics();
  }

  /** Opens (or creates) the outbox, discarding a torn final write and cleaning delivered segments. */
  static async open(options: OutboxOptions): Promise<Outbox> {
    if (options.sinks.length === 0) throw new RangeError('an outbox needs at least one sink');
    for (const sink of options.sinks) {
      if (!SINK_NAME.test(sink)) throw new RangeError(`sink name must be a DNS label, got ${JSON.stringify(sink)}`);
    }
    const outbox = new Outbox(options);
    await outbox.recover();
    outbox.stopRefreshing = refreshBeforeScrape(outbox.metrics.registry, () => outbox.updateGauges());
    return outbox;
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  get sinks(): readonly string[] {
    return this.options.sinks;
  }

  /** Last seq the sink has acknowledged. */
  cursor(sink: string): number {
    const cursor = this.cursors.get(sink);
    if (cursor === undefined) throw new RangeError(`unknown sink ${sink}`);
    return cursor;
  }

  depth(sink: string): number {
    return this.lastSeq - this.cursor(sink);
  }

  /** Milliseconds since the oldest entry the sink has not acknowledged was appended; 0 when none. */
  oldestUndeliveredAgeMs(sink: string): number {
    const seq = this.cursor(sink) + 1;
    if (seq > this.lastSeq) return 0;
    const appendedAt = this.times[seq - this.timesBase - 1];
    return appendedAt === undefined ? 0 : Math.max(0, this.clock.now() - appendedAt);
  }

  /** Appends payloads in order; resolves with the last seq once they are on disk (fsynced). */
  append(payloads: readonly string[]): Promise<number> {
    if (this.closed) return Promise.reject(new OutboxClosedError('outbox is closed'));
    if (this.failure) return Promise.reject(new OutboxFailedError(`outbox failed earlier: ${this.failure.message}`));
    if (payloads.length === 0) return Promise.resolve(this.lastSeq);
    const appendedAt = this.clock.now();
    const frames = payloads.map((payload) => encodeFrame({ seq: this.nextSeq++, appendedAt, payload }));
    for (let index = 0; index < payloads.length; index += 1) this.times.push(appendedAt);
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ frames, lastSeq: this.nextSeq - 1, resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = (async () => {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        try {
          await this.writeBatch(batch);
          for (const append of batch) append.resolve(append.lastSeq);
        } catch (error) {
          this.failure ??= error as Error;
          const failed = new OutboxFailedError(`outbox write failed: ${(error as Error).message}`);
          for (const append of [...batch, ...this.pending]) append.reject(failed);
          this.pending = [];
        }
        this.updateGauges();
        const waiters = this.appendWaiters;
        this.appendWaiters = [];
        for (const wake of waiters) wake();
      }
      this.flushing = undefined;
    })();
  }

  private async writeBatch(batch: PendingAppend[]): Promise<void> {
    let chunk: Buffer[] = [];
    let chunkBytes = 0;
    let chunkLastSeq = 0;
    let segment = this.activeSegment();
    const writeChunk = async (): Promise<void> => {
      if (chunk.length === 0) return;
      const data = chunk.length === 1 ? chunk[0]! : Buffer.concat(chunk, chunkBytes);
      await this.active.write(data, 0, data.length, segment.durableBytes);
      await this.active.datasync();
      this.metrics.outboxAppends.inc();
      segment.durableBytes += data.length;
      segment.lastSeq = chunkLastSeq;
      chunk = [];
      chunkBytes = 0;
    };
    for (const append of batch) {
      const bytes = append.frames.reduce((sum, frame) => sum + frame.length, 0);
      const segmentHasData = segment.durableBytes + chunkBytes > 0;
      if (segmentHasData && segment.durableBytes + chunkBytes + bytes > this.segmentBytes) {
        await writeChunk();
        segment = await this.rollSegment(append.lastSeq - append.frames.length + 1);
      }
      chunk.push(...append.frames);
      chunkBytes += bytes;
      chunkLastSeq = append.lastSeq;
    }
    await writeChunk();
  }

  private activeSegment(): Segment {
    const segment = this.segments.at(-1);
    if (!segment) throw new OutboxFailedError('outbox has no active segment');
    return segment;
  }

  private async rollSegment(firstSeq: number): Promise<Segment> {
    await this.active.close();
    const segment: Segment = { firstSeq, lastSeq: firstSeq - 1, path: join(this.segmentsDirectory, segmentName(firstSeq)), durableBytes: 0 };
    this.active = await open(segment.path, 'w+');
    await this.active.sync();
    await fsyncDirectory(this.segmentsDirectory);
    this.segments.push(segment);
    return segment;
  }

  /** Resolves when entries after `seq` are durable (or at once if they are), or when the signal aborts. */
  waitForEntriesAfter(seq: number, signal?: AbortSignal): Promise<void> {
    if (this.activeSegment().lastSeq > seq || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        signal?.removeEventListener('abort', wake);
        resolve();
      };
      this.appendWaiters.push(wake);
      signal?.addEventListener('abort', wake, { once: true });
    });
  }

  /** Durable entries after `afterSeq`, in order, at most `maxEntries` (possibly fewer at a segment end). */
  async read(sink: string, afterSeq: number, maxEntries: number): Promise<OutboxEntry[]> {
    this.cursor(sink);
    const wanted = afterSeq + 1;
    const segment = this.segments.find((candidate) => candidate.firstSeq <= wanted && wanted <= candidate.lastSeq);
    if (!segment) {
      const first = this.segments[0];
      if (first && wanted < first.firstSeq) throw new OutboxCorruptError(`seq ${wanted} was already removed from the outbox`);
      return [];
    }
    const remembered = this.readPositions.get(sink);
    let offset = remembered && remembered.nextSeq === wanted && remembered.segmentFirstSeq === segment.firstSeq ? remembered.offset : 0;
    const entries: OutboxEntry[] = [];
    const handle = await open(segment.path, 'r');
    try {
      while (entries.length < maxEntries && offset < segment.durableBytes) {
        const length = Math.min(READ_CHUNK_BYTES, segment.durableBytes - offset);
        let buffer = Buffer.allocUnsafe(length);
        await readFully(handle, buffer, offset);
        let position = 0;
        while (entries.length < maxEntries) {
          const decoded = decodeFrame(buffer, position);
          if (decoded.kind === 'frame') {
            position += decoded.bytes;
            if (decoded.entry.seq >= wanted) entries.push(decoded.entry);
            continue;
          }
          if (decoded.kind === 'corrupt') throw new OutboxCorruptError(`${segment.path} at byte ${offset + position}: ${decoded.reason}`);
          if (position === 0) {
            // A frame larger than the chunk: read exactly that frame.
            if (offset + decoded.needed > segment.durableBytes) throw new OutboxCorruptError(`${segment.path} ends inside a durable frame`);
            buffer = Buffer.allocUnsafe(decoded.needed);
            await readFully(handle, buffer, offset);
            continue;
          }
          break;
        }
        offset += position;
      }
    } finally {
      await handle.close();
    }
    const last = entries.at(-1);
    if (last) this.readPositions.set(sink, { nextSeq: last.seq + 1, segmentFirstSeq: segment.firstSeq, offset });
    return entries;
  }

  /** Records durably that the sink delivered everything up to `seq`, then removes passed segments. */
  async ack(sink: string, seq: number): Promise<void> {
    const current = this.cursor(sink);
    if (seq > this.activeSegment().lastSeq) throw new RangeError(`cannot acknowledge seq ${seq}: not durable yet`);
    if (seq <= current) return;
    const previous = this.cursorWrites.get(sink) ?? Promise.resolve();
    const write = previous.then(() =>
      writeFileDurably(this.cursorsDirectory, `${sink}.json`, `${JSON.stringify({ sink, seq })}\n`),
    );
    this.cursorWrites.set(sink, write.catch(() => undefined));
    await write;
    if (seq > (this.cursors.get(sink) ?? 0)) this.cursors.set(sink, seq);
    await this.removePassedSegments();
    this.updateGauges();
  }

  private minimumCursor(): number {
    return Math.min(...this.cursors.values());
  }

  private async removePassedSegments(): Promise<void> {
    const minimum = this.minimumCursor();
    let removed = false;
    while (this.segments.length > 1 && this.segments[0]!.lastSeq <= minimum) {
      const segment = this.segments.shift()!;
      await rm(segment.path, { force: true });
      removed = true;
    }
    if (removed) await fsyncDirectory(this.segmentsDirectory);
    const drop = minimum - this.timesBase;
    if (drop > 4096 || (drop > 0 && drop * 2 > this.times.length)) {
      this.times = this.times.slice(drop);
      this.timesBase = minimum;
    }
  }

  /** Publishes depth and oldest-undelivered age for every sink. */
  updateGauges(): void {
    for (const sink of this.options.sinks) {
      this.metrics.outboxDepth.set({ sink }, this.depth(sink));
      this.metrics.oldestUndeliveredAge.set({ sink }, this.oldestUndeliveredAgeMs(sink) / 1000);
    }
  }

  /** Waits for appends in flight, then closes the active segment. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopRefreshing();
    while (this.flushing) await this.flushing;
    await Promise.all(this.cursorWrites.values());
    await this.active.close();
    for (const wake of this.appendWaiters) wake();
    this.appendWaiters = [];
  }

  private async recover(): Promise<void> {
    await mkdir(this.segmentsDirectory, { recursive: true });
    await mkdir(this.cursorsDirectory, { recursive: true });
    const names = (await readdir(this.segmentsDirectory)).filter((name) => SEGMENT_FILE.test(name)).sort();
    let discardedBytes = 0;
    let discardReason: string | undefined;
    const appendTimes: Array<{ seq: number; appendedAt: number }> = [];
    for (const [index, name] of names.entries()) {
      const isLast = index === names.length - 1;
      const path = join(this.segmentsDirectory, name);
      const firstSeq = Number(SEGMENT_FILE.exec(name)![1]);
      const previous = this.segments.at(-1);
      if (previous && previous.lastSeq + 1 !== firstSeq) {
        throw new OutboxCorruptError(`${name} starts at seq ${firstSeq}, expected ${previous.lastSeq + 1}`);
      }
      const content = await readFile(path);
      let offset = 0;
      let expectedSeq = firstSeq;
      while (offset < content.length) {
        const decoded = decodeFrame(content, offset);
        if (decoded.kind === 'frame' && decoded.entry.seq === expectedSeq) {
          appendTimes.push({ seq: decoded.entry.seq, appendedAt: decoded.entry.appendedAt });
          offset += decoded.bytes;
          expectedSeq += 1;
          continue;
        }
        const reason =
          decoded.kind === 'frame'
            ? `seq ${decoded.entry.seq} where ${expectedSeq} was expected`
            : decoded.kind === 'corrupt'
              ? decoded.reason
              : 'a frame cut short';
        if (!isLast) throw new OutboxCorruptError(`${name} at byte ${offset}: ${reason}`);
        discardedBytes = content.length - offset;
        discardReason = reason;
        break;
      }
      if (discardedBytes > 0) {
        const handle = await open(path, 'r+');
        await handle.truncate(offset);
        await handle.sync();
        await handle.close();
        this.metrics.outboxDiscardedBytes.inc(discardedBytes);
      }
      this.segments.push({ firstSeq, lastSeq: expectedSeq - 1, path, durableBytes: offset });
    }
    if (this.segments.length === 0) {
      const path = join(this.segmentsDirectory, segmentName(1));
      const handle = await open(path, 'w+');
      await handle.sync();
      await handle.close();
      await fsyncDirectory(this.segmentsDirectory);
      this.segments.push({ firstSeq: 1, lastSeq: 0, path, durableBytes: 0 });
    }
    const active = this.activeSegment();
    this.active = await open(active.path, 'r+');
    this.nextSeq = active.lastSeq + 1;
    const oldest = this.segments[0]!.firstSeq - 1;
    for (const sink of this.options.sinks) {
      const cursor = await this.readCursor(sink);
      if (cursor !== undefined && cursor > this.lastSeq) {
        throw new OutboxCorruptError(`cursor of sink ${sink} (${cursor}) is beyond the last entry (${this.lastSeq})`);
      }
      this.cursors.set(sink, Math.max(cursor ?? oldest, oldest));
    }
    this.timesBase = this.minimumCursor();
    this.times = appendTimes.filter((entry) => entry.seq > this.timesBase).map((entry) => entry.appendedAt);
    await this.removePassedSegments();
    this.recovery = {
      segments: this.segments.length,
      undelivered: this.lastSeq - this.minimumCursor(),
      lastSeq: this.lastSeq,
      discardedBytes,
      ...(discardReason ? { discardReason } : {}),
    };
    this.updateGauges();
  }

  private async readCursor(sink: string): Promise<number | undefined> {
    let text: string;
    try {
      text = await readFile(join(this.cursorsDirectory, `${sink}.json`), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const parsed = JSON.parse(text) as { seq?: unknown };
    if (typeof parsed.seq !== 'number' || !Number.isSafeInteger(parsed.seq) || parsed.seq < 0) {
      throw new OutboxCorruptError(`cursor file of sink ${sink} holds no valid seq`);
    }
    return parsed.seq;
  }
}

async function readFully(handle: FileHandle, buffer: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await handle.read(buffer, done, buffer.length - done, position + done);
    if (bytesRead === 0) throw new OutboxCorruptError('segment shorter than its durable size');
    done += bytesRead;
  }
}
