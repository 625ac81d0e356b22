/**
 * The whole operator, `statsmoln run` in its own process, against real OpenStack Zed and Ceph 16:
 * a tenant in two environments with a quota and two volumes converges; the process is killed with
 * SIGKILL in the middle of that and started again, which must leave no duplicate and no orphan;
 * raising the quota, growing a volume and removing an environment converge; deleting everything
 * under deletionPolicy Delete leaves nothing behind.
 * Endpoints and credentials come from $STATSMOLN_REAL_DIR/{openstack,ceph}/env (test/real/run.sh).
 */
import { jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { base64, eventually, need, readServiceEnv } from './support/env.js';
import { startApiServer, type ApiServer } from '../../src/apiserver/index.js';
import {
  agencyTenantDefinition,
  computeQuotaDefinition,
  dataCenterDefinition,
  priceListDefinition,
  storageVolumeDefinition,
  type AgencyTenant,
  type ComputeQuota,
  type StorageVolume,
} from '../../src/api/v1alpha1/index.js';
import { CephDashboardClient } from '../../src/backends/ceph/index.js';
import { OpenStackClients } from '../../src/backends/openstack/index.js';
import { resourceTypeOf } from '../../src/controllers/framework/index.js';
import { KubeClient, kubeConfigForServer, type Condition, type KubeObject, type ResourceType } from '../../src/runtime/index.js';

jest.setTimeout(900_000);

const OPERATOR_NAMESPACE = 'statsmoln-system';
const NAMESPACES: ResourceType = { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false };
const SECRETS: ResourceType = { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true };
const TENANTS = resourceTypeOf(agencyTenantDefinition);
const DATACENTERS = resourceTypeOf(dataCenterDefinition);
const QUOTAS = resourceTypeOf(computeQuotaDefinition);
const VOLUMES = resourceTypeOf(storageVolumeDefinition);

const os = readServiceEnv('openstack');
const ceph = readServiceEnv('ceph');
const cloudName = need(os, 'OS_CLOUD');
const cloudsYaml = readFileSync(need(os, 'OS_CLIENT_CONFIG_FILE'), 'utf8');
const pool = ceph['CEPH_RBD_POOL'] ?? 'rbd';
const tenant = `ro${Date.now().toString(36)}`;
const namespace = `agency-${tenant}`;
const workDir = mkdtempSync(join(tmpdir(), 'statsmoln-operator-real-'));

let api: ApiServer;
let client: KubeClient;
let admin: OpenStackClients;
let dashboard: CephDashboardClient;
let kubeconfigPath: string;
let operator: ChildProcess | undefined;
let starts = 0;

/** `statsmoln run` as a separate process, as in a cluster; its log goes to the work directory. */
function startOperatorProcess(): ChildProcess {
  starts += 1;
  const log = openSync(join(workDir, `operator-${starts}.log`), 'w');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'run', '--metrics-address', '0', '--check-interval', '5s', '--backend-timeout', '60s', '--concurrency', '4', '--log-level', 'info'],
    { env: { ...process.env, KUBECONFIG: kubeconfigPath }, stdio: ['ignore', log, log] },
  );
  return child;
}

