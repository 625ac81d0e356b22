/**
 * Wakes the objects that use a data center when its partitions' readiness changes, so that a
 * controller waiting on PartitionNotReady acts at once instead of after its retry delay. Status
 * writes that only move lastCheckTime wake nobody.
 */
import type { KeyMapper, KubeObject, SharedInformer } from '../runtime/index.js';
import { objectKey } from '../runtime/index.js';

interface PartitionReadiness {
  environment?: string;
  ready?: boolean;
}

function readinessFingerprint(dataCenter: KubeObject): string {
  const partitions = ((dataCenter.status as { partitions?: PartitionReadiness[] } | undefined)?.partitions ?? [])
    .map((partition) => `${partition.environment}=${partition.ready}`)
    .sort();
  return `${dataCenter.metadata?.generation}|${partitions.join(',')}`;
}

/** Whether an object's spec names the data center (spec.dataCenter, or spec.placement.dataCenters). */
export function usesDataCenter(object: KubeObject, dataCenter: string): boolean {
  const spec = (object as { spec?: { dataCenter?: unknown; placement?: { dataCenters?: unknown } } }).spec;
  if (spec?.dataCenter === dataCenter) return true;
  const placed = spec?.placement?.dataCenters;
  return Array.isArray(placed) && placed.includes(dataCenter);
}

export function dependentsOfDataCenter(dependents: SharedInformer<KubeObject>): KeyMapper {
  const seen = new Map<string, string>();
  return (dataCenter) => {
    const name = dataCenter.metadata?.name ?? '';
    const fingerprint = readinessFingerprint(dataCenter);
    const previous = seen.get(name);
    seen.set(name, fingerprint);
    if (previous === fingerprint) return [];
    return dependents.store.list().filter((object) => usesDataCenter(object, name)).map((object) => objectKey(object));
  };
}

/** Wakes an agency's namespaced objects when its tenant changes (for example, gets its projects). */
export function dependentsOfTenant(dependents: SharedInformer<KubeObject>): KeyMapper {
  return (tenant) => {
    const name = tenant.metadata?.name;
    return name ? dependents.store.select({ namespace: `agency-${name}` }).map(objectKey) : [];
  };
}
