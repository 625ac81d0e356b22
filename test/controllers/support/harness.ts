/**
 * Everything a controller test needs: the embedded API server with the statsmoln CRDs, one
 * OpenStack simulator (a region per data center) and one Ceph simulator, the operator namespace
 * with the credential Secrets, DataCenters whose partitions are Ready, and a BackendRegistry.
 */
import { Registry } from 'prom-client';
import { startApiServer, type ApiServer } from '../../../src/apiserver/index.js';
import { dataCenterDefinition, type DataCenter, type Environment } from '../../../src/api/v1alpha1/index.js';
import { OpenStackClients } from '../../../src/backends/openstack/index.js';
import { BackendRegistry, resourceTypeOf } from '../../../src/controllers/framework/index.js';
import { OpenStackSimulator } from '../../../src/simulators/openstack/index.js';
import { startCephSimulator, type CephSimulator } from '../../../src/simulators/ceph/server.js';
import { KubeClient, kubeConfigForServer, type KubeObject, type ResourceType, type SharedInformer } from '../../../src/runtime/index.js';

export const OPERATOR_NAMESPACE = 'statsmoln-system';
export const TENANT_POOL = 'agencies';
export const NAMESPACES: ResourceType = { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false };
export const SECRETS: ResourceType = { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true };
export const DATACENTERS = resourceTypeOf(dataCenterDefinition);

export interface HarnessOptions {
  /** Data center names; each becomes an OpenStack region of the simulator. */
  dataCenters?: string[];
  /** Simulated time a volume or server spends in a transitional state. */
  transitionMs?: number;
}

export interface Harness {
  api: ApiServer;
  client: KubeClient;
  openstack: OpenStackSimulator;
  ceph: CephSimulator;
  metrics: Registry;
  /** Admin clients of one data center's region, for assertions on backend state. */
  adminClients(dataCenter: string): OpenStackClients;
  /** Creates the Secrets and a DataCenter whose given partitions report Ready. */
  createDataCenter(name: string, environments: Environment[], spec?: Partial<DataCenter['spec']>): Promise<DataCenter>;
  backendRegistry(dataCenters: SharedInformer<KubeObject>): BackendRegistry;
  close(): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dataCenters = options.dataCenters ?? ['dc1'];
  const api = await startApiServer({ host: '127.0.0.1', port: 0 });
  await api.registerCrdsFromDir('crds');
  const client = new KubeClient({ kubeConfig: kubeConfigForServer(api.url, api.token, api.caData) });
  const openstack = new OpenStackSimulator({ regions: dataCenters, transitionMs: options.transitionMs ?? 5 });
  await openstack.start();
  const ceph = await startCephSimulator({ rbdPools: ['rbd', TENANT_POOL], imageListCacheTtlMs: 0, taskWaitMs: 0, taskDurationMs: 0 });
  await client.create(NAMESPACES, { metadata: { name: OPERATOR_NAMESPACE } });
  const metrics = new Registry();
  const admins = new Map<string, OpenStackClients>();
  const registries: BackendRegistry[] = [];

  const adminClients = (dataCenter: string): OpenStackClients => {
    let clients = admins.get(dataCenter);
    if (!clients) {
      clients = OpenStackClients.fromCloudsYaml(openstack.cloudsYaml('sim', dataCenter), 'sim', { registry: metrics });
      admins.set(dataCenter, clients);
    }
    return clients;
  };

  async function createDataCenter(name: string, environments: Environment[], spec: Partial<DataCenter['spec']> = {}): Promise<DataCenter> {
    const secretData = (entries: Record<string, string>) =>
      Object.fromEntries(Object.entries(entries).map(([key, value]) => [key, Buffer.from(value).toString('base64')]));
    await client.create(SECRETS, {
      metadata: { name: `${name}-openstack`, namespace: OPERATOR_NAMESPACE },
      type: 'Opaque',
      data: secretData({ 'clouds.yaml': openstack.cloudsYaml(`${name}`, name) }),
    });
    await client.create(SECRETS, {
      metadata: { name: `${name}-ceph`, namespace: OPERATOR_NAMESPACE },
      type: 'Opaque',
      data: secretData({ username: ceph.dashboardUser, password: ceph.dashboardPassword }),
    });
    const types = await adminClients(name).blockStorage.listVolumeTypes();
    if (!types.some((type) => type.name === 'encrypted')) {
      await adminClients(name).blockStorage.createVolumeType({ name: 'encrypted', description: 'LUKS' });
    }
    const created = await client.create<KubeObject>(DATACENTERS, {
      apiVersion: 'statsmoln.io/v1alpha1',
      kind: 'DataCenter',
      metadata: { name },
      spec: {
        displayName: name,
        country: 'SE',
        protectedSite: false,
        partitions: environments.map((environment) => ({
          environment,
          openstack: { cloudsSecretRef: { name: `${name}-openstack` }, cloud: name, region: name },
          ceph: { dashboardUrl: ceph.dashboardUrl, credentialsSecretRef: { name: `${name}-ceph` }, tenantPool: TENANT_POOL },
          externalNetwork: openstack.facts().externalNetworkName ?? 'external',
          storageTiers: [
            { name: 'hdd', cinderVolumeType: 'standard', encryptedCinderVolumeType: 'encrypted', cephPool: TENANT_POOL },
            { name: 'flash', cinderVolumeType: 'standard', encryptedCinderVolumeType: 'encrypted', cephPool: TENANT_POOL },
          ],
        })),
        ...spec,
      },
    });
    const now = new Date().toISOString();
    const withStatus = await client.updateStatus<KubeObject>(DATACENTERS, {
      ...created,
      status: {
        observedGeneration: created.metadata?.generation,
        conditions: [{ type: 'Ready', status: 'True', reason: 'Reachable', message: 'test harness', lastTransitionTime: now, observedGeneration: created.metadata?.generation }],
        partitions: environments.map((environment) => ({ environment, ready: true, services: [], lastCheckTime: now })),
      },
    });
    return withStatus as unknown as DataCenter;
  }

  return {
    api,
    client,
    openstack,
    ceph,
    metrics,
    adminClients,
    createDataCenter,
    backendRegistry(dataCenterInformer) {
      const registry = new BackendRegistry({ client, operatorNamespace: OPERATOR_NAMESPACE, dataCenters: dataCenterInformer, timeoutMs: 10_000, metricsRegistry: metrics });
      registries.push(registry);
      return registry;
    },
    async close() {
      for (const registry of registries) registry.close();
      for (const clients of admins.values()) clients.close();
      await ceph.close();
      await openstack.stop();
      await api.close();
    },
  };
}
