/**
 * Performs one planned action. Later actions of the same plan need ids that earlier ones created
 * (a project needs its domain), so apply records what it creates in the observed state it was given.
 */
import type { AgencyTenant } from '../../api/v1alpha1/index.js';
import { BackendError, type OpenStackClients } from '../../backends/openstack/index.js';
import { isNotFound, type KubeObject, type OwnerReference } from '../../runtime/index.js';
import { DependencyNotReadyError, InvalidConfigurationError, names, tags, type ControllerContext } from '../framework/index.js';
import {
  BASELINE_RULE_DESCRIPTION,
  ipVersionOf,
  KEYSTONE_ROLE,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  mappingRules,
  namespaceName,
  ownerDescription,
  projectTags,
  TENANT_LABEL,
  tenantUid,
} from './desired.js';
import { NAMESPACES, ROLE_BINDINGS } from './observe.js';
import type { KeystoneObserved, PlacementObserved, TenantObserved, TenantPayload } from './types.js';
import type { TenantAction } from './plan.js';

/** How long a tenant being deleted waits before looking at its terminating namespace again. */
export const NAMESPACE_WAIT_MS = 2_000;
const NAMESPACE_GONE_RETRY_MS = 50;

export async function applyTenantAction(action: TenantAction, tenant: AgencyTenant, observed: TenantObserved, ctx: ControllerContext): Promise<void> {
  const payload = action.payload;
  switch (payload.op) {
    case 'retain':
      return;
    case 'namespace.create':
    case 'namespace.update':
    case 'namespace.orphan':
    case 'namespace.delete':
    case 'rolebinding.create':
    case 'rolebinding.delete':
      return applyKubernetes(payload, tenant, observed, ctx);
    case 'rbdnamespace.create':
    case 'rbdnamespace.delete': {
      const ceph = observed.cephs.find((entry) => entry.key === payload.ceph);
      const client = observed.clients.ceph.get(payload.ceph);
      if (!ceph || !client) throw new Error(`no observed Ceph pool ${payload.ceph}`);
      if (payload.op === 'rbdnamespace.create') {
        await client.ensureNamespace(ceph.pool, ceph.namespace);
        ceph.exists = true;
      } else {
        await client.deleteNamespace(ceph.pool, ceph.namespace);
        ceph.exists = false;
      }
      return;
    }
    case 'domain.create':
    case 'domain.enable':
    case 'domain.delete':
    case 'group.create':
    case 'group.delete':
    case 'project.create':
    case 'project.tags':
    case 'project.delete':
    case 'assignment.grant':
    case 'operator.grant':
    case 'assignment.revoke':
    case 'idp.create':
    case 'idp.update':
    case 'idp.delete':
    case 'mapping.create':
    case 'mapping.update':
    case 'mapping.delete':
    case 'protocol.create':
    case 'protocol.update':
    case 'protocol.delete':
      return applyKeystone(payload, tenant, observed);
    default:
      return applyNetwork(payload, tenant, observed);
  }
}

type NamespaceObject = KubeObject;

function ownerReference(tenant: AgencyTenant): OwnerReference {
  return { apiVersion: tenant.apiVersion ?? 'statsmoln.io/v1alpha1', kind: 'AgencyTenant', name: tenant.metadata.name, uid: tenantUid(tenant), controller: true };
}

