/**
 * A small ComputeQuota actuator over an in-memory backend, gated on the partition like the real
 * controllers (BackendRegistry.forPartition): proves that any actuator plugs into the operator and
 * into `statsmoln plan` through actuatorRegistration.
 */
import { computeQuotaDefinition, type ComputeQuota } from '../../../src/api/v1alpha1/index.js';
import type { Action, Actuator } from '../../../src/controllers/framework/index.js';
import type { ActuatorDeps } from '../../../src/operator/registration.js';

export interface MemoryQuota {
  cores: number;
}

export class MemoryQuotaBackend {
  readonly quotas = new Map<string, MemoryQuota>();
  readonly writes: string[] = [];
}

const keyOf = (quota: ComputeQuota): string => `${quota.metadata.namespace}/${quota.metadata.name}`;

export function memoryQuotaActuatorFactory(backend: MemoryQuotaBackend) {
  return (deps: ActuatorDeps): Actuator<ComputeQuota, MemoryQuota | undefined, MemoryQuota> => ({
    definition: computeQuotaDefinition,
    related: () => [],
    async observe(quota) {
      await deps.registry.forPartition(quota.spec.dataCenter, quota.spec.environment);
      const found = backend.quotas.get(keyOf(quota));
      return found ? { ...found } : undefined;
    },
    plan(quota, observed): Array<Action<MemoryQuota>> {
      const base = { resource: 'memory quota', scope: `${quota.spec.dataCenter}/${quota.spec.environment}`, name: keyOf(quota), payload: { cores: quota.spec.cores } };
      if (!observed) return [{ ...base, verb: 'create', reason: 'missing' }];
      if (observed.cores !== quota.spec.cores) return [{ ...base, verb: 'update', reason: 'drift', changes: [{ field: 'cores', from: observed.cores, to: quota.spec.cores }] }];
      return [];
    },
    planDeletion: (quota, observed) =>
      observed ? [{ verb: 'delete', resource: 'memory quota', scope: `${quota.spec.dataCenter}/${quota.spec.environment}`, name: keyOf(quota), payload: observed }] : [],
    async apply(action, quota) {
      backend.writes.push(`${action.verb} ${keyOf(quota)}`);
      if (action.verb === 'delete') backend.quotas.delete(keyOf(quota));
      else backend.quotas.set(keyOf(quota), { ...action.payload });
    },
    status: (_quota, observed) => (observed ? { limits: { cores: observed.cores } } : {}),
  });
}
