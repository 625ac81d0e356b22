import type { ComputeQuota, Condition } from '../../api/v1alpha1/index.js';
import { removeCondition, setCondition } from '../../runtime/index.js';
import { isBelow, MIB_PER_GIB } from './plan.js';
import type { QuotaObserved } from './types.js';

export const CONDITION_BELOW_USAGE = 'BelowUsage';

const gib = (mib: number): number => (mib === -1 ? -1 : Math.ceil(mib / MIB_PER_GIB));
const showGiB = (mib: number): string => `${Number((mib / MIB_PER_GIB).toFixed(2))} GiB`;

/** "cores limit 4 is below 6 in use", one clause per limit that is lower than current use. */
export function belowUsage(observed: QuotaObserved): string[] {
  const { nova, floatingIp } = observed;
  if (!nova || !floatingIp) return [];
  const found: string[] = [];
  const check = (name: string, limit: number, inUse: number, show: (value: number) => string = String) => {
    if (isBelow(limit, inUse)) found.push(`${name} limit ${show(limit)} is below ${show(inUse)} in use`);
  };
  check('cores', nova.cores.limit, nova.cores.in_use + nova.cores.reserved);
  check('ram', nova.ram.limit, nova.ram.in_use + nova.ram.reserved, showGiB);
  check('instances', nova.instances.limit, nova.instances.in_use + nova.instances.reserved);
  check('serverGroups', nova.server_groups.limit, nova.server_groups.in_use + nova.server_groups.reserved);
  check('floatingIps', floatingIp.limit, floatingIp.used + floatingIp.reserved);
  return found;
}

/** projectId, limits and use as the backends report them, and the BelowUsage condition. */
export function quotaStatus(quota: ComputeQuota, observed: QuotaObserved, nowMs: number): Record<string, unknown> {
  const { nova, floatingIp, projectId } = observed;
  if (!nova || !floatingIp) return projectId ? { projectId } : {};
  const below = belowUsage(observed);
  const existing = quota.status?.conditions as Condition[] | undefined;
  const conditions =
    below.length > 0
      ? setCondition(
          existing,
          { type: CONDITION_BELOW_USAGE, status: 'True', reason: 'LimitBelowUsage', message: below.join('; '), observedGeneration: quota.metadata.generation },
          nowMs,
        ).conditions
      : removeCondition(existing, CONDITION_BELOW_USAGE).conditions;
  return {
    projectId,
    limits: { cores: nova.cores.limit, ramGiB: gib(nova.ram.limit), instances: nova.instances.limit, serverGroups: nova.server_groups.limit, floatingIps: floatingIp.limit },
    inUse: {
      cores: nova.cores.in_use,
      ramGiB: gib(nova.ram.in_use),
      instances: nova.instances.in_use,
      serverGroups: nova.server_groups.in_use,
      floatingIps: floatingIp.used,
    },
    conditions,
  };
}
