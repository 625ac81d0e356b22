import type { Action } from '../framework/index.js';
import type { ControllerDeps } from './deps.js';
import type { ComputeQuota } from '../../api/v1alpha1/index.js';
import type { QuotaPayload } from './types.js';

export async function applyQuota(deps: ControllerDeps, action: Action<QuotaPayload>, quota: ComputeQuota): Promise<void> {
  const { payload } = action;
  if (payload.service === 'none') return;
  const backends = await deps.registry.forPartition(quota.spec.dataCenter, quota.spec.environment);
  if (payload.service === 'nova') {
    await backends.openstack.compute.updateQuotaSet(payload.projectId, payload.update, payload.force);
    return;
  }
  await backends.openstack.network.updateQuota(payload.projectId, payload.update);
}
