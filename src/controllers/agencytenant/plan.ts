/**
 * The pure plan: (tenant, observed) -> ordered actions. Creation runs outside-in (namespace,
 * identity, network, storage); removal inside-out (router interfaces, router, ports, subnets,
 * security group, network, role assignments, groups, federation, projects, domain, RBD namespace).
 */
import type { AgencyTenant, Environment } from '../../api/v1alpha1/index.js';
import type { Action, FieldChange } from '../framework/index.js';
import { names } from '../framework/index.js';
import {
  BASELINE_RULE_DESCRIPTION,
  boundRoles,
  cidrsOf,
  deletionPolicy,
  desiredRoleBindings,
  environmentCidrs,
  ipVersionOf,
  mappingRules,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  namespaceName,
  placementKey,
  projectTags,
  sameJson,
  TENANT_LABEL,
  TENANT_ROLES,
  tenantUid,
  type PlacementKey,
} from './desired.js';
import { ownerMarker } from './desired.js';
import type { CephObserved, KeystoneObserved, PlacementObserved, TenantObserved, TenantPayload } from './types.js';

export type TenantAction = Action<TenantPayload>;

const K8S = 'kubernetes';

function keystoneScope(keystone: KeystoneObserved): string {
  return `${keystone.dataCenters.join('+')} identity`;
}

/** The normalised form Neutron reports a CIDR in (lower case, as given otherwise). */
function sameCidr(a: string | null | undefined, b: string): boolean {
  return (a ?? '').toLowerCase() === b.toLowerCase();
}

export function planTenant(tenant: AgencyTenant, observed: TenantObserved): TenantAction[] {
  const actions: TenantAction[] = [...planKubernetes(tenant, observed)];
  const activeEnvironments = activeEnvironmentsByKeystone(observed);
  for (const keystone of observed.keystones) {
    const environments = activeEnvironments.get(keystone.key) ?? new Set<Environment>();
    if (environments.size > 0) actions.push(...planKeystone(tenant, keystone, [...environments]));
  }
  for (const placement of observed.placements.filter((entry) => entry.desired)) actions.push(...planPlacement(tenant, placement));
  const activeCeph = new Set(observed.placements.filter((entry) => entry.desired).map((entry) => entry.ceph));
  for (const ceph of observed.cephs.filter((entry) => activeCeph.has(entry.key))) {
    if (!ceph.exists) actions.push({ verb: 'create', resource: 'rbd namespace', scope: ceph.pool, name: ceph.namespace, reason: 'missing', payload: { op: 'rbdnamespace.create', ceph: ceph.key } });
  }
  actions.push(...planRemovals(tenant, observed, activeEnvironments));
  return actions;
}

export function planTenantDeletion(tenant: AgencyTenant, observed: TenantObserved): TenantAction[] {
  const name = namespaceName(tenant);
  if (deletionPolicy(tenant) === 'Retain') {
    const actions: TenantAction[] = [];
    if (observed.namespace?.ownedByTenant) {
      actions.push({ verb: 'update', resource: 'namespace', scope: K8S, name, reason: 'deletionPolicy Retain: orphaned, kept', changes: [{ field: 'metadata.ownerReferences', from: 'AgencyTenant', to: 'none' }], payload: { op: 'namespace.orphan' } });
    }
    return [...actions, ...retainActions(observed.retained)];
  }
  if (observed.namespace) {
    return [{ verb: 'delete', resource: 'namespace', scope: K8S, name, reason: observed.namespace.terminating ? 'waiting for the namespace to go' : 'deletionPolicy Delete', payload: { op: 'namespace.delete' } }];
  }
  return planRemovals(tenant, observed, new Map());
}

