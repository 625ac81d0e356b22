/**
 * Reads what the agency has in Kubernetes and in every placement's backends. Objects are found by
 * their deterministic names and judged by the tenant's uid marker: an object with our name that
 * carries another owner's marker is a terminal error, never adopted.
 */
import type { AgencyTenant, Environment } from '../../api/v1alpha1/index.js';
import { BackendError, identityBase, type OpenStackClients } from '../../backends/openstack/index.js';
import { isNotFound, type KubeObject, type ResourceType } from '../../runtime/index.js';
import { InvalidConfigurationError, names, type BackendRegistry, type ControllerContext } from '../framework/index.js';
import {
  deletionPolicy,
  desiredPlacements,
  KEYSTONE_ROLE,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  namespaceName,
  ownerMarker,
  placementKey,
  recordedPlacements,
  TENANT_LABEL,
  TENANT_ROLES,
  tenantUid,
  type PlacementKey,
} from './desired.js';
import type { CephObserved, KeystoneObserved, NamespaceObserved, PlacementObserved, RoleBindingObserved, TenantClients, TenantObserved } from './types.js';

export const NAMESPACES: ResourceType = { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false };
export const ROLE_BINDINGS: ResourceType = { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings', kind: 'RoleBinding', namespaced: true };

interface NamespaceObject extends KubeObject {
  metadata: KubeObject['metadata'] & { ownerReferences?: Array<{ uid?: string }>; deletionTimestamp?: string };
}
interface RoleBindingObject extends KubeObject {
  roleRef?: { name?: string };
  subjects?: Array<{ kind?: string; name?: string }>;
}

function isBeingDeleted(tenant: AgencyTenant): boolean {
  return Boolean((tenant.metadata as { deletionTimestamp?: string }).deletionTimestamp);
}

function ownedError(what: string): InvalidConfigurationError {
  return new InvalidConfigurationError(`${what} exists and is owned by another object; statsmoln does not touch it`);
}

function notFoundToUndefined<T>(promise: Promise<T>): Promise<T | undefined> {
  return promise.catch((error: unknown) => {
    if (error instanceof BackendError && error.kind === 'NotFound') return undefined;
    throw error;
  });
}

/** Which placements to read: those placed, and under Delete those recorded in status but no longer placed. */
function placementsToObserve(tenant: AgencyTenant): { observe: Array<PlacementKey & { desired: boolean }>; retained: PlacementKey[] } {
  const deleting = isBeingDeleted(tenant);
  const desired = deleting ? [] : desiredPlacements(tenant);
  const desiredKeys = new Set(desired.map(placementKey));
  const seen = new Set(desiredKeys);
  const removed: PlacementKey[] = [];
  for (const placement of [...recordedPlacements(tenant), ...(deleting ? desiredPlacements(tenant) : [])]) {
    const key = placementKey(placement);
    if (seen.has(key)) continue;
    seen.add(key);
    removed.push(placement);
  }
  if (deletionPolicy(tenant) === 'Retain') return { observe: desired.map((p) => ({ ...p, desired: true })), retained: removed };
  return { observe: [...desired.map((p) => ({ ...p, desired: true })), ...removed.map((p) => ({ ...p, desired: false }))], retained: [] };
}

export async function observeTenant(tenant: AgencyTenant, ctx: ControllerContext, registry: BackendRegistry): Promise<TenantObserved> {
  const uid = tenantUid(tenant);
  const clients: TenantClients = { keystone: new Map(), placement: new Map(), ceph: new Map() };
  const { namespace, roleBindings } = await observeKubernetes(tenant, ctx);
  const { observe, retained } = placementsToObserve(tenant);

  // A tenant being deleted under Delete first waits for its namespace; backends are read after.
  const skipBackends = isBeingDeleted(tenant) && (deletionPolicy(tenant) === 'Retain' || namespace !== undefined);
  const placements: PlacementObserved[] = [];
  const keystoneEnvs = new Map<string, { dataCenters: Set<string>; environments: Set<Environment> }>();
  const cephPools = new Map<string, string>();
  if (!skipBackends) {
    for (const placement of observe) {
      const backends = await registry.forPartition(placement.dataCenter, placement.environment);
      const keystone = identityBase(backends.openstack.session.config.auth.authUrl);
      const ceph = `${backends.partition.ceph.dashboardUrl}|${backends.partition.ceph.tenantPool}`;
      clients.keystone.set(keystone, backends.openstack);
      clients.placement.set(placementKey(placement), backends.openstack);
      clients.ceph.set(ceph, backends.cephDashboard);
      cephPools.set(ceph, backends.partition.ceph.tenantPool);
      const entry = keystoneEnvs.get(keystone) ?? { dataCenters: new Set(), environments: new Set() };
      entry.dataCenters.add(placement.dataCenter);
      entry.environments.add(placement.environment);
      keystoneEnvs.set(keystone, entry);
      placements.push({
        ...placement,
        keystone,
        ceph,
        externalNetworkId: placement.desired ? await externalNetworkId(backends.openstack, backends.partition.externalNetwork) : undefined,
        subnets: [],
        interfaces: [],
        ownedPorts: [],
      });
    }
  }

  const keystones: KeystoneObserved[] = [];
  for (const [key, entry] of keystoneEnvs) {
    keystones.push(await observeKeystone(tenant, uid, key, [...entry.dataCenters], [...entry.environments], clients.keystone.get(key)!));
  }
  for (const placement of placements) {
    const keystone = keystones.find((entry) => entry.key === placement.keystone)!;
    const projectId = keystone.projects[placement.environment]?.id;
    if (projectId) await observeNetwork(tenant, uid, placement, projectId, clients.placement.get(placementKey(placement))!);
  }
  const cephs: CephObserved[] = [];
  for (const [key, pool] of cephPools) {
    const namespaceNameInPool = names.rbdNamespace(tenant.metadata.name);
    const found = (await clients.ceph.get(key)!.listNamespaces(pool)).find((entry) => entry.namespace === namespaceNameInPool);
    cephs.push({ key, pool, namespace: namespaceNameInPool, exists: Boolean(found), images: found?.numImages ?? 0 });
  }
  return { ...(namespace ? { namespace } : {}), roleBindings, keystones, placements, cephs, retained, clients };
}

async function observeKubernetes(tenant: AgencyTenant, ctx: ControllerContext): Promise<{ namespace?: NamespaceObserved; roleBindings: RoleBindingObserved[] }> {
  const name = namespaceName(tenant);
  let object: NamespaceObject;
  try {
    object = await ctx.client.get<NamespaceObject>(NAMESPACES, undefined, name);
  } catch (error) {
    if (isNotFound(error)) return { roleBindings: [] };
    throw error;
  }
  const labels = object.metadata?.labels ?? {};
  const ownerUids = (object.metadata?.ownerReferences ?? []).map((reference) => reference.uid);
  if (labels[TENANT_LABEL] !== undefined && labels[TENANT_LABEL] !== tenant.metadata.name) {
    throw ownedError(`namespace ${name} (labelled for tenant "${labels[TENANT_LABEL]}")`);
  }
  const namespace: NamespaceObserved = { labels, ownedByTenant: ownerUids.includes(tenantUid(tenant)), terminating: Boolean(object.metadata?.deletionTimestamp) };
  const list = await ctx.client.list<RoleBindingObject>(ROLE_BINDINGS, { namespace: name, labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY},${TENANT_LABEL}=${tenant.metadata.name}` });
  const roleBindings = list.items.map((item) => ({
    name: item.metadata?.name ?? '',
    clusterRole: item.roleRef?.name ?? '',
    groups: (item.subjects ?? []).filter((subject) => subject.kind === 'Group').map((subject) => subject.name ?? ''),
  }));
  return { namespace, roleBindings };
}

async function externalNetworkId(openstack: OpenStackClients, name: string): Promise<string | undefined> {
  const [network] = await openstack.network.listNetworks({ name, external: true });
  return network?.id;
}

async function observeKeystone(
  tenant: AgencyTenant,
  uid: string,
  key: string,
  dataCenters: string[],
  environments: Environment[],
  openstack: OpenStackClients,
): Promise<KeystoneObserved> {
  const marker = ownerMarker(uid);
  const tenantName = tenant.metadata.name;
  const identity = openstack.identity;
  const observed: KeystoneObserved = { key, dataCenters, groups: {}, projects: {}, assignments: [], operatorAccess: [], roleIds: {} };
  const operatorUserId = (await openstack.session.token()).userId;

  for (const role of TENANT_ROLES) {
    const [found] = await identity.listRoles({ name: KEYSTONE_ROLE[role] });
    if (found) observed.roleIds[role] = found.id;
  }
  const domainName = names.keystoneDomain(tenantName);
  const [domain] = await identity.listDomains({ name: domainName });
  if (domain) {
    if (!(domain.description ?? '').includes(marker)) throw ownedError(`keystone domain ${domainName}`);
    observed.domain = domain;
    for (const role of TENANT_ROLES) {
      const groupName = names.keystoneGroup(tenantName, role);
      const [group] = await identity.listGroups({ name: groupName, domain_id: domain.id });
      if (!group) continue;
      if (!(group.description ?? '').includes(marker)) throw ownedError(`keystone group ${groupName}`);
      observed.groups[role] = group;
    }
    for (const environment of environments) {
      const projectName = names.keystoneProject(tenantName, environment);
      const [project] = await identity.listProjects({ name: projectName, domain_id: domain.id });
      if (!project) continue;
      if (!project.tags.includes(marker)) throw ownedError(`keystone project ${projectName}`);
      observed.projects[environment] = project;
      const groupIds = new Set(Object.values(observed.groups).map((group) => group.id));
      const assignments = await identity.listRoleAssignments({ projectId: project.id });
      for (const assignment of assignments) {
        if (assignment.group && groupIds.has(assignment.group.id)) {
          observed.assignments.push({ projectId: project.id, groupId: assignment.group.id, roleId: assignment.role.id });
        }
        if (assignment.user?.id === operatorUserId && assignment.role.id === observed.roleIds.member) observed.operatorAccess.push(project.id);
      }
    }
  }
  const idpId = names.identityProvider(tenantName);
  const idp = await notFoundToUndefined(identity.getIdentityProvider(idpId));
  if (idp) {
    if (!(idp.description ?? '').includes(marker)) throw ownedError(`identity provider ${idpId}`);
    observed.identityProvider = idp;
    const protocol = await notFoundToUndefined(identity.getProtocol(idpId, names.federationProtocol));
    if (protocol) observed.protocol = protocol;
  }
  // Mappings carry no description: ownership rests on the deterministic name.
  const mapping = await notFoundToUndefined(identity.getMapping(names.federationMapping(tenantName)));
  if (mapping) observed.mapping = mapping;
  return observed;
}

function ownsNeutron(item: { tags: string[]; description?: string }, marker: string): boolean {
  return item.tags.includes(marker) || (item.description ?? '').includes(marker);
}

async function observeNetwork(tenant: AgencyTenant, uid: string, placement: PlacementObserved, projectId: string, openstack: OpenStackClients): Promise<void> {
  const marker = ownerMarker(uid);
  const tenantName = tenant.metadata.name;
  const network = openstack.network;
  const networkName = names.network(tenantName, placement.environment);
  const [found] = await network.listNetworks({ name: networkName, projectId });
  if (found) {
    if (!ownsNeutron(found, marker)) throw ownedError(`neutron network ${networkName} in ${placementKey(placement)}`);
    placement.network = found;
    // Subnets inside the agency's own network are the agency's.
    placement.subnets = await network.listSubnets({ networkId: found.id });
    if (!placement.desired) placement.ownedPorts = await network.listPorts({ networkId: found.id, tags: [marker] });
  }
  const routerName = names.router(tenantName, placement.environment);
  const [router] = await network.listRouters({ name: routerName, projectId });
  if (router) {
    if (!ownsNeutron(router as { tags: string[]; description?: string }, marker)) throw ownedError(`neutron router ${routerName} in ${placementKey(placement)}`);
    placement.router = router;
    const ports = await network.listPorts({ deviceId: router.id, deviceOwner: 'network:router_interface' });
    placement.interfaces = ports.flatMap((port) => port.fixed_ips.map((ip) => ({ subnetId: ip.subnet_id, portId: port.id })));
  }
  const groupName = names.securityGroup(tenantName, placement.environment);
  const [group] = await network.listSecurityGroups({ name: groupName, projectId });
  if (group) {
    if (!ownsNeutron(group, marker)) throw ownedError(`neutron security group ${groupName} in ${placementKey(placement)}`);
    placement.securityGroup = group;
  }
}