async function kill(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

const readyOf = (object: { status?: unknown; metadata?: { generation?: number } }): boolean => {
  const status = object.status as { observedGeneration?: number; conditions?: Condition[] } | undefined;
  return status?.observedGeneration === object.metadata?.generation && (status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
};
const getTenant = () => client.get<AgencyTenant & KubeObject>(TENANTS, undefined, tenant);
const getQuota = () => client.get<ComputeQuota & KubeObject>(QUOTAS, namespace, 'production');
const getVolume = (name: string) => client.get<StorageVolume & KubeObject>(VOLUMES, namespace, name);
const gone = (read: () => Promise<unknown>) => read().then(() => false, () => true);

beforeAll(async () => {
  api = await startApiServer({ host: '127.0.0.1', port: 0 });
  await api.registerCrdsFromDir('crds');
  kubeconfigPath = await api.writeKubeconfig(join(workDir, 'kubeconfig'));
  client = new KubeClient({ kubeConfig: kubeConfigForServer(api.url, api.token, api.caData) });
  await client.create(NAMESPACES, { metadata: { name: OPERATOR_NAMESPACE } });
  await client.create(SECRETS, { metadata: { name: 'real-openstack', namespace: OPERATOR_NAMESPACE }, data: { 'clouds.yaml': base64(cloudsYaml) } } as KubeObject);
  await client.create(SECRETS, {
    metadata: { name: 'real-ceph', namespace: OPERATOR_NAMESPACE },
    data: { username: base64(need(ceph, 'CEPH_DASHBOARD_USER')), password: base64(need(ceph, 'CEPH_DASHBOARD_PASSWORD')) },
  } as KubeObject);
  // Two environments of one data center on the same real services: removing one is the
  // "remove a placement" path, which needs no second cloud.
  const partition = (environment: string) => ({
    environment,
    openstack: { cloudsSecretRef: { name: 'real-openstack' }, cloud: cloudName, region: need(os, 'STATSMOLN_OS_REGION') },
    ceph: { dashboardUrl: need(ceph, 'CEPH_DASHBOARD_URL'), credentialsSecretRef: { name: 'real-ceph' }, tenantPool: pool },
    externalNetwork: need(os, 'STATSMOLN_OS_EXTERNAL_NETWORK_NAME'),
    storageTiers: [{ name: 'hdd', cinderVolumeType: need(os, 'STATSMOLN_OS_VOLUME_TYPE'), cephPool: pool }],
  });
  await client.create(DATACENTERS, {
    apiVersion: 'statsmoln.io/v1alpha1',
    kind: 'DataCenter',
    metadata: { name: 'real-1' },
    spec: { displayName: 'real services', country: 'SE', protectedSite: false, partitions: [partition('production'), partition('test')] },
  } as KubeObject);
  await client.create(resourceTypeOf(priceListDefinition), parse(readFileSync('examples/platform/pricelist.yaml', 'utf8')) as KubeObject);
  admin = OpenStackClients.fromCloudsYaml(cloudsYaml, cloudName, { timeoutMs: 60_000 });
  dashboard = new CephDashboardClient({ url: need(ceph, 'CEPH_DASHBOARD_URL'), username: need(ceph, 'CEPH_DASHBOARD_USER'), password: need(ceph, 'CEPH_DASHBOARD_PASSWORD'), timeoutMs: 60_000 });
});

afterAll(async () => {
  // A failure half-way: let a running operator remove what it created (deletionPolicy Delete everywhere).
  const leftovers = await getTenant().catch(() => undefined);
  if (leftovers) {
    if (!operator || operator.exitCode !== null) operator = startOperatorProcess();
    for (const name of ['data', 'raw']) await client.delete(VOLUMES, namespace, name).catch(() => undefined);
    await client.delete(QUOTAS, namespace, 'production').catch(() => undefined);
    await client.delete(TENANTS, undefined, tenant).catch(() => undefined);
    await eventually(() => gone(getTenant), Boolean, 'cleanup', 180_000).catch(() => undefined);
  }
  await kill(operator, 'SIGTERM');
  admin?.close();
  await api?.close();
  rmSync(workDir, { recursive: true, force: true });
});

describe('the operator process against real OpenStack and Ceph', () => {
  it('converges through a SIGKILL and a restart without duplicates, follows spec changes, and deletes everything', async () => {
    await client.create(NAMESPACES, { metadata: { name: namespace, labels: { 'statsmoln.io/tenant': tenant } } });
    await client.create(TENANTS, {
      apiVersion: 'statsmoln.io/v1alpha1',
      kind: 'AgencyTenant',
      metadata: { name: tenant },
      spec: {
        displayName: 'Real end-to-end agency',
        organisationNumber: '202100-5489',
        classification: { confidentiality: 1, integrity: 1, availability: 1 },
        environments: ['production', 'test'],
        placement: { dataCenters: ['real-1'] },
        identity: { oidc: { issuer: `https://idp.${tenant}.example.se`, clientId: 'statsmoln' }, roleBindings: [{ group: 'ops', role: 'admin' }] },
        network: {
          addressPlan: [
            { dataCenter: 'real-1', environment: 'production', cidrs: ['10.98.0.0/24'] },
            { dataCenter: 'real-1', environment: 'test', cidrs: ['10.98.1.0/24'] },
          ],
        },
        billing: { reference: 'REAL', priceListRef: { name: 'standard-2026' } },
        deletionPolicy: 'Delete',
      },
    } as KubeObject);
    await client.create(QUOTAS, {
      apiVersion: 'statsmoln.io/v1alpha1',
      kind: 'ComputeQuota',
      metadata: { name: 'production', namespace },
      spec: { dataCenter: 'real-1', environment: 'production', cores: 4, ramGiB: 8, instances: 2, serverGroups: 1, floatingIps: 1 },
    } as KubeObject);
    for (const [name, backend] of [['data', 'cinder'], ['raw', 'rbd']] as const) {
      await client.create(VOLUMES, {
        apiVersion: 'statsmoln.io/v1alpha1',
        kind: 'StorageVolume',
        metadata: { name, namespace },
        spec: { dataCenter: 'real-1', environment: 'production', sizeGiB: 1, tier: 'hdd', backend, deletionPolicy: 'Delete' },
      } as KubeObject);
    }

    // Kill the operator as soon as the first agency project exists in Keystone: the tenant is part-way done.
    operator = startOperatorProcess();
    const firstProject = await eventually(
      () => admin.identity.listProjects({ name: `${tenant}-production` }).catch(() => []),
      (projects) => projects.length > 0,
      'the first agency project in Keystone',
      240_000,
      50,
    );
    await kill(operator, 'SIGKILL');
    const atKill = await getTenant();
    expect(readyOf(atKill)).toBe(false);

    operator = startOperatorProcess();
    await eventually(getTenant, readyOf, 'tenant Ready after the restart');
    await eventually(getQuota, readyOf, 'quota Ready');
    const data = await eventually(() => getVolume('data'), readyOf, 'cinder volume Ready');
    const raw = await eventually(() => getVolume('raw'), readyOf, 'rbd volume Ready');
    const converged = await getTenant();

    // Exactly one of everything, and it is what the status names.
    const [domain, ...otherDomains] = await admin.identity.listDomains({ name: `agency-${tenant}` });
    expect(otherDomains).toEqual([]);
    for (const environment of ['production', 'test'] as const) {
      const placement = converged.status?.placements?.find((entry) => entry.environment === environment);
      const projects = await admin.identity.listProjects({ name: `${tenant}-${environment}`, domain_id: domain!.id });
      expect(projects.map((project) => project.id)).toEqual([placement?.projectId]);
      expect((await admin.network.listNetworks({ name: `${tenant}-${environment}` })).map((network) => network.id)).toEqual([placement?.networkId]);
      expect((await admin.network.listRouters({ name: `${tenant}-${environment}` })).map((router) => router.id)).toEqual([placement?.routerId]);
      expect((await admin.network.listSecurityGroups({ name: `${tenant}-${environment}-baseline` })).map((group) => group.id)).toEqual([placement?.securityGroupId]);
      expect((await admin.network.listSubnets({ networkId: placement!.networkId! })).map((subnet) => subnet.id)).toEqual(placement?.subnetIds);
    }
    expect(firstProject.map((project) => project.id)).toEqual([converged.status?.placements?.find((entry) => entry.environment === 'production')?.projectId]);
    const production = converged.status!.placements!.find((entry) => entry.environment === 'production')!;
    const volumes = await admin.blockStorage.listVolumes({ projectId: production.projectId!, name: `${namespace}/data` });
    expect(volumes.map((volume) => volume.id)).toEqual([data.status?.backendId]);
    // getImage by name is current; the listing can lag 30 s behind (the dashboard's name cache), so it is checked below.
    const rawImage = await dashboard.getImage({ pool, namespace, name: `${namespace}.raw` }, { omitUsage: true });
    expect(`${rawImage.pool}/${rawImage.namespace}/${rawImage.name}`).toBe(raw.status?.backendId);

    // Spec changes: more cores, a bigger volume, the test environment removed.
    await client.patch(QUOTAS, namespace, 'production', { spec: { cores: 6 } }, 'merge');
    await client.patch(VOLUMES, namespace, 'data', { spec: { sizeGiB: 2 } }, 'merge');
    const testProject = converged.status!.placements!.find((entry) => entry.environment === 'test')!;
    await client.patch(
      TENANTS,
      undefined,
      tenant,
      { spec: { environments: ['production'], network: { addressPlan: [{ dataCenter: 'real-1', environment: 'production', cidrs: ['10.98.0.0/24'] }] } } },
      'merge',
    );
    await eventually(getQuota, (quota) => readyOf(quota) && quota.status?.limits?.cores === 6, 'quota raised');
    expect((await admin.compute.getQuotaSet(production.projectId!)).cores).toBe(6);
    await eventually(() => getVolume('data'), (volume) => readyOf(volume) && volume.status?.sizeGiB === 2, 'volume grown');
    expect((await admin.blockStorage.getVolume(data.status!.backendId!)).size).toBe(2);
    await eventually(getTenant, (object) => readyOf(object) && (object.status?.placements ?? []).length === 1, 'test environment removed');
    expect(await admin.identity.listProjects({ name: `${tenant}-test` })).toEqual([]);
    expect(await admin.network.listNetworks({ name: `${tenant}-test` })).toEqual([]);
    expect(await admin.network.listRouters({ name: `${tenant}-test` })).toEqual([]);
    expect(testProject.projectId).toBeDefined();
    const images = await eventually(
      () => dashboard.listAllImages(pool, namespace),
      (listed) => listed.length > 0,
      'the rbd image in the dashboard listing (its name cache lives 30 s)',
      45_000,
    );
    expect(images.map((image) => `${image.pool}/${image.namespace}/${image.name}`)).toEqual([raw.status?.backendId]);

    // Delete everything: the volumes and quota first (as a GitOps prune does), then the tenant.
    for (const name of ['data', 'raw']) await client.delete(VOLUMES, namespace, name);
    await client.delete(QUOTAS, namespace, 'production');
    await client.delete(TENANTS, undefined, tenant);
    await eventually(() => gone(getTenant), Boolean, 'tenant gone');
    expect(await gone(() => getVolume('data'))).toBe(true);
    expect(await admin.identity.listDomains({ name: `agency-${tenant}` })).toEqual([]);
    expect(await admin.identity.listProjects({ name: `${tenant}-production` })).toEqual([]);
    expect(await admin.blockStorage.listVolumes({ name: `${namespace}/data` })).toEqual([]);
    expect(await admin.network.listNetworks({ name: `${tenant}-production` })).toEqual([]);
    expect((await dashboard.listNamespaces(pool)).some((entry) => entry.namespace === namespace)).toBe(false);
  });
});