function planKubernetes(tenant: AgencyTenant, observed: TenantObserved): TenantAction[] {
  const actions: TenantAction[] = [];
  const name = namespaceName(tenant);
  const namespace = observed.namespace;
  if (!namespace) {
    actions.push({ verb: 'create', resource: 'namespace', scope: K8S, name, reason: 'missing', payload: { op: 'namespace.create' } });
  } else {
    const changes: FieldChange[] = [];
    if (namespace.labels[TENANT_LABEL] !== tenant.metadata.name) changes.push({ field: `metadata.labels.${TENANT_LABEL}`, from: namespace.labels[TENANT_LABEL] ?? null, to: tenant.metadata.name });
    if (namespace.labels[MANAGED_BY_LABEL] !== MANAGED_BY) changes.push({ field: `metadata.labels.${MANAGED_BY_LABEL}`, from: namespace.labels[MANAGED_BY_LABEL] ?? null, to: MANAGED_BY });
    if (!namespace.ownedByTenant) changes.push({ field: 'metadata.ownerReferences', from: 'none', to: `AgencyTenant ${tenant.metadata.name}` });
    if (changes.length > 0) actions.push({ verb: 'update', resource: 'namespace', scope: K8S, name, reason: 'drift', changes, payload: { op: 'namespace.update' } });
  }
  const desired = desiredRoleBindings(tenant);
  for (const binding of desired) {
    const found = observed.roleBindings.find((entry) => entry.name === binding.name);
    if (!found) {
      actions.push({ verb: 'create', resource: 'rolebinding', scope: name, name: binding.name, reason: `group ${binding.group} -> ClusterRole ${binding.clusterRole}`, payload: { op: 'rolebinding.create', name: binding.name, group: binding.group, clusterRole: binding.clusterRole, role: binding.role } });
    } else if (found.clusterRole !== binding.clusterRole || !sameJson(found.groups, [binding.group])) {
      // roleRef is immutable: replace the binding.
      actions.push({ verb: 'delete', resource: 'rolebinding', scope: name, name: binding.name, reason: 'drift: replaced', payload: { op: 'rolebinding.delete', name: binding.name } });
      actions.push({ verb: 'create', resource: 'rolebinding', scope: name, name: binding.name, reason: `group ${binding.group} -> ClusterRole ${binding.clusterRole}`, payload: { op: 'rolebinding.create', name: binding.name, group: binding.group, clusterRole: binding.clusterRole, role: binding.role } });
    }
  }
  const desiredNames = new Set(desired.map((binding) => binding.name));
  for (const stale of observed.roleBindings.filter((entry) => !desiredNames.has(entry.name))) {
    actions.push({ verb: 'delete', resource: 'rolebinding', scope: name, name: stale.name, reason: 'no longer in spec.identity.roleBindings', payload: { op: 'rolebinding.delete', name: stale.name } });
  }
  return actions;
}

function activeEnvironmentsByKeystone(observed: TenantObserved): Map<string, Set<Environment>> {
  const result = new Map<string, Set<Environment>>();
  for (const placement of observed.placements.filter((entry) => entry.desired)) {
    const set = result.get(placement.keystone) ?? new Set<Environment>();
    set.add(placement.environment);
    result.set(placement.keystone, set);
  }
  return result;
}

