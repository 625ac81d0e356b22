import { execFile } from 'node:child_process';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { ManualClock } from '../../src/metering/clock.js';
import { UsageEmitter } from '../../src/metering/emitter.js';
import { Outbox } from '../../src/metering/outbox/outbox.js';
import { SinkDelivery } from '../../src/metering/sinks/delivery.js';
import { FileSink } from '../../src/metering/sinks/file.js';
import { parsePriceLists, priceListAt } from '../../src/metering/rating/price-lists.js';
import { usageReport } from '../../src/metering/rating/report.js';
import { MonthToDateTotals } from '../../src/metering/rating/running-totals.js';
import { buildStatement } from '../../src/metering/rating/statement.js';
import { readUsageEventsFromText } from '../../src/metering/rating/event-log.js';
import type { UsageRecord } from '../../src/metering/record.js';
import { HOUR_MS, windowIso } from '../../src/metering/windows.js';
import { metricValue, temporaryDirectory } from './helpers.js';

const PRICE_LISTS = `
apiVersion: statsmoln.io/v1alpha1
kind: PriceList
metadata: { name: autumn-2026 }
spec:
  currency: SEK
  effectiveFrom: "2026-01-01"
  effectiveTo: "2026-11-15"
  prices:
    - { meter: compute.vcpu.hours, unitPrice: "0.3125" }
    - { meter: storage.flash.used.gib-hours, unitPrice: "0.000070" }
    - { meter: network.floatingip.hours, unitPrice: "0.0060" }
---
apiVersion: statsmoln.io/v1alpha1
kind: PriceList
metadata: { name: winter-2026 }
spec:
  currency: SEK
  effectiveFrom: "2026-11-15"
  prices:
    - { meter: compute.vcpu.hours, unitPrice: "0.3000" }
    - { meter: storage.flash.used.gib-hours, unitPrice: "0.000065" }
    - { meter: network.floatingip.hours, unitPrice: "0.0060" }
`;

const NOVEMBER = Date.parse('2026-11-01T00:00:00Z');

/** November 2026 for skatteverket, plus noise that must not count. */
function monthOfRecords(): UsageRecord[] {
  const records: UsageRecord[] = [];
  const base = { tenant: 'skatteverket', environment: 'production' };
  for (let hour = 0; hour < 720; hour += 1) {
    const windowStart = windowIso(NOVEMBER + hour * HOUR_MS);
    records.push({ ...base, dataCenter: 'sto-1', meter: 'compute.vcpu.hours', resource: 'project-a', windowStart, quantity: '4' });
    records.push({ ...base, dataCenter: 'got-1', meter: 'storage.flash.used.gib-hours', resource: 'agency-skatteverket/data', windowStart, quantity: '10.5' });
    if (hour < 100) records.push({ ...base, dataCenter: 'sto-1', meter: 'network.floatingip.hours', resource: 'fip-1', windowStart, quantity: '1' });
    records.push({ ...base, tenant: 'polisen', dataCenter: 'sto-1', meter: 'compute.vcpu.hours', resource: 'project-p', windowStart, quantity: '64' });
  }
  // Outside the month: the last hour of October and the first of December.
  records.push({ ...base, dataCenter: 'sto-1', meter: 'compute.vcpu.hours', resource: 'project-a', windowStart: '2026-10-31T23:00:00Z', quantity: '4' });
  records.push({ ...base, dataCenter: 'sto-1', meter: 'compute.vcpu.hours', resource: 'project-a', windowStart: '2026-12-01T00:00:00Z', quantity: '4' });
  return records;
}

/*
 * The statement by hand. 1-14 November (336 hours) are priced by autumn-2026, 15-30 November (384
 * hours) by winter-2026.
 *   vCPU sto-1, autumn: 336 h x 4 = 1344 vCPU-hours x 0.3125 = 420
 *   vCPU sto-1, winter: 384 h x 4 = 1536 vCPU-hours x 0.3000 = 460.8
 *   used flash got-1, autumn: 336 x 10.5 = 3528 GiB-hours x 0.000070 = 0.24696
 *   used flash got-1, winter: 384 x 10.5 = 4032 GiB-hours x 0.000065 = 0.26208
 *   floating IP sto-1 (first 100 hours, all autumn): 100 x 0.0060 = 0.6
 *   total: 420 + 460.8 + 0.24696 + 0.26208 + 0.6 = 881.90904, due 881.91 SEK
 */