async function applyKubernetes(payload: TenantPayload, tenant: AgencyTenant, observed: TenantObserved, ctx: ControllerContext): Promise<void> {
  const name = namespaceName(tenant);
  const labels = { [TENANT_LABEL]: tenant.metadata.name, [MANAGED_BY_LABEL]: MANAGED_BY };
  switch (payload.op) {
    case 'namespace.create':
      await ctx.client.create<NamespaceObject>(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, ownerReferences: [ownerReference(tenant)] } });
      observed.namespace = { labels, ownedByTenant: true, terminating: false };
      return;
    case 'namespace.update':
    case 'namespace.orphan': {
      const current = await ctx.client.get<NamespaceObject>(NAMESPACES, undefined, name);
      const others = (current.metadata?.ownerReferences ?? []).filter((reference) => reference.uid !== tenant.metadata.uid);
      const orphan = payload.op === 'namespace.orphan';
      const ownerReferences = orphan ? others : [...others, ownerReference(tenant)];
      await ctx.client.update<NamespaceObject>(NAMESPACES, {
        ...current,
        metadata: { ...current.metadata, labels: orphan ? current.metadata?.labels : { ...(current.metadata?.labels ?? {}), ...labels }, ownerReferences },
      });
      return;
    }
    case 'namespace.delete': {
      // Never continue in the same pass: the backends are planned from a fresh observe once the
      // namespace (and the volumes in it, with their own deletion policies) is gone.
      let gone = false;
      try {
        if (!observed.namespace?.terminating) await ctx.client.delete(NAMESPACES, undefined, name);
        await ctx.client.get(NAMESPACES, undefined, name);
      } catch (error) {
        if (!isNotFound(error)) throw error;
        gone = true;
      }
      throw new DependencyNotReadyError(
        gone ? `namespace ${name} deleted; removing the backends next` : `waiting for namespace ${name} to be deleted`,
        'NamespaceTerminating',
        gone ? NAMESPACE_GONE_RETRY_MS : NAMESPACE_WAIT_MS,
      );
    }
    case 'rolebinding.create':
      await ctx.client.create(ROLE_BINDINGS, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: payload.name, namespace: name, labels: { ...labels, 'statsmoln.io/role': payload.role } },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: payload.clusterRole },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: payload.group }],
      } as KubeObject);
      return;
    case 'rolebinding.delete':
      try {
        await ctx.client.delete(ROLE_BINDINGS, name, payload.name);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      return;
    default:
      throw new Error(`not a Kubernetes action: ${payload.op}`);
  }
}

function keystoneOf(observed: TenantObserved, key: string): { keystone: KeystoneObserved; openstack: OpenStackClients } {
  const keystone = observed.keystones.find((entry) => entry.key === key);
  const openstack = observed.clients.keystone.get(key);
  if (!keystone || !openstack) throw new Error(`no observed Keystone ${key}`);
  return { keystone, openstack };
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new DependencyNotReadyError(`${what} does not exist yet`, 'DependencyMissing', 1_000);
  return value;
}

async function ignoreNotFound(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof BackendError && error.kind === 'NotFound')) throw error;
  }
}

/** Keystone allows one identity provider per issuer: another tenant's issuer is a spec error. */
async function refuseDuplicateIssuer<T>(tenant: AgencyTenant, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof BackendError && error.kind === 'Conflict' && /remote id/i.test(error.message)) {
      throw new InvalidConfigurationError(`spec.identity.oidc.issuer ${tenant.spec.identity.oidc.issuer} is already the remote id of another identity provider in Keystone`);
    }
    throw error;
  }
}

