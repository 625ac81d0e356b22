import {
  authOf,
  fail,
  isAdminAuth,
  isDict,
  isoNoZone,
  member,
  paginate,
  Router,
  uuid,
  type AuthContext,
  type SimRequest,
} from './core.js';
import type { RegionContext, RegionalService, RegionalServiceSpec } from './server.js';

const C = 'nova' as const; // cinder shares nova's error body style

export const CINDER_QUOTA_DEFAULTS: Record<string, number> = {
  volumes: 10,
  gigabytes: 1000,
  snapshots: 10,
  backups: 10,
  backup_gigabytes: 1000,
  per_volume_gigabytes: -1,
  groups: 10,
};
const PER_TYPE = ['volumes', 'gigabytes', 'snapshots'] as const;

interface VolumeRec {
  id: string;
  name: string | null;
  description: string | null;
  projectId: string;
  userId: string;
  size: number;
  typeId: string;
  az: string;
  metadata: Record<string, string>;
  status: string;
  createdAt: number;
  updatedAt: number;
  snapshotId: string | null;
}
interface TypeRec {
  id: string;
  name: string;
  description: string | null;
  isPublic: boolean;
  extraSpecs: Record<string, string>;
}
interface EncryptionRec {
  encryption_id: string;
  volume_type_id: string;
  provider: string;
  cipher: string | null;
  key_size: number | null;
  control_location: string;
  created_at: string;
}
interface SnapshotRec {
  id: string;
  name: string | null;
  description: string | null;
  volumeId: string;
  projectId: string;
  size: number;
  typeId: string;
  metadata: Record<string, string>;
  status: string;
  createdAt: number;
}
interface Pending {
  at: number;
  kind: 'volume' | 'snapshot';
  id: string;
  /** The status that started the transition; a stale entry (status moved on) is skipped. */
  from: string;
  size?: number;
}

const AVAILABILITY_ZONES = ['nova'];

/** Cinder v3 in one region: volumes with status transitions, types with encryption, snapshots, quotas. */
export class CinderSim implements RegionalService {
  readonly router = new Router();
  readonly volumes = new Map<string, VolumeRec>();
  readonly types = new Map<string, TypeRec>();
  readonly encryption = new Map<string, EncryptionRec>();
  readonly snapshots = new Map<string, SnapshotRec>();
  readonly quotas = new Map<string, Record<string, number>>();
  /** Usage counters per project and quota key, kept incrementally so creates stay O(1). */
  private readonly usage = new Map<string, Map<string, number>>();
  private readonly pending: Pending[] = [];
  private pendingHead = 0;
  private readonly ctx: RegionContext;
  private readonly transitionMs: number;
  readonly defaultTypeId: string;

  constructor(ctx: RegionContext) {
    this.ctx = ctx;
    this.transitionMs = ctx.options.transitionMs ?? 50;
    this.defaultTypeId = this.addType('__DEFAULT__', 'Default Volume Type').id;
    this.addType('standard', null);
    this.routes();
  }

  private addType(name: string, description: string | null): TypeRec {
    const t = { id: uuid(), name, description, isPublic: true, extraSpecs: {} };
    this.types.set(t.id, t);
    return t;
  }

  private now(): number {
    return this.ctx.clock.now();
  }

  /** Applies every transition that is due (creating/extending -> available, deleting -> gone). */
  settle(): void {
    const now = this.now();
    while (this.pendingHead < this.pending.length) {
      const p = this.pending[this.pendingHead] as Pending;
      if (p.at > now) break;
      this.pendingHead++;
      if (p.kind === 'volume') {
        const v = this.volumes.get(p.id);
        if (!v || v.status !== p.from) continue;
        v.updatedAt = p.at;
        if (p.from === 'deleting') {
          this.volumes.delete(v.id);
          this.use(v.projectId, v.typeId, 'volumes', -1);
          this.use(v.projectId, v.typeId, 'gigabytes', -v.size);
        } else if (p.from === 'extending') {
          v.size = p.size ?? v.size;
          v.status = 'available';
        } else v.status = 'available';
      } else {
        const s = this.snapshots.get(p.id);
        if (!s || s.status !== p.from) continue;
        if (p.from === 'deleting') {
          this.snapshots.delete(s.id);
          this.use(s.projectId, s.typeId, 'snapshots', -1);
          this.use(s.projectId, s.typeId, 'gigabytes', -s.size);
        } else s.status = 'available';
      }
    }
    if (this.pendingHead > 1024 && this.pendingHead * 2 > this.pending.length) {
      this.pending.splice(0, this.pendingHead);
      this.pendingHead = 0;
    }
  }

