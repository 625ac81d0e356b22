import { randomBytes } from 'node:crypto';

/**
 * The simulated cluster's RADOS/RBD state: pools with quotas and mirror modes, RBD namespaces and
 * images. Images record which RADOS objects were written, so used bytes follow Ceph's rule:
 * with fast-diff, usage is counted per allocated object (what `rbd du` and the dashboard report).
 */

/** A librados/librbd failure, reported by the dashboard as `[errno N] message`. */
export class CephErrnoError extends Error {
  constructor(
    readonly errno: number,
    message: string,
    readonly component: string | null,
  ) {
    super(message);
  }
}

/** The dashboard's `cherrypy.NotFound`/`HTTPError(404)` (a 404 with a path-style or plain message). */
export class CephNotFoundError extends Error {}

export const DEFAULT_FEATURES = ['deep-flatten', 'exclusive-lock', 'fast-diff', 'layering', 'object-map'];
const FEATURE_BITS: Record<string, number> = {
  layering: 1,
  striping: 2,
  'exclusive-lock': 4,
  'object-map': 8,
  'fast-diff': 16,
  'deep-flatten': 32,
  journaling: 64,
  'data-pool': 128,
  operations: 256,
  migrating: 512,
  'non-primary': 1024,
};

export type PoolMirrorMode = 'disabled' | 'image' | 'pool';

export interface SimImage {
  id: string;
  name: string;
  size: number;
  objectSize: number;
  features: string[];
  createdAt: Date;
  /** Object index -> highest byte offset written within it (exclusive). */
  written: Map<number, number>;
  /** Objects written since the last snapshot (all written objects while there is none): fast-diff's dirty set. */
  dirty: Set<number>;
  /** Oldest first. */
  snapshots: SimSnapshot[];
  mirror: { enabled: boolean; mode: 'journal' | 'snapshot'; scheduleInterval?: string };
}

/** A snapshot: the image's size and data as they were, and which objects changed since the previous one. */
export interface SimSnapshot {
  id: number;
  name: string;
  size: number;
  createdAt: Date;
  written: Map<number, number>;
  dirty: Set<number>;
  protected: boolean;
}

export interface SimPool {
  id: number;
  name: string;
  pgNum: number;
  applications: Set<string>;
  quotaMaxBytes: number;
  quotaMaxObjects: number;
  mirrorMode: PoolMirrorMode;
  createdAt: Date;
  /** '' is the default namespace and always exists. */
  namespaces: Map<string, Map<string, SimImage>>;
  /** Snapshot ids come from the pool's snapshot sequence, as for librbd's self-managed snapshots. */
  snapSeq: number;
}

export class SimCluster {
  readonly fsid: string;
  readonly pools = new Map<string, SimPool>();
  mirrorSiteName: string;
  /** Raw capacity of the single simulated OSD. */
  totalBytes = 4 * 1024 ** 3;
  private nextPoolId = 1;

  constructor(private readonly now: () => Date = () => new Date()) {
    this.fsid = randomUuid();
    this.mirrorSiteName = this.fsid;
  }

  // --- pools ------------------------------------------------------------------------------------

  /** `osd pool create` succeeds for an existing pool too. */
  createPool(name: string, pgNum: number, applications: string[]): SimPool {
    const existing = this.pools.get(name);
    if (existing) return existing;
    const pool: SimPool = {
      id: this.nextPoolId++,
      name,
      pgNum,
      applications: new Set(applications),
      quotaMaxBytes: 0,
      quotaMaxObjects: 0,
      mirrorMode: 'disabled',
      createdAt: this.now(),
      namespaces: new Map([['', new Map()]]),
      snapSeq: 0,
    };
    this.pools.set(name, pool);
    return pool;
  }

  /** The pool, or the dashboard's "No such pool" 404. */
  poolForDashboard(name: string): SimPool {
    const pool = this.pools.get(name);
    if (!pool) throw new CephNotFoundError("The path 'No such pool' was not found.");
    return pool;
  }

  /** The pool, or librados' ENOENT on opening an io context. */
  openPool(name: string): SimPool {
    const pool = this.pools.get(name);
    if (!pool) throw new CephErrnoError(2, `RADOS object not found (error opening pool '${name}')`, 'pool');
    return pool;
  }

