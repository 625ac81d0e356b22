import { mkdtemp, rm, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import type { ServerUsage, TenantUsage } from '../../src/backends/openstack/nova.js';
import { ManualClock } from '../../src/metering/clock.js';
import { computeQuantities, parseNovaTime } from '../../src/metering/collectors/compute.js';
import { MeteringCollector } from '../../src/metering/collectors/collector.js';
import { SampleStore, type Sweep } from '../../src/metering/collectors/sample-store.js';
import { forEachBounded } from '../../src/metering/collectors/bounded.js';
import { integrateSweeps } from '../../src/metering/collectors/sampled-usage.js';
import { tierOfVolumeType } from '../../src/metering/collectors/sweep.js';
import type { StorageTier } from '../../src/api/v1alpha1/index.js';

const W = Date.UTC(2030, 10, 1, 10);
const MINUTE = 60_000;

function server(started: string | null, ended: string | null, vcpus = 2, memoryMb = 4096): ServerUsage {
  return { instance_id: 'i', name: 'n', hours: 0, vcpus, memory_mb: memoryMb, local_gb: 0, flavor: 'f', state: 'active', started_at: started as string, ended_at: ended, tenant_id: 'p', uptime: 0 };
}
function usage(servers: ServerUsage[]): TenantUsage {
  return { tenant_id: 'p', start: '', stop: '', total_hours: 0, total_vcpus_usage: 0, total_memory_mb_usage: 0, total_local_gb_usage: 0, server_usages: servers };
}
function sweep(minute: number, levels: Sweep['levels']): Sweep {
  return { tenant: 't', dataCenter: 'dc', environment: 'production', at: W + minute * MINUTE, levels };
}

describe('compute quantities from nova', () => {
  test('nova times without a zone are UTC, microseconds are cut to milliseconds', () => {
    expect(parseNovaTime('2030-11-01T10:00:03.123456')).toBe(Date.UTC(2030, 10, 1, 10, 0, 3, 123));
    expect(parseNovaTime('2030-11-01T10:00:03')).toBe(Date.UTC(2030, 10, 1, 10, 0, 3));
    expect(() => parseNovaTime('yesterday')).toThrow(/unexpected nova time/);
  });

  test('only the part of each server inside the hour counts, exactly (no float sum)', () => {
    const quantities = computeQuantities(
      usage([
        server('2030-11-01T09:00:00.000000', null), // whole hour
        server('2030-11-01T10:20:00.000000', '2030-11-01T10:40:00.000000', 1, 512), // 20 minutes
        server('2030-11-01T10:59:59.999000', '2030-11-01T11:30:00.000000', 3, 1024), // 1 ms
        server(null, null), // never launched
      ]),
      W,
    );
    // 1 ms is 1/3,600,000 h = 0.000000277...; sums are exact, rounded once at 9 places:
    // instances 1 + 1/3 + 0.000000277.. ; vCPUs 2 + 1/3 + 3 x 0.000000277.. ; GiB 4 + 0.5/3 + 1 x 0.000000277..
    expect(quantities).toEqual({
      'compute.instance.hours': '1.333333611',
      'compute.vcpu.hours': '2.333334167',
      'compute.ram.gib-hours': '4.166666944',
    });
  });
});

describe('integrating sweeps', () => {
  const meter = 'storage.hdd.used.gib-hours';
  test('a level holds until the next sweep; a resource missing from a complete sweep is zero from then', () => {
    const result = integrateSweeps(
      [
        sweep(-10, [{ meter, resource: 'a', value: '2' }]),
        sweep(0, [{ meter, resource: 'a', value: '4' }]),
        sweep(20, [{ meter, resource: 'b', value: '1' }]),
        sweep(40, [{ meter, resource: 'b', value: '1' }]),
      ],
      W,
      25 * MINUTE,
    );
    expect(result.coveredMs).toBe(60 * MINUTE);
    // a: 4 GiB for 20 minutes; b: 1 for 40 minutes.
    expect(result.quantities.get(meter)).toEqual(new Map([['a', '1.333333333'], ['b', '0.666666667']]));
  });

  test('a gap longer than the maximum sample age counts as zero and shows in coveredMs', () => {
    const result = integrateSweeps([sweep(-10, [{ meter, resource: 'a', value: '6' }]), sweep(40, [{ meter, resource: 'a', value: '6' }])], W, 25 * MINUTE);
    // -10 holds to 15, nothing 15-40, 40 holds to the end: 35 minutes of 6 GiB.
    expect(result.coveredMs).toBe(35 * MINUTE);
    expect(result.quantities.get(meter)?.get('a')).toBe('3.5');
  });

  test('no sweep at all: nothing is invented', () => {
    const result = integrateSweeps([sweep(-40, [{ meter, resource: 'a', value: '6' }])], W, 25 * MINUTE);
    expect(result).toEqual({ quantities: new Map(), coveredMs: 0 });
  });
});

describe('the sample store', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'statsmoln-samples-'));
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));

  test('sweeps survive a reopen, a torn final line is ignored, other placements are not read, old hours are pruned', async () => {
    const store = await SampleStore.open(directory);
    await store.append([sweep(5, [{ meter: 'm', resource: 'r', value: '1' }]), { ...sweep(6, []), tenant: 'other' }, sweep(65, [])]);
    await appendFile(join(directory, `${W}.jsonl`), '{"tenant":"t","dataCe');
    const reopened = await SampleStore.open(directory);
    expect((await reopened.read('t', 'dc', 'production', W, W + 2 * 3_600_000)).map((entry) => (entry.at - W) / MINUTE)).toEqual([5, 65]);
    expect(await reopened.prune(W + 3_600_000)).toBe(1);
    expect((await reopened.read('t', 'dc', 'production', W, W + 2 * 3_600_000)).map((entry) => (entry.at - W) / MINUTE)).toEqual([65]);
  });

  test('appends made in parallel are all written, whole lines, and grouped by placement when read back', async () => {
    const store = await SampleStore.open(directory);
    const tenants = Array.from({ length: 200 }, (_, index) => `t${index}`);
    const levels = Array.from({ length: 20 }, (_, index) => ({ meter: 'storage.hdd.used.gib-hours', resource: `pool/ns/image-${index}`, value: '1.5' }));
    await Promise.all(tenants.flatMap((tenant) => [sweep(30, levels), sweep(10, levels)].map((entry) => store.append([{ ...entry, tenant }]))));
    const grouped = await (await SampleStore.open(directory)).hourByPlacement(W + 59 * MINUTE);
    expect(grouped.size).toBe(200);
    for (const tenant of tenants) {
      const sweeps = grouped.get(`${tenant}/dc/production`) ?? [];
      expect(sweeps.map((entry) => (entry.at - W) / MINUTE)).toEqual([10, 30]); // ordered by time, not by append
      expect(sweeps.every((entry) => entry.levels.length === 20)).toBe(true);
    }
    expect((await store.hourByPlacement(W - 3_600_000)).size).toBe(0);
  });
});