  private schedule(p: Omit<Pending, 'at'>): void {
    this.pending.push({ ...p, at: this.now() + this.transitionMs });
  }

  private use(projectId: string, typeId: string, key: string, delta: number): void {
    let m = this.usage.get(projectId);
    if (!m) this.usage.set(projectId, (m = new Map()));
    const typeName = this.types.get(typeId)?.name;
    m.set(key, (m.get(key) ?? 0) + delta);
    if (typeName) m.set(`${key}_${typeName}`, (m.get(`${key}_${typeName}`) ?? 0) + delta);
  }

  usedOf(projectId: string, key: string): number {
    return this.usage.get(projectId)?.get(key) ?? 0;
  }

  limitsOf(projectId: string): Record<string, number> {
    const out: Record<string, number> = { ...CINDER_QUOTA_DEFAULTS };
    for (const t of this.types.values()) for (const k of PER_TYPE) out[`${k}_${t.name}`] = -1;
    return { ...out, ...this.quotas.get(projectId) };
  }

  /** Raises cinder's 413 when adding `counts` (key -> delta) would exceed a limit. */
  private checkQuota(projectId: string, typeName: string, count: { volumes?: number; snapshots?: number; gigabytes: number }): void {
    const limits = this.limitsOf(projectId);
    for (const key of ['volumes', 'snapshots'] as const) {
      const delta = count[key];
      if (!delta) continue;
      for (const name of [key, `${key}_${typeName}`]) {
        const limit = limits[name] ?? -1;
        if (limit !== -1 && this.usedOf(projectId, name) + delta > limit) {
          const what = key === 'volumes' ? 'VolumeLimitExceeded: Maximum number of volumes' : 'SnapshotLimitExceeded: Maximum number of snapshots';
          throw this.overLimit(`${what} allowed (${limit}) exceeded for quota '${name}'.`);
        }
      }
    }
    for (const name of ['gigabytes', `gigabytes_${typeName}`]) {
      const limit = limits[name] ?? -1;
      const used = this.usedOf(projectId, name);
      if (limit !== -1 && used + count.gigabytes > limit) {
        throw this.overLimit(
          `VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed ${name} quota. Requested ${count.gigabytes}G, quota is ${limit}G and ${used}G has been consumed.`,
        );
      }
    }
  }

  private overLimit(message: string) {
    const e = fail(C, 413, message);
    (e.body as { overLimit: Record<string, unknown> }).overLimit.retryAfter = '0';
    return e;
  }

  private findType(ref: string): TypeRec | undefined {
    return this.types.get(ref) ?? [...this.types.values()].find((t) => t.name === ref);
  }

  private volumeOr404(auth: AuthContext, id: string): VolumeRec {
    const v = this.volumes.get(id);
    if (!v || (v.projectId !== auth.projectId && !isAdminAuth(auth))) throw fail(C, 404, `Volume ${id} could not be found.`);
    return v;
  }

  private snapshotOr404(auth: AuthContext, id: string): SnapshotRec {
    const s = this.snapshots.get(id);
    if (!s || (s.projectId !== auth.projectId && !isAdminAuth(auth))) throw fail(C, 404, `Snapshot ${id} could not be found.`);
    return s;
  }

