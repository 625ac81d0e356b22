import type { ComputeQuota } from '../../api/v1alpha1/index.js';
import { DependencyNotReadyError } from '../framework/index.js';
import type { ControllerDeps } from './deps.js';
import { tenantProject } from './project.js';
import { NOVA_KEYS, type QuotaObserved } from './types.js';

export function scopeOf(quota: ComputeQuota): string {
  return `${quota.spec.dataCenter}/${quota.spec.environment}`;
}

/**
 * One quota per tenant, data center and environment: the oldest ComputeQuota of the namespace for
 * that partition wins, the later ones stall without touching the backend.
 */
export async function observeQuota(deps: ControllerDeps, quota: ComputeQuota): Promise<QuotaObserved> {
  const scope = scopeOf(quota);
  if (quota.metadata.deletionTimestamp) {
    // Deletion leaves the quota as it is: no backend read is needed, and a tenant that is already
    // gone must not keep the finalizer forever.
    try {
      return { scope, projectId: tenantProject(deps.informers, quota, quota.spec.dataCenter, quota.spec.environment).projectId };
    } catch (error) {
      if (error instanceof DependencyNotReadyError) return { scope };
      throw error;
    }
  }
  const { projectId } = tenantProject(deps.informers, quota, quota.spec.dataCenter, quota.spec.environment);
  const backends = await deps.registry.forPartition(quota.spec.dataCenter, quota.spec.environment);
  const [novaDetail, neutronDetail] = await Promise.all([
    backends.openstack.compute.getQuotaDetail(projectId),
    backends.openstack.network.getQuotaDetails(projectId),
  ]);
  const nova = Object.fromEntries(NOVA_KEYS.map((key) => [key, novaDetail[key]])) as QuotaObserved['nova'];
  return { scope, projectId, ...(nova ? { nova } : {}), floatingIp: neutronDetail.floatingip };
}
