/**
 * AgencyTenant test support on top of the shared harness: the three example agencies' data
 * centers, the PriceList, a Manager running the AgencyTenant controller, and a snapshot of
 * everything a tenant owns in Keystone, Neutron, Ceph and Kubernetes.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { agencyTenantDefinition, computeQuotaDefinition, priceListDefinition, slaDefinition, storageVolumeDefinition, type AgencyTenant } from '../../../src/api/v1alpha1/index.js';
import { CephDashboardClient } from '../../../src/backends/ceph/index.js';
import { createAgencyTenantActuator, type AgencyTenantActuator, type OperatorInformers } from '../../../src/controllers/agencytenant/index.js';
import { ControllerMetrics, resourceReconciler, resourceTypeOf, type ControllerContext } from '../../../src/controllers/framework/index.js';
import { Manager, RuntimeMetrics, silentLogger, type Condition, type KubeObject, type ResourceType } from '../../../src/runtime/index.js';
import { DATACENTERS, NAMESPACES, TENANT_POOL, startHarness, type Harness } from './harness.js';
import { eventually } from '../../support/eventually.js';

export const TENANTS = resourceTypeOf(agencyTenantDefinition);
export const PRICELISTS = resourceTypeOf(priceListDefinition);
export const ROLE_BINDINGS: ResourceType = { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings', kind: 'RoleBinding', namespaced: true };
export const EVENTS: ResourceType = { group: 'events.k8s.io', version: 'v1', resource: 'events', kind: 'Event', namespaced: true };

/** The example agencies' data centers; sto-1 is a protected site (polisen is classified). */
export const EXAMPLE_DATA_CENTERS = ['sto-1', 'gbg-1', 'lla-1'];

export interface TenantEnvironment {
  harness: Harness;
  manager: Manager;
  actuator: AgencyTenantActuator;
  metrics: ControllerMetrics;
  ceph: CephDashboardClient;
  context(): ControllerContext;
  close(): Promise<void>;
}

export async function startTenantEnvironment(options: { startController?: boolean } = {}): Promise<TenantEnvironment> {
  const harness = await startHarness({ dataCenters: EXAMPLE_DATA_CENTERS });
  await harness.createDataCenter('sto-1', ['production', 'test', 'development', 'classified'], { protectedSite: true });
  await harness.createDataCenter('gbg-1', ['production', 'test', 'development']);
  await harness.createDataCenter('lla-1', ['production', 'test']);
  await harness.client.create(PRICELISTS, parse(readFileSync('examples/platform/pricelist.yaml', 'utf8')) as KubeObject);

  const manager = new Manager({ client: harness.client, server: false, metrics: new RuntimeMetrics({ registry: harness.metrics }) });
  const informers: OperatorInformers = {
    dataCenters: manager.informer(DATACENTERS),
    tenants: manager.informer(TENANTS),
    priceLists: manager.informer(PRICELISTS),
    quotas: manager.informer(resourceTypeOf(computeQuotaDefinition)),
    volumes: manager.informer(resourceTypeOf(storageVolumeDefinition)),
    slas: manager.informer(resourceTypeOf(slaDefinition)),
  };
  const registry = harness.backendRegistry(informers.dataCenters);
  const actuator = createAgencyTenantActuator({ registry, informers });
  const metrics = new ControllerMetrics(harness.metrics);
  if (options.startController !== false) {
    manager.addController({
      name: 'agencytenant',
      type: TENANTS,
      reconcile: resourceReconciler({ actuator, informer: informers.tenants, type: TENANTS, context: { client: harness.client, events: manager.events, clock: manager.clock }, metrics }),
    });
  }
  await manager.start();
  const ceph = new CephDashboardClient({ url: harness.ceph.dashboardUrl, username: harness.ceph.dashboardUser, password: harness.ceph.dashboardPassword });
  return {
    harness,
    manager,
    actuator,
    metrics,
    ceph,
    context: () => ({ client: harness.client, events: manager.events, clock: manager.clock, logger: silentLogger(), signal: new AbortController().signal }),
    async close() {
      await manager.stop();
      await harness.close();
    },
  };
}

/** An example agency's tenant.yaml, renamed (so tests do not share backend objects) and adjusted. */
export function exampleTenant(example: 'skatteverket' | 'polisen' | 'bolagsverket', name: string = example, patch: (spec: AgencyTenant['spec']) => void = () => undefined): AgencyTenant & KubeObject {
  const tenant = parse(readFileSync(`examples/agencies/${example}/tenant.yaml`, 'utf8')) as AgencyTenant & KubeObject;
  tenant.metadata = { name };
  // Keystone refuses two identity providers with the same remote id, as real Keystone does.
  if (name !== example) tenant.spec.identity.oidc.issuer = `${tenant.spec.identity.oidc.issuer.replace(/\/$/, '')}/${name}`;
  patch(tenant.spec);
  return tenant;
}

export { eventually };

export function condition(object: AgencyTenant, type: string): Condition | undefined {
  return (object.status?.conditions as Condition[] | undefined)?.find((entry) => entry.type === type);
}

export const isReady = (object: AgencyTenant): boolean =>
  condition(object, 'Ready')?.status === 'True' && object.status?.observedGeneration === object.metadata.generation;

