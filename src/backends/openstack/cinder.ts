import { BackendError } from '../http/index.js';
import { ServiceClient, waitFor, type WaitOptions } from './service.js';
import type { KeystoneSession } from './session.js';

/** The block-storage microversion the client speaks (Zed supports up to 3.70). */
export const CINDER_MICROVERSION = '3.60';

export interface Volume {
  id: string;
  name: string | null;
  status: string;
  size: number;
  availability_zone: string;
  volume_type: string;
  description: string | null;
  metadata: Record<string, string>;
  encrypted: boolean;
  bootable: string;
  created_at: string;
  'os-vol-tenant-attr:tenant_id': string;
  attachments: unknown[];
}

export interface CreateVolume {
  size: number;
  name: string;
  volume_type?: string;
  availability_zone?: string;
  description?: string;
  metadata?: Record<string, string>;
  snapshot_id?: string;
}

export interface VolumeType {
  id: string;
  name: string;
  description: string | null;
  is_public: boolean;
  extra_specs: Record<string, string>;
}

export interface VolumeTypeEncryption {
  volume_type_id: string;
  encryption_id?: string;
  provider: string;
  cipher: string | null;
  key_size: number | null;
  control_location: 'front-end' | 'back-end';
}

export interface Snapshot {
  id: string;
  name: string | null;
  status: string;
  size: number;
  volume_id: string;
  metadata: Record<string, string>;
  created_at: string;
}

/** Cinder quota keys; per-type keys (`volumes_<type>`, `gigabytes_<type>`) are also accepted. */
export interface CinderQuotaSet {
  volumes: number;
  gigabytes: number;
  snapshots: number;
  backups: number;
  backup_gigabytes: number;
  per_volume_gigabytes: number;
  groups: number;
  [perType: string]: number;
}
export interface CinderQuotaUsage {
  limit: number;
  in_use: number;
  reserved: number;
  allocated?: number;
}

const enc = encodeURIComponent;

/** Cinder v3: volumes, volume types with encryption, snapshots, quota sets with usage. */
export class BlockStorageClient extends ServiceClient {
  constructor(session: KeystoneSession) {
    super(session, 'block-storage', 'cinder', { 'openstack-api-version': `volume ${CINDER_MICROVERSION}` });
  }

  // Volumes
  createVolume(volume: CreateVolume): Promise<Volume> {
    return this.json({ method: 'POST', path: '/volumes', json: { volume } }, 'volume');
  }
  getVolume(id: string): Promise<Volume> {
    return this.json({ method: 'GET', path: `/volumes/${enc(id)}` }, 'volume');
  }
  /**
   * Volumes, by default of the session's project; with `projectId` (admin) of that project.
   * `metadata` filters on all given keys (server side).
   */
  listVolumes(
    filter: { projectId?: string; name?: string; status?: string; metadata?: Record<string, string> } = {},
    pageSize?: number,
  ): Promise<Volume[]> {
    return this.list(
      '/volumes/detail',
      'volumes',
      {
        ...(filter.projectId ? { all_tenants: '1', project_id: filter.projectId } : {}),
        name: filter.name,
        status: filter.status,
        ...(filter.metadata ? { metadata: JSON.stringify(filter.metadata) } : {}),
      },
      pageSize,
    );
  }
  /** Grows a volume; Cinder only extends `available` volumes and never shrinks. */
  async extendVolume(id: string, newSize: number): Promise<void> {
    await this.call({ method: 'POST', path: `/volumes/${enc(id)}/action`, json: { 'os-extend': { new_size: newSize } } });
  }
  async updateVolumeMetadata(id: string, metadata: Record<string, string>): Promise<Record<string, string>> {
    return this.json({ method: 'POST', path: `/volumes/${enc(id)}/metadata`, json: { metadata } }, 'metadata');
  }
  async deleteVolume(id: string, options: { cascade?: boolean } = {}): Promise<void> {
    await this.call({ method: 'DELETE', path: `/volumes/${enc(id)}`, query: { cascade: options.cascade ? 'true' : undefined } });
  }
  /** Polls until `available`; `error*` states fail at once. */
  waitForVolumeAvailable(id: string, options?: WaitOptions): Promise<Volume> {
    return waitFor(
      `volume ${id} available`,
      async () => {
        const v = await this.getVolume(id);
        if (v.status.startsWith('error')) throw new Error(`volume ${id} went to ${v.status}`);
        return v;
      },
      (v) => v.status === 'available',
      (v) => v.status,
      options,
    );
  }
  async waitForVolumeGone(id: string, options?: WaitOptions): Promise<void> {
    await waitFor(
      `volume ${id} deleted`,
      () => this.orUndefined(this.getVolume(id)),
      (v) => v === undefined,
      (v) => v?.status ?? 'gone',
      options,
    );
  }

