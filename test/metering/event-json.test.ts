import { HTTP } from 'cloudevents';
import { seededRandom } from '../../src/runtime/random.js';
import { canonicalNonNegative, formatDecimal, parseDecimal } from '../../src/metering/decimal.js';
import { UsageEmitter } from '../../src/metering/emitter.js';
import { STRUCTURED_CONTENT_TYPE, toStructuredJson, usageEvent, usageEventJson } from '../../src/metering/events.js';
import { COMPUTE_METERS, NETWORK_METERS, storageMeter } from '../../src/metering/meters.js';
import type { Outbox } from '../../src/metering/outbox/outbox.js';
import type { UsageRecord } from '../../src/metering/record.js';
import { canonicalWindow, parseWindowStart, windowEndIso } from '../../src/metering/windows.js';

const METERS = [...COMPUTE_METERS, ...NETWORK_METERS, storageMeter('hdd', 'provisioned'), storageMeter('flash', 'used')];

function randomQuantity(next: () => number): string {
  const digits = (count: number): string => Array.from({ length: count }, () => String(Math.floor(next() * 10))).join('');
  const whole = next() < 0.2 ? '0' : digits(1 + Math.floor(next() * 25));
  const fraction = next() < 0.3 ? '' : `.${digits(1 + Math.floor(next() * 40))}`;
  return whole + fraction;
}

function randomRecord(next: () => number): UsageRecord {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const hour = String(Math.floor(next() * 24)).padStart(2, '0');
  const day = pick(['2026-11-03', '2026-12-31', '2027-02-28', '2028-02-29']);
  return {
    tenant: pick(['polisen', 'skatteverket', 'msb-2']),
    dataCenter: pick(['sto-1', 'got-1']),
    environment: pick(['production', 'classified', 'test']),
    meter: pick(METERS),
    resource: pick(['project-1', 'polisen/data', 'fip-9']),
    windowStart: `${day}T${hour}:00:00${pick(['Z', '.000Z'])}`,
    quantity: randomQuantity(next),
  };
}

describe('usage event JSON', () => {
  it('is byte for byte the SDK CloudEvent of the record, over 5,000 seeded records and changing windows', () => {
    const next = seededRandom(20261123);
    for (let index = 0; index < 5000; index += 1) {
      const record = randomRecord(next);
      const json = usageEventJson(record, { source: '/statsmoln/test' });
      expect({ index, json }).toEqual({ index, json: toStructuredJson(usageEvent(record, { source: '/statsmoln/test' })) });
    }
  });

  it('is read back by the SDK as a valid CloudEvent 1.0', () => {
    const record = randomRecord(seededRandom(7));
    const json = usageEventJson(record, { source: '/statsmoln/test' });
    const event = HTTP.toEvent({ headers: { 'content-type': STRUCTURED_CONTENT_TYPE }, body: json });
    expect(Array.isArray(event)).toBe(false);
    expect(event).toMatchObject({ specversion: '1.0', source: '/statsmoln/test', subject: record.tenant });
  });

  it('keeps the checks of the record: a wrong window or quantity still throws', () => {
    const record = randomRecord(seededRandom(8));
    const source = { source: '/s' };
    usageEventJson({ ...record, windowStart: '2026-11-03T10:00:00Z' }, source);
    expect(() => usageEventJson({ ...record, windowStart: '2026-11-03T10:30:00Z' }, source)).toThrow(/whole UTC hour/);
    expect(() => usageEventJson({ ...record, quantity: '-0' }, source)).toThrow(/negative/);
    expect(() => usageEventJson({ ...record, quantity: '' }, source)).toThrow(/plain decimal/);
    const { windowStart: _absent, ...withoutWindow } = record;
    expect(() => usageEventJson(withoutWindow as UsageRecord, source)).toThrow(/whole UTC hour/);
  });

  it('comes from an emitter only with a valid source, checked when the emitter is made', () => {
    const outbox = {} as Outbox;
    expect(() => new UsageEmitter({ outbox, source: '' })).toThrow(/source/);
    expect(() => new UsageEmitter({ outbox, source: '/statsmoln/prod' })).not.toThrow();
  });
});

describe('canonical quantities', () => {
  it('agree with exact decimal formatting on 5,000 seeded plain decimals', () => {
    const next = seededRandom(42);
    for (let index = 0; index < 5000; index += 1) {
      const padded = `${next() < 0.3 ? '00' : ''}${randomQuantity(next)}${next() < 0.3 ? '000' : ''}`;
      const text = padded.includes('.') || !padded.endsWith('000') ? padded : `${padded}.000`;
      expect({ text, canonical: canonicalNonNegative(text) }).toEqual({ text, canonical: formatDecimal(parseDecimal(text)) });
    }
  });

  it('refuses negative values, zero with a sign included', () => {
    expect(() => canonicalNonNegative('-1.5', 'quantity')).toThrow('quantity must not be negative');
    expect(() => canonicalNonNegative('-0', 'quantity')).toThrow('quantity must not be negative');
    expect(canonicalNonNegative('0.000')).toBe('0');
    expect(canonicalNonNegative('012.50')).toBe('12.5');
  });
});

describe('window starts', () => {
  it('refuse calendar dates that Date.parse would move to another hour', () => {
    expect(() => parseWindowStart('2026-02-30T13:00:00Z')).toThrow(/whole UTC hour/);
    expect(() => parseWindowStart('2026-01-01T24:00:00.000Z')).toThrow(/whole UTC hour/);
    expect(() => parseWindowStart('2027-02-29T00:00:00Z')).toThrow(/whole UTC hour/);
    expect(parseWindowStart('2028-02-29T00:00:00Z')).toBe(Date.UTC(2028, 1, 29));
  });

  it('are canonical and end an hour later, whichever was asked last', () => {
    expect(canonicalWindow('2026-11-03T10:00:00Z')).toBe('2026-11-03T10:00:00.000Z');
    expect(windowEndIso('2026-12-31T23:00:00.000Z')).toBe('2027-01-01T00:00:00.000Z');
    expect(canonicalWindow('2026-11-03T11:00:00Z')).toBe('2026-11-03T11:00:00.000Z');
    expect(() => canonicalWindow('')).toThrow(/whole UTC hour/);
    expect(() => windowEndIso('')).toThrow(/whole UTC hour/);
    expect(canonicalWindow('2026-11-03T11:00:00Z')).toBe('2026-11-03T11:00:00.000Z');
  });
});
