import {
  agencyTenantDefinition,
  computeQuotaDefinition,
  dataCenterDefinition,
  priceListDefinition,
  slaDefinition,
  storageVolumeDefinition,
  type KindDefinition,
} from '../api/v1alpha1/index.js';
import { resourceTypeOf } from '../controllers/framework/index.js';
import type { InformerConfig, KubeObject, Manager, SharedInformer } from '../runtime/index.js';

/** The shared informers of every statsmoln kind: one list/watch each, shared by all controllers. */
export interface OperatorInformers {
  dataCenters: SharedInformer<KubeObject>;
  tenants: SharedInformer<KubeObject>;
  priceLists: SharedInformer<KubeObject>;
  quotas: SharedInformer<KubeObject>;
  volumes: SharedInformer<KubeObject>;
  slas: SharedInformer<KubeObject>;
}

/** Which field of OperatorInformers holds each kind. */
export const INFORMER_OF_KIND: Readonly<Record<string, keyof OperatorInformers>> = {
  [dataCenterDefinition.kind]: 'dataCenters',
  [agencyTenantDefinition.kind]: 'tenants',
  [priceListDefinition.kind]: 'priceLists',
  [computeQuotaDefinition.kind]: 'quotas',
  [storageVolumeDefinition.kind]: 'volumes',
  [slaDefinition.kind]: 'slas',
};

const DEFINITIONS: Record<keyof OperatorInformers, KindDefinition> = {
  dataCenters: dataCenterDefinition,
  tenants: agencyTenantDefinition,
  priceLists: priceListDefinition,
  quotas: computeQuotaDefinition,
  volumes: storageVolumeDefinition,
  slas: slaDefinition,
};

/** Creates (or reuses) the Manager's shared informers for every statsmoln kind. Call before start(). */
export function createOperatorInformers(manager: Manager, config: InformerConfig = {}): OperatorInformers {
  const make = (field: keyof OperatorInformers): SharedInformer<KubeObject> => manager.informer(resourceTypeOf(DEFINITIONS[field]), config);
  return {
    dataCenters: make('dataCenters'),
    tenants: make('tenants'),
    priceLists: make('priceLists'),
    quotas: make('quotas'),
    volumes: make('volumes'),
    slas: make('slas'),
  };
}

/** The informer that holds a kind's objects. */
export function informerForKind(informers: OperatorInformers, kind: string): SharedInformer<KubeObject> {
  const field = INFORMER_OF_KIND[kind];
  if (!field) throw new Error(`no informer for kind ${kind}`);
  return informers[field];
}

/** The definition of the kind an OperatorInformers field holds. */
export function definitionOfInformer(field: keyof OperatorInformers): KindDefinition {
  return DEFINITIONS[field];
}
