import {
  authOf,
  fail,
  isAdminAuth,
  isDict,
  isoNoZone,
  isoSeconds,
  member,
  paginate,
  Router,
  uuid,
  type AuthContext,
  type SimRequest,
} from './core.js';
import type { RegionContext, RegionalService, RegionalServiceSpec } from './server.js';

const N = 'nova' as const;

export const NOVA_QUOTA_DEFAULTS = {
  cores: 20,
  instances: 10,
  key_pairs: 100,
  metadata_items: 128,
  ram: 51200,
  server_groups: 10,
  server_group_members: 10,
};
type QuotaKey = keyof typeof NOVA_QUOTA_DEFAULTS;
const QUOTA_KEYS = Object.keys(NOVA_QUOTA_DEFAULTS) as QuotaKey[];

interface FlavorRec {
  id: string;
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
  ephemeral: number;
  isPublic: boolean;
}
interface ServerRec {
  id: string;
  name: string;
  projectId: string;
  userId: string;
  flavor: FlavorRec;
  imageId: string;
  metadata: Record<string, string>;
  createdAt: number;
  launchedAt: number;
  deletedAt: number | undefined;
}
interface ServerGroupRec {
  id: string;
  name: string;
  policy: string;
  projectId: string;
  userId: string;
}

export const SIM_IMAGE_ID = '8a2c0d45-6d1e-4b9a-9f3e-0c0ffee00001';

/** Nova v2.1 in one region: quota sets with enforcement, limits, simple tenant usage, flavors, servers. */
export class NovaSim implements RegionalService {
  readonly router = new Router();
  readonly quotas = new Map<string, Partial<Record<QuotaKey, number>>>();
  readonly flavors = new Map<string, FlavorRec>();
  readonly servers = new Map<string, ServerRec>();
  readonly serverGroups = new Map<string, ServerGroupRec>();
  private readonly ctx: RegionContext;
  private readonly buildMs: number;

  constructor(ctx: RegionContext) {
    this.ctx = ctx;
    this.buildMs = ctx.options.transitionMs ?? 50;
    for (const [id, name, vcpus, ram, disk] of [
      ['1', 'm1.tiny', 1, 512, 1],
      ['2', 'm1.small', 1, 2048, 20],
      ['3', 'm1.medium', 2, 4096, 40],
    ] as const) {
      this.flavors.set(id, { id, name, vcpus, ram, disk, ephemeral: 0, isPublic: true });
    }
    this.routes();
  }

  limitsOf(projectId: string): Record<QuotaKey, number> {
    return { ...NOVA_QUOTA_DEFAULTS, ...this.quotas.get(projectId) };
  }

  usageOf(projectId: string): Record<QuotaKey, number> {
    const live = [...this.servers.values()].filter((s) => s.projectId === projectId && s.deletedAt === undefined);
    return {
      cores: live.reduce((n, s) => n + s.flavor.vcpus, 0),
      instances: live.length,
      ram: live.reduce((n, s) => n + s.flavor.ram, 0),
      key_pairs: 0,
      metadata_items: 0,
      server_groups: [...this.serverGroups.values()].filter((g) => g.projectId === projectId).length,
      server_group_members: 0,
    };
  }

  private now(): number {
    return this.ctx.clock.now();
  }

  private requireAdmin(auth: AuthContext, action: string): void {
    if (!isAdminAuth(auth)) throw fail(N, 403, `Policy doesn't allow ${action} to be performed.`);
  }

  private requireProject(id: string): void {
    if (!this.ctx.keystone.projectExists(id)) throw fail(N, 400, `Project ID ${id} is not a valid project.`);
  }

  private quotaSet(projectId: string) {
    return { id: projectId, ...this.limitsOf(projectId) };
  }

