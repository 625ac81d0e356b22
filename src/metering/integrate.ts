import type { Decimal } from 'decimal.js';
import { Exact, formatDecimal, parseDecimal } from './decimal.js';
import { HOUR_MS, isWholeHour } from './windows.js';

/** Decimal places kept in a quantity; beyond them a value is rounded half-to-even once, at the end. */
export const QUANTITY_SCALE = 9;

export const BYTES_PER_GIB = new Exact(2).pow(30);

/** A level (vCPUs, bytes stored, instances) that holds from `at` until the next sample. */
export interface LevelSample {
  at: number;
  value: string;
}

/**
 * Integrates a step function over one whole-hour window: each sample's level holds until the next
 * sample; the last sample before the window sets the level at its start (none: zero). Returns
 * level-hours divided by `divisor` (for example bytes -> GiB), rounded to QUANTITY_SCALE places.
 */
export function integrateOverWindow(samples: readonly LevelSample[], windowStart: number, divisor: Decimal = new Exact(1)): string {
  if (!isWholeHour(windowStart)) throw new RangeError('window start must be a whole UTC hour');
  const windowEnd = windowStart + HOUR_MS;
  const ordered = [...samples].sort((left, right) => left.at - right.at);
  let level = new Exact(0);
  let since = windowStart;
  let levelMs = new Exact(0);
  for (const sample of ordered) {
    const value = parseDecimal(sample.value, 'sample value');
    if (sample.at <= windowStart) {
      level = value;
      continue;
    }
    if (sample.at >= windowEnd) break;
    levelMs = levelMs.plus(level.times(sample.at - since));
    level = value;
    since = sample.at;
  }
  levelMs = levelMs.plus(level.times(windowEnd - since));
  return formatDecimal(levelMs.div(HOUR_MS).div(divisor).toDecimalPlaces(QUANTITY_SCALE, Exact.ROUND_HALF_EVEN));
}