function planKeystone(tenant: AgencyTenant, keystone: KeystoneObserved, environments: Environment[]): TenantAction[] {
  const actions: TenantAction[] = [];
  const scope = keystoneScope(keystone);
  const tenantName = tenant.metadata.name;
  const key = keystone.key;
  const domainName = names.keystoneDomain(tenantName);
  if (!keystone.domain) {
    actions.push({ verb: 'create', resource: 'keystone domain', scope, name: domainName, reason: 'missing', payload: { op: 'domain.create', keystone: key } });
  } else if (!keystone.domain.enabled) {
    actions.push({ verb: 'update', resource: 'keystone domain', scope, name: domainName, reason: 'drift', changes: [{ field: 'enabled', from: false, to: true }], payload: { op: 'domain.enable', keystone: key } });
  }
  const roles = boundRoles(tenant);
  for (const role of roles) {
    if (!keystone.groups[role]) {
      actions.push({ verb: 'create', resource: 'keystone group', scope, name: names.keystoneGroup(tenantName, role), reason: 'missing', payload: { op: 'group.create', keystone: key, role } });
    }
  }
  for (const environment of environments) {
    const projectName = names.keystoneProject(tenantName, environment);
    const project = keystone.projects[environment];
    const wantedTags = projectTags(tenant, environment);
    if (!project) {
      actions.push({ verb: 'create', resource: 'keystone project', scope, name: projectName, reason: 'missing', payload: { op: 'project.create', keystone: key, environment } });
    } else if (!wantedTags.every((tag) => project.tags.includes(tag))) {
      actions.push({ verb: 'update', resource: 'keystone project', scope, name: projectName, reason: 'drift', changes: [{ field: 'tags', from: project.tags, to: wantedTags }], payload: { op: 'project.tags', keystone: key, environment } });
    }
    for (const role of roles) {
      const group = keystone.groups[role];
      const roleId = keystone.roleIds[role];
      const granted = project && group && roleId && keystone.assignments.some((entry) => entry.projectId === project.id && entry.groupId === group.id && entry.roleId === roleId);
      if (!granted) {
        actions.push({ verb: 'create', resource: 'keystone role assignment', scope, name: `${names.keystoneGroup(tenantName, role)} ${role} on ${projectName}`, reason: 'missing', payload: { op: 'assignment.grant', keystone: key, environment, role } });
      }
    }
  }
  for (const environment of environments) {
    const project = keystone.projects[environment];
    if (!project || !keystone.operatorAccess.includes(project.id)) {
      const projectName = names.keystoneProject(tenantName, environment);
      actions.push({ verb: 'create', resource: 'keystone role assignment', scope, name: `operator member on ${projectName}`, reason: 'the operator manages volumes in the project', payload: { op: 'operator.grant', keystone: key, environment } });
    }
  }
  // Access follows the spec whatever the deletion policy: stale assignments and groups go.
  const wantedAssignments = new Set<string>();
  for (const environment of environments) {
    const project = keystone.projects[environment];
    for (const role of roles) {
      const group = keystone.groups[role];
      const roleId = keystone.roleIds[role];
      if (project && group && roleId) wantedAssignments.add(`${project.id}|${group.id}|${roleId}`);
    }
  }
  const activeProjectIds = new Set(environments.map((environment) => keystone.projects[environment]?.id).filter(Boolean));
  for (const assignment of keystone.assignments) {
    if (!activeProjectIds.has(assignment.projectId)) continue; // projects being removed are handled with them
    if (wantedAssignments.has(`${assignment.projectId}|${assignment.groupId}|${assignment.roleId}`)) continue;
    actions.push({ verb: 'delete', resource: 'keystone role assignment', scope, name: `${assignment.groupId} ${assignment.roleId} on ${assignment.projectId}`, reason: 'no longer in spec.identity.roleBindings', payload: { op: 'assignment.revoke', keystone: key, ...assignment } });
  }

  const idpName = names.identityProvider(tenantName);
  const issuer = tenant.spec.identity.oidc.issuer;
  const idp = keystone.identityProvider;
  if (!idp) {
    actions.push({ verb: 'create', resource: 'identity provider', scope, name: idpName, reason: 'missing', payload: { op: 'idp.create', keystone: key } });
  } else {
    const changes: FieldChange[] = [];
    if (!sameJson(idp.remote_ids, [issuer])) changes.push({ field: 'remote_ids', from: idp.remote_ids, to: [issuer] });
    if (!idp.enabled) changes.push({ field: 'enabled', from: false, to: true });
    if (keystone.domain && idp.domain_id !== keystone.domain.id) changes.push({ field: 'domain_id', from: idp.domain_id, to: keystone.domain.id });
    if (changes.length > 0) actions.push({ verb: 'update', resource: 'identity provider', scope, name: idpName, reason: 'drift', changes, payload: { op: 'idp.update', keystone: key } });
  }
  const mappingName = names.federationMapping(tenantName);
  if (!keystone.mapping) {
    actions.push({ verb: 'create', resource: 'federation mapping', scope, name: mappingName, reason: 'missing', payload: { op: 'mapping.create', keystone: key } });
  } else if (!keystone.domain || !sameJson(keystone.mapping.rules, mappingRules(tenant, keystone.domain.id))) {
    actions.push({ verb: 'update', resource: 'federation mapping', scope, name: mappingName, reason: 'drift', changes: [{ field: 'rules', from: 'observed', to: 'spec.identity.roleBindings' }], payload: { op: 'mapping.update', keystone: key } });
  }
  if (!keystone.protocol) {
    actions.push({ verb: 'create', resource: 'federation protocol', scope, name: `${idpName}/${names.federationProtocol}`, reason: 'missing', payload: { op: 'protocol.create', keystone: key } });
  } else if (keystone.protocol.mapping_id !== mappingName) {
    actions.push({ verb: 'update', resource: 'federation protocol', scope, name: `${idpName}/${names.federationProtocol}`, reason: 'drift', changes: [{ field: 'mapping_id', from: keystone.protocol.mapping_id, to: mappingName }], payload: { op: 'protocol.update', keystone: key } });
  }
  for (const role of TENANT_ROLES.filter((entry) => !roles.includes(entry))) {
    if (keystone.groups[role]) {
      actions.push({ verb: 'delete', resource: 'keystone group', scope, name: names.keystoneGroup(tenantName, role), reason: 'no longer in spec.identity.roleBindings', payload: { op: 'group.delete', keystone: key, role } });
    }
  }
  return actions;
}