const BY_HAND = [
  { meter: 'compute.vcpu.hours', dataCenter: 'sto-1', quantity: '1344', unitPrice: '0.3125', amount: '420', priceList: 'autumn-2026' },
  { meter: 'compute.vcpu.hours', dataCenter: 'sto-1', quantity: '1536', unitPrice: '0.3', amount: '460.8', priceList: 'winter-2026' },
  { meter: 'network.floatingip.hours', dataCenter: 'sto-1', quantity: '100', unitPrice: '0.006', amount: '0.6', priceList: 'autumn-2026' },
  { meter: 'storage.flash.used.gib-hours', dataCenter: 'got-1', quantity: '3528', unitPrice: '0.00007', amount: '0.24696', priceList: 'autumn-2026' },
  { meter: 'storage.flash.used.gib-hours', dataCenter: 'got-1', quantity: '4032', unitPrice: '0.000065', amount: '0.26208', priceList: 'winter-2026' },
];

describe('a month’s statement', () => {
  let directory: { path: string; remove: () => Promise<void> };
  let eventLog: string;
  let priceListFile: string;

  beforeAll(async () => {
    directory = await temporaryDirectory('statement');
    eventLog = join(directory.path, 'usage.jsonl');
    priceListFile = join(directory.path, 'prices.yaml');
    await writeFile(priceListFile, PRICE_LISTS);
    // Through the real pipeline: emitter -> outbox -> file sink.
    const outbox = await Outbox.open({ directory: join(directory.path, 'outbox'), sinks: ['file'] });
    const emitter = new UsageEmitter({ outbox, source: '/statsmoln/test' });
    await emitter.emit(monthOfRecords());
    await emitter.emit(monthOfRecords().slice(0, 50)); // a re-collection: the same ids again
    const sink = await FileSink.open({ path: eventLog });
    await new SinkDelivery({ outbox, sink, batchSize: 1000 }).drain();
    await sink.close();
    await outbox.close();
  });
  afterAll(async () => {
    await directory.remove();
  });

  it('equals the sum of its events priced by hand', async () => {
    const report = await usageReport({ tenant: 'skatteverket', month: '2026-11', eventLog, priceList: priceListFile, format: 'json' });
    const { statement } = report;
    expect(statement.lines.map(({ unit: _unit, ...line }) => line)).toEqual(BY_HAND);
    expect(statement.subtotal).toBe('881.90904');
    expect(statement.credits).toEqual([]);
    expect(statement.total).toBe('881.90904');
    expect(statement.totalDue).toBe('881.91');
    expect(statement.currency).toBe('SEK');
    expect(statement.events).toBe(720 * 2 + 100);
    expect(report.log.duplicates).toBe(50);
    expect(report.notices).toEqual(['50 duplicate events (same source and id) were counted once']);
    expect(JSON.parse(report.text)).toEqual(statement);
  });

  it('subtracts credit lines from the total', () => {
    const statement = buildStatement({
      tenant: 'skatteverket',
      month: '2026-11',
      usage: monthOfRecords(),
      priceLists: parsePriceLists(PRICE_LISTS),
      credits: [{ reason: 'sla-missed', amount: '460.8', covers: 'sla/compute: compute.vcpu.hours' }],
    });
    expect(statement.total).toBe('421.10904');
    expect(statement.totalDue).toBe('421.11');
  });

  it('refuses to price a meter without a price, a window without a list, and overlapping lists', () => {
    const lists = parsePriceLists(PRICE_LISTS);
    const record: UsageRecord = {
      tenant: 'skatteverket',
      dataCenter: 'sto-1',
      environment: 'test',
      meter: 'compute.ram.gib-hours',
      resource: 'p',
      windowStart: '2026-11-02T00:00:00Z',
      quantity: '1',
    };
    expect(() => buildStatement({ tenant: 'skatteverket', month: '2026-11', usage: [record], priceLists: lists })).toThrow(
      /autumn-2026 has no price for meter compute.ram.gib-hours/,
    );
    expect(() => priceListAt(lists.slice(1), Date.parse('2026-11-02T00:00:00Z'))).toThrow(/no PriceList is in effect/);
    const overlapping = parsePriceLists(PRICE_LISTS.replace('effectiveTo: "2026-11-15"', 'effectiveTo: "2026-11-16"'));
    expect(() => priceListAt(overlapping, Date.parse('2026-11-15T03:00:00Z'))).toThrow(/autumn-2026 and winter-2026 are both in effect/);
  });

  it('ignores a torn final line of the log but not a bad line in the middle', () => {
    const good = '{"specversion":"1.0","id":"x","source":"/s","type":"io.statsmoln.lifecycle.v1","data":{}}';
    expect(readUsageEventsFromText(`${good}\n{"id":"y","sour`).tornFinalLine).toBe(true);
    expect(() => readUsageEventsFromText(`{"id":"y","sour\n${good}\n`)).toThrow(/events:1: not JSON/);
  });

  it('prints table and CSV from the command line', async () => {
    const run = promisify(execFile);
    const cli = ['--import', 'tsx', join(process.cwd(), 'src/cli/main.ts'), 'usage', 'report', '--tenant', 'skatteverket', '--month', '2026-11'];
    const files = ['--events', eventLog, '--price-list', priceListFile];
    const csv = await run(process.execPath, [...cli, ...files, '--output', 'csv']);
    expect(csv.stdout.split('\n')[0]).toBe('tenant,month,meter,dataCenter,quantity,unit,unitPrice,amount,currency,priceList');
    expect(csv.stdout).toContain('skatteverket,2026-11,compute.vcpu.hours,sto-1,1536,vcpu-hours,0.3,460.8,SEK,winter-2026');
    expect(csv.stdout.trimEnd().split('\n').at(-1)).toBe('skatteverket,2026-11,total,,,,,881.90904,SEK,');
    expect(csv.stderr).toContain('50 duplicate events');
    const table = await run(process.execPath, [...cli, ...files]);
    expect(table.stdout).toMatch(/Total due\s+881\.91/);
    expect(table.stdout).toMatch(/compute\.vcpu\.hours\s+sto-1\s+1344\s+vcpu-hours\s+0\.3125\s+420\.00/);
    await appendFile(eventLog, '{"torn');
    const torn = await run(process.execPath, [...cli, ...files, '--output', 'json']);
    expect(JSON.parse(torn.stdout).totalDue).toBe('881.91');
    expect(torn.stderr).toContain('incomplete');
    expect((await readFile(eventLog, 'utf8')).endsWith('{"torn')).toBe(true);
  });
});

