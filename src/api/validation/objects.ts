import type {
  AgencyTenant,
  ComputeQuota,
  DataCenter,
  PriceList,
  SLA,
  StorageVolume,
} from '../v1alpha1/index.js';

/** A schema-valid statsmoln object, narrowed by kind. */
export type StatsmolnObject = DataCenter | AgencyTenant | PriceList | ComputeQuota | StorageVolume | SLA;

export const TENANT_NAMESPACE_PREFIX = 'agency-';

export function tenantNamespace(tenantName: string): string {
  return `${TENANT_NAMESPACE_PREFIX}${tenantName}`;
}

/** The tenant a namespace belongs to, by the agency-<tenant> naming convention. */
export function tenantOfNamespace(namespace: string | undefined): string | undefined {
  if (!namespace?.startsWith(TENANT_NAMESPACE_PREFIX)) return undefined;
  const tenant = namespace.slice(TENANT_NAMESPACE_PREFIX.length);
  return tenant === '' ? undefined : tenant;
}