function planPlacement(tenant: AgencyTenant, placement: PlacementObserved): TenantAction[] {
  const actions: TenantAction[] = [];
  const scope = placementKey(placement);
  const tenantName = tenant.metadata.name;
  const environment = placement.environment;
  const marker = ownerMarker(tenantUid(tenant));
  const cidrs = cidrsOf(tenant, placement);
  const networkName = names.network(tenantName, environment);
  if (!placement.network) {
    actions.push({ verb: 'create', resource: 'neutron network', scope, name: networkName, reason: 'missing', payload: { op: 'network.create', placement: scope } });
  } else if (!placement.network.tags.includes(marker)) {
    actions.push({ verb: 'update', resource: 'neutron network', scope, name: networkName, reason: 'adopted: tags missing', changes: [{ field: 'tags', from: placement.network.tags, to: 'ownership tags' }], payload: { op: 'network.tags', placement: scope } });
  }
  cidrs.forEach((cidr, index) => {
    const subnet = placement.subnets.find((entry) => sameCidr(entry.cidr, cidr));
    const subnetName = names.subnet(tenantName, environment, index);
    if (!subnet) {
      actions.push({ verb: 'create', resource: 'neutron subnet', scope, name: subnetName, reason: `missing (${cidr})`, payload: { op: 'subnet.create', placement: scope, cidr, index } });
    } else if (!subnet.tags.includes(marker)) {
      actions.push({ verb: 'update', resource: 'neutron subnet', scope, name: subnet.name, reason: 'adopted: tags missing', changes: [{ field: 'tags', from: subnet.tags, to: 'ownership tags' }], payload: { op: 'subnet.tags', placement: scope, subnetId: subnet.id } });
    }
  });
  const routerName = names.router(tenantName, environment);
  if (!placement.router) {
    actions.push({ verb: 'create', resource: 'neutron router', scope, name: routerName, reason: 'missing', payload: { op: 'router.create', placement: scope } });
  } else {
    if (!placement.router.tags.includes(marker)) {
      actions.push({ verb: 'update', resource: 'neutron router', scope, name: routerName, reason: 'adopted: tags missing', changes: [{ field: 'tags', from: placement.router.tags, to: 'ownership tags' }], payload: { op: 'router.tags', placement: scope } });
    }
    const gateway = placement.router.external_gateway_info?.network_id ?? null;
    if (gateway !== (placement.externalNetworkId ?? null)) {
      actions.push({ verb: 'update', resource: 'neutron router', scope, name: routerName, reason: 'drift', changes: [{ field: 'external_gateway_info.network_id', from: gateway, to: placement.externalNetworkId ?? null }], payload: { op: 'router.gateway', placement: scope } });
    }
  }
  for (const cidr of cidrs) {
    const subnet = placement.subnets.find((entry) => sameCidr(entry.cidr, cidr));
    if (!subnet || !placement.interfaces.some((entry) => entry.subnetId === subnet.id)) {
      actions.push({ verb: 'create', resource: 'router interface', scope, name: `${routerName}:${cidr}`, reason: 'missing', payload: { op: 'interface.add', placement: scope, cidr } });
    }
  }
  const groupName = names.securityGroup(tenantName, environment);
  const group = placement.securityGroup;
  if (!group) {
    actions.push({ verb: 'create', resource: 'security group', scope, name: groupName, reason: 'missing', payload: { op: 'securitygroup.create', placement: scope } });
  } else if (!group.tags.includes(marker)) {
    actions.push({ verb: 'update', resource: 'security group', scope, name: groupName, reason: 'adopted: tags missing', changes: [{ field: 'tags', from: group.tags, to: 'ownership tags' }], payload: { op: 'securitygroup.tags', placement: scope } });
  }
  const allowed = environmentCidrs(tenant, environment);
  const rules = group?.security_group_rules ?? [];
  const isBaseline = (rule: (typeof rules)[number]) => rule.direction === 'ingress' && rule.description === BASELINE_RULE_DESCRIPTION;
  for (const cidr of allowed) {
    const present = rules.some((rule) => rule.direction === 'ingress' && rule.protocol === null && rule.ethertype === (ipVersionOf(cidr) === 6 ? 'IPv6' : 'IPv4') && sameCidr(rule.remote_ip_prefix, cidr));
    if (!present) actions.push({ verb: 'create', resource: 'security group rule', scope, name: `${groupName}: ingress from ${cidr}`, reason: 'missing', payload: { op: 'rule.create', placement: scope, cidr } });
  }
  for (const rule of rules.filter(isBaseline)) {
    if (!allowed.some((cidr) => sameCidr(rule.remote_ip_prefix, cidr))) {
      actions.push({ verb: 'delete', resource: 'security group rule', scope, name: `${groupName}: ingress from ${rule.remote_ip_prefix ?? 'any'}`, reason: 'no longer in the address plan', payload: { op: 'rule.delete', placement: scope, ruleId: rule.id } });
    }
  }
  if (tenant.spec.deletionPolicy === 'Delete' && placement.network) {
    // Subnets whose CIDR left the address plan: removed only under deletionPolicy Delete.
    for (const subnet of placement.subnets.filter((entry) => entry.tags.includes(marker) && !cidrs.some((cidr) => sameCidr(entry.cidr, cidr)))) {
      if (placement.router && placement.interfaces.some((entry) => entry.subnetId === subnet.id)) {
        actions.push({ verb: 'delete', resource: 'router interface', scope, name: `${routerName}:${subnet.cidr}`, reason: 'CIDR left the address plan', payload: { op: 'interface.remove', placement: scope, subnetId: subnet.id } });
      }
      actions.push({ verb: 'delete', resource: 'neutron subnet', scope, name: subnet.name, reason: 'CIDR left the address plan', payload: { op: 'subnet.delete', placement: scope, subnetId: subnet.id } });
    }
  }
  return actions;
}

