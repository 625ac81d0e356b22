import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { HOUR_MS, hourFloor } from '../windows.js';

/** One resource's level in one sweep: bytes stored, GiB provisioned, 1 for a floating IP. */
export interface SampledLevel {
  meter: string;
  resource: string;
  value: string;
}

/**
 * A complete sweep of one placement at one instant: every billable resource present then. A
 * resource missing from a sweep had level zero at that instant.
 */
export interface Sweep {
  tenant: string;
  dataCenter: string;
  environment: string;
  at: number;
  levels: SampledLevel[];
  /** The Keystone project swept, so that a placement's last hours can be collected after it is removed. */
  projectId?: string;
  /** Ids of the project's launched Nova servers (for lifecycle events; compute is billed from Nova's usage report). */
  servers?: string[];
}

/** `tenant/dataCenter/environment`: one placement. */
export function placementKey(sweep: Pick<Sweep, 'tenant' | 'dataCenter' | 'environment'>): string {
  return `${sweep.tenant}/${sweep.dataCenter}/${sweep.environment}`;
}

/**
 * Sweeps on disk, one append-only JSON-lines file per UTC hour (`<hour start ms>.jsonl`). Each
 * sweep is one line, appended and fdatasynced before `append` resolves, so a restart keeps every
 * sweep taken before it. A torn last line (crash mid-write) is ignored when reading.
 */
export class SampleStore {
  private pending: Array<{ sweeps: readonly Sweep[]; resolve: () => void; reject: (error: unknown) => void }> = [];
  private flushing = false;

  private constructor(private readonly directory: string) {}

  static async open(directory: string): Promise<SampleStore> {
    await mkdir(directory, { recursive: true });
    return new SampleStore(directory);
  }

  /**
   * Appends sweeps and resolves once they are on disk. Appends made while a write is in progress
   * are written together with one fdatasync (group commit), so many placements swept in parallel
   * cost one sync per batch, and lines never interleave.
   */
  append(sweeps: readonly Sweep[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ sweeps, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0);
      try {
        await this.write(batch.flatMap((entry) => entry.sweeps));
        for (const entry of batch) entry.resolve();
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    this.flushing = false;
  }

  private async write(sweeps: readonly Sweep[]): Promise<void> {
    const byHour = new Map<number, Sweep[]>();
    for (const sweep of sweeps) {
      const hour = hourFloor(sweep.at);
      const group = byHour.get(hour);
      if (group) group.push(sweep);
      else byHour.set(hour, [sweep]);
    }
    for (const [hour, group] of byHour) {
      const handle = await open(this.fileOf(hour), 'a');
      try {
        await handle.write(group.map((sweep) => `${JSON.stringify(sweep)}\n`).join(''));
        await handle.datasync();
      } finally {
        await handle.close();
      }
    }
  }

  /** The latest sweep of every placement in [from, to), keyed by `placementKey`; each hour file is read once. */
  async latest(from: number, to: number): Promise<Map<string, Sweep>> {
    const latest = new Map<string, Sweep>();
    for (let hour = hourFloor(from); hour < to; hour += HOUR_MS) {
      for (const sweep of await this.sweepsOfHour(hour)) {
        if (sweep.at < from || sweep.at >= to) continue;
        const key = placementKey(sweep);
        const seen = latest.get(key);
        if (!seen || seen.at <= sweep.at) latest.set(key, sweep);
      }
    }
    return latest;
  }

  private async sweepsOfHour(hour: number): Promise<Sweep[]> {
    let text: string;
    try {
      text = await readFile(this.fileOf(hour), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const sweeps: Sweep[] = [];
    for (const line of text.split('\n')) {
      if (line.length === 0) continue;
      try {
        sweeps.push(JSON.parse(line) as Sweep);
      } catch {
        // a torn final line from a crash during append
      }
    }
    return sweeps;
  }

  /**
   * The sweeps of one hour file grouped by placement (`placementKey`), each group ordered by time.
   * Collection reads each hour once for all placements rather than once per placement.
   */
  async hourByPlacement(hour: number): Promise<Map<string, Sweep[]>> {
    const grouped = new Map<string, Sweep[]>();
    for (const sweep of await this.sweepsOfHour(hourFloor(hour))) {
      const key = placementKey(sweep);
      const group = grouped.get(key);
      if (group) group.push(sweep);
      else grouped.set(key, [sweep]);
    }
    for (const group of grouped.values()) group.sort((left, right) => left.at - right.at);
    return grouped;
  }

  /** Sweeps of one placement taken in [from, to), ordered by time. */
  async read(tenant: string, dataCenter: string, environment: string, from: number, to: number): Promise<Sweep[]> {
    const found: Sweep[] = [];
    for (let hour = hourFloor(from); hour < to; hour += HOUR_MS) {
      for (const sweep of await this.sweepsOfHour(hour)) {
        if (sweep.tenant === tenant && sweep.dataCenter === dataCenter && sweep.environment === environment && sweep.at >= from && sweep.at < to) {
          found.push(sweep);
        }
      }
    }
    return found.sort((left, right) => left.at - right.at);
  }

  /** Deletes the files of hours that ended before `before`. */
  async prune(before: number): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.directory)) {
      const match = /^(\d+)\.jsonl$/.exec(name);
      if (match && Number(match[1]) + HOUR_MS <= before) {
        await rm(join(this.directory, name), { force: true });
        removed += 1;
      }
    }
    return removed;
  }

  private fileOf(hour: number): string {
    return join(this.directory, `${hour}.jsonl`);
  }
}
