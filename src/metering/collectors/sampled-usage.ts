import { integrateOverWindow, type LevelSample } from '../integrate.js';
import { HOUR_MS } from '../windows.js';
import type { Sweep } from './sample-store.js';

export interface SampledWindowUsage {
  /** Level-hours per meter and resource (levels are GiB, or 1 per floating IP). */
  quantities: Map<string, Map<string, string>>;
  /** Milliseconds of the hour covered by a sweep no older than `maxSampleAgeMs`. */
  coveredMs: number;
}

/**
 * Integrates sweeps over one window. A sweep's levels hold until the next sweep, but for at most
 * `maxSampleAgeMs`: time not covered by a recent enough sweep counts as zero (nothing is invented
 * for a gap, for example while the operator was down), and `coveredMs` says how much was covered.
 * `sweeps` must include the last sweep before the window, if any, so the level at its start is known.
 */
export function integrateSweeps(
  sweeps: readonly Sweep[],
  windowStart: number,
  maxSampleAgeMs: number,
): SampledWindowUsage {
  const windowEnd = windowStart + HOUR_MS;
  const ordered = [...sweeps].sort((left, right) => left.at - right.at).filter((sweep) => sweep.at < windowEnd);
  const lastBefore = ordered.filter((sweep) => sweep.at <= windowStart).at(-1);
  const relevant = ordered.filter((sweep) => sweep.at > windowStart || sweep === lastBefore);

  const series = new Map<string, LevelSample[]>();
  const keyOf = (meter: string, resource: string): string => JSON.stringify([meter, resource]);
  for (const sweep of relevant) {
    if (sweep.at + maxSampleAgeMs <= windowStart) continue;
    for (const level of sweep.levels) {
      const key = keyOf(level.meter, level.resource);
      if (!series.has(key)) series.set(key, []);
    }
  }

  let coveredMs = 0;
  for (let index = 0; index < relevant.length; index += 1) {
    const sweep = relevant[index]!;
    const next = relevant[index + 1];
    const holdsUntil = Math.min(next ? next.at : Number.POSITIVE_INFINITY, sweep.at + maxSampleAgeMs, windowEnd);
    const from = Math.max(sweep.at, windowStart);
    if (holdsUntil > from) coveredMs += holdsUntil - from;
    const present = new Map(sweep.levels.map((level) => [keyOf(level.meter, level.resource), level.value]));
    for (const [key, samples] of series) samples.push({ at: sweep.at, value: present.get(key) ?? '0' });
    const gapStarts = sweep.at + maxSampleAgeMs;
    if ((next === undefined || next.at > gapStarts) && gapStarts < windowEnd) {
      for (const samples of series.values()) samples.push({ at: gapStarts, value: '0' });
    }
  }

  const quantities = new Map<string, Map<string, string>>();
  for (const [key, samples] of series) {
    const [meter, resource] = JSON.parse(key) as [string, string];
    const quantity = integrateOverWindow(samples, windowStart);
    if (!quantities.has(meter)) quantities.set(meter, new Map());
    quantities.get(meter)!.set(resource, quantity);
  }
  return { quantities, coveredMs };
}