function retainActions(placements: PlacementKey[]): TenantAction[] {
  return placements.map((placement) => ({
    verb: 'retain' as const,
    resource: 'placement',
    scope: placementKey(placement),
    name: `${placement.dataCenter}/${placement.environment}`,
    reason: 'deletionPolicy Retain: backend objects left in place',
    payload: { op: 'retain' as const, placement: placementKey(placement) },
  }));
}

/** Removal of what is no longer placed (deletionPolicy Delete), or retain records (Retain). */
function planRemovals(tenant: AgencyTenant, observed: TenantObserved, activeEnvironments: Map<string, Set<Environment>>): TenantAction[] {
  const actions: TenantAction[] = [...retainActions(observed.retained)];
  for (const placement of observed.placements.filter((entry) => !entry.desired)) actions.push(...removePlacement(tenant, placement));
  for (const keystone of observed.keystones) actions.push(...removeKeystone(tenant, keystone, activeEnvironments.get(keystone.key) ?? new Set()));
  const activeCeph = new Set(observed.placements.filter((entry) => entry.desired).map((entry) => entry.ceph));
  for (const ceph of observed.cephs.filter((entry) => !activeCeph.has(entry.key) && entry.exists)) actions.push(removeCeph(ceph));
  return actions;
}

function removePlacement(tenant: AgencyTenant, placement: PlacementObserved): TenantAction[] {
  const actions: TenantAction[] = [];
  const scope = placementKey(placement);
  const reason = 'deletionPolicy Delete';
  const tenantName = tenant.metadata.name;
  const routerName = names.router(tenantName, placement.environment);
  if (placement.router) {
    for (const entry of placement.interfaces) {
      const subnet = placement.subnets.find((candidate) => candidate.id === entry.subnetId);
      actions.push({ verb: 'delete', resource: 'router interface', scope, name: `${routerName}:${subnet?.cidr ?? entry.subnetId}`, reason, payload: { op: 'interface.remove', placement: scope, subnetId: entry.subnetId } });
    }
    actions.push({ verb: 'delete', resource: 'neutron router', scope, name: routerName, reason, payload: { op: 'router.delete', placement: scope } });
  }
  // Ports hold addresses in the subnets, so they go before the subnets.
  for (const port of placement.ownedPorts) {
    actions.push({ verb: 'delete', resource: 'neutron port', scope, name: port.name || port.id, reason, payload: { op: 'port.delete', placement: scope, portId: port.id } });
  }
  for (const subnet of placement.subnets) {
    actions.push({ verb: 'delete', resource: 'neutron subnet', scope, name: subnet.name, reason, payload: { op: 'subnet.delete', placement: scope, subnetId: subnet.id } });
  }
  if (placement.securityGroup) {
    actions.push({ verb: 'delete', resource: 'security group', scope, name: placement.securityGroup.name, reason, payload: { op: 'securitygroup.delete', placement: scope } });
  }
  if (placement.network) {
    actions.push({ verb: 'delete', resource: 'neutron network', scope, name: placement.network.name, reason, payload: { op: 'network.delete', placement: scope } });
  }
  return actions;
}

