import { isKnownMeterShape } from './meters.js';
import { canonicalNonNegative } from './decimal.js';
import { canonicalWindow } from './windows.js';

/**
 * One meter's usage of one resource during one whole UTC hour. Collectors produce these; everything
 * after (events, outbox, sinks, rating) starts from here.
 */
export interface UsageRecord {
  tenant: string;
  dataCenter: string;
  environment: string;
  meter: string;
  /** Stable key of the metered resource: a project id, `<namespace>/<volume>`, a floating IP id. */
  resource: string;
  /** Start of the hour, ISO 8601 UTC (`2026-11-01T13:00:00.000Z`). */
  windowStart: string;
  /** Exact non-negative decimal string in the meter's unit. */
  quantity: string;
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export class InvalidUsageRecordError extends Error {
  override name = 'InvalidUsageRecordError';
}

/**
 * Validates a record and returns it in canonical form (window with milliseconds, quantity without
 * trailing zeros), so that equal usage always gives byte-identical events.
 */
export function normalizeRecord(record: UsageRecord): UsageRecord {
  for (const field of ['tenant', 'dataCenter', 'environment'] as const) {
    if (typeof record[field] !== 'string' || !NAME.test(record[field])) {
      throw new InvalidUsageRecordError(`${field} must be a DNS label, got ${JSON.stringify(record[field])}`);
    }
  }
  if (!isKnownMeterShape(record.meter)) throw new InvalidUsageRecordError(`unknown meter ${JSON.stringify(record.meter)}`);
  if (typeof record.resource !== 'string' || record.resource.length === 0 || record.resource.length > 512) {
    throw new InvalidUsageRecordError('resource must be a non-empty key of at most 512 characters');
  }
  let quantity;
  let windowStart;
  try {
    quantity = canonicalNonNegative(record.quantity, 'quantity');
    windowStart = canonicalWindow(record.windowStart);
  } catch (error) {
    throw new InvalidUsageRecordError((error as Error).message);
  }
  return {
    tenant: record.tenant,
    dataCenter: record.dataCenter,
    environment: record.environment,
    meter: record.meter,
    resource: record.resource,
    windowStart,
    quantity,
  };
}

/**
 * Unit of a meter, from its name: `compute.vcpu.hours` -> `vcpu-hours`,
 * `storage.flash.used.gib-hours` -> `gib-hours`, `network.floatingip.hours` -> `floatingip-hours`.
 */
export function unitOfMeter(meter: string): string {
  const parts = meter.split('.');
  const last = parts.at(-1) ?? meter;
  if (last === 'hours' && parts.length >= 2) return `${parts.at(-2)}-hours`;
  return last;
}
