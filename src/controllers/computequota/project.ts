/**
 * The agency's Keystone project in one partition, as the AgencyTenant controller reports it in
 * `status.placements[]`. Quotas and volumes of namespace `agency-<tenant>` act in that project only.
 */
import type { AgencyTenant, DataCenter, Environment } from '../../api/v1alpha1/index.js';
import { tenantNamespace, tenantOfNamespace, type StatsmolnObject } from '../../api/validation/index.js';
import { objectKey, type KeyMapper, type KubeObject, type SharedInformer } from '../../runtime/index.js';
import { DependencyNotReadyError, InvalidConfigurationError } from '../framework/index.js';
import type { OperatorInformers } from './deps.js';

export interface TenantProject {
  tenant: AgencyTenant;
  tenantName: string;
  projectId: string;
}

/** The tenant a namespaced object belongs to, or InvalidConfiguration for a namespace of no agency. */
export function tenantNameOf(object: StatsmolnObject): string {
  const tenantName = tenantOfNamespace(object.metadata.namespace);
  if (!tenantName) {
    throw new InvalidConfigurationError(`namespace "${object.metadata.namespace ?? ''}" is not an agency namespace (agency-<tenant>)`);
  }
  return tenantName;
}

export function findTenant(informers: OperatorInformers, tenantName: string): AgencyTenant | undefined {
  return informers.tenants.store.get(tenantName) as unknown as AgencyTenant | undefined;
}

/**
 * How long a quota or volume waits for its tenant before looking again. The tenant watch
 * (dependentsOfTenant) wakes it as soon as the tenant's placements or readiness change, so this is
 * only a safety net; at 15 s a thousand waiting agencies spent most reconciles asking too early.
 */
export const TENANT_RETRY_MS = 60_000;

/** The project id, or DependencyNotReady('TenantNotReady') until the tenant controller has created it. */
export function tenantProject(informers: OperatorInformers, object: StatsmolnObject, dataCenter: string, environment: Environment): TenantProject {
  const tenantName = tenantNameOf(object);
  const tenant = findTenant(informers, tenantName);
  if (!tenant) throw new DependencyNotReadyError(`AgencyTenant "${tenantName}" does not exist`, 'TenantNotReady', TENANT_RETRY_MS);
  const placement = tenant.status?.placements?.find((entry) => entry.dataCenter === dataCenter && entry.environment === environment);
  if (!placement?.projectId) {
    throw new DependencyNotReadyError(`AgencyTenant "${tenantName}" has no Keystone project in ${dataCenter}/${environment} yet`, 'TenantNotReady', TENANT_RETRY_MS);
  }
  return { tenant, tenantName, projectId: placement.projectId };
}

/** The tenant and every DataCenter, for the cross-document rules (placement, tiers, encryption). */
export function tenantAndDataCenters(informers: OperatorInformers, object: StatsmolnObject): StatsmolnObject[] {
  const tenantName = tenantOfNamespace(object.metadata.namespace);
  const tenant = tenantName ? findTenant(informers, tenantName) : undefined;
  const dataCenters = informers.dataCenters.store.list() as unknown as DataCenter[];
  return [...(tenant ? [tenant] : []), ...dataCenters];
}

/**
 * Watch mappers for the operator assembly: when a tenant changes (its project appears in
 * status.placements), reconcile the quotas or volumes of its namespace at once instead of after the
 * TenantNotReady retry; when a DataCenter changes (a partition becomes Ready), reconcile all of them.
 */
export function objectsOfTenant(primaries: SharedInformer<KubeObject>): KeyMapper {
  return (tenant) => {
    const name = tenant.metadata?.name;
    return name ? primaries.store.select({ namespace: tenantNamespace(name) }).map(objectKey) : [];
  };
}

export function allObjects(primaries: SharedInformer<KubeObject>): KeyMapper {
  return () => primaries.store.keys();
}
