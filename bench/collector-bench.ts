/**
 * Metering collection at scale: 1,000 tenants x 3 data centers x 6 meters for one window, collected
 * by the real MeteringCollector from the OpenStack and Ceph simulators (a server, a Cinder volume, an
 * RBD image with data and a floating IP in every placement), through the durable outbox into the
 * file sink. Prints the time of one sweep of every placement, the collection time of the window and
 * the events/s through the outbox. Target: >= 20,000 events/s through the outbox.
 * The hour's other 59 sweeps (one a minute) are copies of the real first sweep written to the sample
 * store, so that collection integrates a full hour of samples as in production.
 * Run: npx tsx bench/collector-bench.ts [tenants]
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { startApiServer } from '../src/apiserver/index.js';
import { agencyTenantDefinition, type DataCenter, type Partition } from '../src/api/v1alpha1/index.js';
import { CephBlockStorage, CephDashboardClient } from '../src/backends/ceph/index.js';
import { OpenStackClients } from '../src/backends/openstack/index.js';
import type { PartitionBackends } from '../src/controllers/framework/backends.js';
import { resourceTypeOf } from '../src/controllers/framework/types.js';
import { ManualClock } from '../src/metering/clock.js';
import { forEachBounded } from '../src/metering/collectors/bounded.js';
import { MeteringCollector, type PartitionBackendSource } from '../src/metering/collectors/index.js';
import { SampleStore, type Sweep } from '../src/metering/collectors/sample-store.js';
import { MeteringPipeline } from '../src/metering/pipeline.js';
import { KubeClient, kubeConfigForServer, type KubeObject } from '../src/runtime/index.js';
import { OpenStackSimulator, SimClock } from '../src/simulators/openstack/index.js';
import { startCephSimulator, type CephSimulator } from '../src/simulators/ceph/server.js';

const TENANTS = Number(process.argv[2] ?? 1000);
const DATA_CENTERS = ['sto-1', 'sto-2', 'got-1'];
const POOL = 'agencies-flash';
const TARGET = 20_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
const SETUP_CONCURRENCY = 32;
const TENANT_TYPE = resourceTypeOf(agencyTenantDefinition);

/** The hour after the current one: tenants created now are older than it, and nothing else is collected. */
const WINDOW = Math.floor(Date.now() / HOUR) * HOUR + HOUR;

const seconds = (from: number): string => ((performance.now() - from) / 1000).toFixed(1);
const rate = (count: number, milliseconds: number): string => Math.round((count / milliseconds) * 1000).toLocaleString('en-US');

