/** Status of an AgencyTenant from what was observed: namespace and backend ids per placement. */
import type { AgencyTenant, PlacementStatus } from '../../api/v1alpha1/index.js';
import { isWrite, names } from '../framework/index.js';
import { namespaceName, placementKey } from './desired.js';
import type { TenantAction } from './plan.js';
import type { PlacementObserved, TenantObserved } from './types.js';

/** Whether a removed placement still holds objects that its removal will delete. */
function hasLeftovers(placement: PlacementObserved, projectId: string | undefined, observed: TenantObserved): boolean {
  if (placement.network || placement.router || placement.securityGroup || placement.subnets.length > 0) return true;
  // Its project is shared with placements still in the spec when their Keystone and environment match.
  const projectStillUsed = observed.placements.some((entry) => entry.desired && entry.keystone === placement.keystone && entry.environment === placement.environment);
  return Boolean(projectId) && !projectStillUsed;
}

/**
 * One entry per placement in the spec, plus removed placements that still hold objects (deletion in
 * progress). A placement is ready when no write is planned for it, its Keystone or its Ceph pool.
 */
export function tenantStatus(tenant: AgencyTenant, observed: TenantObserved, plan: readonly TenantAction[]): Record<string, unknown> {
  const pending = new Set<string>();
  for (const action of plan.filter(isWrite)) {
    const payload = action.payload as { placement?: string; keystone?: string; ceph?: string };
    if (payload.placement) pending.add(`placement:${payload.placement}`);
    if (payload.keystone) pending.add(`keystone:${payload.keystone}`);
    if (payload.ceph) pending.add(`ceph:${payload.ceph}`);
  }
  const placements: PlacementStatus[] = [];
  for (const placement of observed.placements) {
    const keystone = observed.keystones.find((entry) => entry.key === placement.keystone);
    const project = keystone?.projects[placement.environment];
    if (!placement.desired && !hasLeftovers(placement, project?.id, observed)) continue;
    const ceph = observed.cephs.find((entry) => entry.key === placement.ceph);
    const key = placementKey(placement);
    const ready =
      placement.desired &&
      !pending.has(`placement:${key}`) &&
      !pending.has(`keystone:${placement.keystone}`) &&
      !pending.has(`ceph:${placement.ceph}`);
    placements.push({
      dataCenter: placement.dataCenter,
      environment: placement.environment,
      ...(keystone?.domain ? { domainId: keystone.domain.id } : {}),
      ...(project ? { projectId: project.id } : {}),
      ...(keystone?.identityProvider ? { identityProviderId: keystone.identityProvider.id } : {}),
      ...(keystone?.mapping ? { mappingId: keystone.mapping.id } : {}),
      ...(placement.network ? { networkId: placement.network.id } : {}),
      ...(placement.subnets.length > 0 ? { subnetIds: placement.subnets.map((subnet) => subnet.id) } : {}),
      ...(placement.router ? { routerId: placement.router.id } : {}),
      ...(placement.securityGroup ? { securityGroupId: placement.securityGroup.id } : {}),
      ...(ceph?.exists && placement.desired ? { cephNamespace: `${ceph.pool}/${names.rbdNamespace(tenant.metadata.name)}` } : {}),
      ready: Boolean(ready),
    });
  }
  return { namespace: namespaceName(tenant), placements };
}

/** What deletion left behind, as the last status before the finalizer goes. */
export function tenantDeletionStatus(tenant: AgencyTenant, _observed: TenantObserved, applied: readonly TenantAction[]): Record<string, unknown> {
  if (applied.length === 0) return {};
  const retained = applied.filter((action) => action.verb === 'retain');
  return {
    namespace: namespaceName(tenant),
    placements: retained
      .filter((action) => action.resource === 'placement')
      .map((action) => {
        const [dataCenter = '', environment = ''] = action.scope.split('/');
        return { dataCenter, environment, ready: false } as PlacementStatus;
      }),
  };
}