describe('bounded parallel work', () => {
  test('never more than the limit in flight, every item runs once, in order of start', async () => {
    let inFlight = 0;
    let most = 0;
    const started: number[] = [];
    await forEachBounded([...Array(25).keys()], 4, async (item) => {
      started.push(item);
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
    });
    expect(most).toBe(4);
    expect(started).toEqual([...Array(25).keys()]);
    await expect(forEachBounded([1], 0, async () => undefined)).rejects.toThrow('concurrency must be a positive integer, got 0');
  });
});

test('a Cinder volume type maps to the first tier that offers it, plain or encrypted', () => {
  const tiers = [
    { name: 'hdd', cinderVolumeType: 'standard', encryptedCinderVolumeType: 'standard-luks', cephPool: 'a' },
    { name: 'flash', cinderVolumeType: 'fast', cephPool: 'b' },
  ] as StorageTier[];
  expect(tierOfVolumeType(tiers, 'standard-luks')).toBe('hdd');
  expect(tierOfVolumeType(tiers, 'fast')).toBe('flash');
  expect(tierOfVolumeType(tiers, 'other')).toBeUndefined();
});

test('start runs a sweep and a collection, then one of each per interval of the injected clock; stop ends both', async () => {
  const clock = new ManualClock(W);
  let lists = 0;
  const client = {
    list: async () => {
      lists += 1;
      return { items: [] };
    },
  } as unknown as ConstructorParameters<typeof MeteringCollector>[0]['client'];
  const directory = await mkdtemp(join(tmpdir(), 'statsmoln-loop-'));
  const collector = new MeteringCollector({
    client,
    backends: { forPartition: () => Promise.reject(new Error('no partitions in this test')) },
    emitter: { emit: () => Promise.reject(new Error('nothing to emit in this test')) },
    sampleDirectory: directory,
    clock,
    sampleIntervalMs: MINUTE,
    collectIntervalMs: 5 * MINUTE,
    registry: new Registry(),
  });
  const settled = async () => {
    while (clock.pendingSleepers < 2) await new Promise((resolve) => setImmediate(resolve));
  };
  try {
    collector.start();
    await settled();
    expect(lists).toBe(2);
    clock.advance(MINUTE);
    await settled();
    expect(lists).toBe(3); // a sweep only
    clock.advance(4 * MINUTE);
    await settled();
    expect(lists).toBe(5); // a sweep and a collection
    await collector.stop();
    expect(clock.pendingSleepers).toBe(0);
    // Started with the leadership signal: losing leadership ends both loops.
    const leadership = new AbortController();
    collector.start(leadership.signal);
    await settled();
    leadership.abort(new Error('leadership lost'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(clock.pendingSleepers).toBe(0);
    const before = lists;
    clock.advance(10 * MINUTE);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lists).toBe(before);
  } finally {
    await collector.stop();
    await rm(directory, { recursive: true, force: true });
  }
});
