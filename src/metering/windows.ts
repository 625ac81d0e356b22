/** Metering windows: whole UTC hours, and calendar months (UTC) for statements. */
export const HOUR_MS = 3_600_000;

/** Start of the UTC hour containing `time`. */
export function hourFloor(time: number): number {
  return Math.floor(time / HOUR_MS) * HOUR_MS;
}

export function isWholeHour(time: number): boolean {
  return Number.isFinite(time) && time % HOUR_MS === 0;
}

/** ISO string of a window start, always with milliseconds and Z: `2026-11-01T13:00:00.000Z`. */
export function windowIso(time: number): string {
  return new Date(time).toISOString();
}

const WINDOW_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:00:00(\.000)?Z$/;

/**
 * Parses a window start; throws unless it is a whole UTC hour in ISO form. A calendar date that
 * Date.parse would roll over (`2026-02-30`, hour `24`) is refused, not moved to another hour.
 */
export function parseWindowStart(text: string): number {
  const time = Date.parse(text);
  if (!WINDOW_ISO.test(text) || !isWholeHour(time) || windowIso(time).slice(0, 19) !== text.slice(0, 19)) {
    throw new RangeError(`windowStart must be a whole UTC hour like 2026-11-01T13:00:00Z, got ${JSON.stringify(text)}`);
  }
  return time;
}

/** `compute` remembering its last answer: a collector's records share one window, so it is nearly always the next one. */
function rememberingLast(compute: (text: string) => string): (text: string) => string {
  let last: { text: string; result: string } | undefined;
  return (text) => {
    if (last === undefined || last.text !== text) last = { text, result: compute(text) };
    return last.result;
  };
}

/** Canonical form of a window start string (always `.000Z`). */
export const canonicalWindow = rememberingLast((text) => windowIso(parseWindowStart(text)));

/** Canonical end of the window starting at `text` (the next window's start). */
export const windowEndIso = rememberingLast((text) => windowIso(parseWindowStart(text) + HOUR_MS));

/**
 * Window starts of every complete hour after the watermark up to `now`: the watermark is the start
 * of the last window already collected (or undefined: start with the hour before `now`'s hour).
 * An hour is complete once its end is at or before `now`. Yields in ascending order.
 */
export function* completeHoursAfter(watermark: number | undefined, now: number): Generator<number> {
  const lastComplete = hourFloor(now) - HOUR_MS;
  let next = watermark === undefined ? lastComplete : watermark + HOUR_MS;
  if (watermark !== undefined && !isWholeHour(watermark)) throw new RangeError('watermark must be a whole UTC hour');
  for (; next <= lastComplete; next += HOUR_MS) yield next;
}

export interface MonthRange {
  /** `YYYY-MM`. */
  month: string;
  /** First millisecond of the month (inclusive). */
  start: number;
  /** First millisecond of the next month (exclusive). */
  end: number;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function parseMonth(month: string): MonthRange {
  const match = MONTH.exec(month);
  if (!match) throw new RangeError(`month must look like 2026-11, got ${JSON.stringify(month)}`);
  const year = Number(match[1]);
  const index = Number(match[2]) - 1;
  return { month, start: Date.UTC(year, index, 1), end: Date.UTC(year, index + 1, 1) };
}

/** The UTC month containing `time`. */
export function monthOf(time: number): MonthRange {
  const date = new Date(time);
  const month = `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`;
  return parseMonth(month);
}

/** Number of whole hours in a month (DST does not exist in UTC): 672, 696, 720 or 744. */
export function hoursInMonth(range: MonthRange): number {
  return (range.end - range.start) / HOUR_MS;
}

/** The windows a collector still owes after its watermark, by the given clock. */
export function pendingWindows(watermark: number | undefined, clock: { now(): number }): number[] {
  return [...completeHoursAfter(watermark, clock.now())];
}
