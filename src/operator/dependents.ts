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

/**
 * What an agency's quotas and volumes read from their tenant: its spec (the cross-document rules),
 * its backend ids per placement, readiness and deletion. Finalizer and progress writes that move
 * none of these wake nobody: at 1,000 agencies they were most of the quota and volume reconciles.
 */
function tenantFingerprint(tenant: KubeObject): string {
  const metadata = tenant.metadata ?? {};
  const status = (tenant.status ?? {}) as { placements?: unknown; conditions?: Array<{ type?: string; status?: string }> };
  const ready = status.conditions?.find((condition) => condition.type === 'Ready')?.status;
  return JSON.stringify([metadata.generation, metadata.deletionTimestamp, metadata.labels, metadata.annotations, ready, status.placements]);
}

/**
 * Wakes an agency's namespaced objects when what they read from its tenant changes (for example,
 * it gets its projects), and when the tenant is gone from `tenants`' cache.
 */
export function dependentsOfTenant(dependents: SharedInformer<KubeObject>, tenants: SharedInformer<KubeObject>): KeyMapper {
  const seen = new Map<string, string>();
  return (tenant) => {
    const name = tenant.metadata?.name;
    if (!name) return [];
    const wake = (): string[] => dependents.store.select({ namespace: `agency-${name}` }).map(objectKey);
    if (!tenants.store.get(name)) {
      seen.delete(name);
      return wake();
    }
    const fingerprint = tenantFingerprint(tenant);
    const previous = seen.get(name);
    seen.set(name, fingerprint);
    return previous === fingerprint ? [] : wake();
  };
}