  private serverJson(req: SimRequest, s: ServerRec) {
    const building = this.now() < s.launchedAt;
    const status = s.deletedAt !== undefined ? 'DELETED' : building ? 'BUILD' : 'ACTIVE';
    return {
      id: s.id,
      name: s.name,
      status,
      tenant_id: s.projectId,
      user_id: s.userId,
      metadata: s.metadata,
      hostId: '',
      image: { id: s.imageId, links: [] },
      flavor: { vcpus: s.flavor.vcpus, ram: s.flavor.ram, disk: s.flavor.disk, ephemeral: s.flavor.ephemeral, swap: 0, original_name: s.flavor.name, extra_specs: {} },
      created: isoSeconds(s.createdAt) + 'Z',
      updated: isoSeconds(Math.min(this.now(), s.launchedAt)) + 'Z',
      addresses: {},
      accessIPv4: '',
      accessIPv6: '',
      links: [{ rel: 'self', href: `${req.baseUrl}/${this.ctx.region}/compute/v2.1/servers/${s.id}` }],
      'OS-DCF:diskConfig': 'MANUAL',
      'OS-EXT-AZ:availability_zone': building ? '' : 'nova',
      'OS-EXT-STS:power_state': building ? 0 : 1,
      'OS-EXT-STS:task_state': building ? 'spawning' : null,
      'OS-EXT-STS:vm_state': building ? 'building' : 'active',
      'OS-SRV-USG:launched_at': building ? null : isoNoZone(s.launchedAt),
      'OS-SRV-USG:terminated_at': null,
      config_drive: '',
      key_name: null,
      locked: false,
      description: null,
      tags: [],
      'os-extended-volumes:volumes_attached': [],
      'OS-EXT-SRV-ATTR:host': building ? null : 'sim-compute',
      'OS-EXT-SRV-ATTR:hostname': s.name,
      'OS-EXT-SRV-ATTR:hypervisor_hostname': building ? null : 'sim-compute',
      'OS-EXT-SRV-ATTR:instance_name': `instance-${s.id.slice(0, 8)}`,
      'OS-EXT-SRV-ATTR:kernel_id': '',
      'OS-EXT-SRV-ATTR:launch_index': 0,
      'OS-EXT-SRV-ATTR:ramdisk_id': '',
      'OS-EXT-SRV-ATTR:reservation_id': `r-${s.id.slice(0, 8)}`,
      'OS-EXT-SRV-ATTR:root_device_name': building ? null : '/dev/vda',
      'OS-EXT-SRV-ATTR:user_data': null,
      host_status: building ? '' : 'UP',
      locked_reason: null,
      progress: 0,
      server_groups: [],
      trusted_image_certificates: null,
    };
  }

  private flavorJson(req: SimRequest, f: FlavorRec) {
    return {
      id: f.id,
      name: f.name,
      ram: f.ram,
      disk: f.disk,
      swap: 0,
      vcpus: f.vcpus,
      rxtx_factor: 1.0,
      description: null,
      extra_specs: {},
      'OS-FLV-EXT-DATA:ephemeral': f.ephemeral,
      'OS-FLV-DISABLED:disabled': false,
      'os-flavor-access:is_public': f.isPublic,
      links: [{ rel: 'self', href: `${req.baseUrl}/${this.ctx.region}/compute/v2.1/flavors/${f.id}` }],
    };
  }

  private groupJson(g: ServerGroupRec) {
    const members = [...this.servers.values()].filter((s) => s.deletedAt === undefined && s.metadata['sim:group'] === g.id).map((s) => s.id);
    return { id: g.id, name: g.name, policy: g.policy, rules: {}, members, project_id: g.projectId, user_id: g.userId };
  }

  private parseTime(text: string | null, field: string): number {
    if (text === null) return this.now();
    const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?$/.exec(text);
    if (!m) throw fail(N, 400, `Invalid input received: Datetime is in invalid format for ${field}: ${text}`);
    return Date.parse(`${m[1]}T${m[2]}${m[3] ? m[3].slice(0, 4) : ''}Z`);
  }

