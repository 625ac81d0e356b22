import type { ComputeQuota } from '../../api/v1alpha1/index.js';
import type { Action, FieldChange } from '../framework/index.js';
import { NOVA_KEYS, type NovaManaged, type QuotaObserved, type QuotaPayload } from './types.js';

export const MIB_PER_GIB = 1024;

/** The spec in Nova's units. */
export function desiredNova(quota: ComputeQuota): NovaManaged {
  return { cores: quota.spec.cores, ram: quota.spec.ramGiB * MIB_PER_GIB, instances: quota.spec.instances, server_groups: quota.spec.serverGroups };
}

/** A limit below what is in use (-1 means unlimited). */
export function isBelow(limit: number, inUse: number): boolean {
  return limit !== -1 && limit < inUse;
}

/**
 * Nova quota set and Neutron floating-IP quota of the project. Lowering a limit below current use
 * is applied (with Nova's `force`, as an SRE would) and reported by status, never hidden.
 */
export function planQuota(quota: ComputeQuota, observed: QuotaObserved): Array<Action<QuotaPayload>> {
  const { projectId, nova, floatingIp } = observed;
  if (!projectId || !nova || !floatingIp) return [];
  const actions: Array<Action<QuotaPayload>> = [];
  const wanted = desiredNova(quota);
  const changes: FieldChange[] = [];
  const update: Partial<NovaManaged> = {};
  let force = false;
  for (const key of NOVA_KEYS) {
    const current = nova[key];
    if (current.limit === wanted[key]) continue;
    changes.push({ field: key, from: current.limit, to: wanted[key] });
    update[key] = wanted[key];
    if (isBelow(wanted[key], current.in_use + current.reserved)) force = true;
  }
  if (changes.length > 0) {
    actions.push({
      verb: 'update',
      resource: 'nova quota set',
      scope: observed.scope,
      name: projectId,
      changes,
      reason: force ? 'spec differs; below current use (forced)' : 'spec differs',
      payload: { service: 'nova', projectId, update, force },
    });
  }
  if (floatingIp.limit !== quota.spec.floatingIps) {
    actions.push({
      verb: 'update',
      resource: 'neutron quota',
      scope: observed.scope,
      name: projectId,
      changes: [{ field: 'floatingip', from: floatingIp.limit, to: quota.spec.floatingIps }],
      reason: 'spec differs',
      payload: { service: 'neutron', projectId, update: { floatingip: quota.spec.floatingIps } },
    });
  }
  return actions;
}

/**
 * A ComputeQuota has no deletion policy: the project keeps its quota, so that an agency's running
 * servers are never cut off by a deleted manifest. The plan says so as a non-writing action.
 */
export function planQuotaDeletion(quota: ComputeQuota, observed: QuotaObserved): Array<Action<QuotaPayload>> {
  return [
    {
      verb: 'retain',
      resource: 'nova and neutron quota',
      scope: observed.scope,
      name: observed.projectId ?? `${quota.metadata.namespace ?? ''}/${quota.metadata.name}`,
      reason: 'ComputeQuota deleted: the project keeps its current quota so that running servers are not cut off',
      payload: { service: 'none', ...(observed.projectId ? { projectId: observed.projectId } : {}) },
    },
  ];
}