function removeKeystone(tenant: AgencyTenant, keystone: KeystoneObserved, active: Set<Environment>): TenantAction[] {
  const actions: TenantAction[] = [];
  const scope = keystoneScope(keystone);
  const reason = 'deletionPolicy Delete';
  const tenantName = tenant.metadata.name;
  const key = keystone.key;
  const removedProjects = (Object.entries(keystone.projects) as Array<[Environment, { id: string; name: string }]>).filter(([environment]) => !active.has(environment));
  for (const [, project] of removedProjects) {
    for (const assignment of keystone.assignments.filter((entry) => entry.projectId === project.id)) {
      actions.push({ verb: 'delete', resource: 'keystone role assignment', scope, name: `${assignment.groupId} ${assignment.roleId} on ${project.name}`, reason, payload: { op: 'assignment.revoke', keystone: key, ...assignment } });
    }
  }
  const keystoneUnused = active.size === 0;
  if (keystoneUnused) {
    for (const role of TENANT_ROLES) {
      if (keystone.groups[role]) actions.push({ verb: 'delete', resource: 'keystone group', scope, name: names.keystoneGroup(tenantName, role), reason, payload: { op: 'group.delete', keystone: key, role } });
    }
    const idpName = names.identityProvider(tenantName);
    if (keystone.protocol) actions.push({ verb: 'delete', resource: 'federation protocol', scope, name: `${idpName}/${names.federationProtocol}`, reason, payload: { op: 'protocol.delete', keystone: key } });
    if (keystone.identityProvider) actions.push({ verb: 'delete', resource: 'identity provider', scope, name: idpName, reason, payload: { op: 'idp.delete', keystone: key } });
    if (keystone.mapping) actions.push({ verb: 'delete', resource: 'federation mapping', scope, name: names.federationMapping(tenantName), reason, payload: { op: 'mapping.delete', keystone: key } });
  }
  for (const [environment, project] of removedProjects) {
    actions.push({ verb: 'delete', resource: 'keystone project', scope, name: project.name, reason, payload: { op: 'project.delete', keystone: key, environment } });
  }
  if (keystoneUnused && keystone.domain) {
    actions.push({ verb: 'delete', resource: 'keystone domain', scope, name: keystone.domain.name, reason: `${reason} (disabled first)`, payload: { op: 'domain.delete', keystone: key } });
  }
  return actions;
}

function removeCeph(ceph: CephObserved): TenantAction {
  if (ceph.images > 0) {
    return { verb: 'retain', resource: 'rbd namespace', scope: ceph.pool, name: ceph.namespace, reason: `holds ${ceph.images} image(s): agency data is never deleted by the tenant; delete the volumes first`, payload: { op: 'retain', ceph: ceph.key } };
  }
  return { verb: 'delete', resource: 'rbd namespace', scope: ceph.pool, name: ceph.namespace, reason: 'deletionPolicy Delete (empty)', payload: { op: 'rbdnamespace.delete', ceph: ceph.key } };
}