  /** The create response lacks the admin attributes that GET shows. */
  private createdVolumeJson(req: SimRequest, projectPath: string, v: VolumeRec) {
    const {
      'os-vol-tenant-attr:tenant_id': _t,
      'os-vol-host-attr:host': _h,
      'os-vol-mig-status-attr:migstat': _m,
      'os-vol-mig-status-attr:name_id': _n,
      ...rest
    } = this.volumeJson(req, projectPath, v);
    return rest;
  }

  private volumeJson(req: SimRequest, projectPath: string, v: VolumeRec) {
    const type = this.types.get(v.typeId);
    return {
      id: v.id,
      name: v.name,
      description: v.description,
      status: v.status,
      size: v.size,
      availability_zone: v.az,
      created_at: isoNoZone(v.createdAt),
      updated_at: isoNoZone(v.updatedAt),
      volume_type: type?.name ?? null,
      snapshot_id: v.snapshotId,
      source_volid: null,
      metadata: v.metadata,
      links: [{ rel: 'self', href: `${req.baseUrl}/${this.ctx.region}/volume/v3/${projectPath}/volumes/${v.id}` }],
      user_id: v.userId,
      bootable: 'false',
      encrypted: this.encryption.has(v.typeId),
      replication_status: null,
      consistencygroup_id: null,
      multiattach: false,
      attachments: [],
      migration_status: null,
      group_id: null,
      provider_id: null,
      service_uuid: v.status === 'creating' ? null : 'sim-volume-service',
      shared_targets: true,
      'os-vol-tenant-attr:tenant_id': v.projectId,
      'os-vol-host-attr:host': v.status === 'creating' ? null : 'sim@fake#fake',
      'os-vol-mig-status-attr:migstat': null,
      'os-vol-mig-status-attr:name_id': null,
    };
  }

  private typeJson(t: TypeRec) {
    return {
      id: t.id,
      name: t.name,
      description: t.description,
      is_public: t.isPublic,
      extra_specs: t.extraSpecs,
      'os-volume-type-access:is_public': t.isPublic,
    };
  }

  private snapshotJson(s: SnapshotRec) {
    return {
      id: s.id,
      name: s.name,
      description: s.description,
      status: s.status,
      size: s.size,
      volume_id: s.volumeId,
      metadata: s.metadata,
      created_at: isoNoZone(s.createdAt),
      updated_at: null,
      'os-extended-snapshot-attributes:project_id': s.projectId,
      'os-extended-snapshot-attributes:progress': s.status === 'available' ? '100%' : '0%',
      group_snapshot_id: null,
      user_id: 'sim',
    };
  }

  private requireAdmin(auth: AuthContext, action: string): void {
    if (!isAdminAuth(auth)) throw fail(C, 403, `Policy doesn't allow ${action} to be performed.`);
  }

  private stringMap(value: unknown, field: string): Record<string, string> {
    if (value === undefined || value === null) return {};
    if (!isDict(value)) throw fail(C, 400, `Invalid input for field/attribute ${field}.`);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
  }

