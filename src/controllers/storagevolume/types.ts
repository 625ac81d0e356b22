import type { StorageTier } from '../../api/v1alpha1/index.js';

export const GIB = 1024 ** 3;

/** Where the volume lives, resolved from the tenant, the partition and the tier. */
export type VolumeTarget =
  | {
      backend: 'cinder';
      scope: string;
      projectId: string;
      /** `<namespace>/<name>` */
      name: string;
      volumeType: string;
      availabilityZone?: string;
      tier: StorageTier;
    }
  | {
      backend: 'rbd';
      scope: string;
      pool: string;
      namespace: string;
      /** `<namespace>.<name>` */
      name: string;
      tier: StorageTier;
    };

/** A backend volume as observed: a Cinder volume or an RBD image, in one shape. */
export interface ObservedVolume {
  /** Cinder volume id, or pool/namespace/image. */
  backendId: string;
  name: string;
  sizeGiB: number;
  /** Cinder status ('available', 'in-use', ...); 'available' for RBD images. */
  state: string;
  /** Ceph's disk_usage for RBD; undefined for Cinder (the Ceph image behind it is not visible here). */
  usedBytes?: number;
  /** The owner uid in the volume's metadata (Cinder only; RBD ownership rests on the name). */
  ownerUid?: string;
  volumeType?: string;
  /** Adopted through spec.import. */
  imported: boolean;
}

/** What a deletion did, as the backend confirmed it; becomes status.deletionReceipt. */
export interface DeletionOutcome {
  time: string;
  confirmation: string;
  snapshotId?: string;
}

/** One Cinder quota key of the agency's project: its limit (-1 is unlimited) and what counts against it. */
export interface QuotaHeadroom {
  limit: number;
  /** in_use + reserved */
  used: number;
}

/** The project's Cinder quota, read only when the plan may need more of it (create, extend, final copy). */
export interface CinderQuota {
  gigabytes: QuotaHeadroom;
  volumes: QuotaHeadroom;
  snapshots: QuotaHeadroom;
}

export interface VolumeObserved {
  /** Undefined only while deleting an object whose tenant project is gone. */
  target?: VolumeTarget;
  volume?: ObservedVolume;
  quota?: CinderQuota;
  /** RBD: whether the agency's namespace exists in the tier's pool. */
  namespaceExists?: boolean;
  /**
   * While deleting: the volume recorded in status is already gone (an earlier attempt deleted it
   * and died before finishing), with the read-back that proves it.
   */
  confirmedGone?: DeletionOutcome;
}

export type VolumePayload =
  | { op: 'create-namespace' }
  | { op: 'create'; sizeGiB: number }
  | { op: 'extend'; sizeGiB: number }
  | { op: 'tag-owner' }
  | { op: 'raise-quota'; update: Partial<Record<keyof CinderQuota, number>> }
  | { op: 'delete' }
  | { op: 'snapshot-then-delete' }
  | { op: 'retain'; note: string };
