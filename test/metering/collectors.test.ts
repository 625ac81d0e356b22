import { jest } from '@jest/globals';
import type { AgencyTenant } from '../../src/api/v1alpha1/index.js';
import { Exact, formatDecimal } from '../../src/metering/decimal.js';
import { parsePriceLists } from '../../src/metering/rating/price-lists.js';
import { buildStatement } from '../../src/metering/rating/statement.js';
import { storageMeter } from '../../src/metering/meters.js';
import type { KubeClient, KubeObject } from '../../src/runtime/index.js';
import { metricValue } from './helpers.js';
import { DATA_CENTER, FLASH_POOL, HDD_POOL, HOUR, MINUTE, TENANTS, startCollectHarness, usageFromLines, type CollectHarness } from './support/collect-harness.js';

jest.setTimeout(120_000);

/** A fixed, whole UTC hour after any creation timestamp the API server can give (tests run before 2030). */
const T0 = Date.UTC(2030, 10, 1);
const at = (hours: number, minutes = 0): number => T0 + hours * HOUR + minutes * MINUTE;
const windowOf = (hour: number): string => new Date(at(hour)).toISOString();
const MIB = 1024 * 1024;

type Delivered = Awaited<ReturnType<CollectHarness['deliveredEvents']>>;

/** quantity by `hour|meter|resource`; fails on a duplicate. */
function byWindow(events: Delivered): Map<string, string> {
  const found = new Map<string, string>();
  for (const { data } of events) {
    const hour = (Date.parse(data.windowStart) - T0) / HOUR;
    const key = `${hour}|${data.meter}|${data.resource}`;
    if (found.has(key)) throw new Error(`window collected twice: ${key}`);
    found.set(key, data.quantity);
  }
  return found;
}

/** Runs `steps` of 10 minutes from the clock's time: events scheduled at a step happen, then a sweep, then a collection. */
async function runSimulated(
  harness: CollectHarness,
  until: number,
  events: Map<number, () => Promise<void>>,
  options: { sample?: (time: number) => boolean; collect?: (time: number) => boolean } = {},
  collector = harness.collector(),
): Promise<void> {
  for (let time = harness.clock.now(); time <= until; time += 10 * MINUTE) {
    harness.advanceTo(time);
    await events.get(time)?.();
    if (options.sample?.(time) ?? true) await collector.sampleOnce();
    if (options.collect?.(time) ?? true) await collector.collectOnce();
  }
}