async function applyKeystone(payload: TenantPayload, tenant: AgencyTenant, observed: TenantObserved): Promise<void> {
  if (!('keystone' in payload)) throw new Error(`not a Keystone action: ${payload.op}`);
  const { keystone, openstack } = keystoneOf(observed, payload.keystone);
  const identity = openstack.identity;
  const tenantName = tenant.metadata.name;
  const domainId = () => required(keystone.domain, `keystone domain ${names.keystoneDomain(tenantName)}`).id;
  const idpId = names.identityProvider(tenantName);
  const mappingId = names.federationMapping(tenantName);
  switch (payload.op) {
    case 'domain.create':
      keystone.domain = await identity.createDomain({ name: names.keystoneDomain(tenantName), description: ownerDescription(tenant, 'Keystone domain'), enabled: true });
      return;
    case 'domain.enable':
      keystone.domain = await identity.updateDomain(domainId(), { enabled: true });
      return;
    case 'domain.delete':
      await ignoreNotFound(identity.deleteDomain(domainId()));
      delete keystone.domain;
      return;
    case 'group.create':
      keystone.groups[payload.role] = await identity.createGroup({ name: names.keystoneGroup(tenantName, payload.role), domain_id: domainId(), description: ownerDescription(tenant, `${payload.role} group`) });
      return;
    case 'group.delete': {
      const group = required(keystone.groups[payload.role], `keystone group ${payload.role}`);
      await ignoreNotFound(identity.deleteGroup(group.id));
      delete keystone.groups[payload.role];
      return;
    }
    case 'project.create':
      keystone.projects[payload.environment] = await identity.createProject({
        name: names.keystoneProject(tenantName, payload.environment),
        domain_id: domainId(),
        description: `${tenant.spec.displayName} (${payload.environment})`,
        enabled: true,
        tags: projectTags(tenant, payload.environment),
      });
      return;
    case 'project.tags': {
      const project = required(keystone.projects[payload.environment], `keystone project ${payload.environment}`);
      const wanted = [...new Set([...project.tags, ...projectTags(tenant, payload.environment)])];
      project.tags = await identity.replaceProjectTags(project.id, wanted);
      return;
    }
    case 'project.delete': {
      const project = required(keystone.projects[payload.environment], `keystone project ${payload.environment}`);
      await ignoreNotFound(identity.deleteProject(project.id));
      delete keystone.projects[payload.environment];
      return;
    }
    case 'assignment.grant': {
      const project = required(keystone.projects[payload.environment], `keystone project ${payload.environment}`);
      const group = required(keystone.groups[payload.role], `keystone group ${payload.role}`);
      const roleId = keystone.roleIds[payload.role];
      if (!roleId) throw new DependencyNotReadyError(`Keystone has no role "${KEYSTONE_ROLE[payload.role]}"`, 'KeystoneRoleMissing');
      await identity.grantRole({ projectId: project.id }, { groupId: group.id }, roleId);
      keystone.assignments.push({ projectId: project.id, groupId: group.id, roleId });
      return;
    }
    case 'operator.grant': {
      const project = required(keystone.projects[payload.environment], `keystone project ${payload.environment}`);
      const roleId = keystone.roleIds.member;
      if (!roleId) throw new DependencyNotReadyError(`Keystone has no role "${KEYSTONE_ROLE.member}"`, 'KeystoneRoleMissing');
      const { userId } = await identity.session.token();
      await identity.grantRole({ projectId: project.id }, { userId }, roleId);
      keystone.operatorAccess.push(project.id);
      return;
    }
    case 'assignment.revoke':
      await ignoreNotFound(identity.revokeRole({ projectId: payload.projectId }, { groupId: payload.groupId }, payload.roleId));
      keystone.assignments = keystone.assignments.filter((entry) => !(entry.projectId === payload.projectId && entry.groupId === payload.groupId && entry.roleId === payload.roleId));
      return;
    case 'idp.create':
      keystone.identityProvider = await refuseDuplicateIssuer(
        tenant,
        identity.createIdentityProvider(idpId, {
          domain_id: domainId(),
          remote_ids: [tenant.spec.identity.oidc.issuer],
          enabled: true,
          description: ownerDescription(tenant, 'OIDC identity provider'),
        }),
      );
      return;
    case 'idp.update':
      // Keystone cannot move an identity provider to another domain: replace it then.
      if (keystone.identityProvider && keystone.domain && keystone.identityProvider.domain_id !== keystone.domain.id) {
        await ignoreNotFound(identity.deleteIdentityProvider(idpId));
        delete keystone.protocol;
        keystone.identityProvider = await identity.createIdentityProvider(idpId, {
          domain_id: keystone.domain.id,
          remote_ids: [tenant.spec.identity.oidc.issuer],
          enabled: true,
          description: ownerDescription(tenant, 'OIDC identity provider'),
        });
        return;
      }
      keystone.identityProvider = await refuseDuplicateIssuer(tenant, identity.updateIdentityProvider(idpId, { remote_ids: [tenant.spec.identity.oidc.issuer], enabled: true }));
      return;
    case 'idp.delete':
      await ignoreNotFound(identity.deleteIdentityProvider(idpId));
      delete keystone.identityProvider;
      delete keystone.protocol;
      return;
    case 'mapping.create':
      keystone.mapping = await identity.createMapping(mappingId, mappingRules(tenant, domainId()));
      return;
    case 'mapping.update':
      keystone.mapping = await identity.updateMapping(mappingId, mappingRules(tenant, domainId()));
      return;
    case 'mapping.delete':
      await ignoreNotFound(identity.deleteMapping(mappingId));
      delete keystone.mapping;
      return;
    case 'protocol.create':
      required(keystone.identityProvider, `identity provider ${idpId}`);
      keystone.protocol = await identity.createProtocol(idpId, names.federationProtocol, mappingId);
      return;
    case 'protocol.update':
      keystone.protocol = await identity.updateProtocol(idpId, names.federationProtocol, mappingId);
      return;
    case 'protocol.delete':
      await ignoreNotFound(identity.deleteProtocol(idpId, names.federationProtocol));
      delete keystone.protocol;
      return;
    default:
      throw new Error(`not a Keystone action: ${(payload as { op: string }).op}`);
  }
}

