import { parseDecimal, sumDecimals } from '../../src/metering/decimal.js';
import { ManualClock } from '../../src/metering/clock.js';
import { usageEvent, usageEventId, toStructuredJson, USAGE_EVENT_TYPE } from '../../src/metering/events.js';
import { BYTES_PER_GIB, integrateOverWindow, type LevelSample } from '../../src/metering/integrate.js';
import type { UsageRecord } from '../../src/metering/record.js';
import { completeHoursAfter, HOUR_MS, windowIso } from '../../src/metering/windows.js';

const DAY = Date.parse('2026-11-03T00:00:00Z');
const at = (hhmm: string): number => Date.parse(`2026-11-03T${hhmm}:00Z`);
const GIB = 2 ** 30;

// One agency's day: a 4 vCPU / 8 GiB server runs 08:15-17:30; a 100 GiB flash volume is provisioned
// all day; the bytes stored start at 10 GiB and grow by 1 GiB every 20 minutes from 06:00 to 12:00.
const vcpu: LevelSample[] = [
  { at: at('08:15'), value: '4' },
  { at: at('17:30'), value: '0' },
];
const ram: LevelSample[] = [
  { at: at('08:15'), value: '8' },
  { at: at('17:30'), value: '0' },
];
const instances: LevelSample[] = [
  { at: at('08:15'), value: '1' },
  { at: at('17:30'), value: '0' },
];
const provisioned: LevelSample[] = [{ at: DAY - HOUR_MS, value: String(100 * GIB) }];
const used: LevelSample[] = [{ at: DAY - HOUR_MS, value: String(10 * GIB) }];
for (let step = 1; step <= 18; step += 1) used.push({ at: at('06:00') + (step - 1) * 20 * 60_000, value: String((10 + step) * GIB) });

function recordsForHour(windowStart: number): UsageRecord[] {
  const base = { tenant: 'skatteverket', dataCenter: 'sto-1', environment: 'production', windowStart: windowIso(windowStart) };
  return [
    { ...base, meter: 'compute.vcpu.hours', resource: 'project-1', quantity: integrateOverWindow(vcpu, windowStart) },
    { ...base, meter: 'compute.ram.gib-hours', resource: 'project-1', quantity: integrateOverWindow(ram, windowStart) },
    { ...base, meter: 'compute.instance.hours', resource: 'project-1', quantity: integrateOverWindow(instances, windowStart) },
    {
      ...base,
      meter: 'storage.flash.provisioned.gib-hours',
      resource: 'agency-skatteverket/data',
      quantity: integrateOverWindow(provisioned, windowStart, BYTES_PER_GIB),
    },
    {
      ...base,
      meter: 'storage.flash.used.gib-hours',
      resource: 'agency-skatteverket/data',
      quantity: integrateOverWindow(used, windowStart, BYTES_PER_GIB),
    },
  ];
}

/** Expected by hand, hour by hour (vCPU, RAM GiB, instance, provisioned GiB, used GiB: all -hours). */
function expectedForHour(hour: number): string[] {
  const compute = hour < 8 || hour > 17 ? 0 : hour === 8 ? 0.75 : hour === 17 ? 0.5 : 1;
  // Used: before 06:00 10 GiB; in hour h (6..11) the levels are 10+3(h-6)+1, +2, +3 for 20 min each,
  // i.e. an average of 10+3(h-6)+2; from 12:00 on 28 GiB (the last step at 11:40).
  const usedGib = hour < 6 ? 10 : hour < 12 ? 10 + 3 * (hour - 6) + 2 : 28;
  return [String(4 * compute), String(8 * compute), String(compute), '100', String(usedGib)];
}