  private routes(): void {
    const r = this.router;
    const base = '/v2.1';

    // The version document real Nova (Zed) serves, without authentication.
    const versionDocument = () => ({
      status: 200,
      body: {
        version: {
          id: 'v2.1',
          status: 'CURRENT',
          version: '2.93',
          min_version: '2.1',
          updated: '2013-07-23T11:33:21Z',
          links: [{ rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' }],
          'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }],
        },
      },
    });
    r.add('GET', base, versionDocument);
    r.add('GET', `${base}/`, versionDocument);

    r.add('GET', `${base}/os-quota-sets/:id`, (req, p) => {
      this.requireAdmin(authOf(req), 'os_compute_api:os-quota-sets:show');
      return { status: 200, body: { quota_set: this.quotaSet(p.id ?? '') } };
    });
    r.add('GET', `${base}/os-quota-sets/:id/detail`, (req, p) => {
      this.requireAdmin(authOf(req), 'os_compute_api:os-quota-sets:detail');
      const id = p.id ?? '';
      const limits = this.limitsOf(id);
      const used = this.usageOf(id);
      const detail = Object.fromEntries(QUOTA_KEYS.map((k) => [k, { in_use: used[k], limit: limits[k], reserved: 0 }]));
      return { status: 200, body: { quota_set: { id, ...detail } } };
    });
    r.add('GET', `${base}/os-quota-sets/:id/defaults`, (req, p) => ({
      status: 200,
      body: { quota_set: { id: p.id, ...NOVA_QUOTA_DEFAULTS } },
    }));
    r.add('PUT', `${base}/os-quota-sets/:id`, (req, p) => {
      this.requireAdmin(authOf(req), 'os_compute_api:os-quota-sets:update');
      const id = p.id ?? '';
      this.requireProject(id);
      const body = member(N, req.body, 'quota_set');
      const force = body.force === true || body.force === 'True' || body.force === 'true';
      const used = this.usageOf(id);
      const update: Partial<Record<QuotaKey, number>> = {};
      for (const [key, raw] of Object.entries(body)) {
        if (key === 'force') continue;
        if (!(QUOTA_KEYS as string[]).includes(key)) {
          throw fail(N, 400, `Invalid input for field/attribute quota_set. Value: ${JSON.stringify(body)}. Additional properties are not allowed ('${key}' was unexpected)`);
        }
        const value = typeof raw === 'string' ? Number(raw) : raw;
        if (typeof value !== 'number' || !Number.isInteger(value) || value < -1) {
          throw fail(N, 400, `Invalid input for field/attribute ${key}. Value: ${String(raw)}. ${String(raw)} is not valid under any of the given schemas`);
        }
        if (!force && value !== -1 && value < used[key as QuotaKey]) {
          throw fail(N, 400, `Quota limit ${value} for ${key} must be greater than or equal to already used and reserved ${used[key as QuotaKey]}.`);
        }
        update[key as QuotaKey] = value;
      }
      this.quotas.set(id, { ...this.quotas.get(id), ...update });
      return { status: 200, body: { quota_set: this.limitsOf(id) } };
    });
    r.add('DELETE', `${base}/os-quota-sets/:id`, (req, p) => {
      this.requireAdmin(authOf(req), 'os_compute_api:os-quota-sets:delete');
      this.quotas.delete(p.id ?? '');
      return { status: 202 };
    });

    r.add('GET', `${base}/limits`, (req) => {
      const auth = authOf(req);
      const target = req.query.get('tenant_id') ?? auth.projectId ?? '';
      if (target !== auth.projectId) this.requireAdmin(auth, 'os_compute_api:limits:other_project');
      const l = this.limitsOf(target);
      const u = this.usageOf(target);
      return {
        status: 200,
        body: {
          limits: {
            rate: [],
            absolute: {
              maxTotalCores: l.cores,
              maxTotalInstances: l.instances,
              maxTotalRAMSize: l.ram,
              maxServerMeta: l.metadata_items,
              maxServerGroups: l.server_groups,
              maxServerGroupMembers: l.server_group_members,
              maxTotalKeypairs: l.key_pairs,
              totalCoresUsed: u.cores,
              totalInstancesUsed: u.instances,
              totalRAMUsed: u.ram,
              totalServerGroupsUsed: u.server_groups,
            },
          },
        },
      };
    });

    r.add('GET', `${base}/os-simple-tenant-usage/:id`, (req, p) => {
      const auth = authOf(req);
      const id = p.id ?? '';
      if (id !== auth.projectId) this.requireAdmin(auth, 'os_compute_api:os-simple-tenant-usage:show');
      const start = this.parseTime(req.query.get('start'), 'start');
      const end = this.parseTime(req.query.get('end'), 'end');
      if (start > end) throw fail(N, 400, 'Invalid start time. The start time cannot occur after the end time.');
      const now = this.now();
      // As nova: instances alive in the window (unlaunched ones count 0 hours); a running instance
      // is charged up to now (or the window's end if earlier), a deleted one up to its deletion.
      const usages = [...this.servers.values()]
        .filter((s) => s.projectId === id && (s.deletedAt === undefined || s.deletedAt > start) && (s.launchedAt > now || s.launchedAt < end))
        .sort((a, b) => a.createdAt - b.createdAt)
        .map((s) => {
          const launched = s.launchedAt <= now;
          const from = Math.max(s.launchedAt, start);
          const to = Math.min(s.deletedAt ?? now, end);
          const hours = launched ? Math.max(0, to - from) / 3_600_000 : 0;
          return {
            instance_id: s.id,
            name: s.name,
            hours,
            memory_mb: s.flavor.ram,
            local_gb: s.flavor.disk + s.flavor.ephemeral,
            vcpus: s.flavor.vcpus,
            flavor: s.flavor.name,
            tenant_id: s.projectId,
            state: s.deletedAt !== undefined ? 'terminated' : launched ? 'active' : 'building',
            started_at: launched ? isoNoZone(s.launchedAt) : null,
            ended_at: s.deletedAt === undefined ? null : isoNoZone(s.deletedAt),
            uptime: launched ? Math.floor(((s.deletedAt ?? now) - s.launchedAt) / 1000) : 0,
          };
        });
      if (usages.length === 0) return { status: 200, body: { tenant_usage: {} } };
      const sum = (f: (u: (typeof usages)[number]) => number) => usages.reduce((n, u) => n + f(u), 0);
      return {
        status: 200,
        body: {
          tenant_usage: {
            tenant_id: id,
            start: isoNoZone(start),
            stop: isoNoZone(end),
            total_hours: sum((u) => u.hours),
            total_vcpus_usage: sum((u) => u.hours * u.vcpus),
            total_memory_mb_usage: sum((u) => u.hours * u.memory_mb),
            total_local_gb_usage: sum((u) => u.hours * u.local_gb),
            server_usages: usages,
          },
        },
      };
    });

    const listFlavors = (req: SimRequest) =>
      paginate([...this.flavors.values()].sort((a, b) => a.id.localeCompare(b.id)).map((f) => this.flavorJson(req, f)), req.query, `${req.baseUrl}/${this.ctx.region}/compute/v2.1/flavors/detail`, 'flavors', N);
    r.add('GET', `${base}/flavors/detail`, (req) => ({ status: 200, body: listFlavors(req) }));
    r.add('GET', `${base}/flavors`, (req) => ({ status: 200, body: listFlavors(req) }));
    r.add('GET', `${base}/flavors/:id`, (req, p) => {
      const f = this.flavors.get(p.id ?? '');
      if (!f) throw fail(N, 404, `Flavor ${p.id} could not be found.`);
      return { status: 200, body: { flavor: this.flavorJson(req, f) } };
    });
    r.add('POST', `${base}/flavors`, (req) => {
      this.requireAdmin(authOf(req), 'os_compute_api:os-flavor-manage:create');
      const body = member(N, req.body, 'flavor');
      const name = String(body.name ?? '');
      const ints = ['vcpus', 'ram', 'disk'].map((k) => Number(body[k]));
      if (!name || ints.some((n) => !Number.isInteger(n) || n < 0) || (ints[0] ?? 0) < 1 || (ints[1] ?? 0) < 1) {
        throw fail(N, 400, `Invalid input for field/attribute flavor. Value: ${JSON.stringify(body)}.`);
      }
      if ([...this.flavors.values()].some((f) => f.name === name)) throw fail(N, 409, `Flavor with name ${name} already exists.`);
      const id = typeof body.id === 'string' && body.id ? body.id : uuid();
      if (this.flavors.has(id)) throw fail(N, 409, `Flavor with ID ${id} already exists.`);
      const f: FlavorRec = { id, name, vcpus: ints[0] ?? 1, ram: ints[1] ?? 1, disk: ints[2] ?? 0, ephemeral: 0, isPublic: body['os-flavor-access:is_public'] !== false };
      this.flavors.set(id, f);
      return { status: 200, body: { flavor: this.flavorJson(req, f) } };
    });
    r.add('DELETE', `${base}/flavors/:id`, (req, p) => {
      this.requireAdmin(authOf(req), 'os_compute_api:os-flavor-manage:delete');
      if (!this.flavors.delete(p.id ?? '')) throw fail(N, 404, `Flavor ${p.id} could not be found.`);
      return { status: 202 };
    });

    r.add('GET', `${base}/os-server-groups`, (req) => {
      const auth = authOf(req);
      const all = req.query.get('all_projects') !== null && isAdminAuth(auth);
      const list = [...this.serverGroups.values()].filter((g) => all || g.projectId === auth.projectId).map((g) => this.groupJson(g));
      return { status: 200, body: paginate(list, req.query, `${req.baseUrl}/${this.ctx.region}/compute/v2.1/os-server-groups`, 'server_groups', N) };
    });
    r.add('POST', `${base}/os-server-groups`, (req) => {
      const auth = authOf(req);
      const body = member(N, req.body, 'server_group');
      const name = body.name;
      const policy = body.policy;
      if (typeof name !== 'string' || !name || typeof policy !== 'string' || !['affinity', 'anti-affinity', 'soft-affinity', 'soft-anti-affinity'].includes(policy)) {
        throw fail(N, 400, `Invalid input for field/attribute server_group. Value: ${JSON.stringify(body)}.`);
      }
      const projectId = auth.projectId ?? '';
      if (this.usageOf(projectId).server_groups + 1 > this.limitsOf(projectId).server_groups && this.limitsOf(projectId).server_groups !== -1) {
        throw fail(N, 403, 'Quota exceeded, too many server groups.');
      }
      const g: ServerGroupRec = { id: uuid(), name, policy, projectId, userId: auth.userId };
      this.serverGroups.set(g.id, g);
      return { status: 200, body: { server_group: this.groupJson(g) } };
    });
    r.add('GET', `${base}/os-server-groups/:id`, (req, p) => {
      const g = this.serverGroups.get(p.id ?? '');
      if (!g) throw fail(N, 404, `Instance group ${p.id} could not be found.`);
      return { status: 200, body: { server_group: this.groupJson(g) } };
    });
    r.add('DELETE', `${base}/os-server-groups/:id`, (req, p) => {
      if (!this.serverGroups.delete(p.id ?? '')) throw fail(N, 404, `Instance group ${p.id} could not be found.`);
      return { status: 204 };
    });

    r.add('GET', `${base}/servers/detail`, (req) => {
      const auth = authOf(req);
      const q = req.query;
      const allTenants = q.get('all_tenants') !== null && isAdminAuth(auth);
      const project = allTenants ? q.get('project_id') ?? q.get('tenant_id') : auth.projectId;
      const nameRe = q.get('name') === null ? undefined : new RegExp(q.get('name') ?? '');
      const list = [...this.servers.values()]
        .filter((s) => s.deletedAt === undefined && (project === null || project === undefined || s.projectId === project) && (!nameRe || nameRe.test(s.name)))
        .sort((a, b) => b.createdAt - a.createdAt)
        .map((s) => this.serverJson(req, s));
      return { status: 200, body: paginate(list, q, `${req.baseUrl}/${this.ctx.region}/compute/v2.1/servers/detail`, 'servers', N) };
    });
    r.add('GET', `${base}/servers/:id`, (req, p) => {
      const auth = authOf(req);
      const s = this.servers.get(p.id ?? '');
      if (!s || s.deletedAt !== undefined || (s.projectId !== auth.projectId && !isAdminAuth(auth))) {
        throw fail(N, 404, `Instance ${p.id} could not be found.`);
      }
      return { status: 200, body: { server: this.serverJson(req, s) } };
    });
    r.add('POST', `${base}/servers`, (req) => {
      const auth = authOf(req);
      const body = member(N, req.body, 'server');
      const name = body.name;
      if (typeof name !== 'string' || !name.trim()) throw fail(N, 400, "Invalid input for field/attribute name. Value: None. None is not of type 'string'");
      if (body.networks === undefined) throw fail(N, 400, "Invalid input for field/attribute server. Value: ... 'networks' is a required property");
      const flavorRef = String(body.flavorRef ?? '').split('/').pop() ?? '';
      const flavor = this.flavors.get(flavorRef);
      if (!flavor) throw fail(N, 400, `Flavor ${flavorRef} could not be found.`);
      const imageRef = String(body.imageRef ?? '');
      if (imageRef !== SIM_IMAGE_ID) throw fail(N, 400, 'Can not find requested image');
      for (const key of isDict(body.metadata) ? Object.keys(body.metadata) : []) {
        if (!/^[a-zA-Z0-9-_:. ]{1,255}$/.test(key)) {
          const shown = Object.entries(body.metadata as Record<string, unknown>).map(([k, v]) => `'${k}': '${String(v)}'`).join(', ');
          throw fail(N, 400, `Invalid input for field/attribute metadata. Value: {${shown}}. '${key}' does not match any of the regexes: '^[a-zA-Z0-9-_:. ]{1,255}$'`);
        }
      }
      const metadata = isDict(body.metadata) ? (Object.fromEntries(Object.entries(body.metadata).map(([k, v]) => [k, String(v)])) as Record<string, string>) : {};
      const projectId = auth.projectId ?? '';
      const limits = this.limitsOf(projectId);
      const used = this.usageOf(projectId);
      const requested: [QuotaKey, number][] = [
        ['instances', 1],
        ['cores', flavor.vcpus],
        ['ram', flavor.ram],
      ];
      // Nova names the exceeded resources in alphabetical order.
      const overs = requested.filter(([k, n]) => limits[k] !== -1 && used[k] + n > limits[k]).sort(([a], [b]) => a.localeCompare(b));
      if (overs.length > 0) {
        const keys = overs.map(([k]) => k).join(', ');
        throw fail(
          N,
          403,
          `Quota exceeded for ${keys}: Requested ${overs.map(([, n]) => n).join(', ')}, but already used ${overs.map(([k]) => used[k]).join(', ')} of ${overs.map(([k]) => limits[k]).join(', ')} ${keys}`,
        );
      }
      const now = this.now();
      // Nova stores launch and termination times with whole seconds (MySQL DATETIME).
      const launchedAt = Math.floor((now + this.buildMs) / 1000) * 1000;
      const s: ServerRec = { id: uuid(), name, projectId, userId: auth.userId, flavor, imageId: imageRef, metadata, createdAt: now, launchedAt, deletedAt: undefined };
      this.servers.set(s.id, s);
      return {
        status: 202,
        headers: { location: `${req.baseUrl}/${this.ctx.region}/compute/v2.1/servers/${s.id}` },
        body: { server: { id: s.id, links: [], 'OS-DCF:diskConfig': 'MANUAL', security_groups: [{ name: 'default' }], adminPass: 'sim-not-a-secret' } },
      };
    });
    r.add('DELETE', `${base}/servers/:id`, (req, p) => {
      const auth = authOf(req);
      const s = this.servers.get(p.id ?? '');
      if (!s || s.deletedAt !== undefined || (s.projectId !== auth.projectId && !isAdminAuth(auth))) {
        throw fail(N, 404, `Instance ${p.id} could not be found.`);
      }
      const now = this.now();
      // A server deleted while building never launched: it leaves no usage behind.
      if (now < s.launchedAt) this.servers.delete(s.id);
      else s.deletedAt = Math.floor(now / 1000) * 1000;
      return { status: 204 };
    });
  }
}

export const novaSpec: RegionalServiceSpec = {
  prefix: 'compute',
  name: 'nova',
  style: 'nova',
  catalog: { type: 'compute', name: 'nova', path: '/v2.1' },
  create: (ctx) => new NovaSim(ctx),
  headers: (req, reqId) => {
    const asked = req.headers['openstack-api-version'];
    const version = typeof asked === 'string' && /^compute \d+\.\d+$/.test(asked) ? asked.slice(8) : '2.1';
    return { 'x-compute-request-id': reqId, 'openstack-api-version': `compute ${version}`, 'x-openstack-nova-api-version': version, vary: 'OpenStack-API-Version, X-OpenStack-Nova-API-Version' };
  },
};
