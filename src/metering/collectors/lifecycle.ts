import type { LifecycleRecord } from '../events.js';
import { NETWORK_METERS } from '../meters.js';
import type { Sweep } from './sample-store.js';

const FLOATING_IP_METER: string = NETWORK_METERS[0];
const PROVISIONED = /^storage\.[a-z0-9-]+\.provisioned\.gib-hours$/;

/** The billable resources of a sweep by id, with their kind: `server`, `volume` (Cinder), `rbd-image`, `floatingip`. */
function billableResources(sweep: Sweep): Map<string, string> {
  const resources = new Map<string, string>();
  for (const server of sweep.servers ?? []) resources.set(server, 'server');
  for (const level of sweep.levels) {
    if (level.meter === FLOATING_IP_METER) resources.set(level.resource, 'floatingip');
    else if (PROVISIONED.test(level.meter)) resources.set(level.resource, level.resource.includes('/') ? 'rbd-image' : 'volume');
  }
  return resources;
}

/**
 * What started and stopped between two sweeps of one placement: a resource in `current` but not in
 * `previous` started, one in `previous` but not in `current` stopped, both at `current.at` (when the
 * sweep saw it; the backend's own transition time lies between the two sweeps). Without a previous
 * sweep every resource starts. Sorted, so that the same sweeps always give the same events.
 */
export function lifecycleTransitions(previous: Sweep | undefined, current: Sweep): LifecycleRecord[] {
  const before = previous ? billableResources(previous) : new Map<string, string>();
  const after = billableResources(current);
  const at = new Date(current.at).toISOString();
  const base = { tenant: current.tenant, dataCenter: current.dataCenter, environment: current.environment, at };
  const records: LifecycleRecord[] = [];
  for (const [resource, resourceKind] of after) if (!before.has(resource)) records.push({ ...base, resourceKind, resource, action: 'started' });
  for (const [resource, resourceKind] of before) if (!after.has(resource)) records.push({ ...base, resourceKind, resource, action: 'stopped' });
  return records.sort((left, right) => left.action.localeCompare(right.action) || left.resource.localeCompare(right.resource));
}