describe('a simulated day of usage records', () => {
  const clock = new ManualClock('2026-11-04T00:10:00Z');
  const windows = [...completeHoursAfter(DAY - HOUR_MS, clock.now())];

  it('has exactly the 24 hours of the day as complete windows', () => {
    expect(windows).toHaveLength(24);
    expect(windows[0]).toBe(DAY);
    expect(windows.at(-1)).toBe(DAY + 23 * HOUR_MS);
  });

  it('gives the exact expected quantity for every hour and meter', () => {
    for (const [hour, windowStart] of windows.entries()) {
      const quantities = recordsForHour(windowStart).map((record) => record.quantity);
      expect({ hour, quantities }).toEqual({ hour, quantities: expectedForHour(hour) });
    }
    const dayTotal = windows
      .flatMap(recordsForHour)
      .filter((record) => record.meter === 'compute.vcpu.hours')
      .map((record) => parseDecimal(record.quantity));
    expect(sumDecimals(dayTotal).toFixed()).toBe('37'); // 4 vCPU x 9 h 15 min (08:15-17:30)
  });

  it('re-emits identical events (ids and bytes) for a re-collected day', () => {
    const source = '/statsmoln/test';
    const first = windows.flatMap(recordsForHour).map((record) => toStructuredJson(usageEvent(record, { source })));
    const again = windows.flatMap(recordsForHour).map((record) => toStructuredJson(usageEvent(record, { source })));
    expect(again).toEqual(first);
    const ids = first.map((json) => (JSON.parse(json) as { id: string }).id);
    expect(new Set(ids).size).toBe(24 * 5);
  });

  it('builds CloudEvents 1.0 with the window end as time and decimal-string quantities', () => {
    const record = recordsForHour(at('08:00'))[0]!;
    const event = JSON.parse(toStructuredJson(usageEvent(record, { source: '/statsmoln/test' }))) as Record<string, unknown>;
    expect(event).toEqual({
      specversion: '1.0',
      id: usageEventId(record),
      type: USAGE_EVENT_TYPE,
      source: '/statsmoln/test',
      subject: 'skatteverket',
      time: '2026-11-03T09:00:00.000Z',
      datacontenttype: 'application/json',
      data: {
        tenant: 'skatteverket',
        dataCenter: 'sto-1',
        environment: 'production',
        meter: 'compute.vcpu.hours',
        resource: 'project-1',
        windowStart: '2026-11-03T08:00:00.000Z',
        windowEnd: '2026-11-03T09:00:00.000Z',
        quantity: '3',
        unit: 'vcpu-hours',
      },
    });
  });

  it('gives the same id whatever the spelling of window and quantity, and another id for another key', () => {
    const record = recordsForHour(at('10:00'))[0]!;
    expect(usageEventId({ ...record, windowStart: '2026-11-03T10:00:00Z', quantity: '4.000' })).toBe(usageEventId(record));
    expect(usageEventId({ ...record, resource: 'project-2' })).not.toBe(usageEventId(record));
    expect(usageEventId({ ...record, environment: 'test' })).not.toBe(usageEventId(record));
  });

  it('refuses windows that are not whole hours and quantities that are not exact decimals', () => {
    const record = recordsForHour(at('10:00'))[0]!;
    expect(() => usageEvent({ ...record, windowStart: '2026-11-03T10:30:00Z' }, { source: '/s' })).toThrow(/whole UTC hour/);
    expect(() => usageEvent({ ...record, quantity: '1e3' }, { source: '/s' })).toThrow(/plain decimal/);
    expect(() => usageEvent({ ...record, quantity: '-1' }, { source: '/s' })).toThrow(/negative/);
    expect(() => usageEvent({ ...record, meter: 'compute.gpu' }, { source: '/s' })).toThrow(/unknown meter/);
  });
});

describe('windows', () => {
  it('yields every complete hour after a watermark once, and nothing for the current hour', () => {
    const watermark = Date.parse('2026-11-03T05:00:00Z');
    const now = Date.parse('2026-11-03T10:59:59Z');
    expect([...completeHoursAfter(watermark, now)].map(windowIso)).toEqual([
      '2026-11-03T06:00:00.000Z',
      '2026-11-03T07:00:00.000Z',
      '2026-11-03T08:00:00.000Z',
      '2026-11-03T09:00:00.000Z',
    ]);
    expect([...completeHoursAfter(Date.parse('2026-11-03T09:00:00Z'), now)]).toEqual([]);
    expect([...completeHoursAfter(undefined, Date.parse('2026-11-03T11:00:00Z'))].map(windowIso)).toEqual(['2026-11-03T10:00:00.000Z']);
  });
});
