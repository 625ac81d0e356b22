import type { CephDashboardClient } from './dashboard.js';
import type { NamespaceUsage, RbdImage } from './dashboard-types.js';
import { BackendError } from './errors.js';
import type { ImageSpec } from './image-spec.js';

/**
 * What the operator needs from Ceph's block side, on top of the dashboard client: per-agency
 * isolation (an RBD namespace, or a dedicated pool with a quota), raw RBD images for
 * `backend: rbd` volumes, and the bytes they actually use. Names are deterministic so that a retry
 * after a crash finds what an earlier attempt created (the dashboard API of Ceph 16 cannot tag
 * images with the owner's uid).
 */

/** `agency-<tenant>`: the RBD namespace (or dedicated pool) of a tenant. */
export function agencyNamespaceName(tenant: string): string {
  return `agency-${tenant}`;
}

/**
 * The RBD image of a StorageVolume `<namespace>/<name>`: `<namespace>.<name>`. Kubernetes namespaces
 * are DNS labels (no dots), so the first dot separates the two unambiguously.
 */
export function volumeImageName(kubernetesNamespace: string, name: string): string {
  if (kubernetesNamespace.includes('.') || kubernetesNamespace.includes('/') || name.includes('/')) {
    throw new Error(`cannot name an RBD image after ${kubernetesNamespace}/${name}`);
  }
  return `${kubernetesNamespace}.${name}`;
}

export interface AgencyPlacement {
  tenant: string;
  /** The shared RBD pool of the data center's tier. */
  pool: string;
  /** A pool of the agency's own, with a quota, instead of a namespace in the shared pool. */
  dedicatedPool?: { quotaMaxBytes: number; quotaMaxObjects?: number };
}

export interface AgencyLocation {
  pool: string;
  /** '' when the agency has a dedicated pool (its images live in the default namespace). */
  namespace: string;
  created: boolean;
}

export type VolumeAction = 'created' | 'grown' | 'unchanged';

export interface VolumeState {
  image: RbdImage;
  action: VolumeAction;
  /** Set when the image is larger than asked for: volumes only grow, so it is left as it is. */
  largerThanRequested: boolean;
}

export class CephBlockStorage {
  constructor(private readonly dashboard: CephDashboardClient) {}

  /** Creates the agency's namespace, or its dedicated pool with the quota (and corrects a drifted quota). */
  async ensureAgency(placement: AgencyPlacement): Promise<AgencyLocation> {
    const name = agencyNamespaceName(placement.tenant);
    if (!placement.dedicatedPool) {
      const outcome = await this.dashboard.ensureNamespace(placement.pool, name);
      return { pool: placement.pool, namespace: name, created: outcome === 'created' };
    }
    const quota = placement.dedicatedPool;
    const existing = await this.findPool(name);
    if (!existing) {
      await this.dashboard.createPool({
        name,
        applications: ['rbd'],
        quotaMaxBytes: quota.quotaMaxBytes,
        ...(quota.quotaMaxObjects === undefined ? {} : { quotaMaxObjects: quota.quotaMaxObjects }),
      });
      return { pool: name, namespace: '', created: true };
    }
    const wantedObjects = quota.quotaMaxObjects ?? existing.quotaMaxObjects;
    if (existing.quotaMaxBytes !== quota.quotaMaxBytes || existing.quotaMaxObjects !== wantedObjects) {
      await this.dashboard.setPoolQuota(name, { maxBytes: quota.quotaMaxBytes, maxObjects: wantedObjects });
    }
    return { pool: name, namespace: '', created: false };
  }

  /** Creates the image, or grows it to the requested size; never shrinks. */
  async ensureVolume(spec: ImageSpec, sizeBytes: number): Promise<VolumeState> {
    let image = await this.findImage(spec);
    let action: VolumeAction = 'unchanged';
    if (!image) {
      await this.dashboard.createImage({ ...spec, sizeBytes });
      action = 'created';
    } else if (image.sizeBytes < sizeBytes) {
      await this.dashboard.resizeImage(spec, sizeBytes);
      action = 'grown';
    }
    if (action !== 'unchanged') image = await this.dashboard.getImage(spec);
    if (!image) throw new Error(`image ${spec.pool}/${spec.name} vanished after it was written`);
    return { image, action, largerThanRequested: image.sizeBytes > sizeBytes };
  }

  /** Bytes used by the volume (object granularity, as `rbd du`); null without fast-diff. */
  async volumeUsedBytes(spec: ImageSpec): Promise<number | null> {
    return (await this.dashboard.getImage(spec)).usedBytes;
  }

  /** Bytes used by all of an agency's images in one place. */
  async agencyUsage(location: { pool: string; namespace: string }): Promise<NamespaceUsage> {
    return this.dashboard.namespaceUsage(location.pool, location.namespace);
  }

  private async findPool(name: string): Promise<Awaited<ReturnType<CephDashboardClient['getPool']>> | undefined> {
    try {
      return await this.dashboard.getPool(name);
    } catch (error) {
      if (error instanceof BackendError && error.name === 'NotFoundError') return undefined;
      throw error;
    }
  }

  private async findImage(spec: ImageSpec): Promise<RbdImage | undefined> {
    try {
      return await this.dashboard.getImage(spec, { omitUsage: true });
    } catch (error) {
      if (error instanceof BackendError && error.name === 'NotFoundError') return undefined;
      throw error;
    }
  }
}
