/**
 * The AgencyTenant controller: the agency's namespace and RBAC, and in every placed data center and
 * environment its Keystone domain, project, groups, federation and role assignments, its Neutron
 * network, subnets, router and baseline security group, and its Ceph RBD namespace.
 */
import { agencyTenantDefinition, type AgencyTenant } from '../../api/v1alpha1/index.js';
import type { StatsmolnObject } from '../../api/validation/index.js';
import type { Actuator, BackendRegistry } from '../framework/index.js';
import { applyTenantAction } from './apply.js';
import { observeTenant } from './observe.js';
import { planTenant, planTenantDeletion } from './plan.js';
import { tenantDeletionStatus, tenantStatus } from './status.js';
import type { TenantObserved, TenantPayload } from './types.js';

export * from './desired.js';
export * from './plan.js';
export * from './types.js';
export { observeTenant } from './observe.js';
export { applyTenantAction } from './apply.js';
export { tenantStatus } from './status.js';

export type { OperatorInformers } from '../../operator/informers.js';

import type { OperatorInformers } from '../../operator/informers.js';

export interface AgencyTenantDeps {
  registry: BackendRegistry;
  informers: OperatorInformers;
}

export type AgencyTenantActuator = Actuator<AgencyTenant, TenantObserved, TenantPayload>;

export function createAgencyTenantActuator(deps: AgencyTenantDeps): AgencyTenantActuator {
  return {
    definition: agencyTenantDefinition,
    related(tenant) {
      const related: StatsmolnObject[] = [];
      for (const name of tenant.spec.placement.dataCenters) {
        const dataCenter = deps.informers.dataCenters.store.get(name);
        if (dataCenter) related.push(dataCenter as unknown as StatsmolnObject);
      }
      const priceList = deps.informers.priceLists.store.get(tenant.spec.billing.priceListRef.name);
      if (priceList) related.push(priceList as unknown as StatsmolnObject);
      return related;
    },
    observe: (tenant, ctx) => observeTenant(tenant, ctx, deps.registry),
    plan: planTenant,
    planDeletion: planTenantDeletion,
    apply: applyTenantAction,
    status: (tenant, observed) => tenantStatus(tenant, observed, planTenant(tenant, observed)),
    deletionStatus: tenantDeletionStatus,
  };
}