describe('metering collectors against the simulators', () => {
  let harness: CollectHarness;

  beforeEach(async () => {
    harness = await startCollectHarness(T0);
  });
  afterEach(() => harness.close());

  test('a simulated day gives the exact expected quantities per hour, each window once', async () => {
    const projectId = await harness.createTenant('skatteverket');
    const project = harness.admin.forProject(projectId);
    const imageName = 'apps.data';
    const imageResource = `${HDD_POOL}/agency-skatteverket/${imageName}`;
    let serverA = '';
    let serverB = '';
    let hddVolume = '';
    let flashVolume = '';
    let floatingIp = '';
    const image = harness.openstack.facts().imageId as string;
    const events = new Map<number, () => Promise<void>>([
      // m1.medium (2 vCPU, 4 GiB) builds for a minute: running 00:01 - 05:30.
      [at(0), async () => void (serverA = await project.compute.createServer({ name: 'a', flavorRef: '3', imageRef: image, networks: 'none' }))],
      [at(1), async () => {
        await harness.cephStorage.ensureAgency({ tenant: 'skatteverket', pool: HDD_POOL });
        await harness.cephStorage.ensureVolume({ pool: HDD_POOL, namespace: 'agency-skatteverket', name: imageName }, 100 * 1024 * MIB);
      }],
      [at(1, 30), async () => harness.ceph.writeImage({ pool: HDD_POOL, namespace: 'agency-skatteverket', name: imageName }, 0, 64 * MIB)],
      [at(2), async () => void (hddVolume = (await project.blockStorage.createVolume({ name: 'hdd', size: 10, volume_type: 'standard' })).id)],
      [at(3), async () => harness.ceph.writeImage({ pool: HDD_POOL, namespace: 'agency-skatteverket', name: imageName }, 64 * MIB, 64 * MIB)],
      // A floating IP held from 04:00 to 06:20 (released just before that sweep).
      [at(4), async () => {
        const [external] = await project.network.listNetworks({ name: 'external', external: true });
        floatingIp = (await project.network.createFloatingIp({ floating_network_id: external!.id })).id;
      }],
      [at(5, 30), () => project.compute.deleteServer(serverA)],
      [at(6, 20), () => project.network.deleteFloatingIp(floatingIp)],
      // Cinder keeps the old size while `extending` (one minute), so the 08:00 sweep still sees 10.
      [at(8), () => project.blockStorage.extendVolume(hddVolume, 20)],
      // m1.tiny (1 vCPU, 0.5 GiB): running from 10:21.
      [at(10, 20), async () => void (serverB = await project.compute.createServer({ name: 'b', flavorRef: '1', imageRef: image, networks: 'none' }))],
      [at(12), async () => void (flashVolume = (await project.blockStorage.createVolume({ name: 'flash', size: 5, volume_type: 'fast' })).id)],
      // Billing stops when deletion is asked for (the volume is `deleting` at the 18:00 sweep).
      [at(18), () => project.blockStorage.deleteVolume(flashVolume)],
    ]);
    await runSimulated(harness, at(24, 10), events);

    const expected = new Map<string, string>();
    const put = (hour: number, meter: string, resource: string, quantity: string) => expected.set(`${hour}|${meter}|${resource}`, quantity);
    for (let hour = 0; hour < 24; hour += 1) {
      // Server A: 59 minutes in hour 0, whole hours 1-4, 30 minutes in hour 5. Server B: 39 minutes in hour 10, then whole hours.
      const a = hour === 0 ? '0.983333333' : hour <= 4 ? '1' : hour === 5 ? '0.5' : '0';
      const aMinutes = hour === 0 ? 59 : hour <= 4 ? 60 : hour === 5 ? 30 : 0;
      const bMinutes = hour === 10 ? 39 : hour > 10 ? 60 : 0;
      const hours = (minutes: number) => formatDecimal(new Exact(minutes).div(60).toDecimalPlaces(9, Exact.ROUND_HALF_EVEN));
      put(hour, 'compute.instance.hours', projectId, hours(aMinutes + bMinutes));
      put(hour, 'compute.vcpu.hours', projectId, hours(2 * aMinutes + bMinutes));
      put(hour, 'compute.ram.gib-hours', projectId, hours(4 * aMinutes + 0.5 * bMinutes));
      if (hour === 0) expect(hours(aMinutes)).toBe(a);
      if (hour >= 1) put(hour, storageMeter('hdd', 'provisioned'), imageResource, '100');
      if (hour >= 1) put(hour, storageMeter('hdd', 'used'), imageResource, hour === 1 ? '0.03125' : hour === 2 ? '0.0625' : '0.125');
      if (hour >= 2) put(hour, storageMeter('hdd', 'provisioned'), hddVolume, hour < 8 ? '10' : hour === 8 ? '18.333333333' : '20');
      if (hour >= 12 && hour < 18) put(hour, storageMeter('flash', 'provisioned'), flashVolume, '5');
      if (hour === 4 || hour === 5) put(hour, 'network.floatingip.hours', floatingIp, '1');
      if (hour === 6) put(hour, 'network.floatingip.hours', floatingIp, '0.333333333');
    }
    const delivered = await harness.deliveredEvents();
    const collected = byWindow(delivered);
    expect(Object.fromEntries([...collected].sort())).toEqual(Object.fromEntries([...expected].sort()));
    // The spot checks a reader can verify by hand.
    expect(collected.get(`0|compute.vcpu.hours|${projectId}`)).toBe('1.966666667');
    expect(collected.get(`10|compute.ram.gib-hours|${projectId}`)).toBe('0.325');
    expect(collected.get(`8|storage.hdd.provisioned.gib-hours|${hddVolume}`)).toBe('18.333333333');
    // Lifecycle: each billable resource starts at the first sweep that sees it and stops at the first that does not.
    const lifecycle = (await harness.deliveredLifecycle()).map(({ data }) => `${data.at} ${data.action} ${data.resourceKind} ${data.resource}`);
    // Servers start at the first sweep after Nova launched them (A builds 00:00-00:01, B 10:20-10:21).
    expect(lifecycle).toEqual([
      `${new Date(at(0, 10)).toISOString()} started server ${serverA}`,
      `${new Date(at(1)).toISOString()} started rbd-image ${imageResource}`,
      `${new Date(at(2)).toISOString()} started volume ${hddVolume}`,
      `${new Date(at(4)).toISOString()} started floatingip ${floatingIp}`,
      `${new Date(at(5, 30)).toISOString()} stopped server ${serverA}`,
      `${new Date(at(6, 20)).toISOString()} stopped floatingip ${floatingIp}`,
      `${new Date(at(10, 30)).toISOString()} started server ${serverB}`,
      `${new Date(at(12)).toISOString()} started volume ${flashVolume}`,
      `${new Date(at(18)).toISOString()} stopped volume ${flashVolume}`,
    ]);
    expect(delivered.every(({ data }) => data.tenant === 'skatteverket')).toBe(true);

    const tenant = await harness.client.get<AgencyTenant & KubeObject>(TENANTS, undefined, 'skatteverket');
    const watermarks = tenant.status?.metering?.watermarks ?? [];
    expect(watermarks).toHaveLength(3 + 1 + 4); // compute, floating IPs, two tiers x provisioned/used
    expect(new Set(watermarks.map((entry) => entry.collectedThrough))).toEqual(new Set([new Date(at(24)).toISOString().replace('.000Z', 'Z')]));
    expect(tenant.status?.placements?.[0]?.projectId).toBe(projectId); // the placements written by the tenant controller stay
    expect(await metricValue(harness.registry, 'statsmoln_metering_windows_collected_total', { tenant: 'skatteverket' })).toBe(24);
    expect(await metricValue(harness.registry, 'statsmoln_metering_partial_windows_total', { tenant: 'skatteverket' })).toBeUndefined();

    // Re-collecting a window (a new collector, watermarks reset) gives byte-identical events and ids.
    const firstCopy = delivered.filter(({ data }) => data.windowStart === windowOf(8));
    await harness.client.updateStatus(TENANTS, { ...tenant, status: { ...tenant.status, metering: { watermarks: watermarks.map((entry) => ({ ...entry, collectedThrough: new Date(at(8)).toISOString() })) } } });
    await harness.collector({ maxCatchUpHours: 24 * 31 }).collectOnce();
    const again = (await harness.deliveredEvents()).slice(delivered.length).filter(({ data }) => data.windowStart === windowOf(8));
    expect(again.map((event) => JSON.stringify(event))).toEqual(firstCopy.map((event) => JSON.stringify(event)));
    expect(again.length).toBeGreaterThan(0);
  });

  test('five hours of collector downtime, then recovery: every hour and meter exactly once', async () => {
    const projectId = await harness.createTenant('polisen');
    const project = harness.admin.forProject(projectId);
    const image = harness.openstack.facts().imageId as string;
    await harness.cephStorage.ensureAgency({ tenant: 'polisen', pool: FLASH_POOL });
    await harness.cephStorage.ensureVolume({ pool: FLASH_POOL, namespace: 'agency-polisen', name: 'db' }, 8 * 1024 * MIB);
    harness.ceph.writeImage({ pool: FLASH_POOL, namespace: 'agency-polisen', name: 'db' }, 0, 512 * MIB);
    const events = new Map<number, () => Promise<void>>([
      [at(0), async () => void (await project.compute.createServer({ name: 'a', flavorRef: '2', imageRef: image, networks: 'none' }))],
    ]);
    // Collection is down from 01:10 to 06:00 (hours 1-5 become due meanwhile); sampling continues.
    await runSimulated(harness, at(8, 10), events, { collect: (time) => time < at(1, 10) || time >= at(6, 10) });

    const delivered = await harness.deliveredEvents();
    const perWindowAndMeter = new Map<string, number>();
    for (const { data } of delivered) perWindowAndMeter.set(`${data.windowStart}|${data.meter}`, (perWindowAndMeter.get(`${data.windowStart}|${data.meter}`) ?? 0) + 1);
    const meters = ['compute.vcpu.hours', 'compute.ram.gib-hours', 'compute.instance.hours', storageMeter('flash', 'provisioned'), storageMeter('flash', 'used')];
    const expectedKeys = [];
    for (let hour = 0; hour < 8; hour += 1) for (const meter of meters) expectedKeys.push(`${windowOf(hour)}|${meter}`);
    expect([...perWindowAndMeter.keys()].sort()).toEqual(expectedKeys.sort());
    expect([...perWindowAndMeter.values()].every((count) => count === 1)).toBe(true);
    const quantities = byWindow(delivered);
    expect(quantities.get(`3|compute.ram.gib-hours|${projectId}`)).toBe('2'); // m1.small: 2 GiB, the whole hour
    expect(quantities.get(`3|storage.flash.used.gib-hours|${FLASH_POOL}/agency-polisen/db`)).toBe('0.5');
    expect(quantities.get(`3|storage.flash.provisioned.gib-hours|${FLASH_POOL}/agency-polisen/db`)).toBe('8');
    expect(await metricValue(harness.registry, 'statsmoln_metering_watermark_lag_seconds', { tenant: 'polisen' })).toBe(600); // 08:10, collected through 08:00
  });

  test('the whole operator down for five hours: compute hours once each from Nova, the unsampled storage hours flagged, not invented', async () => {
    const projectId = await harness.createTenant('polisen');
    const image = harness.openstack.facts().imageId as string;
    await harness.admin.forProject(projectId).compute.createServer({ name: 'a', flavorRef: '2', imageRef: image, networks: 'none' });
    await harness.cephStorage.ensureAgency({ tenant: 'polisen', pool: HDD_POOL });
    await harness.cephStorage.ensureVolume({ pool: HDD_POOL, namespace: 'agency-polisen', name: 'db' }, 1024 * MIB);
    const down = (time: number) => time >= at(1) && time < at(6);
    await runSimulated(harness, at(7, 10), new Map(), { sample: (time) => !down(time), collect: (time) => !down(time) });
    const quantities = byWindow(await harness.deliveredEvents());
    const resource = `${HDD_POOL}/agency-polisen/db`;
    for (let hour = 0; hour < 7; hour += 1) {
      expect(quantities.get(`${hour}|compute.instance.hours|${projectId}`)).toBe(hour === 0 ? '0.983333333' : '1');
    }
    // The 00:50 sweep holds 25 minutes, 15 of them in hour 1; hours 2-5 have no sample at all; hour 6 starts with the 06:00 sweep.
    expect([0, 1, 2, 3, 4, 5, 6].map((hour) => quantities.get(`${hour}|storage.hdd.provisioned.gib-hours|${resource}`))).toEqual([
      '1', '0.25', undefined, undefined, undefined, undefined, '1',
    ]);
    expect(await metricValue(harness.registry, 'statsmoln_metering_partial_windows_total', { tenant: 'polisen' })).toBe(5);
  });

  test('after a restart, lifecycle continues from the stored sweeps: nothing starts twice', async () => {
    const projectId = await harness.createTenant('polisen');
    await harness.cephStorage.ensureAgency({ tenant: 'polisen', pool: HDD_POOL });
    await harness.cephStorage.ensureVolume({ pool: HDD_POOL, namespace: 'agency-polisen', name: 'db' }, 1024 * MIB);
    await runSimulated(harness, at(0, 50), new Map(), { collect: () => false });
    let volume = '';
    const later = new Map<number, () => Promise<void>>([[at(1, 30), async () => void (volume = (await harness.admin.forProject(projectId).blockStorage.createVolume({ name: 'v', size: 3, volume_type: 'standard' })).id)]]);
    harness.advanceTo(at(1));
    await runSimulated(harness, at(2), later, { collect: () => false }, harness.collector());
    const lifecycle = (await harness.deliveredLifecycle()).map(({ data }) => `${data.at} ${data.action} ${data.resource}`);
    expect(lifecycle).toEqual([`${new Date(at(0)).toISOString()} started ${HDD_POOL}/agency-polisen/db`, `${new Date(at(1, 30)).toISOString()} started ${volume}`]);
  });

  test('a placement removed from the tenant: its resources stop once, and its last hour is collected once', async () => {
    const projectId = await harness.createTenant('polisen');
    const volume = (await harness.admin.forProject(projectId).blockStorage.createVolume({ name: 'v', size: 6, volume_type: 'standard' })).id;
    await runSimulated(harness, at(0, 10), new Map(), { collect: () => false });
    // The tenant controller drops the placement (a data center removed from the spec, Retain policy: the volume stays).
    const tenant = await harness.client.get<AgencyTenant & KubeObject>(TENANTS, undefined, 'polisen');
    await harness.client.updateStatus(TENANTS, { ...tenant, status: { ...tenant.status, placements: [] } });
    harness.advanceTo(at(0, 20));
    await runSimulated(harness, at(1, 10), new Map());
    const restarted = harness.collector();
    harness.advanceTo(at(2, 10));
    await restarted.sampleOnce();
    await restarted.collectOnce();

    const lifecycle = (await harness.deliveredLifecycle()).map(({ data }) => `${data.at} ${data.action} ${data.resourceKind}`);
    expect(lifecycle).toEqual([`${new Date(at(0)).toISOString()} started volume`, `${new Date(at(0, 20)).toISOString()} stopped volume`]);
    // Hour 0 is owed though the placement is gone: 6 GiB for 20 minutes, and no compute. Nothing after it.
    const collected = byWindow(await harness.deliveredEvents());
    expect(Object.fromEntries(collected)).toEqual({
      [`0|compute.instance.hours|${projectId}`]: '0',
      [`0|compute.vcpu.hours|${projectId}`]: '0',
      [`0|compute.ram.gib-hours|${projectId}`]: '0',
      [`0|storage.hdd.provisioned.gib-hours|${volume}`]: '2',
    });
    const after = await harness.client.get<AgencyTenant & KubeObject>(TENANTS, undefined, 'polisen');
    expect(new Set(after.status?.metering?.watermarks.map((mark) => mark.collectedThrough))).toEqual(new Set([new Date(at(1)).toISOString().replace('.000Z', 'Z')]));
  });

  test('a restart between emit and the watermark write re-emits identical ids; the consumer drops the duplicates', async () => {
    const projectId = await harness.createTenant('bolagsverket');
    const image = harness.openstack.facts().imageId as string;
    await harness.admin.forProject(projectId).compute.createServer({ name: 'a', flavorRef: '3', imageRef: image, networks: 'none' });
    let failWrites = 1;
    const failingClient = new Proxy(harness.client, {
      get(target, property, receiver) {
        if (property === 'updateStatus' && failWrites > 0) {
          return async () => {
            failWrites -= 1;
            throw new Error('connection reset (process killed before the watermark was written)');
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    }) as KubeClient;
    harness.advanceTo(at(1, 10));
    const crashed = await harness.collector({ client: failingClient }).collectOnce();
    expect(crashed).toMatchObject({ windows: 0, failures: 1 });
    const beforeRestart = await harness.deliveredEvents();
    expect(beforeRestart).toHaveLength(3); // hour 0's compute events reached the outbox

    const pipeline = await harness.reopenPipeline();
    const recovered = await harness.collector({}, pipeline).collectOnce();
    expect(recovered).toMatchObject({ windows: 1, events: 3, failures: 0 });
    const after = await harness.deliveredEvents();
    expect(after).toHaveLength(6);
    expect(after.slice(3).map((event) => JSON.stringify(event))).toEqual(beforeRestart.map((event) => JSON.stringify(event)));
    const read = usageFromLines(after);
    expect(read).toMatchObject({ duplicates: 3, conflictingDuplicates: 0 });
    expect(read.usage).toHaveLength(3);
    // Nothing further is owed: the watermark now says 01:00.
    expect(await harness.collector({}, pipeline).collectOnce()).toMatchObject({ windows: 0, events: 0 });
  });

  test('watermarks merge into the status: conditions the tenant controller writes meanwhile are kept', async () => {
    await harness.createTenant('bolagsverket');
    const condition = { type: 'Ready', status: 'True', reason: 'Reconciled', message: 'all placements ready', lastTransitionTime: '2030-11-01T00:30:00Z' };
    const pipeline = harness.pipeline();
    // The tenant controller writes its status while the collector's events are being appended.
    const emitter = {
      emit: async (records: Parameters<typeof pipeline.emitter.emit>[0]) => {
        const current = await harness.client.get<AgencyTenant & KubeObject>(TENANTS, undefined, 'bolagsverket');
        await harness.client.updateStatus(TENANTS, { ...current, status: { ...current.status, conditions: [condition] } });
        return pipeline.emitter.emit(records);
      },
    };
    harness.advanceTo(at(2, 10));
    expect(await harness.collector({ emitter }).collectOnce()).toMatchObject({ windows: 2, failures: 0 });
    const tenant = await harness.client.get<AgencyTenant & KubeObject>(TENANTS, undefined, 'bolagsverket');
    expect(tenant.status?.conditions).toEqual([condition]);
    expect(tenant.status?.placements).toHaveLength(1);
    expect(new Set(tenant.status?.metering?.watermarks.map((entry) => entry.collectedThrough))).toEqual(new Set(['2030-11-01T02:00:00Z']));
  });

  test('samples missing for part of an hour: what exists is integrated, the gap counts as zero and is reported', async () => {
    await harness.createTenant('skolverket');
    await harness.cephStorage.ensureAgency({ tenant: 'skolverket', pool: HDD_POOL });
    await harness.cephStorage.ensureVolume({ pool: HDD_POOL, namespace: 'agency-skolverket', name: 'files' }, 4 * 1024 * MIB);
    // The operator is down 01:10 - 01:40 (no sweep at 01:20 and 01:30). A sweep holds 25 minutes at
    // most (2.5 intervals), so 01:35 - 01:40 is not covered: 55 of 60 minutes.
    await runSimulated(harness, at(2, 10), new Map(), { sample: (time) => time < at(1, 20) || time > at(1, 30) });
    const quantities = byWindow(await harness.deliveredEvents());
    const resource = `${HDD_POOL}/agency-skolverket/files`;
    expect(quantities.get(`0|storage.hdd.provisioned.gib-hours|${resource}`)).toBe('4');
    expect(quantities.get(`1|storage.hdd.provisioned.gib-hours|${resource}`)).toBe('3.666666667'); // 4 x 55/60
    expect(await metricValue(harness.registry, 'statsmoln_metering_partial_windows_total', { tenant: 'skolverket' })).toBe(1);
  });

  test('a statement over collected events equals the hand-priced vCPU-hours', async () => {
    const projectId = await harness.createTenant('skatteverket');
    const image = harness.openstack.facts().imageId as string;
    const project = harness.admin.forProject(projectId);
    let server = '';
    const events = new Map<number, () => Promise<void>>([
      [at(0), async () => void (server = await project.compute.createServer({ name: 'a', flavorRef: '3', imageRef: image, networks: 'none' }))],
      [at(3, 40), () => project.compute.deleteServer(server)],
    ]);
    await runSimulated(harness, at(4, 10), events);
    const read = usageFromLines(await harness.deliveredEvents());
    const priceLists = parsePriceLists(`
apiVersion: statsmoln.io/v1alpha1
kind: PriceList
metadata: { name: standard-2030 }
spec:
  currency: SEK
  effectiveFrom: "2030-01-01"
  effectiveTo: "2031-01-01"
  prices:
    - { meter: compute.vcpu.hours, unitPrice: "0.3125" }
    - { meter: compute.ram.gib-hours, unitPrice: "0.0450" }
    - { meter: compute.instance.hours, unitPrice: "0.0100" }
    - { meter: network.floatingip.hours, unitPrice: "0.0060" }
    - { meter: storage.hdd.provisioned.gib-hours, unitPrice: "0.000055" }
    - { meter: storage.hdd.used.gib-hours, unitPrice: "0.000030" }
    - { meter: storage.flash.provisioned.gib-hours, unitPrice: "0.000180" }
    - { meter: storage.flash.used.gib-hours, unitPrice: "0.000070" }
`);
    const statement = buildStatement({ tenant: 'skatteverket', month: '2030-11', usage: read.usage, priceLists });
    const vcpu = statement.lines.find((line) => line.meter === 'compute.vcpu.hours');
    // 2 vCPU from 00:01 to 03:40 = 219 minutes = 7.3 vCPU-hours; 7.3 x 0.3125 = 2.28125 SEK.
    expect(vcpu).toMatchObject({ dataCenter: DATA_CENTER, quantity: '7.3', amount: '2.28125' });
    // RAM: 4 GiB x 3.65 h = 14.6 x 0.045 = 0.657; instance: 3.65 x 0.01 = 0.0365.
    expect(statement.subtotal).toBe('2.97475');
  });
});