const directory = await mkdtemp(join(tmpdir(), 'statsmoln-collector-bench-'));
const simClock = new SimClock(WINDOW);
const clock = new ManualClock(WINDOW);
const api = await startApiServer({ host: '127.0.0.1', port: 0 });
const openstack = new OpenStackSimulator({ regions: DATA_CENTERS, clock: simClock, transitionMs: 0 });
const cephs: CephSimulator[] = [];
let pipeline: MeteringPipeline | undefined;
try {
  await api.registerCrdsFromDir('crds');
  const client = new KubeClient({ kubeConfig: kubeConfigForServer(api.url, api.token, api.caData) });
  await openstack.start();
  const backendsByDc = new Map<string, PartitionBackends>();
  for (const dc of DATA_CENTERS) {
    const ceph = await startCephSimulator({ rbdPools: [POOL], imageListCacheTtlMs: 0, taskWaitMs: 0, taskDurationMs: 0 });
    cephs.push(ceph);
    const admin = OpenStackClients.fromCloudsYaml(openstack.cloudsYaml('sim', dc), 'sim', { registry: new Registry(), clock: () => clock.now() });
    await admin.blockStorage.createVolumeType({ name: 'flash', description: 'flash tier' });
    // The simulated external network has a /24; give it room for a floating IP per tenant, as an admin would.
    const [external] = await admin.network.listNetworks({ name: 'external', external: true });
    await admin.network.createSubnet({ network_id: external!.id, cidr: '198.18.0.0/20', ip_version: 4, enable_dhcp: false });
    const dashboard = new CephDashboardClient({ url: ceph.dashboardUrl, username: ceph.dashboardUser, password: ceph.dashboardPassword });
    const partition = {
      environment: 'production',
      openstack: { cloudsSecretRef: { name: 'unused' }, cloud: 'sim', region: dc },
      ceph: { dashboardUrl: ceph.dashboardUrl, credentialsSecretRef: { name: 'unused' }, tenantPool: POOL },
      externalNetwork: 'external',
      storageTiers: [{ name: 'flash', cinderVolumeType: 'flash', cephPool: POOL }],
    } as unknown as Partition;
    const dataCenter = { metadata: { name: dc }, spec: { partitions: [partition] } } as unknown as DataCenter;
    backendsByDc.set(dc, { dataCenter, partition, openstack: admin, cephDashboard: dashboard, ceph: new CephBlockStorage(dashboard) });
  }
  const backends: PartitionBackendSource = {
    async forPartition(dataCenter) {
      const found = backendsByDc.get(dataCenter);
      if (!found) throw new Error(`no partition ${dataCenter}`);
      return found;
    },
  };

  // Setup: per tenant and data center a project with a running server (m1.small, 1 vCPU), a 10 GiB
  // volume, a 100 GiB RBD image holding 64 MiB, and a floating IP; then the AgencyTenant with its placements.
  let started = performance.now();
  const names = Array.from({ length: TENANTS }, (_, index) => `agency-${String(index).padStart(4, '0')}`);
  const image = openstack.facts().imageId as string;
  await forEachBounded(names, SETUP_CONCURRENCY, async (tenant) => {
    const placements = [];
    for (const dc of DATA_CENTERS) {
      const { openstack: admin, ceph: cephStorage } = backendsByDc.get(dc)!;
      const project = await admin.identity.createProject({ name: `${tenant}-${dc}-production`, domain_id: 'default' });
      const [role] = await admin.identity.listRoles({ name: 'admin' });
      await admin.identity.grantRole({ projectId: project.id }, { userId: (await admin.session.token()).userId }, role!.id);
      const inProject = admin.forProject(project.id);
      await inProject.compute.createServer({ name: 'app', flavorRef: '2', imageRef: image, networks: 'none' });
      await inProject.blockStorage.createVolume({ name: 'data', size: 10, volume_type: 'flash' });
      const [external] = await admin.network.listNetworks({ name: 'external', external: true });
      await admin.network.createFloatingIp({ floating_network_id: external!.id, project_id: project.id });
      await cephStorage.ensureAgency({ tenant, pool: POOL });
      await cephStorage.ensureVolume({ pool: POOL, namespace: `agency-${tenant}`, name: 'archive' }, 100 * 1024 * 1024 * 1024);
      cephs[DATA_CENTERS.indexOf(dc)]!.writeImage({ pool: POOL, namespace: `agency-${tenant}`, name: 'archive' }, 0, 64 * 1024 * 1024);
      placements.push({ dataCenter: dc, environment: 'production', projectId: project.id, ready: true });
    }
    const created = await client.create<KubeObject>(TENANT_TYPE, {
      apiVersion: 'statsmoln.io/v1alpha1',
      kind: 'AgencyTenant',
      metadata: { name: tenant },
      spec: {
        displayName: tenant,
        organisationNumber: '202100-5448',
        classification: { confidentiality: 1, integrity: 1, availability: 1 },
        environments: ['production'],
        placement: { dataCenters: DATA_CENTERS },
        identity: { oidc: { issuer: 'https://login.example.se/realms/staff', clientId: 'statsmoln' }, roleBindings: [{ group: 'admins', role: 'admin' }] },
        network: { addressPlan: DATA_CENTERS.map((dataCenter) => ({ dataCenter, environment: 'production', cidrs: ['10.20.0.0/20'] })) },
        billing: { reference: 'REF-1', priceListRef: { name: 'standard-2026' } },
      },
    });
    await client.updateStatus(TENANT_TYPE, { ...created, status: { placements } });
  });
  const placements = TENANTS * DATA_CENTERS.length;
  console.log(`collector bench: ${TENANTS} tenants x ${DATA_CENTERS.length} data centers = ${placements} placements, 6 meters each, window ${new Date(WINDOW).toISOString()}`);
  console.log(`  setup (projects, servers, volumes, images, floating IPs, tenants): ${seconds(started)} s`);

  pipeline = await MeteringPipeline.open({
    directory: join(directory, 'outbox'),
    source: '/statsmoln/bench',
    sinks: [{ kind: 'file', path: join(directory, 'usage.jsonl') }],
    clock,
    registry: new Registry(),
    batchSize: 2000,
  });
  const collector = new MeteringCollector({
    client,
    backends,
    emitter: pipeline.emitter,
    sampleDirectory: join(directory, 'samples'),
    clock,
    sampleIntervalMs: MINUTE,
    graceMs: 5 * MINUTE,
    notBefore: WINDOW,
    registry: new Registry(),
  });

  started = performance.now();
  const swept = await collector.sampleOnce();
  const sweepMs = performance.now() - started;
  if (swept !== placements) throw new Error(`swept ${swept} of ${placements} placements`);
  console.log(`  one sweep of every placement (volumes, images, floating IPs): ${(sweepMs / 1000).toFixed(1)} s (${rate(placements, sweepMs)} placements/s, concurrency 16)`);

  // The rest of the hour's sweeps, one a minute, copied from the real one.
  const store = await SampleStore.open(join(directory, 'samples'));
  const first = [...(await store.hourByPlacement(WINDOW)).values()].map((sweeps) => sweeps[0]!);
  for (let minute = 1; minute < 60; minute += 1) await store.append(first.map((sweep): Sweep => ({ ...sweep, at: WINDOW + minute * MINUTE })));
  const sampleBytes = (await stat(join(directory, 'samples', `${WINDOW}.jsonl`))).size;

  simClock.advance(HOUR + 5 * MINUTE);
  clock.set(WINDOW + HOUR + 5 * MINUTE);
  const lifecycleEvents = pipeline.outbox.depth('file');
  started = performance.now();
  const summary = await collector.collectOnce();
  const collectMs = performance.now() - started;
  if (summary.failures > 0 || summary.windows !== placements) throw new Error(`collection: ${JSON.stringify(summary)}`);
  console.log(`  samples: 60 sweeps x ${placements} placements, ${(sampleBytes / 1024 / 1024).toFixed(1)} MiB for the hour`);
  console.log(`  collection of the window: ${summary.windows} placement-windows, ${summary.events} usage events in ${(collectMs / 1000).toFixed(2)} s (${rate(summary.events, collectMs)} events/s)`);
  console.log(`    (per placement: Nova usage, integration of 60 sweeps, outbox append + fsync, watermarks in the tenant's status)`);

  // Delivery starts only now, so that the outbox's own rate shows: everything collected, into the file sink.
  const queued = pipeline.outbox.depth('file');
  if (queued !== summary.events + lifecycleEvents) throw new Error(`outbox holds ${queued} events, expected ${summary.events + lifecycleEvents}`);
  started = performance.now();
  pipeline.start();
  while (pipeline.outbox.depth('file') > 0) await new Promise((resolve) => setTimeout(resolve, 1));
  const deliverMs = performance.now() - started;
  const logBytes = (await stat(join(directory, 'usage.jsonl'))).size;
  const throughput = (queued / deliverMs) * 1000;
  console.log(`  through the outbox into the file sink: ${queued} events (${lifecycleEvents} lifecycle from the sweep) in ${(deliverMs / 1000).toFixed(2)} s: ${rate(queued, deliverMs)} events/s`);
  console.log(`  event log: ${(logBytes / 1024 / 1024).toFixed(1)} MiB`);
  console.log(`  target >= ${TARGET.toLocaleString('en-US')} events/s through the outbox: ${throughput >= TARGET ? 'met' : 'NOT met'}`);
  if (throughput < TARGET) process.exitCode = 1;
} finally {
  await pipeline?.stop();
  await Promise.all(cephs.map((ceph) => ceph.close()));
  await openstack.stop();
  await api.close();
  await rm(directory, { recursive: true, force: true });
}
