/**
 * The metering collector against real OpenStack (a server booted with nova's fake driver, a Cinder
 * volume, a Neutron floating IP) and real Ceph (an RBD image in the agency's namespace with data
 * written by `rbd bench`). Needs test/real/openstack/up.sh and test/real/ceph/up.sh; tenants live
 * in the embedded API server.
 *
 * The hour the server ran in is not over when the test ends, so the collector's clock is moved past
 * it after the server is deleted: nova then reports the whole, finished run, and the test compares
 * what was collected with nova's own totals and with `rbd du`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { startApiServer, type ApiServer } from '../../src/apiserver/index.js';
import { agencyTenantDefinition, type DataCenter, type Partition } from '../../src/api/v1alpha1/index.js';
import { CephBlockStorage, CephDashboardClient } from '../../src/backends/ceph/index.js';
import { formatImageSpec } from '../../src/backends/ceph/image-spec.js';
import { OpenStackClients } from '../../src/backends/openstack/index.js';
import type { PartitionBackends } from '../../src/controllers/framework/backends.js';
import { resourceTypeOf } from '../../src/controllers/framework/types.js';
import { ManualClock } from '../../src/metering/clock.js';
import { MeteringCollector, parseNovaTime } from '../../src/metering/collectors/index.js';
import { Exact, sumDecimals } from '../../src/metering/decimal.js';
import { MeteringPipeline } from '../../src/metering/pipeline.js';
import { HOUR_MS, hourFloor } from '../../src/metering/windows.js';
import { KubeClient, kubeConfigForServer, type KubeObject } from '../../src/runtime/index.js';

const run = promisify(execFile);
const realDir = process.env['STATSMOLN_REAL_DIR'] ?? '/tmp/statsmoln-real';
const TENANTS = resourceTypeOf(agencyTenantDefinition);
const MIB = 1024 * 1024;
const GIB = new Exact(2).pow(30);

function readEnv(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

function need(env: Record<string, string>, key: string): string {
  const value = env[key];
  if (!value) throw new Error(`${key} missing from the real-services env file`);
  return value;
}

interface DeliveredUsage {
  data: { meter: string; resource: string; windowStart: string; quantity: string };
}

describe('metering collector against real OpenStack and Ceph', () => {
  const osEnv = readEnv(join(realDir, 'openstack', 'env'));
  const cephEnv = readEnv(join(realDir, 'ceph', 'env'));
  const cleanups: (() => Promise<unknown>)[] = [];
  let api: ApiServer;
  let directory: string;
  let admin: OpenStackClients;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'statsmoln-collector-real-'));
    api = await startApiServer({ host: '127.0.0.1', port: 0 });
    await api.registerCrdsFromDir('crds');
    admin = OpenStackClients.fromCloudsYaml(readFileSync(join(realDir, 'openstack', 'clouds.yaml'), 'utf8'), 'statsmoln-real', { registry: new Registry(), timeoutMs: 60_000 });
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.warn(`cleanup: ${String(error)}`));
    admin?.close();
    await api?.close();
    await rm(directory, { recursive: true, force: true });
  });

  test('usage of a real server, volume, floating IP and RBD image is collected per hour, matching nova and rbd du', async () => {
    const tenant = `collector-${Date.now().toString(36)}`;
    const firstHour = hourFloor(Date.now());
    const clock = new ManualClock(Date.now());
    const wait = { timeoutMs: 180_000, intervalMs: 1_000 };

    // OpenStack: an agency project the admin works in.
    const project = await admin.identity.createProject({ name: tenant, domain_id: 'default' });
    cleanups.push(() => admin.identity.deleteProject(project.id));
    const [role] = await admin.identity.listRoles({ name: 'admin' });
    await admin.identity.grantRole({ projectId: project.id }, { userId: (await admin.session.token()).userId }, role!.id);
    const inProject = admin.forProject(project.id);
    cleanups.push(async () => inProject.close());
    const flavor = await admin.compute.findFlavor(need(osEnv, 'STATSMOLN_OS_FLAVOR_NAME'));
    if (!flavor) throw new Error('flavor of the real-services env not found');

    // Ceph: the agency's namespace with one image, 16 MiB of it written.
    const dashboard = new CephDashboardClient({ url: need(cephEnv, 'CEPH_DASHBOARD_URL'), username: need(cephEnv, 'CEPH_DASHBOARD_USER'), password: need(cephEnv, 'CEPH_DASHBOARD_PASSWORD'), timeoutMs: 60_000 });
    const ceph = new CephBlockStorage(dashboard);
    const pool = cephEnv['CEPH_RBD_POOL'] ?? 'rbd';
    const namespace = `agency-${tenant}`;
    const imageSpec = { pool, namespace, name: 'apps.data' };
    await ceph.ensureAgency({ tenant, pool });
    cleanups.push(() => dashboard.deleteNamespace(pool, namespace));
    await ceph.ensureVolume(imageSpec, 64 * MIB);
    cleanups.push(() => dashboard.deleteImage(imageSpec));
    await run('rbd', ['--conf', need(cephEnv, 'CEPH_CONF'), 'bench', '--io-type', 'write', '--io-size', '4096', '--io-threads', '1', '--io-pattern', 'seq', '--io-total', String(16 * MIB), formatImageSpec(imageSpec)]);
    const du = JSON.parse((await run('rbd', ['--conf', need(cephEnv, 'CEPH_CONF'), 'du', '--format', 'json', formatImageSpec(imageSpec)])).stdout) as { images: { name: string; used_size: number }[] };
    const usedBytes = du.images.find((entry) => entry.name === imageSpec.name)?.used_size ?? 0;
    expect(usedBytes).toBeGreaterThanOrEqual(16 * MIB);

    // A volume, a floating IP and a server booted with the fake driver.
    const volume = await inProject.blockStorage.createVolume({ name: 'data', size: 1, volume_type: need(osEnv, 'STATSMOLN_OS_VOLUME_TYPE') });
    cleanups.push(() => admin.blockStorage.deleteVolume(volume.id));
    await inProject.blockStorage.waitForVolumeAvailable(volume.id, wait);
    const floatingIp = await admin.network.createFloatingIp({ floating_network_id: need(osEnv, 'STATSMOLN_OS_EXTERNAL_NETWORK_ID'), project_id: project.id });
    cleanups.push(() => admin.network.deleteFloatingIp(floatingIp.id));
    const serverId = await inProject.compute.createServer({ name: 'metered', flavorRef: flavor.id, imageRef: need(osEnv, 'STATSMOLN_OS_IMAGE_ID'), networks: 'none' });
    cleanups.push(() => inProject.compute.deleteServer(serverId).catch(() => undefined));
    await inProject.compute.waitForServerActive(serverId, wait);
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // let the server accrue a few seconds

    // The cluster side: a DataCenter partition with one tier on that pool, and the tenant.
    const partition = {
      environment: 'production',
      openstack: { cloudsSecretRef: { name: 'unused' }, cloud: 'statsmoln-real', region: need(osEnv, 'STATSMOLN_OS_REGION') },
      ceph: { dashboardUrl: need(cephEnv, 'CEPH_DASHBOARD_URL'), credentialsSecretRef: { name: 'unused' }, tenantPool: pool },
      externalNetwork: need(osEnv, 'STATSMOLN_OS_EXTERNAL_NETWORK_NAME'),
      storageTiers: [{ name: 'hdd', cinderVolumeType: need(osEnv, 'STATSMOLN_OS_VOLUME_TYPE'), encryptedCinderVolumeType: need(osEnv, 'STATSMOLN_OS_ENCRYPTED_VOLUME_TYPE'), cephPool: pool }],
    } as unknown as Partition;
    const backends: PartitionBackends = { dataCenter: { metadata: { name: 'real-1' }, spec: { partitions: [partition] } } as unknown as DataCenter, partition, openstack: admin, cephDashboard: dashboard, ceph };
    const client = new KubeClient({ kubeConfig: kubeConfigForServer(api.url, api.token, api.caData) });
    const created = await client.create<KubeObject>(TENANTS, {
      apiVersion: 'statsmoln.io/v1alpha1',
      kind: 'AgencyTenant',
      metadata: { name: tenant },
      spec: {
        displayName: tenant,
        organisationNumber: '202100-5448',
        classification: { confidentiality: 1, integrity: 1, availability: 1 },
        environments: ['production'],
        placement: { dataCenters: ['real-1'] },
        identity: { oidc: { issuer: 'https://login.example.se/realms/staff', clientId: 'statsmoln' }, roleBindings: [{ group: 'admins', role: 'admin' }] },
        network: { addressPlan: [{ dataCenter: 'real-1', environment: 'production', cidrs: ['10.20.0.0/20'] }] },
        billing: { reference: 'REF-1', priceListRef: { name: 'standard-2026' } },
      },
    });
    await client.updateStatus(TENANTS, { ...created, status: { placements: [{ dataCenter: 'real-1', environment: 'production', projectId: project.id, ready: true }] } });

    const pipeline = await MeteringPipeline.open({ directory: join(directory, 'outbox'), source: '/statsmoln/real', sinks: [{ kind: 'file', path: join(directory, 'usage.jsonl') }], clock, registry: new Registry() });
    cleanups.push(() => pipeline.stop());
    const collector = new MeteringCollector({
      client,
      backends: { forPartition: async () => backends },
      emitter: pipeline.emitter,
      sampleDirectory: join(directory, 'samples'),
      clock,
      sampleIntervalMs: HOUR_MS, // one sweep holds to the end of the hour (2.5 intervals at most)
      notBefore: firstHour,
      registry: new Registry(),
    });

    // The dashboard caches image listings of a pool for up to 30 s (docs/ceph.md), and a sweep
    // lists: wait until the listing shows the image, as the next minute's sweep would.
    for (let attempt = 0; attempt < 80; attempt++) {
      if ((await dashboard.listAllImages(pool, namespace)).some((image) => image.name === imageSpec.name)) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    clock.set(Date.now());
    const sweptAt = clock.now();
    expect(await collector.sampleOnce()).toBe(1);
    await inProject.compute.deleteServer(serverId);
    await inProject.compute.waitForServerGone(serverId, wait);

    // Every hour the server ran in is now finished: collect them.
    const lastHour = hourFloor(Date.now());
    clock.set(lastHour + HOUR_MS + 10 * 60_000);
    const summary = await collector.collectOnce();
    expect(summary).toMatchObject({ failures: 0, windows: (lastHour - firstHour) / HOUR_MS + 1 });
    for (const delivery of pipeline.deliveries) await delivery.drain();
    const events = (await readFile(join(directory, 'usage.jsonl'), 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as DeliveredUsage);
    const total = (meter: string, resource: string) =>
      sumDecimals(events.filter(({ data }) => data.meter === meter && data.resource === resource).map(({ data }) => new Exact(data.quantity)));

    // The sweep saw every billable resource start, the real server included.
    const started = (events as unknown as Array<{ type: string; data: { action?: string; resourceKind?: string; resource?: string } }>)
      .filter((event) => event.type === 'io.statsmoln.lifecycle.v1' && event.data.action === 'started')
      .map((event) => `${event.data.resourceKind} ${event.data.resource}`)
      .sort();
    expect(started).toEqual(
      [`server ${serverId}`, `volume ${volume.id}`, `floatingip ${floatingIp.id}`, `rbd-image ${pool}/${namespace}/apps.data`].sort(),
    );

    // Compute: exactly the server's run (nova's launch and end times), and nova's own float totals agree.
    const usage = await admin.compute.getTenantUsage(project.id, new Date(firstHour), new Date(lastHour + HOUR_MS));
    const [server] = usage.server_usages;
    expect(server?.ended_at).toBeTruthy();
    const ranMs = parseNovaTime(server!.ended_at!) - parseNovaTime(server!.started_at);
    const windows = (lastHour - firstHour) / HOUR_MS + 1;
    const rounding = new Exact('0.000000001').times(windows);
    const instanceHours = total('compute.instance.hours', project.id);
    expect(instanceHours.minus(new Exact(ranMs).div(HOUR_MS)).abs().lte(rounding)).toBe(true);
    expect(total('compute.vcpu.hours', project.id).minus(new Exact(ranMs * flavor.vcpus).div(HOUR_MS)).abs().lte(rounding)).toBe(true);
    expect(Math.abs(total('compute.vcpu.hours', project.id).toNumber() - usage.total_vcpus_usage)).toBeLessThan(1e-6);
    expect(Math.abs(total('compute.ram.gib-hours', project.id).toNumber() - usage.total_memory_mb_usage / 1024)).toBeLessThan(1e-6);
    expect(instanceHours.gt(0)).toBe(true);

    // Sampled: each level from the sweep to the end of the last hour.
    const heldHours = new Exact(lastHour + HOUR_MS - sweptAt).div(HOUR_MS);
    const near = (actual: InstanceType<typeof Exact>, expected: InstanceType<typeof Exact>) => expect(actual.minus(expected).abs().lte(rounding)).toBe(true);
    const image = `${pool}/${namespace}/apps.data`;
    near(total('storage.hdd.used.gib-hours', image), new Exact(usedBytes).div(GIB).times(heldHours));
    near(total('storage.hdd.provisioned.gib-hours', image), new Exact(64 * MIB).div(GIB).times(heldHours));
    near(total('storage.hdd.provisioned.gib-hours', volume.id), heldHours);
    near(total('network.floatingip.hours', floatingIp.id), heldHours);
    console.log(
      `collector real: ${events.length} events over ${windows} window(s); server ran ${ranMs} ms = ${instanceHours.toFixed()} instance-hours; ` +
        `rbd du ${usedBytes} B -> ${total('storage.hdd.used.gib-hours', image).toFixed()} used GiB-hours`,
    );
  });
});
