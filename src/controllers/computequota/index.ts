import { computeQuotaDefinition, type ComputeQuota } from '../../api/v1alpha1/index.js';
import type { StatsmolnObject } from '../../api/validation/index.js';
import type { Actuator } from '../framework/index.js';
import { applyQuota } from './apply.js';
import type { ControllerDeps } from './deps.js';
import { observeQuota } from './observe.js';
import { planQuota, planQuotaDeletion } from './plan.js';
import { tenantAndDataCenters } from './project.js';
import { quotaStatus } from './status.js';
import type { QuotaObserved, QuotaPayload } from './types.js';

export type { ControllerDeps, OperatorInformers } from './deps.js';
export { planQuota, planQuotaDeletion, desiredNova } from './plan.js';
export { belowUsage, quotaStatus, CONDITION_BELOW_USAGE } from './status.js';
export type { QuotaObserved, QuotaPayload } from './types.js';
export { allObjects, objectsOfTenant } from './project.js';

/** ComputeQuota: the Nova quota set and Neutron floating-IP quota of the agency's project in one partition. */
export function createComputeQuotaActuator(deps: ControllerDeps): Actuator<ComputeQuota, QuotaObserved, QuotaPayload> {
  const now = deps.now ?? Date.now;
  return {
    definition: computeQuotaDefinition,
    related(quota): StatsmolnObject[] {
      const siblings = (deps.informers.quotas.store.select({ namespace: quota.metadata.namespace ?? '' }) as unknown as ComputeQuota[]).filter(
        (other) => other.metadata.name !== quota.metadata.name,
      );
      return [...tenantAndDataCenters(deps.informers, quota), ...siblings];
    },
    observe: (quota) => observeQuota(deps, quota),
    plan: planQuota,
    planDeletion: planQuotaDeletion,
    apply: (action, quota) => applyQuota(deps, action, quota),
    status: (quota, observed) => quotaStatus(quota, observed, now()),
  };
}
