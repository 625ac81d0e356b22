/** Shapes the dashboard client returns: the fields the operator uses, named in this project's style. */

export interface CephVersion {
  /** e.g. `ceph version 16.2.15 (...) pacific (stable)` */
  text: string;
  major: number;
  minor: number;
  patch: number;
  release: string;
}

export interface Pool {
  name: string;
  id: number;
  type: string;
  size: number;
  minSize: number;
  pgNum: number;
  applications: string[];
  /** 0 means no quota. */
  quotaMaxBytes: number;
  /** 0 means no quota. */
  quotaMaxObjects: number;
}

export interface PoolCreate {
  name: string;
  pgNum?: number;
  /** Application tags, e.g. `['rbd']`. */
  applications?: string[];
  quotaMaxBytes?: number;
  quotaMaxObjects?: number;
}

export interface PoolQuota {
  maxBytes?: number;
  maxObjects?: number;
}

export interface RbdNamespace {
  namespace: string;
  numImages: number;
}

export type RbdMirrorImageMode = 'journal' | 'snapshot';
export type RbdMirrorPoolMode = 'disabled' | 'image' | 'pool';

export interface RbdImage {
  pool: string;
  /** Empty string for the default namespace. */
  namespace: string;
  name: string;
  /** librbd image id (stable across renames). */
  id: string;
  sizeBytes: number;
  objectSizeBytes: number;
  features: string[];
  /**
   * Bytes allocated in the image head, at object granularity (what `rbd du` reports as used_size);
   * null when the image lacks fast-diff or usage was omitted.
   */
  usedBytes: number | null;
  /** usedBytes plus snapshots; null when unknown. */
  totalUsedBytes: number | null;
  /**
   * The dashboard reports `journal` for images without mirroring too (librbd's default mode);
   * it does not expose whether mirroring is enabled.
   */
  mirrorMode: string;
  createdAt: string;
  /** The image's snapshots, oldest first (by snapshot id). */
  snapshots: RbdSnapshot[];
}

/** One snapshot as the image GET lists it. */
export interface RbdSnapshot {
  name: string;
  /** librbd snapshot id (ids grow: a later snapshot has a higher id). */
  id: number;
  /** Image size when the snapshot was taken. */
  sizeBytes: number;
  /** ISO time the snapshot was taken. */
  createdAt: string;
  isProtected: boolean;
  /**
   * Bytes allocated in this snapshot that the previous snapshot did not have (object granularity);
   * null when the image lacks fast-diff or usage was omitted.
   */
  usedBytes: number | null;
  /** Images cloned from this snapshot. */
  children: { pool: string; name: string }[];
}

/** Where an image copy goes: a pool, an optional RBD namespace, a new image name. */
export interface RbdImageDestination {
  pool: string;
  /** Empty string or undefined for the pool's default namespace. */
  namespace?: string;
  name: string;
}

export interface RbdImageCreate {
  pool: string;
  namespace?: string;
  name: string;
  sizeBytes: number;
  /** Power of two; Ceph's default is 4 MiB. */
  objectSizeBytes?: number;
  /** Defaults to the cluster's `rbd_default_features`. */
  features?: string[];
}

export interface ImagePage {
  images: RbdImage[];
  /** Images matching the query in the pool (X-Total-Count). */
  total: number;
}

export interface PoolUsage {
  name: string;
  id: number;
  /** Bytes stored by clients (before replication). */
  storedBytes: number;
  /** Raw bytes used, including replication. */
  usedBytes: number;
  objects: number;
  maxAvailBytes: number;
  quotaBytes: number;
  quotaObjects: number;
}

export interface ClusterUsage {
  totalBytes: number;
  availBytes: number;
  usedRawBytes: number;
  pools: PoolUsage[];
}

export interface NamespaceUsage {
  pool: string;
  namespace: string;
  images: number;
  provisionedBytes: number;
  /** Sum of usedBytes over images whose usage is known. */
  usedBytes: number;
  /** Images without fast-diff, whose usage the dashboard cannot report. */
  imagesWithUnknownUsage: string[];
}
