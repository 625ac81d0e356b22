import type { StorageVolume } from '../../api/v1alpha1/index.js';
import type { Action } from '../framework/index.js';
import type { CinderQuota, VolumeObserved, VolumePayload, VolumeTarget } from './types.js';

const resourceOf = (target: VolumeTarget): string => (target.backend === 'cinder' ? 'cinder volume' : 'rbd image');

/** Create, adopt (tag an imported volume as ours), or extend. Volumes never shrink. */
export function planVolume(volume: StorageVolume, observed: VolumeObserved): Array<Action<VolumePayload>> {
  const { target, volume: current } = observed;
  if (!target) return [];
  const base = { resource: resourceOf(target), scope: target.scope };
  const wanted = volume.spec.sizeGiB;
  if (!current) {
    if (volume.spec.import) return []; // observe waits for (filter) or refuses (id) a missing import
    const actions: Array<Action<VolumePayload>> = [];
    if (target.backend === 'rbd' && !observed.namespaceExists) {
      actions.push({ verb: 'create', resource: 'rbd namespace', scope: target.scope, name: `${target.pool}/${target.namespace}`, reason: 'missing', payload: { op: 'create-namespace' } });
    }
    const details =
      target.backend === 'cinder'
        ? [
            { field: 'size', from: null, to: wanted },
            { field: 'volume_type', from: null, to: target.volumeType },
            ...(target.availabilityZone ? [{ field: 'availability_zone', from: null, to: target.availabilityZone }] : []),
          ]
        : [{ field: 'size', from: null, to: `${wanted} GiB` }];
    actions.push(...quotaFor(target, observed.quota, { gigabytes: wanted, volumes: 1 }));
    actions.push({ ...base, verb: 'create', name: target.name, changes: details, reason: 'missing', payload: { op: 'create', sizeGiB: wanted } });
    return actions;
  }
  const actions: Array<Action<VolumePayload>> = [];
  if (target.backend === 'cinder' && current.imported && current.ownerUid === undefined) {
    actions.push({ ...base, verb: 'update', name: current.name || current.backendId, changes: [{ field: 'metadata.statsmoln.io:uid', from: null, to: volume.metadata.uid ?? '' }], reason: 'imported', payload: { op: 'tag-owner' } });
  }
  if (current.sizeGiB < wanted) {
    actions.push(...quotaFor(target, observed.quota, { gigabytes: wanted - current.sizeGiB }));
    actions.push({ ...base, verb: 'update', name: current.name || current.backendId, changes: [{ field: 'size', from: current.sizeGiB, to: wanted }], reason: 'size grew', payload: { op: 'extend', sizeGiB: wanted } });
  }
  return actions;
}

/**
 * What spec.deletionPolicy asks for: Retain (default) leaves the volume, Delete deletes it and
 * confirms it is gone, Snapshot keeps a final copy and then deletes it.
 */
export function planVolumeDeletion(volume: StorageVolume, observed: VolumeObserved): Array<Action<VolumePayload>> {
  const { target, volume: current } = observed;
  if (!target || !current) return [];
  const base = { resource: resourceOf(target), scope: target.scope, name: current.name || current.backendId };
  const policy = volume.spec.deletionPolicy ?? 'Retain';
  if (policy === 'Delete') return [{ ...base, verb: 'delete', reason: 'deletionPolicy Delete', payload: { op: 'delete' } }];
  if (policy === 'Snapshot') {
    // Cinder: the snapshot and the volume restored from it each count against gigabytes.
    // RBD: a snapshot copied into a final image in the same namespace; no Cinder quota is involved.
    const finalCopy = { gigabytes: 2 * current.sizeGiB, volumes: 1, snapshots: 1 };
    return [...quotaFor(target, observed.quota, finalCopy), { ...base, verb: 'snapshot', reason: 'deletionPolicy Snapshot: final copy, then delete', payload: { op: 'snapshot-then-delete' } }];
  }
  return [{ ...base, verb: 'retain', reason: 'deletionPolicy Retain', payload: { op: 'retain', note: 'deletionPolicy Retain: the volume and its data were left in place' } }];
}

/**
 * A declared volume is the agency's storage entitlement: when the project's Cinder quota leaves too
 * little room for it, the quota is raised to what is in use plus what the step needs. Quotas are
 * only ever raised, so volumes kept by Retain and volumes made outside statsmoln still fit.
 */
function quotaFor(target: VolumeTarget, quota: CinderQuota | undefined, needs: Partial<Record<keyof CinderQuota, number>>): Array<Action<VolumePayload>> {
  if (target.backend !== 'cinder' || !quota) return [];
  const update: Partial<Record<keyof CinderQuota, number>> = {};
  const changes: Array<{ field: string; from: number; to: number }> = [];
  for (const key of Object.keys(needs) as Array<keyof CinderQuota>) {
    const { limit, used } = quota[key];
    const wanted = used + (needs[key] ?? 0);
    if (limit < 0 || limit >= wanted) continue;
    update[key] = wanted;
    changes.push({ field: key, from: limit, to: wanted });
  }
  if (changes.length === 0) return [];
  return [{ verb: 'update', resource: 'cinder quota', scope: target.scope, name: target.projectId, changes, reason: 'too little room for the volume', payload: { op: 'raise-quota', update } }];
}