  private metadataFilter(text: string | null): Record<string, string> | undefined {
    if (text === null) return undefined;
    try {
      return this.stringMap(JSON.parse(text.replace(/'/g, '"')), 'metadata');
    } catch {
      throw fail(C, 400, `Invalid filter value for metadata: ${text}`);
    }
  }

  private routes(): void {
    const r = this.router;
    const base = '/v3/:project';

    // The version document real Cinder (Zed) serves at /v3/, without authentication.
    r.add('GET', '/v3/', () => ({
      status: 200,
      body: {
        versions: [
          {
            id: 'v3.0',
            status: 'CURRENT',
            version: '3.70',
            min_version: '3.0',
            updated: '2023-08-31T00:00:00Z',
            links: [{ rel: 'describedby', type: 'text/html', href: 'https://docs.openstack.org/' }],
            'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' }],
          },
        ],
      },
    }));
    const listVolumes = (req: SimRequest, p: Record<string, string>) => {
      this.settle();
      const auth = authOf(req);
      const q = req.query;
      const all = q.get('all_tenants') !== null && isAdminAuth(auth);
      const project = all ? q.get('project_id') : auth.projectId;
      const meta = this.metadataFilter(q.get('metadata'));
      const list = [...this.volumes.values()]
        .filter(
          (v) =>
            (project === null || v.projectId === project) &&
            (q.get('name') === null || v.name === q.get('name')) &&
            (q.get('status') === null || v.status === q.get('status')) &&
            (!meta || Object.entries(meta).every(([k, val]) => v.metadata[k] === val)),
        )
        .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1))
        .map((v) => this.volumeJson(req, p.project ?? '', v));
      return { status: 200, body: paginate(list, q, `${req.baseUrl}/${this.ctx.region}/volume/v3/${p.project}${req.path.slice(req.path.indexOf('/volumes'))}`, 'volumes', C) };
    };
    r.add('GET', `${base}/volumes/detail`, listVolumes);
    r.add('GET', `${base}/volumes`, listVolumes);
    r.add('POST', `${base}/volumes`, (req, p) => {
      this.settle();
      const auth = authOf(req);
      const body = member(C, req.body, 'volume');
      const size = Number(body.size);
      if (!Number.isInteger(size) || size < 1) {
        throw fail(C, 400, `Invalid input received: Volume size '${String(body.size)}' must be an integer and greater than 0.`);
      }
      const typeRef = typeof body.volume_type === 'string' ? body.volume_type : this.defaultTypeId;
      const type = this.findType(typeRef);
      if (!type) throw fail(C, 404, `Volume type with name ${typeRef} could not be found.`);
      const az = typeof body.availability_zone === 'string' ? body.availability_zone : 'nova';
      if (!AVAILABILITY_ZONES.includes(az)) throw fail(C, 400, `Availability zone '${az}' is invalid.`);
      const projectId = auth.projectId ?? '';
      const perVolume = this.limitsOf(projectId).per_volume_gigabytes ?? -1;
      if (perVolume !== -1 && size > perVolume) {
        throw this.overLimit(`VolumeSizeExceedsLimit: Requested volume size ${size}G is larger than maximum allowed limit ${perVolume}G.`);
      }
      this.checkQuota(projectId, type.name, { volumes: 1, gigabytes: size });
      const now = this.now();
      const v: VolumeRec = {
        id: uuid(),
        name: typeof body.name === 'string' ? body.name : null,
        description: typeof body.description === 'string' ? body.description : null,
        projectId,
        userId: auth.userId,
        size,
        typeId: type.id,
        az,
        metadata: this.stringMap(body.metadata, 'metadata'),
        status: 'creating',
        createdAt: now,
        updatedAt: now,
        snapshotId: typeof body.snapshot_id === 'string' ? body.snapshot_id : null,
      };
      this.volumes.set(v.id, v);
      this.use(projectId, type.id, 'volumes', 1);
      this.use(projectId, type.id, 'gigabytes', size);
      this.schedule({ kind: 'volume', id: v.id, from: 'creating' });
      return { status: 202, body: { volume: this.createdVolumeJson(req, p.project ?? '', v) } };
    });
    r.add('GET', `${base}/volumes/:id`, (req, p) => {
      this.settle();
      return { status: 200, body: { volume: this.volumeJson(req, p.project ?? '', this.volumeOr404(authOf(req), p.id ?? '')) } };
    });
    r.add('POST', `${base}/volumes/:id/metadata`, (req, p) => {
      this.settle();
      const v = this.volumeOr404(authOf(req), p.id ?? '');
      v.metadata = { ...v.metadata, ...this.stringMap(isDict(req.body) ? req.body.metadata : undefined, 'metadata') };
      return { status: 200, body: { metadata: v.metadata } };
    });
    r.add('POST', `${base}/volumes/:id/action`, (req, p) => {
      this.settle();
      const v = this.volumeOr404(authOf(req), p.id ?? '');
      const body = isDict(req.body) ? req.body : {};
      const extend = body['os-extend'];
      if (!isDict(extend)) throw fail(C, 400, 'There is no such action: ' + Object.keys(body).join(','));
      const newSize = Number(extend.new_size);
      if (!Number.isInteger(newSize)) throw fail(C, 400, `Invalid input for field/attribute new_size. Value: ${String(extend.new_size)}.`);
      if (v.status !== 'available') {
        throw fail(C, 400, `Invalid volume: Volume ${v.id} status must be '{'status': 'available'}' to extend, currently ${v.status}.`);
      }
      if (newSize <= v.size) {
        throw fail(C, 400, `Invalid input received: New size for extend must be greater than current size. (current: ${v.size}, extended: ${newSize}).`);
      }
      const type = this.types.get(v.typeId);
      this.checkQuota(v.projectId, type?.name ?? '', { gigabytes: newSize - v.size });
      this.use(v.projectId, v.typeId, 'gigabytes', newSize - v.size);
      v.status = 'extending';
      v.updatedAt = this.now();
      this.schedule({ kind: 'volume', id: v.id, from: 'extending', size: newSize });
      return { status: 202 };
    });
    r.add('DELETE', `${base}/volumes/:id`, (req, p) => {
      this.settle();
      const v = this.volumeOr404(authOf(req), p.id ?? '');
      const cascade = req.query.get('cascade') === 'true';
      const snaps = [...this.snapshots.values()].filter((s) => s.volumeId === v.id);
      if (!['available', 'error', 'error_restoring', 'error_extending', 'error_managing'].includes(v.status) || (snaps.length > 0 && !cascade)) {
        throw fail(
          C,
          400,
          'Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.',
        );
      }
      for (const s of snaps) {
        this.snapshots.delete(s.id);
        this.use(s.projectId, s.typeId, 'snapshots', -1);
        this.use(s.projectId, s.typeId, 'gigabytes', -s.size);
      }
      v.status = 'deleting';
      v.updatedAt = this.now();
      this.schedule({ kind: 'volume', id: v.id, from: 'deleting' });
      return { status: 202 };
    });

