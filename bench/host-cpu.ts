/**
 * How much CPU time the hypervisor took from this virtual machine (steal time, from /proc/stat),
 * so that a benchmark figure from a shared host can be read against how busy the host was.
 */
import { readFileSync } from 'node:fs';

interface CpuTimes {
  steal: number;
  total: number;
}

/** The machine's CPU time counters (all cores), or undefined where /proc/stat does not exist. */
function cpuTimes(): CpuTimes | undefined {
  let stat: string;
  try {
    stat = readFileSync('/proc/stat', 'utf8');
  } catch {
    return undefined;
  }
  // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest time is within user)
  const fields = (stat.split('\n')[0] ?? '').trim().split(/\s+/).slice(1, 9).map(Number);
  if (fields.length < 8 || fields.some((value) => !Number.isFinite(value))) return undefined;
  return { steal: fields[7]!, total: fields.reduce((sum, value) => sum + value, 0) };
}

export class StealMeter {
  private readonly start = cpuTimes();

  /** Percent of all CPU time since construction that was stolen, or undefined if unknown. */
  stolenPercent(): number | undefined {
    const end = cpuTimes();
    if (!this.start || !end || end.total === this.start.total) return undefined;
    return ((end.steal - this.start.steal) / (end.total - this.start.total)) * 100;
  }
}

/** A line for a bench's output: the steal time read once with `stolenPercent()`. */
export function describeSteal(percent: number | undefined): string {
  return percent === undefined ? 'host steal time: not available' : `host steal time: ${percent.toFixed(1)} % of the machine's CPU time went to other guests`;
}
