/**
 * The AgencyTenant controller against real OpenStack (Keystone, Neutron) and real Ceph: one tenant
 * converges to Ready, then is deleted under deletionPolicy Delete and leaves nothing behind.
 * Endpoints and credentials come from $STATSMOLN_REAL_DIR/{openstack,ceph}/env (test/real/run.sh).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Registry } from 'prom-client';
import { base64, eventually, need, readServiceEnv } from './support/env.js';
import { startApiServer, type ApiServer } from '../../src/apiserver/index.js';
import { agencyTenantDefinition, computeQuotaDefinition, dataCenterDefinition, priceListDefinition, slaDefinition, storageVolumeDefinition, type AgencyTenant } from '../../src/api/v1alpha1/index.js';
import { CephDashboardClient } from '../../src/backends/ceph/index.js';
import { BackendError, OpenStackClients } from '../../src/backends/openstack/index.js';
import { createAgencyTenantActuator } from '../../src/controllers/agencytenant/index.js';
import { BackendRegistry, ControllerMetrics, resourceReconciler, resourceTypeOf } from '../../src/controllers/framework/index.js';
import { KubeClient, Manager, RuntimeMetrics, kubeConfigForServer, type Condition, type KubeObject, type ResourceType } from '../../src/runtime/index.js';

const OPERATOR_NAMESPACE = 'statsmoln-system';
const NAMESPACES: ResourceType = { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false };
const SECRETS: ResourceType = { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true };
const TENANTS = resourceTypeOf(agencyTenantDefinition);
const DATACENTERS = resourceTypeOf(dataCenterDefinition);

const os = readServiceEnv('openstack');
const ceph = readServiceEnv('ceph');
const cloudName = need(os, 'OS_CLOUD');
const cloudsYaml = readFileSync(need(os, 'OS_CLIENT_CONFIG_FILE'), 'utf8');
const pool = ceph['CEPH_RBD_POOL'] ?? 'rbd';
const tenantName = `rt${Date.now().toString(36)}`;

let api: ApiServer;
let client: KubeClient;
let manager: Manager;
let registry: BackendRegistry;
let admin: OpenStackClients;
let dashboard: CephDashboardClient;
const metrics = new Registry();

beforeAll(async () => {
  api = await startApiServer({ host: '127.0.0.1', port: 0 });
  await api.registerCrdsFromDir('crds');
  client = new KubeClient({ kubeConfig: kubeConfigForServer(api.url, api.token, api.caData) });
  await client.create(NAMESPACES, { metadata: { name: OPERATOR_NAMESPACE } });
  await client.create(SECRETS, { metadata: { name: 'real-openstack', namespace: OPERATOR_NAMESPACE }, data: { 'clouds.yaml': base64(cloudsYaml) } } as KubeObject);
  await client.create(SECRETS, {
    metadata: { name: 'real-ceph', namespace: OPERATOR_NAMESPACE },
    data: { username: base64(need(ceph, 'CEPH_DASHBOARD_USER')), password: base64(need(ceph, 'CEPH_DASHBOARD_PASSWORD')) },
  } as KubeObject);
  const created = await client.create<KubeObject>(DATACENTERS, {
    apiVersion: 'statsmoln.io/v1alpha1',
    kind: 'DataCenter',
    metadata: { name: 'real-1' },
    spec: {
      displayName: 'real services',
      country: 'SE',
      protectedSite: false,
      partitions: [
        {
          environment: 'production',
          openstack: { cloudsSecretRef: { name: 'real-openstack' }, cloud: cloudName, region: need(os, 'STATSMOLN_OS_REGION') },
          ceph: { dashboardUrl: need(ceph, 'CEPH_DASHBOARD_URL'), credentialsSecretRef: { name: 'real-ceph' }, tenantPool: pool },
          externalNetwork: need(os, 'STATSMOLN_OS_EXTERNAL_NETWORK_NAME'),
          storageTiers: [{ name: 'hdd', cinderVolumeType: need(os, 'STATSMOLN_OS_VOLUME_TYPE'), cephPool: pool }],
        },
      ],
    },
  } as KubeObject);
  const now = new Date().toISOString();
  await client.updateStatus(DATACENTERS, {
    ...created,
    status: {
      observedGeneration: created.metadata?.generation,
      conditions: [{ type: 'Ready', status: 'True', reason: 'Reachable', message: 'real services', lastTransitionTime: now, observedGeneration: created.metadata?.generation }],
      partitions: [{ environment: 'production', ready: true, services: [], lastCheckTime: now }],
    },
  } as KubeObject);
  await client.create(resourceTypeOf(priceListDefinition), parse(readFileSync('examples/platform/pricelist.yaml', 'utf8')) as KubeObject);

  manager = new Manager({ client, server: false, metrics: new RuntimeMetrics({ registry: metrics }) });
  const informers = {
    dataCenters: manager.informer(DATACENTERS),
    tenants: manager.informer(TENANTS),
    priceLists: manager.informer(resourceTypeOf(priceListDefinition)),
    quotas: manager.informer(resourceTypeOf(computeQuotaDefinition)),
    volumes: manager.informer(resourceTypeOf(storageVolumeDefinition)),
    slas: manager.informer(resourceTypeOf(slaDefinition)),
  };
  registry = new BackendRegistry({ client, operatorNamespace: OPERATOR_NAMESPACE, dataCenters: informers.dataCenters, timeoutMs: 60_000, metricsRegistry: metrics });
  const actuator = createAgencyTenantActuator({ registry, informers });
  manager.addController({
    name: 'agencytenant',
    type: TENANTS,
    reconcile: resourceReconciler({ actuator, informer: informers.tenants, type: TENANTS, context: { client, events: manager.events, clock: manager.clock }, metrics: new ControllerMetrics(metrics) }),
  });
  await manager.start();
  admin = OpenStackClients.fromCloudsYaml(cloudsYaml, cloudName, { timeoutMs: 60_000, registry: metrics });
  dashboard = new CephDashboardClient({ url: need(ceph, 'CEPH_DASHBOARD_URL'), username: need(ceph, 'CEPH_DASHBOARD_USER'), password: need(ceph, 'CEPH_DASHBOARD_PASSWORD'), timeoutMs: 60_000 });
});

afterAll(async () => {
  // If the test failed half-way, let the controller remove what it created (deletionPolicy Delete).
  const leftover = await client?.get(TENANTS, undefined, tenantName).catch(() => undefined);
  if (leftover) {
    await client.delete(TENANTS, undefined, tenantName).catch(() => undefined);
    await eventually(() => client.get(TENANTS, undefined, tenantName).then(() => false, () => true), Boolean, 'cleanup', 120_000).catch(() => undefined);
  }
  await manager?.stop();
  registry?.close();
  admin?.close();
  await api?.close();
});

const getTenant = () => client.get<AgencyTenant & KubeObject>(TENANTS, undefined, tenantName);
const ready = (tenant: AgencyTenant) =>
  tenant.status?.observedGeneration === tenant.metadata.generation &&
  (tenant.status?.conditions as Condition[] | undefined)?.some((condition) => condition.type === 'Ready' && condition.status === 'True') === true;

async function exists(call: Promise<unknown>): Promise<boolean> {
  try {
    await call;
    return true;
  } catch (error) {
    if (error instanceof BackendError && error.kind === 'NotFound') return false;
    throw error;
  }
}

describe('AgencyTenant against real OpenStack and Ceph', () => {
  it('converges one tenant to Ready, then deletes it under Delete leaving nothing behind', async () => {
    await client.create(TENANTS, {
      apiVersion: 'statsmoln.io/v1alpha1',
      kind: 'AgencyTenant',
      metadata: { name: tenantName },
      spec: {
        displayName: 'Real test agency',
        organisationNumber: '202100-5489',
        classification: { confidentiality: 1, integrity: 1, availability: 1 },
        environments: ['production'],
        placement: { dataCenters: ['real-1'] },
        identity: { oidc: { issuer: `https://idp.${tenantName}.example.se`, clientId: 'statsmoln' }, roleBindings: [{ group: 'ops', role: 'admin' }, { group: 'audit', role: 'reader' }] },
        network: { addressPlan: [{ dataCenter: 'real-1', environment: 'production', cidrs: ['10.99.0.0/24', 'fd99:1::/64'] }] },
        billing: { reference: 'REAL', priceListRef: { name: 'standard-2026' } },
        deletionPolicy: 'Delete',
      },
    } as KubeObject);
    const converged = await eventually(getTenant, ready, 'Ready');
    const [placement] = converged.status?.placements ?? [];
    expect(placement).toMatchObject({ dataCenter: 'real-1', environment: 'production', ready: true, cephNamespace: `${pool}/agency-${tenantName}` });

    const identity = admin.identity;
    const project = await identity.getProject(placement!.projectId!);
    expect(project.tags).toEqual(expect.arrayContaining([`statsmoln.io:uid=${converged.metadata.uid}`, `statsmoln.io:tenant=${tenantName}`, 'statsmoln.io:orgnr=202100-5489', 'statsmoln.io:environment=production']));
    expect((await identity.getIdentityProvider(`agency-${tenantName}`)).remote_ids).toEqual([`https://idp.${tenantName}.example.se`]);
    expect((await identity.getProtocol(`agency-${tenantName}`, 'openid')).mapping_id).toBe(`agency-${tenantName}`);
    // The two bound groups, and the operator's own user as member (its project-scoped volume writes need it).
    const assignments = await identity.listRoleAssignments({ projectId: project.id });
    const operatorUserId = (await admin.session.token()).userId;
    const [member] = await identity.listRoles({ name: 'member' });
    expect(assignments.filter((assignment) => assignment.group)).toHaveLength(2);
    expect(assignments.filter((assignment) => assignment.user).map((assignment) => [assignment.user?.id, assignment.role.id])).toEqual([[operatorUserId, member?.id]]);
    const subnets = await admin.network.listSubnets({ networkId: placement!.networkId! });
    expect(subnets.map((subnet) => subnet.cidr).sort()).toEqual(['10.99.0.0/24', 'fd99:1::/64']);
    const router = await admin.network.getRouter(placement!.routerId!);
    expect(router.external_gateway_info?.network_id).toBe(need(os, 'STATSMOLN_OS_EXTERNAL_NETWORK_ID'));
    const group = await admin.network.getSecurityGroup(placement!.securityGroupId!);
    expect(group.security_group_rules.filter((rule) => rule.direction === 'ingress' && rule.remote_ip_prefix).map((rule) => rule.remote_ip_prefix).sort()).toEqual(['10.99.0.0/24', 'fd99:1::/64']);
    expect((await dashboard.listNamespaces(pool)).some((entry) => entry.namespace === `agency-${tenantName}`)).toBe(true);

    await client.delete(TENANTS, undefined, tenantName);
    await eventually(
      () => getTenant().then(() => false, () => true),
      Boolean,
      'tenant gone',
    );
    expect(await identity.listDomains({ name: `agency-${tenantName}` })).toEqual([]);
    expect(await exists(identity.getProject(project.id))).toBe(false);
    expect(await exists(identity.getIdentityProvider(`agency-${tenantName}`))).toBe(false);
    expect(await exists(identity.getMapping(`agency-${tenantName}`))).toBe(false);
    expect(await admin.network.listNetworks({ name: `${tenantName}-production` })).toEqual([]);
    expect(await admin.network.listRouters({ name: `${tenantName}-production` })).toEqual([]);
    expect(await admin.network.listSecurityGroups({ name: `${tenantName}-production-baseline` })).toEqual([]);
    expect(await exists(admin.network.getSubnet(subnets[0]!.id))).toBe(false);
    expect((await dashboard.listNamespaces(pool)).some((entry) => entry.namespace === `agency-${tenantName}`)).toBe(false);
    expect(await identity.listGroups({ name: `${tenantName}-admin` })).toEqual([]);
  });
});