export async function getTenant(env: TenantEnvironment, name: string): Promise<AgencyTenant & KubeObject> {
  return env.harness.client.get<AgencyTenant & KubeObject>(TENANTS, undefined, name);
}

export async function tenantGone(env: TenantEnvironment, name: string): Promise<boolean> {
  try {
    await getTenant(env, name);
    return false;
  } catch {
    return true;
  }
}

export async function namespaceOf(env: TenantEnvironment, name: string): Promise<KubeObject | undefined> {
  try {
    return await env.harness.client.get(NAMESPACES, undefined, name);
  } catch {
    return undefined;
  }
}

export interface NetworkSnapshot {
  networks: number;
  subnets: string[];
  routers: number;
  gateway: string | null;
  interfaces: number;
  securityGroups: number;
  baselineIngress: string[];
}

export interface TenantSnapshot {
  domains: number;
  projects: Record<string, string[]>;
  groups: string[];
  assignments: string[];
  identityProvider?: { remoteIds: string[]; domainMatches: boolean };
  mappingGroups?: string[];
  protocol?: string;
  networks: Record<string, NetworkSnapshot>;
  rbdNamespace: boolean;
}

/** Everything named for `tenant` in Keystone (shared), in every region's Neutron, and in Ceph. */
export async function snapshot(env: TenantEnvironment, tenant: string, environments: string[] = ['production', 'test', 'development', 'classified']): Promise<TenantSnapshot> {
  const admin = env.harness.adminClients('sto-1');
  const identity = admin.identity;
  const domains = await identity.listDomains({ name: `agency-${tenant}` });
  const domain = domains[0];
  const projects: Record<string, string[]> = {};
  const groups: string[] = [];
  const assignments: string[] = [];
  const roleNames = new Map((await identity.listRoles()).map((role) => [role.id, role.name]));
  if (domain) {
    for (const project of await identity.listProjects({ domain_id: domain.id })) projects[project.name] = [...project.tags].sort();
    const groupList = await identity.listGroups({ domain_id: domain.id });
    groups.push(...groupList.map((group) => group.name).sort());
    const groupNames = new Map(groupList.map((group) => [group.id, group.name]));
    for (const project of await identity.listProjects({ domain_id: domain.id })) {
      for (const assignment of await identity.listRoleAssignments({ projectId: project.id })) {
        if (assignment.group) assignments.push(`${groupNames.get(assignment.group.id) ?? assignment.group.id} ${roleNames.get(assignment.role.id)} ${project.name}`);
      }
    }
  }
  assignments.sort();
  const result: TenantSnapshot = { domains: domains.length, projects, groups, assignments, networks: {}, rbdNamespace: false };
  const idp = (await identity.listIdentityProviders()).find((entry) => entry.id === `agency-${tenant}`);
  if (idp) {
    result.identityProvider = { remoteIds: idp.remote_ids, domainMatches: idp.domain_id === domain?.id };
    const [protocol] = await identity.listProtocols(idp.id);
    if (protocol) result.protocol = `${protocol.id}->${protocol.mapping_id}`;
  }
  const mapping = (await identity.listMappings()).find((entry) => entry.id === `agency-${tenant}`);
  if (mapping) result.mappingGroups = mapping.rules.map((rule) => JSON.stringify(rule.remote[1])).sort();
  for (const dataCenter of EXAMPLE_DATA_CENTERS) {
    const network = env.harness.adminClients(dataCenter).network;
    for (const environment of environments) {
      const name = `${tenant}-${environment}`;
      const networks = await network.listNetworks({ name });
      const routers = await network.listRouters({ name });
      const groupsFound = await network.listSecurityGroups({ name: `${name}-baseline` });
      if (networks.length === 0 && routers.length === 0 && groupsFound.length === 0) continue;
      const subnets = networks[0] ? await network.listSubnets({ networkId: networks[0].id }) : [];
      const interfaces = routers[0] ? await network.listPorts({ deviceId: routers[0].id, deviceOwner: 'network:router_interface' }) : [];
      result.networks[`${dataCenter}/${environment}`] = {
        networks: networks.length,
        subnets: subnets.map((subnet) => subnet.cidr).sort(),
        routers: routers.length,
        gateway: routers[0]?.external_gateway_info?.network_id ?? null,
        interfaces: interfaces.length,
        securityGroups: groupsFound.length,
        baselineIngress: (groupsFound[0]?.security_group_rules ?? [])
          .filter((rule) => rule.direction === 'ingress' && rule.remote_ip_prefix)
          .map((rule) => `${rule.ethertype} ${rule.remote_ip_prefix}`)
          .sort(),
      };
    }
  }
  result.rbdNamespace = (await env.ceph.listNamespaces(TENANT_POOL)).some((entry) => entry.namespace === `agency-${tenant}`);
  return result;
}

export async function eventReasons(env: TenantEnvironment, tenant: string): Promise<string[]> {
  const list = await env.harness.client.list<KubeObject & { reason?: string; regarding?: { name?: string } }>(EVENTS, {});
  return list.items.filter((event) => event.regarding?.name === tenant).map((event) => event.reason ?? '');
}