  // Volume types
  listVolumeTypes(): Promise<VolumeType[]> {
    return this.list('/types', 'volume_types', { is_public: 'None' });
  }
  getVolumeType(id: string): Promise<VolumeType> {
    return this.json({ method: 'GET', path: `/types/${enc(id)}` }, 'volume_type');
  }
  createVolumeType(type: { name: string; description?: string; extra_specs?: Record<string, string>; is_public?: boolean }): Promise<VolumeType> {
    const { is_public, ...rest } = type;
    return this.json(
      { method: 'POST', path: '/types', json: { volume_type: { ...rest, ...(is_public !== undefined ? { 'os-volume-type-access:is_public': is_public } : {}) } } },
      'volume_type',
    );
  }
  async deleteVolumeType(id: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/types/${enc(id)}` });
  }
  /** The encryption of a type, or undefined when it has none (Cinder answers `{}`). */
  async getVolumeTypeEncryption(typeId: string): Promise<VolumeTypeEncryption | undefined> {
    const res = await this.call({ method: 'GET', path: `/types/${enc(typeId)}/encryption` });
    const body = res.body as Partial<VolumeTypeEncryption> | undefined;
    return body && typeof body.provider === 'string' ? (body as VolumeTypeEncryption) : undefined;
  }
  createVolumeTypeEncryption(
    typeId: string,
    encryption: { provider: string; cipher?: string; key_size?: number; control_location: 'front-end' | 'back-end' },
  ): Promise<VolumeTypeEncryption> {
    return this.json({ method: 'POST', path: `/types/${enc(typeId)}/encryption`, json: { encryption } }, 'encryption');
  }
  async deleteVolumeTypeEncryption(typeId: string, encryptionId: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/types/${enc(typeId)}/encryption/${enc(encryptionId)}` });
  }

  // Snapshots
  createSnapshot(snapshot: { volume_id: string; name: string; description?: string; force?: boolean; metadata?: Record<string, string> }): Promise<Snapshot> {
    return this.json({ method: 'POST', path: '/snapshots', json: { snapshot } }, 'snapshot');
  }
  getSnapshot(id: string): Promise<Snapshot> {
    return this.json({ method: 'GET', path: `/snapshots/${enc(id)}` }, 'snapshot');
  }
  listSnapshots(filter: { projectId?: string; volumeId?: string } = {}, pageSize?: number): Promise<Snapshot[]> {
    return this.list(
      '/snapshots/detail',
      'snapshots',
      { ...(filter.projectId ? { all_tenants: '1', project_id: filter.projectId } : {}), volume_id: filter.volumeId },
      pageSize,
    );
  }
  async deleteSnapshot(id: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/snapshots/${enc(id)}` });
  }
  waitForSnapshotAvailable(id: string, options?: WaitOptions): Promise<Snapshot> {
    return waitFor(
      `snapshot ${id} available`,
      async () => {
        const s = await this.getSnapshot(id);
        if (s.status.startsWith('error')) throw new Error(`snapshot ${id} went to ${s.status}`);
        return s;
      },
      (s) => s.status === 'available',
      (s) => s.status,
      options,
    );
  }
  async waitForSnapshotGone(id: string, options?: WaitOptions): Promise<void> {
    await waitFor(`snapshot ${id} deleted`, () => this.orUndefined(this.getSnapshot(id)), (s) => s === undefined, (s) => s?.status ?? 'gone', options);
  }

  // Quotas
  getQuotaSet(projectId: string): Promise<CinderQuotaSet & { id: string }> {
    return this.json({ method: 'GET', path: `/os-quota-sets/${enc(projectId)}` }, 'quota_set');
  }
  async getQuotaUsage(projectId: string): Promise<Record<string, CinderQuotaUsage>> {
    const set = await this.json<Record<string, unknown>>(
      { method: 'GET', path: `/os-quota-sets/${enc(projectId)}`, query: { usage: 'true' } },
      'quota_set',
    );
    const { id: _id, ...rest } = set;
    return rest as Record<string, CinderQuotaUsage>;
  }
  getDefaultQuotaSet(projectId: string): Promise<CinderQuotaSet> {
    return this.json({ method: 'GET', path: `/os-quota-sets/${enc(projectId)}/defaults` }, 'quota_set');
  }
  updateQuotaSet(projectId: string, update: Partial<CinderQuotaSet>): Promise<CinderQuotaSet> {
    return this.json({ method: 'PUT', path: `/os-quota-sets/${enc(projectId)}`, json: { quota_set: update } }, 'quota_set');
  }
  async deleteQuotaSet(projectId: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/os-quota-sets/${enc(projectId)}` });
  }

  private async orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
    try {
      return await p;
    } catch (error) {
      if (error instanceof BackendError && error.kind === 'NotFound') return undefined;
      throw error;
    }
  }
}