    // Types
    r.add('GET', `${base}/types`, () => ({ status: 200, body: { volume_types: [...this.types.values()].map((t) => this.typeJson(t)) } }));
    r.add('GET', `${base}/types/:id`, (req, p) => {
      const t = this.types.get(p.id ?? '');
      if (!t) throw fail(C, 404, `Volume type ${p.id} could not be found.`);
      return { status: 200, body: { volume_type: this.typeJson(t) } };
    });
    r.add('POST', `${base}/types`, (req) => {
      this.requireAdmin(authOf(req), 'volume_extension:types_manage');
      const body = member(C, req.body, 'volume_type');
      const name = body.name;
      if (typeof name !== 'string' || !name.trim() || name.length > 255) throw fail(C, 400, 'Volume type name can not be empty.');
      if ([...this.types.values()].some((t) => t.name === name)) throw fail(C, 409, `Volume Type ${name} already exists.`);
      const t: TypeRec = {
        id: uuid(),
        name,
        description: typeof body.description === 'string' ? body.description : null,
        isPublic: body['os-volume-type-access:is_public'] !== false,
        extraSpecs: this.stringMap(body.extra_specs, 'extra_specs'),
      };
      this.types.set(t.id, t);
      return { status: 200, body: { volume_type: this.typeJson(t) } };
    });
    r.add('DELETE', `${base}/types/:id`, (req, p) => {
      this.settle();
      this.requireAdmin(authOf(req), 'volume_extension:types_manage');
      const t = this.types.get(p.id ?? '');
      if (!t) throw fail(C, 404, `Volume type ${p.id} could not be found.`);
      if ([...this.volumes.values()].some((v) => v.typeId === t.id)) throw fail(C, 400, 'Target volume type is still in use.');
      this.types.delete(t.id);
      this.encryption.delete(t.id);
      return { status: 202 };
    });
    r.add('GET', `${base}/types/:id/encryption`, (req, p) => {
      if (!this.types.has(p.id ?? '')) throw fail(C, 404, `Volume type ${p.id} could not be found.`);
      const e = this.encryption.get(p.id ?? '');
      return { status: 200, body: e ? { ...e, deleted: false, deleted_at: null, updated_at: null } : {} };
    });
    r.add('POST', `${base}/types/:id/encryption`, (req, p) => {
      this.requireAdmin(authOf(req), 'volume_extension:volume_type_encryption:create');
      const t = this.types.get(p.id ?? '');
      if (!t) throw fail(C, 404, `Volume type ${p.id} could not be found.`);
      if (this.encryption.has(t.id)) throw fail(C, 400, `Volume type encryption for type ${t.id} already exists.`);
      const body = member(C, req.body, 'encryption');
      const location = body.control_location ?? 'front-end';
      if (typeof body.provider !== 'string' || !body.provider || (location !== 'front-end' && location !== 'back-end')) {
        throw fail(C, 400, `Invalid input for field/attribute encryption. Value: ${JSON.stringify(body)}.`);
      }
      const e: EncryptionRec = {
        encryption_id: uuid(),
        volume_type_id: t.id,
        provider: body.provider,
        cipher: typeof body.cipher === 'string' ? body.cipher : null,
        key_size: typeof body.key_size === 'number' ? body.key_size : null,
        control_location: location,
        created_at: isoNoZone(this.now()),
      };
      this.encryption.set(t.id, e);
      const { created_at: _c, ...shown } = e;
      return { status: 200, body: { encryption: shown } };
    });
    r.add('DELETE', `${base}/types/:id/encryption/:enc`, (req, p) => {
      this.requireAdmin(authOf(req), 'volume_extension:volume_type_encryption:delete');
      const e = this.encryption.get(p.id ?? '');
      if (!e || e.encryption_id !== p.enc) throw fail(C, 404, `Volume type encryption for type ${p.id} does not exist.`);
      this.encryption.delete(p.id ?? '');
      return { status: 202 };
    });