function placementOf(observed: TenantObserved, key: string): { placement: PlacementObserved; openstack: OpenStackClients; projectId: () => string } {
  const placement = observed.placements.find((entry) => `${entry.dataCenter}/${entry.environment}` === key);
  const openstack = observed.clients.placement.get(key);
  if (!placement || !openstack) throw new Error(`no observed placement ${key}`);
  const projectId = () => {
    const keystone = observed.keystones.find((entry) => entry.key === placement.keystone);
    return required(keystone?.projects[placement.environment], `keystone project for ${key}`).id;
  };
  return { placement, openstack, projectId };
}

function neutronTags(tenant: AgencyTenant, placement: PlacementObserved): string[] {
  return [tags.uid(tenantUid(tenant)), tags.tenant(tenant.metadata.name), tags.environment(placement.environment)];
}

async function applyNetwork(payload: TenantPayload, tenant: AgencyTenant, observed: TenantObserved): Promise<void> {
  if (!('placement' in payload) || payload.placement === undefined) throw new Error(`not a network action: ${payload.op}`);
  const { placement, openstack, projectId } = placementOf(observed, payload.placement);
  const network = openstack.network;
  const tenantName = tenant.metadata.name;
  const description = ownerDescription(tenant, 'statsmoln');
  const wantedTags = neutronTags(tenant, placement);
  const networkId = () => required(placement.network, `neutron network for ${payload.placement}`).id;
  const routerId = () => required(placement.router, `neutron router for ${payload.placement}`).id;
  const groupId = () => required(placement.securityGroup, `security group for ${payload.placement}`).id;
  switch (payload.op) {
    case 'network.create': {
      const created = await network.createNetwork({ name: names.network(tenantName, placement.environment), project_id: projectId(), description });
      created.tags = await network.replaceTags('networks', created.id, wantedTags);
      placement.network = created;
      return;
    }
    case 'network.tags':
      required(placement.network, 'network').tags = await network.replaceTags('networks', networkId(), [...new Set([...(placement.network?.tags ?? []), ...wantedTags])]);
      return;
    case 'network.delete':
      await ignoreNotFound(network.deleteNetwork(networkId()));
      delete placement.network;
      return;
    case 'subnet.create': {
      const created = await network.createSubnet({
        network_id: networkId(),
        cidr: payload.cidr,
        ip_version: ipVersionOf(payload.cidr),
        name: names.subnet(tenantName, placement.environment, payload.index),
        project_id: projectId(),
      });
      created.tags = await network.replaceTags('subnets', created.id, wantedTags);
      placement.subnets.push(created);
      return;
    }
    case 'subnet.tags': {
      const subnet = required(placement.subnets.find((entry) => entry.id === payload.subnetId), `subnet ${payload.subnetId}`);
      subnet.tags = await network.replaceTags('subnets', subnet.id, [...new Set([...subnet.tags, ...wantedTags])]);
      return;
    }
    case 'subnet.delete':
      await ignoreNotFound(network.deleteSubnet(payload.subnetId));
      placement.subnets = placement.subnets.filter((entry) => entry.id !== payload.subnetId);
      return;
    case 'router.create': {
      const created = await network.createRouter({
        name: names.router(tenantName, placement.environment),
        project_id: projectId(),
        description,
        ...(placement.externalNetworkId ? { external_gateway_info: { network_id: placement.externalNetworkId } } : {}),
      });
      created.tags = await network.replaceTags('routers', created.id, wantedTags);
      placement.router = created;
      return;
    }
    case 'router.tags':
      required(placement.router, 'router').tags = await network.replaceTags('routers', routerId(), [...new Set([...(placement.router?.tags ?? []), ...wantedTags])]);
      return;
    case 'router.gateway': {
      if (!placement.externalNetworkId) throw new DependencyNotReadyError(`external network of ${payload.placement} not found`, 'ExternalNetworkNotFound');
      placement.router = await network.setRouterGateway(routerId(), { network_id: placement.externalNetworkId });
      return;
    }
    case 'router.delete':
      await ignoreNotFound(network.deleteRouter(routerId()));
      delete placement.router;
      return;
    case 'interface.add': {
      const subnet = required(placement.subnets.find((entry) => entry.cidr.toLowerCase() === payload.cidr.toLowerCase()), `subnet ${payload.cidr} in ${payload.placement}`);
      const added = await network.addRouterInterface(routerId(), subnet.id);
      placement.interfaces.push({ subnetId: subnet.id, portId: added.port_id });
      return;
    }
    case 'interface.remove':
      await ignoreNotFound(network.removeRouterInterface(routerId(), payload.subnetId));
      placement.interfaces = placement.interfaces.filter((entry) => entry.subnetId !== payload.subnetId);
      return;
    case 'port.delete':
      await ignoreNotFound(network.deletePort(payload.portId));
      placement.ownedPorts = placement.ownedPorts.filter((entry) => entry.id !== payload.portId);
      return;
    case 'securitygroup.create': {
      const created = await network.createSecurityGroup({ name: names.securityGroup(tenantName, placement.environment), description, project_id: projectId() });
      created.tags = await network.replaceTags('security-groups', created.id, wantedTags);
      placement.securityGroup = created;
      return;
    }
    case 'securitygroup.tags':
      required(placement.securityGroup, 'security group').tags = await network.replaceTags('security-groups', groupId(), [...new Set([...(placement.securityGroup?.tags ?? []), ...wantedTags])]);
      return;
    case 'securitygroup.delete':
      await ignoreNotFound(network.deleteSecurityGroup(groupId()));
      delete placement.securityGroup;
      return;
    case 'rule.create': {
      const rule = await network.createSecurityGroupRule({
        security_group_id: groupId(),
        direction: 'ingress',
        ethertype: ipVersionOf(payload.cidr) === 6 ? 'IPv6' : 'IPv4',
        remote_ip_prefix: payload.cidr,
        description: BASELINE_RULE_DESCRIPTION,
        project_id: projectId(),
      });
      placement.securityGroup?.security_group_rules.push(rule);
      return;
    }
    case 'rule.delete':
      await ignoreNotFound(network.deleteSecurityGroupRule(payload.ruleId));
      if (placement.securityGroup) placement.securityGroup.security_group_rules = placement.securityGroup.security_group_rules.filter((rule) => rule.id !== payload.ruleId);
      return;
    default:
      throw new Error(`not a network action: ${(payload as { op: string }).op}`);
  }
}