  /** `osd pool delete` succeeds when the pool does not exist. */
  deletePool(name: string): void {
    this.pools.delete(name);
  }

  // --- namespaces -------------------------------------------------------------------------------

  namespaceImages(pool: SimPool, namespace: string): Map<string, SimImage> {
    const images = pool.namespaces.get(namespace);
    // librbd opens the namespace lazily; creating an image in a missing one fails with ENOENT.
    if (!images) throw new CephErrnoError(2, 'RBD image not found (error creating image)', 'rbd');
    return images;
  }

  // --- images -----------------------------------------------------------------------------------

  createImage(poolName: string, namespace: string, name: string, size: number, objectSize: number | undefined, features: string[] | undefined): SimImage {
    const pool = this.openPool(poolName);
    const images = this.namespaceImages(pool, namespace);
    if (images.has(name)) throw new CephErrnoError(17, 'RBD image already exists (error creating image)', 'rbd');
    if (!Number.isFinite(size) || size < 0) throw new CephErrnoError(22, 'RBD invalid argument (error creating image)', 'rbd');
    const order = objectSize && objectSize > 0 ? Math.round(Math.log2(objectSize)) : 22;
    if (order < 12 || order > 25) throw new CephErrnoError(22, 'RBD invalid argument (error creating image)', 'rbd');
    const image: SimImage = {
      id: randomBytes(6).toString('hex'),
      name,
      size,
      objectSize: 2 ** order,
      features: [...(features ?? DEFAULT_FEATURES)].sort(),
      createdAt: this.now(),
      written: new Map(),
      dirty: new Set(),
      snapshots: [],
      mirror: { enabled: false, mode: 'journal' },
    };
    images.set(name, image);
    return image;
  }

  /** `rbd snap create`: EEXIST when the image has a snapshot of that name. */
  createSnapshot(poolName: string, image: SimImage, name: string): SimSnapshot {
    const pool = this.openPool(poolName);
    if (image.snapshots.some((snapshot) => snapshot.name === name)) {
      throw new CephErrnoError(17, `RBD image already exists (error creating snapshot b'${name}' from b'${image.name}')`, 'rbd');
    }
    pool.snapSeq += 1;
    const snapshot: SimSnapshot = { id: pool.snapSeq, name, size: image.size, createdAt: this.now(), written: new Map(image.written), dirty: image.dirty, protected: false };
    image.snapshots.push(snapshot);
    image.dirty = new Set();
    return snapshot;
  }

  /**
   * The first half of `rbd copy` (librbd creates the destination, then copies into it): an empty
   * image with the source's (or the snapshot's) size, object size and features. ENOENT for a missing
   * snapshot, EEXIST for a taken destination name.
   */
  beginCopy(source: SimImage, snapshotName: string | undefined, destPool: string, destNamespace: string, destName: string): { image: SimImage; data: Map<number, number> } {
    let size = source.size;
    let data = source.written;
    if (snapshotName !== undefined) {
      const snapshot = source.snapshots.find((candidate) => candidate.name === snapshotName);
      if (!snapshot) throw new CephErrnoError(2, `RBD image not found (error setting image b'${source.name}' to snapshot b'${snapshotName}')`, 'rbd');
      size = snapshot.size;
      data = snapshot.written;
    }
    const copyError = `error copying image b'${source.name}' to b'${destName}'`;
    const images = this.openPool(destPool).namespaces.get(destNamespace);
    if (!images) throw new CephErrnoError(2, `RBD image not found (${copyError})`, 'rbd');
    if (images.has(destName)) throw new CephErrnoError(17, `RBD image already exists (${copyError})`, 'rbd');
    const image = this.createImage(destPool, destNamespace, destName, size, source.objectSize, source.features);
    return { image, data: new Map(data) };
  }

  /** The second half of `rbd copy`: the data is in the destination. */
  finishCopy(image: SimImage, data: Map<number, number>): void {
    image.written = data;
    image.dirty = new Set(data.keys());
  }

