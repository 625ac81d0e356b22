/**
 * Collector tests: the embedded API server (AgencyTenants and their status), an OpenStack simulator
 * on a manual SimClock (Nova accrues server usage on it), a Ceph simulator, a metering pipeline
 * with a file sink, and one ManualClock that moves together with the SimClock.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { startApiServer, type ApiServer } from '../../../src/apiserver/index.js';
import { agencyTenantDefinition, type DataCenter, type Environment, type Partition } from '../../../src/api/v1alpha1/index.js';
import { OpenStackClients } from '../../../src/backends/openstack/index.js';
import { CephBlockStorage, CephDashboardClient } from '../../../src/backends/ceph/index.js';
import type { PartitionBackends } from '../../../src/controllers/framework/backends.js';
import { resourceTypeOf } from '../../../src/controllers/framework/types.js';
import { ManualClock } from '../../../src/metering/clock.js';
import { MeteringCollector, type MeteringCollectorOptions, type PartitionBackendSource } from '../../../src/metering/collectors/index.js';
import { LIFECYCLE_EVENT_TYPE, USAGE_EVENT_TYPE, type LifecycleRecord } from '../../../src/metering/events.js';
import { MeteringPipeline } from '../../../src/metering/pipeline.js';
import { readUsageEventsFromText } from '../../../src/metering/rating/event-log.js';
import { KubeClient, kubeConfigForServer, type KubeObject } from '../../../src/runtime/index.js';
import { OpenStackSimulator, SimClock } from '../../../src/simulators/openstack/index.js';
import { startCephSimulator, type CephSimulator } from '../../../src/simulators/ceph/server.js';
import { temporaryDirectory } from '../helpers.js';

export const TENANTS = resourceTypeOf(agencyTenantDefinition);
export const DATA_CENTER = 'sto-1';
export const HDD_POOL = 'agencies-hdd';
export const FLASH_POOL = 'agencies-flash';
export const HOUR = 3_600_000;
export const MINUTE = 60_000;

export interface CollectHarness {
  api: ApiServer;
  client: KubeClient;
  openstack: OpenStackSimulator;
  ceph: CephSimulator;
  clock: ManualClock;
  admin: OpenStackClients;
  dashboard: CephDashboardClient;
  cephStorage: CephBlockStorage;
  partition: Partition;
  backends: PartitionBackendSource;
  directory: string;
  /** Moves the metering clock and the OpenStack clock together. */
  advanceTo(time: number): void;
  /** Creates a Keystone project and an AgencyTenant placed in it; returns the project id. */
  createTenant(name: string, environment?: Environment): Promise<string>;
  /** A collector over this harness; a new one after "restart" reuses the same sample directory. */
  collector(overrides?: Partial<MeteringCollectorOptions>, pipeline?: MeteringPipeline): MeteringCollector;
  /** The metering pipeline (outbox + file sink); `reopenPipeline` simulates a process restart. */
  pipeline(): MeteringPipeline;
  reopenPipeline(): Promise<MeteringPipeline>;
  /** Every line the file sink holds, after delivering everything in the outbox. */
  /** The usage events the file sink holds, after delivering everything in the outbox. */
  deliveredEvents(): Promise<{ id: string; data: { meter: string; resource: string; windowStart: string; quantity: string; tenant: string } }[]>;
  /** The lifecycle events the file sink holds, in order. */
  deliveredLifecycle(): Promise<{ id: string; data: LifecycleRecord }[]>;
  registry: Registry;
  close(): Promise<void>;
}

