/**
 * What an AgencyTenant asks for, computed from its spec alone: placements, address plan, role
 * bindings and the federation mapping. Pure; shared by observe, plan and status.
 */
import { createHash } from 'node:crypto';
import type { AgencyTenant, Environment } from '../../api/v1alpha1/index.js';
import type { MappingRule } from '../../backends/openstack/index.js';
import { names, tags } from '../framework/index.js';

export type TenantRole = 'admin' | 'member' | 'reader';
export const TENANT_ROLES: readonly TenantRole[] = ['admin', 'member', 'reader'];

/** Kubernetes ClusterRole bound in the agency namespace for each tenant role. */
export const CLUSTER_ROLE: Record<TenantRole, string> = { admin: 'admin', member: 'edit', reader: 'view' };
/** Keystone role (the defaults every Keystone since Rocky has) assigned on the agency's projects. */
export const KEYSTONE_ROLE: Record<TenantRole, string> = { admin: 'admin', member: 'member', reader: 'reader' };

export const TENANT_LABEL = 'statsmoln.io/tenant';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'statsmoln';
/** Marks the baseline ingress rules this controller owns inside the baseline security group. */
export const BASELINE_RULE_DESCRIPTION = 'statsmoln baseline: agency address plan';
export const FEDERATION_USER_ATTRIBUTE = 'REMOTE_USER';

export interface PlacementKey {
  dataCenter: string;
  environment: Environment;
}

export function placementKey(placement: PlacementKey): string {
  return `${placement.dataCenter}/${placement.environment}`;
}

export function tenantName(tenant: AgencyTenant): string {
  return tenant.metadata.name;
}

export function tenantUid(tenant: AgencyTenant): string {
  const uid = tenant.metadata.uid;
  if (!uid) throw new Error(`AgencyTenant ${tenant.metadata.name} has no metadata.uid`);
  return uid;
}

export function namespaceName(tenant: AgencyTenant): string {
  return `agency-${tenant.metadata.name}`;
}

export function deletionPolicy(tenant: AgencyTenant): 'Retain' | 'Delete' {
  return tenant.spec.deletionPolicy ?? 'Retain';
}

/** Every data center x environment the spec places the agency in, in spec order. */
export function desiredPlacements(tenant: AgencyTenant): PlacementKey[] {
  return tenant.spec.placement.dataCenters.flatMap((dataCenter) => tenant.spec.environments.map((environment) => ({ dataCenter, environment })));
}

/** Placements recorded in status (what earlier reconciles created). */
export function recordedPlacements(tenant: AgencyTenant): PlacementKey[] {
  return (tenant.status?.placements ?? []).map(({ dataCenter, environment }) => ({ dataCenter, environment }));
}

export function cidrsOf(tenant: AgencyTenant, placement: PlacementKey): string[] {
  return tenant.spec.network.addressPlan
    .filter((entry) => entry.dataCenter === placement.dataCenter && entry.environment === placement.environment)
    .flatMap((entry) => entry.cidrs);
}

/**
 * The ranges the baseline security group admits: the agency's own ranges of the same environment in
 * every data center (replication between sites), never those of its other environments.
 */
export function environmentCidrs(tenant: AgencyTenant, environment: Environment): string[] {
  const all = tenant.spec.network.addressPlan.filter((entry) => entry.environment === environment).flatMap((entry) => entry.cidrs);
  return [...new Set(all)];
}

export function ipVersionOf(cidr: string): 4 | 6 {
  return cidr.includes(':') ? 6 : 4;
}

/** The roles some group is bound to, in a fixed order. */
export function boundRoles(tenant: AgencyTenant): TenantRole[] {
  const bound = new Set(tenant.spec.identity.roleBindings.map((binding) => binding.role));
  return TENANT_ROLES.filter((role) => bound.has(role));
}

export function ownerMarker(uid: string): string {
  return tags.uid(uid);
}

/** Description carried by backend objects that have no tags (domains, groups, identity providers). */
export function ownerDescription(tenant: AgencyTenant, what: string): string {
  return `${what} of AgencyTenant ${tenant.metadata.name} (${ownerMarker(tenantUid(tenant))})`;
}

export function projectTags(tenant: AgencyTenant, environment: Environment): string[] {
  return [tags.uid(tenantUid(tenant)), tags.tenant(tenant.metadata.name), tags.organisationNumber(tenant.spec.organisationNumber), tags.environment(environment)];
}

export interface DesiredRoleBinding {
  name: string;
  group: string;
  role: TenantRole;
  clusterRole: string;
}

/** One RoleBinding per spec role binding; the name is stable for a (role, group) pair. */
export function desiredRoleBindings(tenant: AgencyTenant): DesiredRoleBinding[] {
  const seen = new Set<string>();
  const result: DesiredRoleBinding[] = [];
  for (const binding of tenant.spec.identity.roleBindings) {
    const name = roleBindingName(binding.role, binding.group);
    if (seen.has(name)) continue;
    seen.add(name);
    result.push({ name, group: binding.group, role: binding.role, clusterRole: CLUSTER_ROLE[binding.role] });
  }
  return result;
}

export function roleBindingName(role: TenantRole, group: string): string {
  const slug = group.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'group';
  const hash = createHash('sha256').update(group).digest('hex').slice(0, 6);
  return `statsmoln-${role}-${slug}-${hash}`;
}

/**
 * Keystone federation mapping: a user whose groups claim holds one of a binding's groups becomes
 * an ephemeral user in the Keystone group of that binding's role.
 */
export function mappingRules(tenant: AgencyTenant, domainId: string): MappingRule[] {
  const claim = `OIDC-${tenant.spec.identity.oidc.groupsClaim ?? 'groups'}`;
  return boundRoles(tenant).map((role) => ({
    local: [
      { user: { name: '{0}', type: 'ephemeral' } },
      { group: { name: names.keystoneGroup(tenant.metadata.name, role), domain: { id: domainId } } },
    ],
    remote: [
      { type: FEDERATION_USER_ATTRIBUTE },
      { type: claim, any_one_of: tenant.spec.identity.roleBindings.filter((binding) => binding.role === role).map((binding) => binding.group) },
    ],
  }));
}

/** Order-insensitive comparison of JSON values (object keys in any order). */
export function sameJson(a: unknown, b: unknown): boolean {
  return stableJson(a) === stableJson(b);
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
