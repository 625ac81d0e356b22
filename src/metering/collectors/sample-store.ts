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
}

/**
 * Sweeps on disk, one append-only JSON-lines file per UTC hour (`<hour start ms>.jsonl`). Each
 * sweep is one line, appended and fdatasynced before `append` resolves, so a restart keeps every
 * sweep taken before it. A torn last line (crash mid-write) is ignored when reading.
 */
export class SampleStore {
  private constructor(private readonly directory: string) {}

  static async open(directory: string): Promise<SampleStore> {
    await mkdir(directory, { recursive: true });
    return new SampleStore(directory);
  }

  async append(sweeps: readonly Sweep[]): Promise<void> {
    const byHour = new Map<number, Sweep[]>();
    for (const sweep of sweeps) {
      const hour = hourFloor(sweep.at);
      byHour.set(hour, [...(byHour.get(hour) ?? []), sweep]);
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

  /** Sweeps of one placement taken in [from, to), ordered by time. */
  async read(tenant: string, dataCenter: string, environment: string, from: number, to: number): Promise<Sweep[]> {
    const found: Sweep[] = [];
    for (let hour = hourFloor(from); hour < to; hour += HOUR_MS) {
      let text: string;
      try {
        text = await readFile(this.fileOf(hour), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      for (const line of text.split('\n')) {
        if (line.length === 0) continue;
        let sweep: Sweep;
        try {
          sweep = JSON.parse(line) as Sweep;
        } catch {
          continue; // a torn final line from a crash during append
        }
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