    // Snapshots
    const listSnapshots = (req: SimRequest, p: Record<string, string>) => {
      this.settle();
      const auth = authOf(req);
      const q = req.query;
      const all = q.get('all_tenants') !== null && isAdminAuth(auth);
      const project = all ? q.get('project_id') : auth.projectId;
      const list = [...this.snapshots.values()]
        .filter((s) => (project === null || s.projectId === project) && (q.get('volume_id') === null || s.volumeId === q.get('volume_id')))
        .sort((a, b) => b.createdAt - a.createdAt)
        .map((s) => this.snapshotJson(s));
      return { status: 200, body: paginate(list, q, `${req.baseUrl}/${this.ctx.region}/volume/v3/${p.project}/snapshots/detail`, 'snapshots', C) };
    };
    r.add('GET', `${base}/snapshots/detail`, listSnapshots);
    r.add('GET', `${base}/snapshots`, listSnapshots);
    r.add('POST', `${base}/snapshots`, (req) => {
      this.settle();
      const auth = authOf(req);
      const body = member(C, req.body, 'snapshot');
      const v = this.volumeOr404(auth, String(body.volume_id ?? ''));
      if (v.status !== 'available' && !(v.status === 'in-use' && body.force === true)) {
        throw fail(C, 400, `Invalid volume: Volume ${v.id} status must be available, but current status is: ${v.status}.`);
      }
      const type = this.types.get(v.typeId);
      this.checkQuota(v.projectId, type?.name ?? '', { snapshots: 1, gigabytes: v.size });
      const s: SnapshotRec = {
        id: uuid(),
        name: typeof body.name === 'string' ? body.name : null,
        description: typeof body.description === 'string' ? body.description : null,
        volumeId: v.id,
        projectId: v.projectId,
        size: v.size,
        typeId: v.typeId,
        metadata: this.stringMap(body.metadata, 'metadata'),
        status: 'creating',
        createdAt: this.now(),
      };
      this.snapshots.set(s.id, s);
      this.use(s.projectId, s.typeId, 'snapshots', 1);
      this.use(s.projectId, s.typeId, 'gigabytes', s.size);
      this.schedule({ kind: 'snapshot', id: s.id, from: 'creating' });
      return { status: 202, body: { snapshot: this.snapshotJson(s) } };
    });
    r.add('GET', `${base}/snapshots/:id`, (req, p) => {
      this.settle();
      return { status: 200, body: { snapshot: this.snapshotJson(this.snapshotOr404(authOf(req), p.id ?? '')) } };
    });
    r.add('DELETE', `${base}/snapshots/:id`, (req, p) => {
      this.settle();
      const s = this.snapshotOr404(authOf(req), p.id ?? '');
      if (!['available', 'error'].includes(s.status)) throw fail(C, 400, 'Invalid snapshot: Snapshot status must be available or error and must not be part of a group.');
      s.status = 'deleting';
      this.schedule({ kind: 'snapshot', id: s.id, from: 'deleting' });
      return { status: 202 };
    });

