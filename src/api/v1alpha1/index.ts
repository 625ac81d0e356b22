import { agencyTenantDefinition } from './agencytenant.js';
import { computeQuotaDefinition } from './computequota.js';
import { dataCenterDefinition } from './datacenter.js';
import type { KindDefinition } from './kind.js';
import { priceListDefinition } from './pricelist.js';
import { slaDefinition } from './sla.js';
import { storageVolumeDefinition } from './storagevolume.js';

export * from './common.js';
export * from './kind.js';
export * from './datacenter.js';
export * from './agencytenant.js';
export * from './pricelist.js';
export * from './computequota.js';
export * from './storagevolume.js';
export * from './sla.js';

export const kindDefinitions: readonly KindDefinition[] = [
  dataCenterDefinition,
  agencyTenantDefinition,
  priceListDefinition,
  computeQuotaDefinition,
  storageVolumeDefinition,
  slaDefinition,
];

export function findKind(kind: string): KindDefinition | undefined {
  return kindDefinitions.find((definition) => definition.kind === kind);
}
