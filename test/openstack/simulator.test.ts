import { Registry } from 'prom-client';
import { OpenStackClients } from '../../src/backends/openstack/index.js';
import type { CinderSim, NovaSim} from '../../src/simulators/openstack/index.js';
import { OpenStackSimulator, SimClock } from '../../src/simulators/openstack/index.js';

const HOUR = 3_600_000;

describe('OpenStack simulator', () => {
  let sim: OpenStackSimulator;
  const clock = new SimClock(Date.parse('2026-03-01T00:00:00Z'));
  const clientsFor = (region: string, extra: Parameters<typeof OpenStackClients.fromCloudsYaml>[2] = {}) =>
    OpenStackClients.fromCloudsYaml(sim.cloudsYaml('c', region), 'c', { registry: new Registry(), clock: () => clock.now(), ...extra });

  beforeAll(async () => {
    sim = new OpenStackSimulator({ regions: ['sto1', 'got1'], clock, transitionMs: 60_000, seed: 42 });
    await sim.start();
  });
  afterAll(() => sim.stop());
  afterEach(() => sim.faults.clear());

  test('regions are separate: a quota set in one region is not seen in the other', async () => {
    const sto = clientsFor('sto1');
    const got = clientsFor('got1');
    try {
      const project = await sto.identity.createProject({ name: 'regions', domain_id: 'default' });
      await sto.compute.updateQuotaSet(project.id, { cores: 7 });
      expect((await sto.compute.getQuotaSet(project.id)).cores).toBe(7);
      expect((await got.compute.getQuotaSet(project.id)).cores).toBe(20);
      expect(await sto.session.endpoint('compute')).toContain('/sto1/compute/v2.1');
      expect(await got.session.endpoint('compute')).toContain('/got1/compute/v2.1');
    } finally {
      sto.close();
      got.close();
    }
  });

  test('usage accrues with the injected clock: hours, vCPU-hours and RAM-hours of a window', async () => {
    const admin = clientsFor('sto1');
    try {
      const start = new Date(clock.now());
      const id = await admin.compute.createServer({ name: 'usage', flavorRef: '3', imageRef: sim.facts().imageId as string, networks: 'none' });
      expect((await admin.compute.getServer(id)).status).toBe('BUILD');
      clock.advance(60_000); // build time
      expect((await admin.compute.getServer(id)).status).toBe('ACTIVE');
      clock.advance(2 * HOUR);
      await admin.compute.deleteServer(id);
      clock.advance(HOUR);
      const token = await admin.session.token();
      const usage = await admin.compute.getTenantUsage(token.projectId as string, start, new Date(clock.now()));
      expect(usage.server_usages).toHaveLength(1);
      expect(usage.total_hours).toBeCloseTo(2, 9);
      expect(usage.total_vcpus_usage).toBeCloseTo(4, 9); // m1.medium: 2 vCPU
      expect(usage.total_memory_mb_usage).toBeCloseTo(2 * 4096, 6);
      expect(usage.total_local_gb_usage).toBeCloseTo(2 * 40, 6);
      // A window that ends in the middle counts up to its end only.
      const half = await admin.compute.getTenantUsage(token.projectId as string, start, new Date(start.getTime() + 60_000 + HOUR / 2));
      expect(half.total_hours).toBeCloseTo(0.5, 9);
    } finally {
      admin.close();
    }
  });

  test('volume status transitions follow the clock: creating, available, extending, deleting, gone', async () => {
    const admin = clientsFor('got1');
    const cinder = sim.service<CinderSim>('got1', 'volume');
    try {
      const v = await admin.blockStorage.createVolume({ size: 1, name: 'transitions' });
      expect((await admin.blockStorage.getVolume(v.id)).status).toBe('creating');
      clock.advance(60_000);
      expect((await admin.blockStorage.getVolume(v.id)).status).toBe('available');
      await admin.blockStorage.extendVolume(v.id, 4);
      expect((await admin.blockStorage.getVolume(v.id))).toMatchObject({ status: 'extending', size: 1 });
      clock.advance(60_000);
      expect((await admin.blockStorage.getVolume(v.id))).toMatchObject({ status: 'available', size: 4 });
      await admin.blockStorage.deleteVolume(v.id);
      expect((await admin.blockStorage.getVolume(v.id)).status).toBe('deleting');
      const project = (await admin.session.token()).projectId as string;
      expect(cinder.usedOf(project, 'gigabytes')).toBe(4);
      clock.advance(60_000);
      await expect(admin.blockStorage.getVolume(v.id)).rejects.toMatchObject({ kind: 'NotFound' });
      expect(cinder.usedOf(project, 'gigabytes')).toBe(0);
    } finally {
      admin.close();
    }
  });

  test('injected 503s are retried for idempotent calls and counted per route', async () => {
    const admin = clientsFor('sto1', { retry: { maxRetries: 5, baseDelayMs: 1, maxDelayMs: 2 } });
    try {
      const project = (await admin.session.token()).projectId as string;
      sim.resetCounters();
      sim.faults.add({ service: 'nova', path: /^\/v2\.1\/os-quota-sets\//, errorRate: 0.5 });
      for (let i = 0; i < 20; i++) await admin.compute.getQuotaSet(project);
      const counts = sim.requestCounts();
      const ok = counts['nova GET /v2.1/os-quota-sets/:id 200'] ?? 0;
      const failed = counts['nova GET /v2.1/os-quota-sets/:id 503'] ?? 0;
      expect(ok).toBe(20);
      expect(failed).toBeGreaterThan(3);
      expect(failed).toBeLessThan(40);
    } finally {
      admin.close();
    }
  });

  test('a non-idempotent create is not retried on an injected 503, and the error keeps the service shape', async () => {
    const admin = clientsFor('sto1');
    try {
      await admin.session.token();
      sim.resetCounters();
      sim.faults.add({ service: 'cinder', method: 'POST', errorRate: 1, errorStatus: 503 });
      await expect(admin.blockStorage.createVolume({ size: 1, name: 'x' })).rejects.toMatchObject({
        kind: 'Unavailable',
        status: 503,
        serviceMessage: 'Injected fault: the service is unavailable.',
      });
      expect(sim.totalRequests((k) => k.startsWith('cinder '))).toBe(1);
    } finally {
      admin.close();
    }
  });

  test('connection resets and unanswered requests surface as Unavailable after the timeout', async () => {
    const admin = clientsFor('sto1', { timeoutMs: 100, retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    try {
      const project = (await admin.session.token()).projectId as string;
      const removeReset = sim.faults.add({ service: 'neutron', resetRate: 1 });
      await expect(admin.network.getQuota(project)).rejects.toMatchObject({ kind: 'Unavailable', status: undefined });
      removeReset();
      sim.resetCounters();
      sim.faults.add({ service: 'neutron', timeoutRate: 1 });
      const error = await admin.network.getQuota(project).catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'Unavailable' });
      expect((error as Error).message).toContain('no response within 100 ms');
      expect(sim.requestCounts()['neutron GET /v2.0/quotas/:id timeout']).toBe(2);
    } finally {
      admin.close();
    }
  });

  test('latency is fixed plus seeded jitter', () => {
    const a = new OpenStackSimulator({ seed: 7 });
    const b = new OpenStackSimulator({ seed: 7 });
    a.faults.latency = { fixedMs: 5, jitterMs: 10 };
    b.faults.latency = { fixedMs: 5, jitterMs: 10 };
    const da = Array.from({ length: 5 }, () => a.faults.delayMs());
    const db = Array.from({ length: 5 }, () => b.faults.delayMs());
    expect(da).toEqual(db);
    for (const d of da) {
      expect(d).toBeGreaterThanOrEqual(5);
      expect(d).toBeLessThan(15);
    }
  });

  test('requests without a valid token get keystonemiddleware 401 in every service', async () => {
    const res = await fetch(`${sim.url}/sto1/compute/v2.1/limits`, { headers: { 'x-auth-token': 'bogus' } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
    expect(res.headers.get('x-openstack-request-id')).toMatch(/^req-[0-9a-f-]{36}$/);
    const neutron = await fetch(`${sim.url}/got1/network/v2.0/networks`);
    expect(neutron.status).toBe(401);
  });

  test('an expired token is rejected and the session re-authenticates', async () => {
    const admin = clientsFor('sto1', { refreshBeforeMs: 0 });
    try {
      await admin.compute.getLimits();
      clock.advance(2 * HOUR); // past the one-hour token lifetime
      sim.resetCounters();
      await admin.compute.getLimits();
      expect(sim.totalRequests((k) => k.startsWith('keystone POST /v3/auth/tokens 201'))).toBe(1);
      expect(sim.service<NovaSim>('sto1', 'compute').flavors.size).toBeGreaterThan(0);
    } finally {
      admin.close();
    }
  });

  test('the external network takes its subnet from the externalCidr option; a full one refuses a router with the real 409', async () => {
    const small = new OpenStackSimulator({ regions: ['r1'], externalCidr: '198.51.100.0/30' });
    await small.start();
    const admin = OpenStackClients.fromCloudsYaml(small.cloudsYaml('c', 'r1'), 'c', { registry: new Registry() });
    try {
      const [external] = await admin.network.listNetworks({ name: small.facts().externalNetworkName as string });
      const gateway = { network_id: external!.id };
      // A /30 has two usable addresses and the subnet's gateway holds .1: one router fits.
      const first = await admin.network.createRouter({ name: 'first', external_gateway_info: gateway });
      expect(first.external_gateway_info?.external_fixed_ips?.map((ip) => ip.ip_address)).toEqual(['198.51.100.2']);
      await expect(admin.network.createRouter({ name: 'second', external_gateway_info: gateway })).rejects.toMatchObject({
        kind: 'Conflict',
        serviceMessage: expect.stringContaining('No more IP addresses available on network'),
      });
    } finally {
      admin.close();
      await small.stop();
    }
  });
});
