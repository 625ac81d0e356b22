import type { StorageVolume } from '../../api/v1alpha1/index.js';
import type { Action } from '../framework/index.js';
import type { DeletionOutcome, VolumeObserved, VolumePayload } from './types.js';

/**
 * phase, backendId, sizeGiB, and usedBytes for RBD (Ceph's disk_usage). For Cinder, usedBytes stays
 * unset: the Ceph image behind a Cinder volume is not visible through the Cinder API.
 */
export function volumeStatus(volume: StorageVolume, observed: VolumeObserved): Record<string, unknown> {
  const current = observed.volume;
  const replication = replicationStatus(volume);
  if (!current) return { phase: 'Pending', backendId: undefined, sizeGiB: undefined, usedBytes: undefined, replication };
  const phase = current.state.startsWith('error') ? 'Failed' : current.sizeGiB < volume.spec.sizeGiB ? 'Extending' : 'Available';
  return {
    phase,
    backendId: current.backendId,
    sizeGiB: current.sizeGiB,
    usedBytes: current.usedBytes,
    replication,
  };
}

/**
 * spec.replication is part of the API but not implemented yet: the status says so in so many words
 * rather than leave an agency to believe a second data center holds a copy.
 */
export function replicationStatus(volume: StorageVolume): Record<string, unknown> | undefined {
  const wanted = volume.spec.replication;
  if (!wanted) return undefined;
  return {
    state: 'NotReplicated',
    message: `spec.replication to ${wanted.dataCenter} is not implemented in this statsmoln version: the volume has no copy in another data center`,
  };
}

const RECEIPT_ACTION = { delete: 'Deleted', snapshot: 'SnapshotThenDeleted' } as const;

/** The deletion receipt: what the policy did, with backend ids, time and the backend's confirmation. */
export function volumeDeletionStatus(
  volume: StorageVolume,
  observed: VolumeObserved,
  applied: ReadonlyArray<Action<VolumePayload>>,
  outcomes: WeakMap<object, DeletionOutcome>,
  nowMs: number,
): Record<string, unknown> {
  const current = observed.volume;
  const backendId = current?.backendId ?? volume.status?.backendId;
  if (!backendId) return {};
  for (const action of applied) {
    if (action.verb === 'delete' || action.verb === 'snapshot') {
      const outcome = outcomes.get(action);
      if (!outcome) continue;
      return {
        phase: 'Deleting',
        deletionReceipt: {
          action: RECEIPT_ACTION[action.verb],
          backendId,
          ...(outcome.snapshotId ? { snapshotId: outcome.snapshotId } : {}),
          time: outcome.time,
          confirmation: outcome.confirmation,
        },
      };
    }
    if (action.payload.op === 'retain') {
      return {
        phase: 'Retained',
        deletionReceipt: { action: 'Retained', backendId, time: new Date(nowMs).toISOString(), confirmation: `${action.payload.note}; last seen ${current?.state ?? 'unknown'}, ${current?.sizeGiB ?? '?'} GiB` },
      };
    }
  }
  const policy = volume.spec.deletionPolicy ?? 'Retain';
  if (observed.confirmedGone && policy !== 'Retain') {
    return {
      phase: 'Deleting',
      deletionReceipt: {
        action: policy === 'Delete' ? 'Deleted' : 'SnapshotThenDeleted',
        backendId,
        ...(observed.confirmedGone.snapshotId ? { snapshotId: observed.confirmedGone.snapshotId } : {}),
        time: observed.confirmedGone.time,
        confirmation: observed.confirmedGone.confirmation,
      },
    };
  }
  if (!observed.target) {
    return {
      phase: 'Retained',
      deletionReceipt: {
        action: 'Retained',
        backendId,
        time: new Date(nowMs).toISOString(),
        confirmation: 'the tenant no longer lists a project for this partition; nothing was deleted and the backend volume was left as it was',
      },
    };
  }
  return {};
}
