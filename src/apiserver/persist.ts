import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Journal, Store, StoreEvent } from './store.js';
import type { KubeObject } from './types.js';

interface Snapshot {
  format: 'statsmoln-apiserver/v1';
  resourceVersion: number;
  objects: { resource: string; key: string; object: KubeObject }[];
}

interface LoggedEvent {
  rv: number;
  type: StoreEvent['type'];
  resource: string;
  key: string;
  object: KubeObject;
}

export class CorruptDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptDataError';
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Write-ahead log in a data directory: every committed change is appended to `wal.jsonl` and
 * fsync'd before the write is acknowledged; `snapshot.json` holds the state at a revision. On
 * open, the snapshot is loaded and the log replayed; a torn last line (a crash in the middle of
 * a write) is dropped, so at most that one unacknowledged write is lost. The log is then folded
 * into a fresh snapshot (written to a temporary file, fsync'd and renamed) and truncated.
 */
export class DataDirJournal implements Journal {
  private fd: number | undefined;
  private bytes = 0;

  private constructor(
    private readonly dir: string,
    private readonly store: Store,
    private readonly compactBytes: number,
  ) {}

  static open(dir: string, store: Store, compactBytes = 32 * 1024 * 1024): DataDirJournal {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const journal = new DataDirJournal(dir, store, compactBytes);
    journal.load();
    journal.compact();
    store.journal = journal;
    return journal;
  }

  private get walPath(): string {
    return join(this.dir, 'wal.jsonl');
  }

  private get snapshotPath(): string {
    return join(this.dir, 'snapshot.json');
  }

  private load(): void {
    if (existsSync(this.snapshotPath)) {
      let snapshot: Snapshot;
      try {
        snapshot = JSON.parse(readFileSync(this.snapshotPath, 'utf8')) as Snapshot;
      } catch (error) {
        throw new CorruptDataError(`${this.snapshotPath}: unreadable snapshot: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (snapshot.format !== 'statsmoln-apiserver/v1') throw new CorruptDataError(`${this.snapshotPath}: unknown format ${String(snapshot.format)}`);
      this.store.restore(snapshot.resourceVersion, snapshot.objects);
    }
    if (!existsSync(this.walPath)) return;
    const lines = readFileSync(this.walPath, 'utf8').split('\n');
    lines.forEach((line, index) => {
      if (line.trim() === '') return;
      let event: LoggedEvent;
      try {
        event = JSON.parse(line) as LoggedEvent;
      } catch {
        const last = lines.slice(index + 1).every((rest) => rest.trim() === '');
        if (last) return; // torn final write: it was never acknowledged
        throw new CorruptDataError(`${this.walPath}:${index + 1}: corrupt log record`);
      }
      if (event.rv > this.store.resourceVersion) this.store.replay(event);
    });
  }

  /** Folds the log into a new snapshot and starts an empty log. */
  compact(): void {
    const snapshot: Snapshot = { format: 'statsmoln-apiserver/v1', resourceVersion: this.store.resourceVersion, objects: [...this.store.entries()] };
    const temporary = `${this.snapshotPath}.tmp`;
    const fd = openSync(temporary, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(snapshot));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.snapshotPath);
    fsyncDir(this.dir);
    if (this.fd === undefined) this.fd = openSync(this.walPath, 'a', 0o600);
    ftruncateSync(this.fd);
    fsyncSync(this.fd);
    this.bytes = 0;
  }

  append(event: StoreEvent): void {
    if (this.fd === undefined) throw new Error('journal is closed');
    const record: LoggedEvent = { rv: event.rv, type: event.type, resource: event.resource, key: event.key, object: event.object };
    const line = `${JSON.stringify(record)}\n`;
    writeSync(this.fd, line);
    fsyncSync(this.fd);
    this.bytes += Buffer.byteLength(line);
    if (this.bytes > this.compactBytes) setImmediate(() => this.fd !== undefined && this.compact());
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  /** Size of the log in bytes (for tests and diagnostics). */
  walSize(): number {
    return existsSync(this.walPath) ? statSync(this.walPath).size : 0;
  }
}