  /** `rbd rename` within a pool and namespace: ENOENT for a missing image, EEXIST for a taken name. */
  renameImage(poolName: string, namespace: string, name: string, newName: string): void {
    const images = this.namespaceImages(this.openPool(poolName), namespace);
    const image = images.get(name);
    if (!image) throw new CephErrnoError(2, `RBD image not found (error opening image b'${name}' at snapshot None)`, 'rbd');
    if (newName === name) return;
    if (images.has(newName)) throw new CephErrnoError(17, 'RBD image already exists (error renaming image)', 'rbd');
    images.delete(name);
    image.name = newName;
    images.set(newName, image);
  }

  /** The image, or the `rbd.ImageNotFound` librbd raises when opening it. */
  openImage(poolName: string, namespace: string, name: string, context = `error opening image b'${name}' at snapshot None`): SimImage {
    const pool = this.openPool(poolName);
    const image = pool.namespaces.get(namespace)?.get(name);
    if (!image) throw new CephErrnoError(2, `RBD image not found (${context})`, 'rbd');
    return image;
  }

  findImage(poolName: string, namespace: string, name: string): SimImage | undefined {
    return this.pools.get(poolName)?.namespaces.get(namespace)?.get(name);
  }

  resizeImage(image: SimImage, size: number): void {
    image.size = size;
    for (const [index, end] of image.written) {
      const start = index * image.objectSize;
      if (start >= size) {
        image.written.delete(index);
        image.dirty.delete(index);
      } else if (start + end > size) {
        image.written.set(index, size - start);
        image.dirty.add(index);
      }
    }
  }

  deleteImage(poolName: string, namespace: string, name: string): void {
    this.pools.get(poolName)?.namespaces.get(namespace)?.delete(name);
  }

  /** Writes `length` bytes at `offset` (what a client's I/O would allocate). */
  writeImage(image: SimImage, offset: number, length: number): void {
    if (offset < 0 || length < 0 || offset + length > image.size) {
      throw new RangeError(`write of ${length} bytes at ${offset} is outside the ${image.size}-byte image`);
    }
    let position = offset;
    const end = offset + length;
    while (position < end) {
      const index = Math.floor(position / image.objectSize);
      const objectEnd = Math.min(end, (index + 1) * image.objectSize);
      const within = objectEnd - index * image.objectSize;
      image.written.set(index, Math.max(image.written.get(index) ?? 0, within));
      image.dirty.add(index);
      position = objectEnd;
    }
  }

  /**
   * Used bytes of the image head at object granularity (each allocated object counts whole,
   * clipped to the image end), as fast-diff reports them: the objects written since the last
   * snapshot, so all of them while the image has no snapshot.
   */
  usedBytes(image: SimImage): number {
    return this.objectBytes(image.dirty, image.size, image.objectSize);
  }

  /** Bytes a snapshot added over the previous one, at object granularity. */
  snapshotUsedBytes(image: SimImage, snapshot: SimSnapshot): number {
    return this.objectBytes(snapshot.dirty, snapshot.size, image.objectSize);
  }

  /** The head's and every snapshot's used bytes together (the dashboard's `total_disk_usage`). */
  totalUsedBytes(image: SimImage): number {
    return image.snapshots.reduce((sum, snapshot) => sum + this.snapshotUsedBytes(image, snapshot), this.usedBytes(image));
  }

  private objectBytes(objects: Iterable<number>, size: number, objectSize: number): number {
    let used = 0;
    for (const index of objects) used += Math.max(0, Math.min(objectSize, size - index * objectSize));
    return used;
  }

  /** Bytes actually stored (sum of written extents per object), as RADOS `stored` counts them. */
  storedBytes(image: SimImage): number {
    let stored = 0;
    for (const end of image.written.values()) stored += end;
    return stored;
  }

  hasFastDiff(image: SimImage): boolean {
    return image.features.includes('fast-diff');
  }

  featureBits(features: string[]): number {
    return features.reduce((bits, feature) => bits | (FEATURE_BITS[feature] ?? 0), 0);
  }

  poolStored(pool: SimPool): { stored: number; objects: number } {
    let stored = 0;
    let objects = 0;
    for (const images of pool.namespaces.values()) {
      for (const image of images.values()) {
        stored += this.storedBytes(image);
        // Each image also has a header object; data objects as written.
        objects += image.written.size + 1;
      }
    }
    return { stored, objects };
  }
}

export function randomUuid(): string {
  const hex = randomBytes(16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
