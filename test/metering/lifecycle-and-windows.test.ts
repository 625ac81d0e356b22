import { Backoff } from '../../src/metering/backoff.js';
import { ManualClock } from '../../src/metering/clock.js';
import { LIFECYCLE_EVENT_TYPE, lifecycleEvent, toStructuredJson, type LifecycleRecord } from '../../src/metering/events.js';
import { unitOfMeter } from '../../src/metering/record.js';
import { NatsSink } from '../../src/metering/sinks/nats.js';
import { hoursInMonth, monthOf, parseMonth, pendingWindows, windowIso } from '../../src/metering/windows.js';

describe('lifecycle events', () => {
  const started: LifecycleRecord = {
    tenant: 'polisen',
    dataCenter: 'sto-1',
    environment: 'classified',
    resourceKind: 'server',
    resource: 'project-x/server-1',
    action: 'started',
    at: '2026-11-03T08:15:00Z',
  };

  it('have deterministic ids, the transition time as time and the tenant as subject', () => {
    const first = JSON.parse(toStructuredJson(lifecycleEvent(started, { source: '/statsmoln/a' }))) as Record<string, unknown>;
    const again = JSON.parse(toStructuredJson(lifecycleEvent({ ...started, at: '2026-11-03T08:15:00.000Z' }, { source: '/statsmoln/a' })));
    expect(again).toEqual(first);
    expect(first).toMatchObject({ type: LIFECYCLE_EVENT_TYPE, subject: 'polisen', time: '2026-11-03T08:15:00.000Z', specversion: '1.0' });
    const stopped = lifecycleEvent({ ...started, action: 'stopped', at: '2026-11-03T17:30:00Z' }, { source: '/statsmoln/a' });
    expect(stopped.id).not.toBe(first.id);
    expect(() => lifecycleEvent({ ...started, at: 'yesterday' }, { source: '/s' })).toThrow(/ISO 8601/);
  });
});

describe('windows and months', () => {
  it('lists the windows owed after five hours of downtime, each once, by the injected clock', () => {
    const clock = new ManualClock('2026-11-03T10:20:00Z');
    const watermark = Date.parse('2026-11-03T04:00:00Z'); // last collected window before the downtime
    expect(pendingWindows(watermark, clock).map(windowIso)).toEqual([
      '2026-11-03T05:00:00.000Z',
      '2026-11-03T06:00:00.000Z',
      '2026-11-03T07:00:00.000Z',
      '2026-11-03T08:00:00.000Z',
      '2026-11-03T09:00:00.000Z',
    ]);
    clock.advance(40 * 60_000);
    expect(pendingWindows(Date.parse('2026-11-03T09:00:00Z'), clock).map(windowIso)).toEqual(['2026-11-03T10:00:00.000Z']);
  });

  it('knows month boundaries and lengths in UTC', () => {
    expect(parseMonth('2026-11')).toEqual({ month: '2026-11', start: Date.parse('2026-11-01T00:00:00Z'), end: Date.parse('2026-12-01T00:00:00Z') });
    expect(hoursInMonth(parseMonth('2026-12'))).toBe(744);
    expect(hoursInMonth(parseMonth('2028-02'))).toBe(696);
    expect(monthOf(Date.parse('2026-12-31T23:59:59Z')).month).toBe('2026-12');
    expect(() => parseMonth('2026-13')).toThrow(/2026-11/);
  });

  it('derives units from meter names', () => {
    expect(unitOfMeter('compute.vcpu.hours')).toBe('vcpu-hours');
    expect(unitOfMeter('compute.ram.gib-hours')).toBe('gib-hours');
    expect(unitOfMeter('network.floatingip.hours')).toBe('floatingip-hours');
    expect(unitOfMeter('storage.hdd.used.gib-hours')).toBe('gib-hours');
  });
});

describe('backoff', () => {
  it('grows exponentially up to the cap, with the same jitter for the same seed', () => {
    const delays = (seed: number): number[] => {
      const backoff = new Backoff({ initialMs: 100, maxMs: 1_000, seed });
      return Array.from({ length: 8 }, () => backoff.next());
    };
    const first = delays(9);
    expect(delays(9)).toEqual(first);
    expect(delays(10)).not.toEqual(first);
    const nominal = [100, 200, 400, 800, 1000, 1000, 1000, 1000];
    first.forEach((delay, index) => {
      expect(delay).toBeGreaterThanOrEqual(nominal[index]! / 2);
      expect(delay).toBeLessThanOrEqual(nominal[index]!);
    });
  });
});

describe('NATS subjects', () => {
  it('are per tenant and refuse tenants that are not NATS tokens', () => {
    const sink = new NatsSink({ servers: 'nats://127.0.0.1:1' });
    expect(sink.subjectFor('io.statsmoln.usage.v1', 'skatteverket')).toBe('statsmoln.usage.skatteverket');
    expect(sink.subjectFor('io.statsmoln.lifecycle.v1', 'polisen')).toBe('statsmoln.lifecycle.polisen');
    expect(() => sink.subjectFor('io.statsmoln.usage.v1', 'a.b')).toThrow(/not a NATS token/);
    expect(() => sink.subjectFor('other', 'a')).toThrow(/no subject/);
  });
});