    // Quotas
    r.add('GET', `${base}/os-quota-sets/:id`, (req, p) => {
      this.settle();
      this.requireAdmin(authOf(req), 'volume_extension:quotas:show');
      const id = p.id ?? '';
      const limits = this.limitsOf(id);
      if (req.query.get('usage') === 'true' || req.query.get('usage') === 'True') {
        const detail = Object.fromEntries(
          Object.entries(limits).map(([k, limit]) => [k, k === 'per_volume_gigabytes' ? { limit, in_use: 0, reserved: 0 } : { limit, in_use: this.usedOf(id, k), reserved: 0, allocated: 0 }]),
        );
        return { status: 200, body: { quota_set: { id, ...detail } } };
      }
      return { status: 200, body: { quota_set: { id, ...limits } } };
    });
    r.add('GET', `${base}/os-quota-sets/:id/defaults`, (_req, p) => {
      const defaults = { ...this.limitsOf('\u0000defaults') };
      return { status: 200, body: { quota_set: { id: p.id, ...defaults } } };
    });
    r.add('PUT', `${base}/os-quota-sets/:id`, (req, p) => {
      this.requireAdmin(authOf(req), 'volume_extension:quotas:update');
      const id = p.id ?? '';
      const body = member(C, req.body, 'quota_set');
      const limits = this.limitsOf(id);
      const update: Record<string, number> = {};
      for (const [key, raw] of Object.entries(body)) {
        if (key === 'skip_validation') continue;
        if (!(key in limits)) throw fail(C, 400, `Bad key(s) in quota set: ${key}`);
        const value = Number(raw);
        if (!Number.isInteger(value) || value < -1) {
          throw fail(C, 400, `Invalid input received: Quota limit ${String(raw)} for ${key} must be an integer greater than or equal to -1.`);
        }
        update[key] = value;
      }
      this.quotas.set(id, { ...this.quotas.get(id), ...update });
      return { status: 200, body: { quota_set: this.limitsOf(id) } };
    });
    r.add('DELETE', `${base}/os-quota-sets/:id`, (req, p) => {
      this.requireAdmin(authOf(req), 'volume_extension:quotas:delete');
      this.quotas.delete(p.id ?? '');
      return { status: 200 };
    });
  }
}

export const cinderSpec: RegionalServiceSpec = {
  prefix: 'volume',
  name: 'cinder',
  style: 'nova',
  catalog: { type: 'volumev3', name: 'cinderv3', path: '/v3/{project_id}' },
  create: (ctx) => new CinderSim(ctx),
  headers: (req) => {
    const asked = req.headers['openstack-api-version'];
    const version = typeof asked === 'string' && /^volume 3\.\d+$/.test(asked) ? asked.slice(7) : '3.0';
    return { 'openstack-api-version': `volume ${version}`, vary: 'OpenStack-API-Version' };
  },
};
