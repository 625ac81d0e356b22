import { Decimal } from 'decimal.js';

/**
 * Exact decimal arithmetic for quantities and money. A private Decimal constructor with enough
 * precision that sums of a month of hourly quantities times prices never round.
 */
export const Exact = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -60, toExpPos: 60 });
export type Exact = Decimal;

const DECIMAL_STRING = /^-?[0-9]+(\.[0-9]+)?$/;

/** Parses a plain decimal string (no exponent, no sign other than '-'); throws on anything else. */
export function parseDecimal(text: string, what = 'decimal'): Decimal {
  if (typeof text !== 'string' || !DECIMAL_STRING.test(text)) {
    throw new TypeError(`${what} must be a plain decimal string like "12.5", got ${JSON.stringify(text)}`);
  }
  return new Exact(text);
}

const CANONICAL_NON_NEGATIVE = /^(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$/;

/** The canonical string of a non-negative plain decimal string; throws on anything else. */
export function canonicalNonNegative(text: string, what = 'decimal'): string {
  if (typeof text === 'string' && CANONICAL_NON_NEGATIVE.test(text)) return text;
  const value = parseDecimal(text, what);
  if (value.isNegative()) throw new RangeError(`${what} must not be negative`);
  return formatDecimal(value);
}

/** Canonical string of an exact decimal: no exponent, no trailing zeros after the point. */
export function formatDecimal(value: Decimal): string {
  return value.toFixed();
}

/** Sums decimal strings or values exactly. */
export function sumDecimals(values: Iterable<Decimal>): Decimal {
  let total = new Exact(0);
  for (const value of values) total = total.plus(value);
  return total;
}