export async function startCollectHarness(start: number): Promise<CollectHarness> {
  const tmp = await temporaryDirectory('collect');
  const api = await startApiServer({ host: '127.0.0.1', port: 0 });
  await api.registerCrdsFromDir('crds');
  const client = new KubeClient({ kubeConfig: kubeConfigForServer(api.url, api.token, api.caData) });
  const simClock = new SimClock(start);
  const clock = new ManualClock(start);
  const openstack = new OpenStackSimulator({ regions: [DATA_CENTER], clock: simClock, transitionMs: MINUTE });
  await openstack.start();
  const ceph = await startCephSimulator({ rbdPools: [HDD_POOL, FLASH_POOL], imageListCacheTtlMs: 0, taskWaitMs: 0, taskDurationMs: 0 });
  const registry = new Registry();
  const admin = OpenStackClients.fromCloudsYaml(openstack.cloudsYaml('sim', DATA_CENTER), 'sim', { registry, clock: () => clock.now() });
  await admin.blockStorage.createVolumeType({ name: 'fast', description: 'flash' });
  const dashboard = new CephDashboardClient({ url: ceph.dashboardUrl, username: ceph.dashboardUser, password: ceph.dashboardPassword });
  const cephStorage = new CephBlockStorage(dashboard);
  const partition = {
    environment: 'production',
    openstack: { cloudsSecretRef: { name: 'unused' }, cloud: 'sim', region: DATA_CENTER },
    ceph: { dashboardUrl: ceph.dashboardUrl, credentialsSecretRef: { name: 'unused' }, tenantPool: HDD_POOL },
    externalNetwork: 'external',
    storageTiers: [
      { name: 'hdd', cinderVolumeType: 'standard', cephPool: HDD_POOL },
      { name: 'flash', cinderVolumeType: 'fast', cephPool: FLASH_POOL },
    ],
  } as unknown as Partition;
  const dataCenter = { metadata: { name: DATA_CENTER }, spec: { partitions: [partition] } } as unknown as DataCenter;
  const partitionBackends: PartitionBackends = { dataCenter, partition, openstack: admin, cephDashboard: dashboard, ceph: cephStorage };
  const backends: PartitionBackendSource = {
    async forPartition(name, environment) {
      if (name !== DATA_CENTER || environment !== 'production') throw new Error(`no partition ${name}/${environment}`);
      return partitionBackends;
    },
  };
  const openPipeline = () =>
    MeteringPipeline.open({ directory: join(tmp.path, 'outbox'), source: '/statsmoln/test', sinks: [{ kind: 'file', path: join(tmp.path, 'usage.jsonl') }], clock, registry: new Registry() });
  let pipeline = await openPipeline();

  const delivered = async (): Promise<Array<{ id: string; type: string; data: unknown }>> => {
    for (const delivery of pipeline.deliveries) await delivery.drain();
    const text = await readFile(join(tmp.path, 'usage.jsonl'), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as { id: string; type: string; data: unknown });
  };

  return {
    api,
    client,
    openstack,
    ceph,
    clock,
    admin,
    dashboard,
    cephStorage,
    partition,
    backends,
    directory: tmp.path,
    registry,
    advanceTo(time) {
      if (time < clock.now()) throw new RangeError('time only moves forward');
      simClock.advance(time - clock.now());
      clock.set(time);
    },
    async createTenant(name, environment = 'production') {
      const project = await admin.identity.createProject({ name: `${name}-${environment}`, domain_id: 'default' });
      // The admin acts inside the agency project (boots servers there), as an operator would.
      const [role] = await admin.identity.listRoles({ name: 'admin' });
      await admin.identity.grantRole({ projectId: project.id }, { userId: (await admin.session.token()).userId }, role!.id);
      const created = await client.create<KubeObject>(TENANTS, {
        apiVersion: 'statsmoln.io/v1alpha1',
        kind: 'AgencyTenant',
        metadata: { name },
        spec: {
          displayName: name,
          organisationNumber: '202100-5448',
          classification: { confidentiality: 1, integrity: 1, availability: 1 },
          environments: [environment],
          placement: { dataCenters: [DATA_CENTER] },
          identity: { oidc: { issuer: 'https://login.example.se/realms/staff', clientId: 'statsmoln' }, roleBindings: [{ group: 'admins', role: 'admin' }] },
          network: { addressPlan: [{ dataCenter: DATA_CENTER, environment, cidrs: ['10.20.0.0/20'] }] },
          billing: { reference: 'REF-1', priceListRef: { name: 'standard-2026' } },
        },
      });
      await client.updateStatus(TENANTS, {
        ...created,
        status: { placements: [{ dataCenter: DATA_CENTER, environment, projectId: project.id, ready: true }] },
      });
      return project.id;
    },
    collector(overrides = {}, given) {
      return new MeteringCollector({
        client,
        backends,
        emitter: (given ?? pipeline).emitter,
        sampleDirectory: join(tmp.path, 'samples'),
        clock,
        sampleIntervalMs: 10 * MINUTE,
        graceMs: 5 * MINUTE,
        notBefore: start,
        registry,
        ...overrides,
      });
    },
    pipeline: () => pipeline,
    async reopenPipeline() {
      await pipeline.stop();
      pipeline = await openPipeline();
      return pipeline;
    },
    async deliveredEvents() {
      const events = await delivered();
      return events.filter((event) => event.type === USAGE_EVENT_TYPE) as unknown as Awaited<ReturnType<CollectHarness['deliveredEvents']>>;
    },
    async deliveredLifecycle() {
      const events = await delivered();
      return events.filter((event) => event.type === LIFECYCLE_EVENT_TYPE) as unknown as Awaited<ReturnType<CollectHarness['deliveredLifecycle']>>;
    },
    async close() {
      await pipeline.stop();
      admin.close();
      await ceph.close();
      await openstack.stop();
      await api.close();
      await tmp.remove();
    },
  };
}

/** Parses the file sink's lines as the statement reader does (de-duplicating on source and id). */
export function usageFromLines(lines: readonly unknown[]): ReturnType<typeof readUsageEventsFromText> {
  return readUsageEventsFromText(lines.map((line) => JSON.stringify(line)).join('\n'));
}