describe('month-to-date gauges', () => {
  it('sum usage per tenant and meter, count a re-emitted window once and restart with the month', async () => {
    const registry = new Registry();
    const clock = new ManualClock('2026-11-20T10:05:00Z');
    const totals = new MonthToDateTotals({ source: '/s', clock, registry, priceLists: parsePriceLists(PRICE_LISTS) });
    const record: UsageRecord = {
      tenant: 'skatteverket',
      dataCenter: 'sto-1',
      environment: 'production',
      meter: 'compute.vcpu.hours',
      resource: 'project-a',
      windowStart: '2026-11-20T09:00:00Z',
      quantity: '2.5',
    };
    totals.observe(record);
    totals.observe(record);
    totals.observe({ ...record, dataCenter: 'got-1' });
    totals.observe({ ...record, windowStart: '2026-10-31T23:00:00Z' });
    expect(totals.quantity('skatteverket', 'compute.vcpu.hours')).toBe('5');
    const labels = { tenant: 'skatteverket', meter: 'compute.vcpu.hours' };
    expect(await metricValue(registry, 'statsmoln_usage_month_to_date_quantity', labels)).toBe(5);
    expect(await metricValue(registry, 'statsmoln_usage_month_to_date_amount', labels)).toBe(1.5);
    clock.set('2026-12-01T00:10:00Z');
    totals.observe({ ...record, windowStart: '2026-12-01T00:00:00Z', quantity: '1' });
    expect(await metricValue(registry, 'statsmoln_usage_month_to_date_quantity', labels)).toBe(1);
  });
});
