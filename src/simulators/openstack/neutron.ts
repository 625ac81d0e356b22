import { randomBytes } from 'node:crypto';
import { authOf, fail, isAdminAuth, isDict, isoSeconds, member, paginate, Router, uuid, type AuthContext, type SimRequest } from './core.js';
import { contains, defaults, overlaps, parseAddress, parseCidr, toAddress, type Cidr } from './ipam.js';
import type { RegionContext, RegionalService, RegionalServiceSpec } from './server.js';

const Q = 'neutron' as const;

export const NEUTRON_QUOTA_DEFAULTS: Record<string, number> = {
  network: 100,
  subnet: 100,
  port: 500,
  router: 10,
  floatingip: 50,
  security_group: 10,
  security_group_rule: 100,
  rbac_policy: 10,
  subnetpool: -1,
};

interface Base {
  id: string;
  name: string;
  description: string;
  projectId: string;
  tags: string[];
  createdAt: number;
  revision: number;
}
interface NetworkRec extends Base {
  adminStateUp: boolean;
  external: boolean;
  shared: boolean;
  mtu: number;
}
interface SubnetRec extends Base {
  networkId: string;
  cidr: Cidr;
  cidrText: string;
  gateway: bigint | null;
  pools: { start: bigint; end: bigint }[];
  enableDhcp: boolean;
  dns: string[];
  raMode: string | null;
  addressMode: string | null;
  next: bigint;
}
interface PortRec extends Base {
  networkId: string;
  deviceOwner: string;
  deviceId: string;
  fixedIps: { subnetId: string; ip: bigint }[];
  mac: string;
}
interface RouterRec extends Base {
  gateway: { networkId: string; enableSnat: boolean; portId: string } | null;
}
interface RuleRec {
  id: string;
  groupId: string;
  projectId: string;
  direction: string;
  ethertype: string;
  protocol: string | null;
  min: number | null;
  max: number | null;
  remoteIp: string | null;
  remoteGroup: string | null;
  description: string;
  createdAt: number;
}
type GroupRec = Base;
interface FloatingIpRec extends Base {
  networkId: string;
  /** The port on the external network that holds the address (device owner `network:floatingip`). */
  portId: string;
  address: string;
}

type Kind = 'network' | 'subnet' | 'port' | 'router' | 'security_group' | 'security_group_rule' | 'floatingip';

export const SIM_EXTERNAL_NETWORK = 'external';

/** Neutron v2.0 in one region: networks, IPv4/IPv6 subnets with IPAM, routers, security groups, ports, floating IPs, quotas. */
export class NeutronSim implements RegionalService {
  readonly router = new Router();
  readonly networks = new Map<string, NetworkRec>();
  readonly subnets = new Map<string, SubnetRec>();
  readonly ports = new Map<string, PortRec>();
  readonly routers = new Map<string, RouterRec>();
  readonly groups = new Map<string, GroupRec>();
  readonly rules = new Map<string, RuleRec>();
  readonly floatingIps = new Map<string, FloatingIpRec>();
  readonly quotas = new Map<string, Record<string, number>>();
  private readonly counts = new Map<string, number>();
  // Secondary indexes, so that lookups stay O(matches) as Neutron's database indexes keep them:
  // with thousands of agencies, scanning every port or rule per request dominated the simulator.
  private readonly subnetsByNetwork = new KeyIndex();
  private readonly portsByDevice = new KeyIndex();
  private readonly rulesByGroup = new KeyIndex();
  // Every listed collection's ids by project and by name: filtered lists (the operator asks by
  // name and project) look at their matches, not at every network or router of every agency.
  private readonly lookups = new Map<Map<string, Base>, { project: KeyIndex; name: KeyIndex }>();
  private readonly usedIps = new Map<string, Set<bigint>>();
  private readonly defaultGroups = new Map<string, string>();
  private readonly ctx: RegionContext;

  constructor(ctx: RegionContext) {
    this.ctx = ctx;
    const admin = ctx.keystone.adminProjectId;
    const ext = this.addNetwork({ name: SIM_EXTERNAL_NETWORK, projectId: admin, external: true, shared: false });
    const externalCidr = ctx.options.externalCidr ?? '203.0.113.0/24';
    const cidr = parseCidr(externalCidr);
    if (!cidr) throw new Error(`simulator option externalCidr: "${externalCidr}" is not a CIDR`);
    this.addSubnet(ext, cidr, externalCidr, { name: `${SIM_EXTERNAL_NETWORK}-v4`, projectId: admin, enableDhcp: false });
    this.routes();
  }

  private lookup(map: Map<string, Base>): { project: KeyIndex; name: KeyIndex } {
    let index = this.lookups.get(map);
    if (!index) this.lookups.set(map, (index = { project: new KeyIndex(), name: new KeyIndex() }));
    return index;
  }

  private store<T extends Base>(map: Map<string, T>, item: T): void {
    map.set(item.id, item);
    const index = this.lookup(map);
    index.project.add(item.projectId, item.id);
    index.name.add(item.name, item.id);
  }

  private unstore<T extends Base>(map: Map<string, T>, item: T): void {
    map.delete(item.id);
    const index = this.lookup(map);
    index.project.remove(item.projectId, item.id);
    index.name.remove(item.name, item.id);
  }

  private rename<T extends Base>(map: Map<string, T>, item: T, name: string): void {
    const index = this.lookup(map);
    index.name.remove(item.name, item.id);
    item.name = name;
    index.name.add(name, item.id);
  }

  private now(): number {
    return this.ctx.clock.now();
  }

  private base(name: unknown, projectId: string, description?: unknown): Base {
    return { id: uuid(), name: typeof name === 'string' ? name : '', description: typeof description === 'string' ? description : '', projectId, tags: [], createdAt: this.now(), revision: 1 };
  }

  private count(projectId: string, kind: Kind, delta: number): void {
    const key = `${projectId}/${kind}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + delta);
  }

  usedOf(projectId: string, kind: string): number {
    return this.counts.get(`${projectId}/${kind}`) ?? 0;
  }

  limitsOf(projectId: string): Record<string, number> {
    return { ...NEUTRON_QUOTA_DEFAULTS, ...this.quotas.get(projectId) };
  }

  private checkQuota(projectId: string, kind: Kind, n = 1): void {
    const limit = this.limitsOf(projectId)[kind] ?? -1;
    if (limit !== -1 && this.usedOf(projectId, kind) + n > limit) {
      throw fail(Q, 409, `Quota exceeded for resources: ['${kind}'].`, 'OverQuota');
    }
  }

  private addNetwork(opts: { name: string; projectId: string; external: boolean; shared: boolean; description?: string }): NetworkRec {
    const n: NetworkRec = { ...this.base(opts.name, opts.projectId, opts.description), adminStateUp: true, external: opts.external, shared: opts.shared, mtu: 1500 };
    this.store(this.networks, n);
    this.count(n.projectId, 'network', 1);
    return n;
  }

  private addSubnet(
    net: NetworkRec,
    cidr: Cidr,
    cidrText: string,
    opts: { name?: unknown; projectId: string; enableDhcp?: boolean; gateway?: bigint | null; pools?: { start: bigint; end: bigint }[]; dns?: string[]; raMode?: string | null; addressMode?: string | null; description?: unknown },
  ): SubnetRec {
    const d = defaults(cidr);
    const gateway = opts.gateway === undefined ? d.gateway : opts.gateway;
    const pools = opts.pools ?? (gateway === null || gateway < d.poolStart ? [{ start: gateway === null ? d.gateway : d.poolStart, end: d.poolEnd }] : [{ start: d.gateway, end: gateway - 1n }, { start: gateway + 1n, end: d.poolEnd }].filter((p) => p.start <= p.end));
    const s: SubnetRec = {
      ...this.base(opts.name, opts.projectId, opts.description),
      networkId: net.id,
      cidr,
      cidrText: `${toAddress(cidr.network, cidr.version)}/${cidr.prefix}`,
      gateway,
      pools,
      enableDhcp: opts.enableDhcp ?? true,
      dns: opts.dns ?? [],
      raMode: opts.raMode ?? null,
      addressMode: opts.addressMode ?? null,
      next: pools[0]?.start ?? d.poolStart,
    };
    void cidrText;
    this.store(this.subnets, s);
    this.subnetsByNetwork.add(s.networkId, s.id);
    this.count(s.projectId, 'subnet', 1);
    return s;
  }

  private subnetsOf(networkId: string): SubnetRec[] {
    return this.subnetsByNetwork.keys(networkId).map((id) => this.subnets.get(id) as SubnetRec);
  }

  private deleteSubnet(s: SubnetRec): void {
    this.unstore(this.subnets, s);
    this.subnetsByNetwork.remove(s.networkId, s.id);
    this.usedIps.delete(s.id);
    this.count(s.projectId, 'subnet', -1);
  }

  private routerInterfaces(routerId: string): PortRec[] {
    return this.portsByDevice
      .keys(routerId)
      .map((id) => this.ports.get(id) as PortRec)
      .filter((x) => x.deviceOwner === 'network:router_interface');
  }

  private rulesOf(groupId: string): RuleRec[] {
    return this.rulesByGroup.keys(groupId).map((id) => this.rules.get(id) as RuleRec);
  }

  private deleteRule(rule: RuleRec): void {
    this.rules.delete(rule.id);
    this.rulesByGroup.remove(rule.groupId, rule.id);
    this.count(rule.projectId, 'security_group_rule', -1);
  }

  private allocate(subnet: SubnetRec): bigint {
    const used = this.usedIps.get(subnet.id) ?? new Set<bigint>();
    for (const pool of subnet.pools) {
      for (let ip = pool.start; ip <= pool.end && ip < pool.start + 65536n; ip++) {
        if (!used.has(ip) && ip !== subnet.gateway) return ip;
      }
    }
    throw fail(Q, 409, `No more IP addresses available on network ${subnet.networkId}.`, 'IpAddressGenerationFailure');
  }

  private addPort(net: NetworkRec, projectId: string, opts: { name?: unknown; deviceOwner?: string; deviceId?: string; fixedIps: { subnetId: string; ip: bigint }[] }): PortRec {
    const mac = `fa:16:3e:${randomBytes(3).toString('hex').match(/../g)?.join(':')}`;
    const p: PortRec = { ...this.base(opts.name, projectId), networkId: net.id, deviceOwner: opts.deviceOwner ?? '', deviceId: opts.deviceId ?? '', fixedIps: opts.fixedIps, mac };
    this.store(this.ports, p);
    this.portsByDevice.add(p.deviceId, p.id);
    for (const f of p.fixedIps) {
      let used = this.usedIps.get(f.subnetId);
      if (!used) this.usedIps.set(f.subnetId, (used = new Set()));
      used.add(f.ip);
    }
    this.count(projectId, 'port', 1);
    return p;
  }

  private removePort(p: PortRec): void {
    this.unstore(this.ports, p);
    this.portsByDevice.remove(p.deviceId, p.id);
    for (const f of p.fixedIps) this.usedIps.get(f.subnetId)?.delete(f.ip);
    this.count(p.projectId, 'port', -1);
  }

  private ensureDefaultGroup(projectId: string): void {
    if (this.defaultGroups.has(projectId)) return;
    const g: GroupRec = { ...this.base('default', projectId, 'Default security group') };
    this.store(this.groups, g);
    this.defaultGroups.set(projectId, g.id);
    this.count(projectId, 'security_group', 1);
    for (const ethertype of ['IPv4', 'IPv6']) {
      this.addRule({ groupId: g.id, projectId, direction: 'egress', ethertype, protocol: null, min: null, max: null, remoteIp: null, remoteGroup: null, description: '' });
      this.addRule({ groupId: g.id, projectId, direction: 'ingress', ethertype, protocol: null, min: null, max: null, remoteIp: null, remoteGroup: g.id, description: '' });
    }
  }

  private addRule(r: Omit<RuleRec, 'id' | 'createdAt'>): RuleRec {
    const rule = { ...r, id: uuid(), createdAt: this.now() };
    this.rules.set(rule.id, rule);
    this.rulesByGroup.add(rule.groupId, rule.id);
    this.count(r.projectId, 'security_group_rule', 1);
    return rule;
  }

  private visible(auth: AuthContext, item: { projectId: string }, shared = false): boolean {
    return isAdminAuth(auth) || item.projectId === auth.projectId || shared;
  }

  private targetProject(auth: AuthContext, body: Record<string, unknown>): string {
    const requested = typeof body.project_id === 'string' ? body.project_id : typeof body.tenant_id === 'string' ? body.tenant_id : undefined;
    if (requested !== undefined && requested !== auth.projectId && !isAdminAuth(auth)) {
      throw fail(Q, 403, 'Specifying \'project_id\' or \'tenant_id\' other than the authenticated project in request requires admin privileges', 'HTTPForbidden');
    }
    return requested ?? auth.projectId ?? '';
  }

  private common(b: Base, resource: string) {
    const t = isoSeconds(b.createdAt) + 'Z';
    void resource;
    return { id: b.id, name: b.name, description: b.description, project_id: b.projectId, tenant_id: b.projectId, tags: b.tags, created_at: t, updated_at: t, revision_number: b.revision };
  }

  private networkJson(n: NetworkRec) {
    return {
      ...this.common(n, 'network'),
      admin_state_up: n.adminStateUp,
      status: 'ACTIVE',
      shared: n.shared,
      mtu: n.mtu,
      subnets: this.subnetsByNetwork.keys(n.id),
      availability_zone_hints: [],
      availability_zones: [],
      ipv4_address_scope: null,
      ipv6_address_scope: null,
      'router:external': n.external,
      port_security_enabled: true,
      is_default: false,
      'provider:network_type': 'geneve',
      'provider:physical_network': null,
      'provider:segmentation_id': 1,
    };
  }

  private subnetJson(s: SubnetRec) {
    const v = s.cidr.version;
    return {
      ...this.common(s, 'subnet'),
      network_id: s.networkId,
      cidr: s.cidrText,
      ip_version: v,
      gateway_ip: s.gateway === null ? null : toAddress(s.gateway, v),
      allocation_pools: s.pools.map((p) => ({ start: toAddress(p.start, v), end: toAddress(p.end, v) })),
      enable_dhcp: s.enableDhcp,
      dns_nameservers: s.dns,
      host_routes: [],
      ipv6_ra_mode: s.raMode,
      ipv6_address_mode: s.addressMode,
      subnetpool_id: null,
      service_types: [],
    };
  }

  private portJson(p: PortRec) {
    return {
      ...this.common(p, 'port'),
      network_id: p.networkId,
      admin_state_up: true,
      status: p.deviceOwner.startsWith('network:router') ? 'ACTIVE' : 'DOWN',
      device_owner: p.deviceOwner,
      device_id: p.deviceId,
      mac_address: p.mac,
      fixed_ips: p.fixedIps.map((f) => {
        const s = this.subnets.get(f.subnetId);
        return { subnet_id: f.subnetId, ip_address: toAddress(f.ip, s?.cidr.version ?? 4) };
      }),
      allowed_address_pairs: [],
      extra_dhcp_opts: [],
      security_groups: [],
      'binding:host_id': '',
      'binding:profile': {},
      'binding:vif_details': {},
      'binding:vif_type': 'unbound',
      'binding:vnic_type': 'normal',
      port_security_enabled: true,
    };
  }

  private floatingIpJson(f: FloatingIpRec) {
    const common = this.common(f, 'floatingip');
    return {
      id: common.id,
      project_id: common.project_id,
      tenant_id: common.tenant_id,
      description: common.description,
      tags: common.tags,
      created_at: common.created_at,
      updated_at: common.updated_at,
      revision_number: common.revision_number,
      floating_network_id: f.networkId,
      floating_ip_address: f.address,
      fixed_ip_address: null,
      port_id: null,
      router_id: null,
      port_details: null,
      status: 'DOWN',
      qos_policy_id: null,
      qos_network_policy_id: null,
      port_forwardings: [],
    };
  }

  private routerJson(r: RouterRec) {
    const gwPort = r.gateway ? this.ports.get(r.gateway.portId) : undefined;
    return {
      ...this.common(r, 'router'),
      admin_state_up: true,
      status: 'ACTIVE',
      external_gateway_info: r.gateway
        ? {
            network_id: r.gateway.networkId,
            enable_snat: r.gateway.enableSnat,
            external_fixed_ips: (gwPort?.fixedIps ?? []).map((f) => ({ subnet_id: f.subnetId, ip_address: toAddress(f.ip, this.subnets.get(f.subnetId)?.cidr.version ?? 4) })),
          }
        : null,
      routes: [],
      availability_zone_hints: [],
      availability_zones: [],
      flavor_id: null,
      distributed: false,
      ha: false,
    };
  }

  private ruleJson(r: RuleRec) {
    const t = isoSeconds(r.createdAt) + 'Z';
    return {
      id: r.id,
      security_group_id: r.groupId,
      project_id: r.projectId,
      tenant_id: r.projectId,
      direction: r.direction,
      ethertype: r.ethertype,
      protocol: r.protocol,
      port_range_min: r.min,
      port_range_max: r.max,
      remote_ip_prefix: r.remoteIp,
      remote_group_id: r.remoteGroup,
      remote_address_group_id: null,
      normalized_cidr: r.remoteIp,
      description: r.description,
      created_at: t,
      updated_at: t,
      revision_number: 0,
    };
  }

  private groupJson(g: GroupRec) {
    return {
      ...this.common(g, 'security_group'),
      stateful: true,
      shared: false,
      security_group_rules: this.rulesOf(g.id).map((r) => this.ruleJson(r)),
    };
  }

  /**
   * The collection's items that match the query's name, project and tags and the extra test, in id
   * order. `candidates` (ids from another index) narrows the search; name and project narrow it
   * through the collection's own indexes. Narrowing only skips items the filter would drop.
   */
  private filterList<T extends Base>(req: SimRequest, map: Map<string, T>, extra?: (item: T) => boolean, candidates?: string[]): T[] {
    const q = req.query;
    const auth = authOf(req);
    const all = q.get('tags')?.split(',').filter(Boolean) ?? [];
    const any = q.get('tags-any')?.split(',').filter(Boolean) ?? [];
    const project = q.get('project_id') ?? q.get('tenant_id');
    const name = q.get('name');
    const index = this.lookup(map);
    const ids = candidates ?? (name !== null ? index.name.keys(name) : project !== null ? index.project.keys(project) : undefined);
    const items = ids ? ids.map((id) => map.get(id)).filter((item): item is T => item !== undefined) : [...map.values()];
    return items
      .filter(
        (i) =>
          this.visible(auth, i, (i as unknown as { shared?: boolean; external?: boolean }).shared === true || (i as unknown as { external?: boolean }).external === true) &&
          (name === null || i.name === name) &&
          (project === null || i.projectId === project) &&
          all.every((t) => i.tags.includes(t)) &&
          (any.length === 0 || any.some((t) => i.tags.includes(t))) &&
          (!extra || extra(i)),
      )
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  private get<T extends Base>(map: Map<string, T>, id: string, auth: AuthContext, type: string, what: string): T {
    const item = map.get(id);
    if (!item || !this.visible(auth, item, (item as unknown as { external?: boolean }).external === true)) {
      // Neutron's own wording differs per resource.
      const message =
        type === 'SecurityGroupNotFound'
          ? `Security group ${id} does not exist`
          : type === 'RouterNotFound' || type === 'FloatingIPNotFound'
            ? `${what} ${id} could not be found`
            : `${what} ${id} could not be found.`;
      throw fail(Q, 404, message, type);
    }
    return item;
  }

  private list(req: SimRequest, key: string, path: string, items: unknown[]) {
    return { status: 200, body: paginate(items as { id: string }[], req.query, `${req.baseUrl}/${this.ctx.region}/network/v2.0/${path}`, key, Q) };
  }

  private routes(): void {
    const r = this.router;
    const v = '/v2.0';

    // The version list real Neutron serves at its root, without authentication.
    r.add('GET', '/', () => ({ status: 200, body: { versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: '/v2.0/' }] }] } }));

    // Networks
    r.add('GET', `${v}/networks`, (req) => {
      const ext = req.query.get('router:external');
      const nets = this.filterList(req, this.networks, (n) => ext === null || String(n.external) === ext.toLowerCase());
      return this.list(req, 'networks', 'networks', nets.map((n) => this.networkJson(n)));
    });
    r.add('GET', `${v}/networks/:id`, (req, p) => ({ status: 200, body: { network: this.networkJson(this.get(this.networks, p.id ?? '', authOf(req), 'NetworkNotFound', 'Network')) } }));
    r.add('POST', `${v}/networks`, (req) => {
      const auth = authOf(req);
      const body = member(Q, req.body, 'network');
      const projectId = this.targetProject(auth, body);
      if ((body['router:external'] === true || body.shared === true) && !isAdminAuth(auth)) {
        throw fail(Q, 403, "(rule:create_network and rule:create_network:router:external) is disallowed by policy", 'PolicyNotAuthorized');
      }
      this.checkQuota(projectId, 'network');
      const n = this.addNetwork({ name: typeof body.name === 'string' ? body.name : '', projectId, external: body['router:external'] === true, shared: body.shared === true, ...(typeof body.description === 'string' ? { description: body.description } : {}) });
      if (typeof body.mtu === 'number') n.mtu = body.mtu;
      if (body.admin_state_up === false) n.adminStateUp = false;
      return { status: 201, body: { network: this.networkJson(n) } };
    });
    r.add('PUT', `${v}/networks/:id`, (req, p) => {
      const n = this.get(this.networks, p.id ?? '', authOf(req), 'NetworkNotFound', 'Network');
      const body = member(Q, req.body, 'network');
      if (typeof body.name === 'string') this.rename(this.networks, n, body.name);
      if (typeof body.description === 'string') n.description = body.description;
      if (typeof body.admin_state_up === 'boolean') n.adminStateUp = body.admin_state_up;
      n.revision++;
      return { status: 200, body: { network: this.networkJson(n) } };
    });
    r.add('DELETE', `${v}/networks/:id`, (req, p) => {
      const n = this.get(this.networks, p.id ?? '', authOf(req), 'NetworkNotFound', 'Network');
      const ports = [...this.ports.values()].filter((x) => x.networkId === n.id);
      const inUse = ports.filter((x) => x.deviceOwner !== 'network:dhcp');
      if (inUse.length > 0) {
        throw fail(
          Q,
          409,
          `Unable to complete operation on network ${n.id}. There are one or more ports still in use on the network, id for these ports is: ${inUse.map((x) => x.id).join(', ')}.`,
          'NetworkInUse',
        );
      }
      for (const s of this.subnetsOf(n.id)) this.deleteSubnet(s);
      this.unstore(this.networks, n);
      this.count(n.projectId, 'network', -1);
      return { status: 204 };
    });

    // Tags on any taggable resource
    const taggable: Record<string, [Map<string, Base>, string, string]> = {
      networks: [this.networks, 'NetworkNotFound', 'Network'],
      subnets: [this.subnets, 'SubnetNotFound', 'Subnet'],
      ports: [this.ports, 'PortNotFound', 'Port'],
      routers: [this.routers, 'RouterNotFound', 'Router'],
      'security-groups': [this.groups, 'SecurityGroupNotFound', 'Security group'],
    };
    const validTag = (t: unknown): string => {
      if (typeof t !== 'string' || t.length === 0 || t.length > 255 || t.includes(',')) throw fail(Q, 400, `Invalid input for operation: '${String(t)}' is not a valid tag.`, 'InvalidInput');
      return t;
    };
    for (const [res, [map, type, what]] of Object.entries(taggable)) {
      r.add('PUT', `${v}/${res}/:id/tags`, (req, p) => {
        const item = this.get(map, p.id ?? '', authOf(req), type, what);
        const tags = isDict(req.body) && Array.isArray(req.body.tags) ? req.body.tags.map(validTag) : undefined;
        if (!tags) throw fail(Q, 400, "Invalid input for operation: 'tags' is required.", 'InvalidInput');
        item.tags = [...new Set(tags)];
        item.revision++;
        return { status: 200, body: { tags: item.tags } };
      });
      r.add('PUT', `${v}/${res}/:id/tags/:tag`, (req, p) => {
        const item = this.get(map, p.id ?? '', authOf(req), type, what);
        const tag = validTag(p.tag);
        if (!item.tags.includes(tag)) item.tags.push(tag);
        item.revision++;
        return { status: 201 };
      });
      r.add('DELETE', `${v}/${res}/:id/tags/:tag`, (req, p) => {
        const item = this.get(map, p.id ?? '', authOf(req), type, what);
        if (!item.tags.includes(p.tag ?? '')) throw fail(Q, 404, `Tag ${p.tag} could not be found for ${res.replace(/s$/, '')} ${item.id}.`, 'TagNotFound');
        item.tags = item.tags.filter((t) => t !== p.tag);
        return { status: 204 };
      });
    }

    // Subnets
    r.add('GET', `${v}/subnets`, (req) => {
      const net = req.query.get('network_id');
      const list = this.filterList(req, this.subnets, (s) => net === null || s.networkId === net, net === null ? undefined : this.subnetsByNetwork.keys(net));
      return this.list(req, 'subnets', 'subnets', list.map((s) => this.subnetJson(s)));
    });
    r.add('GET', `${v}/subnets/:id`, (req, p) => ({ status: 200, body: { subnet: this.subnetJson(this.get(this.subnets, p.id ?? '', authOf(req), 'SubnetNotFound', 'Subnet')) } }));
    r.add('POST', `${v}/subnets`, (req) => {
      const auth = authOf(req);
      const body = member(Q, req.body, 'subnet');
      const net = this.networks.get(String(body.network_id ?? ''));
      if (!net || !this.visible(auth, net)) throw fail(Q, 404, `Network ${String(body.network_id)} could not be found.`, 'NetworkNotFound');
      const projectId = this.targetProject(auth, body);
      const cidrText = String(body.cidr ?? '');
      const cidr = parseCidr(cidrText);
      if (!cidr) throw fail(Q, 400, `Invalid input for operation: ${cidrText} is not in a CIDR format.`, 'InvalidInput');
      const ipVersion = body.ip_version;
      if (ipVersion !== 4 && ipVersion !== 6) throw fail(Q, 400, `Invalid input for ip_version. Reason: ${String(ipVersion)} is not in [4, 6].`, 'HTTPBadRequest');
      if (ipVersion !== cidr.version) throw fail(Q, 400, 'Invalid input for operation: Cidr and ip_version do not match.', 'InvalidInput');
      for (const other of this.subnetsOf(net.id)) {
        if (overlaps(other.cidr, cidr)) {
          throw fail(Q, 400, `Invalid input for operation: Requested subnet with cidr: ${cidrText} for network: ${net.id} overlaps with another subnet.`, 'InvalidInput');
        }
      }
      let gateway: bigint | null | undefined;
      if (body.gateway_ip === null) gateway = null;
      else if (typeof body.gateway_ip === 'string') {
        const g = parseAddress(body.gateway_ip);
        if (!g || g.version !== cidr.version || !contains(cidr, g.value)) {
          throw fail(Q, 400, `Invalid input for operation: Gateway IP ${body.gateway_ip} conflicts with allocation pool or is not in the subnet ${cidrText}.`, 'InvalidInput');
        }
        gateway = g.value;
      }
      const mode = (x: unknown): string | null => {
        if (x === undefined || x === null) return null;
        if (x === 'slaac' || x === 'dhcpv6-stateful' || x === 'dhcpv6-stateless') {
          if (cidr.version !== 6) throw fail(Q, 400, 'Invalid input for operation: ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False or ip_version is 4.', 'InvalidInput');
          return x;
        }
        throw fail(Q, 400, `Invalid input for ipv6 mode. Reason: ${String(x)} is not in [dhcpv6-stateful, dhcpv6-stateless, slaac].`, 'HTTPBadRequest');
      };
      this.checkQuota(projectId, 'subnet');
      const s = this.addSubnet(net, cidr, cidrText, {
        name: body.name,
        description: body.description,
        projectId,
        enableDhcp: body.enable_dhcp !== false,
        gateway,
        dns: Array.isArray(body.dns_nameservers) ? body.dns_nameservers.map(String) : [],
        raMode: mode(body.ipv6_ra_mode),
        addressMode: mode(body.ipv6_address_mode),
      });
      return { status: 201, body: { subnet: this.subnetJson(s) } };
    });
    r.add('DELETE', `${v}/subnets/:id`, (req, p) => {
      const s = this.get(this.subnets, p.id ?? '', authOf(req), 'SubnetNotFound', 'Subnet');
      if ((this.usedIps.get(s.id)?.size ?? 0) > 0) {
        throw fail(Q, 409, `Unable to complete operation on subnet ${s.id}: One or more ports have an IP allocation from this subnet.`, 'SubnetInUse');
      }
      this.deleteSubnet(s);
      return { status: 204 };
    });

    // Ports
    r.add('GET', `${v}/ports`, (req) => {
      const q = req.query;
      const networkId = q.get('network_id');
      const deviceOwner = q.get('device_owner');
      const deviceId = q.get('device_id');
      const list = this.filterList(
        req,
        this.ports,
        (x) => (networkId === null || x.networkId === networkId) && (deviceOwner === null || x.deviceOwner === deviceOwner) && (deviceId === null || x.deviceId === deviceId),
        deviceId === null ? undefined : this.portsByDevice.keys(deviceId),
      );
      return this.list(req, 'ports', 'ports', list.map((x) => this.portJson(x)));
    });
    r.add('GET', `${v}/ports/:id`, (req, p) => ({ status: 200, body: { port: this.portJson(this.get(this.ports, p.id ?? '', authOf(req), 'PortNotFound', 'Port')) } }));
    r.add('POST', `${v}/ports`, (req) => {
      const auth = authOf(req);
      const body = member(Q, req.body, 'port');
      const net = this.networks.get(String(body.network_id ?? ''));
      if (!net || !this.visible(auth, net, net.shared)) throw fail(Q, 404, `Network ${String(body.network_id)} could not be found.`, 'NetworkNotFound');
      const projectId = this.targetProject(auth, body);
      this.checkQuota(projectId, 'port');
      const requested = Array.isArray(body.fixed_ips) ? body.fixed_ips.filter(isDict) : undefined;
      const subnets = requested
        ? requested.map((f) => {
            const s = this.subnets.get(String(f.subnet_id ?? ''));
            if (!s || s.networkId !== net.id) throw fail(Q, 400, `Invalid input for operation: Failed to create port on network ${net.id}, because fixed_ips included invalid subnet ${String(f.subnet_id)}.`, 'InvalidInput');
            return s;
          })
        : this.subnetsOf(net.id);
      const port = this.addPort(net, projectId, { name: body.name, deviceOwner: typeof body.device_owner === 'string' ? body.device_owner : '', fixedIps: subnets.map((s) => ({ subnetId: s.id, ip: this.allocate(s) })) });
      return { status: 201, body: { port: this.portJson(port) } };
    });
    r.add('DELETE', `${v}/ports/:id`, (req, p) => {
      const port = this.get(this.ports, p.id ?? '', authOf(req), 'PortNotFound', 'Port');
      if (port.deviceOwner === 'network:router_interface' || port.deviceOwner === 'network:router_gateway' || port.deviceOwner === 'network:floatingip') {
        throw fail(Q, 409, `Port ${port.id} cannot be deleted directly via the port API: has device owner ${port.deviceOwner}.`, 'ServicePortInUse');
      }
      this.removePort(port);
      return { status: 204 };
    });

    // Floating IPs: an address from an external network's IPv4 subnets, held by a port owned by
    // `network:floatingip` (no project, as in Neutron), counted against the project's quota.
    r.add('GET', `${v}/floatingips`, (req) => {
      const q = req.query;
      const list = this.filterList(
        req,
        this.floatingIps,
        (x) =>
          (q.get('floating_network_id') === null || x.networkId === q.get('floating_network_id')) &&
          (q.get('floating_ip_address') === null || x.address === q.get('floating_ip_address')),
      );
      return this.list(req, 'floatingips', 'floatingips', list.map((x) => this.floatingIpJson(x)));
    });
    r.add('GET', `${v}/floatingips/:id`, (req, p) => ({
      status: 200,
      body: { floatingip: this.floatingIpJson(this.get(this.floatingIps, p.id ?? '', authOf(req), 'FloatingIPNotFound', 'Floating IP')) },
    }));
    r.add('POST', `${v}/floatingips`, (req) => {
      const auth = authOf(req);
      const body = member(Q, req.body, 'floatingip');
      const networkId = body.floating_network_id;
      if (typeof networkId !== 'string' || networkId === '') {
        throw fail(Q, 400, "Invalid input for floating_network_id. Reason: '' is not a valid UUID.", 'HTTPBadRequest');
      }
      // Neutron reserves quota in the API layer, before the plugin looks at the network.
      const projectId = this.targetProject(auth, body);
      this.checkQuota(projectId, 'floatingip');
      const net = this.networks.get(networkId);
      if (!net || !this.visible(auth, net, net.shared || net.external)) throw fail(Q, 404, `Network ${networkId} could not be found.`, 'NetworkNotFound');
      if (!net.external) throw fail(Q, 400, `Bad floatingip request: Network ${networkId} is not a valid external network.`, 'BadRequest');
      const subnets = this.subnetsOf(net.id).filter((x) => x.cidr.version === 4);
      let fixedIp: { subnetId: string; ip: bigint } | undefined;
      for (const subnet of subnets) {
        try {
          fixedIp = { subnetId: subnet.id, ip: this.allocate(subnet) };
          break;
        } catch {
          // this subnet is full: try the next one, as Neutron's IPAM does
        }
      }
      if (!fixedIp) throw fail(Q, 409, `No more IP addresses available on network ${net.id}.`, 'IpAddressGenerationFailure');
      const fip: FloatingIpRec = { ...this.base('', projectId, body.description), networkId: net.id, portId: '', address: toAddress(fixedIp.ip, 4) };
      const port = this.addPort(net, '', { deviceOwner: 'network:floatingip', deviceId: fip.id, fixedIps: [fixedIp] });
      fip.portId = port.id;
      this.store(this.floatingIps, fip);
      this.count(projectId, 'floatingip', 1);
      return { status: 201, body: { floatingip: this.floatingIpJson(fip) } };
    });
    r.add('DELETE', `${v}/floatingips/:id`, (req, p) => {
      const fip = this.get(this.floatingIps, p.id ?? '', authOf(req), 'FloatingIPNotFound', 'Floating IP');
      const port = this.ports.get(fip.portId);
      if (port) this.removePort(port);
      this.unstore(this.floatingIps, fip);
      this.count(fip.projectId, 'floatingip', -1);
      return { status: 204 };
    });

    // Routers
    const setGateway = (router: RouterRec, info: unknown, auth: AuthContext) => {
      if (router.gateway) {
        const old = this.ports.get(router.gateway.portId);
        if (old) this.removePort(old);
        router.gateway = null;
      }
      if (!isDict(info) || info.network_id === undefined) return;
      const net = this.networks.get(String(info.network_id));
      if (!net || !this.visible(auth, net, net.external)) throw fail(Q, 404, `Network ${String(info.network_id)} could not be found.`, 'NetworkNotFound');
      if (!net.external) throw fail(Q, 400, `Bad router request: Network ${net.id} is not an external network.`, 'BadRequest');
      const subnet = this.subnetsOf(net.id).find((s) => s.cidr.version === 4) ?? this.subnetsOf(net.id)[0];
      // The gateway port belongs to no tenant: it does not count against the router owner's port quota.
      const port = this.addPort(net, '', { deviceOwner: 'network:router_gateway', deviceId: router.id, fixedIps: subnet ? [{ subnetId: subnet.id, ip: this.allocate(subnet) }] : [] });
      router.gateway = { networkId: net.id, enableSnat: info.enable_snat !== false, portId: port.id };
    };
    r.add('GET', `${v}/routers`, (req) => this.list(req, 'routers', 'routers', this.filterList(req, this.routers).map((x) => this.routerJson(x))));
    r.add('GET', `${v}/routers/:id`, (req, p) => ({ status: 200, body: { router: this.routerJson(this.get(this.routers, p.id ?? '', authOf(req), 'RouterNotFound', 'Router')) } }));
    r.add('POST', `${v}/routers`, (req) => {
      const auth = authOf(req);
      const body = member(Q, req.body, 'router');
      const projectId = this.targetProject(auth, body);
      this.checkQuota(projectId, 'router');
      const router: RouterRec = { ...this.base(body.name, projectId, body.description), gateway: null };
      setGateway(router, body.external_gateway_info, auth);
      this.store(this.routers, router);
      this.count(projectId, 'router', 1);
      return { status: 201, body: { router: this.routerJson(router) } };
    });
    r.add('PUT', `${v}/routers/:id`, (req, p) => {
      const auth = authOf(req);
      const router = this.get(this.routers, p.id ?? '', auth, 'RouterNotFound', 'Router');
      const body = member(Q, req.body, 'router');
      if (typeof body.name === 'string') this.rename(this.routers, router, body.name);
      if ('external_gateway_info' in body) setGateway(router, body.external_gateway_info, auth);
      router.revision++;
      return { status: 200, body: { router: this.routerJson(router) } };
    });
    r.add('DELETE', `${v}/routers/:id`, (req, p) => {
      const router = this.get(this.routers, p.id ?? '', authOf(req), 'RouterNotFound', 'Router');
      const attached = this.routerInterfaces(router.id);
      if (attached.length > 0) {
        throw fail(Q, 409, `Router ${router.id} has ports still attached: ${attached.map((x) => x.id).join(', ')}`, 'RouterInUse');
      }
      setGateway(router, undefined, authOf(req));
      this.unstore(this.routers, router);
      this.count(router.projectId, 'router', -1);
      return { status: 204 };
    });
    const interfaceJson = (router: RouterRec, port: PortRec, subnet: SubnetRec) => ({
      id: router.id,
      tenant_id: router.projectId,
      port_id: port.id,
      network_id: subnet.networkId,
      subnet_id: subnet.id,
      subnet_ids: [subnet.id],
    });
    r.add('PUT', `${v}/routers/:id/add_router_interface`, (req, p) => {
      const auth = authOf(req);
      const router = this.get(this.routers, p.id ?? '', auth, 'RouterNotFound', 'Router');
      const body = isDict(req.body) ? req.body : {};
      if (typeof body.subnet_id !== 'string') throw fail(Q, 400, 'Bad router request: Either subnet_id or port_id must be specified.', 'BadRequest');
      const subnet = this.get(this.subnets, body.subnet_id, auth, 'SubnetNotFound', 'Subnet');
      if (subnet.gateway === null) throw fail(Q, 400, `Bad router request: Subnet for router interface must have a gateway IP.`, 'BadRequest');
      const existing = this.routerInterfaces(router.id);
      if (existing.some((x) => x.fixedIps.some((f) => f.subnetId === subnet.id))) {
        throw fail(Q, 400, `Bad router request: Router already has a port on subnet ${subnet.id}.`, 'BadRequest');
      }
      for (const x of existing) {
        for (const f of x.fixedIps) {
          const other = this.subnets.get(f.subnetId);
          if (other && overlaps(other.cidr, subnet.cidr)) {
            throw fail(Q, 400, `Bad router request: Cidr ${subnet.cidrText} of subnet ${subnet.id} overlaps with cidr ${other.cidrText} of subnet ${other.id}.`, 'BadRequest');
          }
        }
      }
      const net = this.networks.get(subnet.networkId) as NetworkRec;
      this.checkQuota(router.projectId, 'port');
      const port = this.addPort(net, router.projectId, { deviceOwner: 'network:router_interface', deviceId: router.id, fixedIps: [{ subnetId: subnet.id, ip: subnet.gateway }] });
      return { status: 200, body: interfaceJson(router, port, subnet) };
    });
    r.add('PUT', `${v}/routers/:id/remove_router_interface`, (req, p) => {
      const auth = authOf(req);
      const router = this.get(this.routers, p.id ?? '', auth, 'RouterNotFound', 'Router');
      const body = isDict(req.body) ? req.body : {};
      const subnet = this.get(this.subnets, String(body.subnet_id ?? ''), auth, 'SubnetNotFound', 'Subnet');
      const port = this.routerInterfaces(router.id).find((x) => x.fixedIps.some((f) => f.subnetId === subnet.id));
      if (!port) throw fail(Q, 404, `Router ${router.id} has no interface on subnet ${subnet.id}`, 'RouterInterfaceNotFoundForSubnet');
      this.removePort(port);
      return { status: 200, body: interfaceJson(router, port, subnet) };
    });

    // Security groups and rules
    r.add('GET', `${v}/security-groups`, (req) => {
      const auth = authOf(req);
      if (auth.projectId) this.ensureDefaultGroup(auth.projectId);
      return this.list(req, 'security_groups', 'security-groups', this.filterList(req, this.groups).map((g) => this.groupJson(g)));
    });
    r.add('GET', `${v}/security-groups/:id`, (req, p) => ({ status: 200, body: { security_group: this.groupJson(this.get(this.groups, p.id ?? '', authOf(req), 'SecurityGroupNotFound', 'Security group')) } }));
    r.add('POST', `${v}/security-groups`, (req) => {
      const auth = authOf(req);
      const body = member(Q, req.body, 'security_group');
      const projectId = this.targetProject(auth, body);
      if (body.name === 'default') throw fail(Q, 409, 'Default security group already exists.', 'SecurityGroupDefaultAlreadyExists');
      this.ensureDefaultGroup(projectId);
      this.checkQuota(projectId, 'security_group');
      const g: GroupRec = this.base(body.name, projectId, body.description);
      this.store(this.groups, g);
      this.count(projectId, 'security_group', 1);
      for (const ethertype of ['IPv4', 'IPv6']) {
        this.addRule({ groupId: g.id, projectId, direction: 'egress', ethertype, protocol: null, min: null, max: null, remoteIp: null, remoteGroup: null, description: '' });
      }
      return { status: 201, body: { security_group: this.groupJson(g) } };
    });
    r.add('DELETE', `${v}/security-groups/:id`, (req, p) => {
      const g = this.get(this.groups, p.id ?? '', authOf(req), 'SecurityGroupNotFound', 'Security group');
      for (const rule of this.rulesOf(g.id)) this.deleteRule(rule);
      this.unstore(this.groups, g);
      if (this.defaultGroups.get(g.projectId) === g.id) this.defaultGroups.delete(g.projectId);
      this.count(g.projectId, 'security_group', -1);
      return { status: 204 };
    });
    r.add('GET', `${v}/security-group-rules`, (req) => {
      const auth = authOf(req);
      const q = req.query;
      const project = q.get('project_id');
      const groupId = q.get('security_group_id');
      const list = (groupId === null ? [...this.rules.values()] : this.rulesOf(groupId))
        .filter((x) => this.visible(auth, x) && (project === null || x.projectId === project))
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .map((x) => this.ruleJson(x));
      return this.list(req, 'security_group_rules', 'security-group-rules', list);
    });
    r.add('POST', `${v}/security-group-rules`, (req) => {
      const auth = authOf(req);
      const body = member(Q, req.body, 'security_group_rule');
      const group = this.get(this.groups, String(body.security_group_id ?? ''), auth, 'SecurityGroupNotFound', 'Security group');
      const direction = body.direction;
      if (direction !== 'ingress' && direction !== 'egress') throw fail(Q, 400, `Invalid input for direction. Reason: ${String(direction)} is not in [ingress, egress].`, 'HTTPBadRequest');
      const ethertype = body.ethertype ?? 'IPv4';
      if (ethertype !== 'IPv4' && ethertype !== 'IPv6') throw fail(Q, 400, `Invalid input for ethertype. Reason: ${String(ethertype)} is not in [IPv4, IPv6].`, 'HTTPBadRequest');
      const protocol = body.protocol === undefined || body.protocol === null ? null : String(body.protocol);
      const min = typeof body.port_range_min === 'number' ? body.port_range_min : null;
      const max = typeof body.port_range_max === 'number' ? body.port_range_max : null;
      if ((min !== null || max !== null) && protocol === null) {
        throw fail(Q, 400, 'Must also specify protocol if port range is given.', 'SecurityGroupProtocolRequiredWithPorts');
      }
      if (min !== null && max !== null && min > max) throw fail(Q, 400, 'For TCP/UDP protocols, port_range_min must be <= port_range_max', 'SecurityGroupInvalidPortRange');
      let remoteIp = typeof body.remote_ip_prefix === 'string' ? body.remote_ip_prefix : null;
      if (remoteIp !== null) {
        const c = parseCidr(remoteIp.includes('/') ? remoteIp : `${remoteIp}/${remoteIp.includes(':') ? 128 : 32}`);
        if (!c) throw fail(Q, 400, `Invalid input for remote_ip_prefix. Reason: '${remoteIp}' is not a valid IP subnet.`, 'HTTPBadRequest');
        if ((c.version === 4 ? 'IPv4' : 'IPv6') !== ethertype) throw fail(Q, 400, `Conflicting value ethertype ${ethertype} for CIDR ${remoteIp}`, 'SecurityGroupRuleParameterConflict');
        remoteIp = `${toAddress(c.network, c.version)}/${c.prefix}`;
      }
      const remoteGroup = typeof body.remote_group_id === 'string' ? body.remote_group_id : null;
      const duplicate = this.rulesOf(group.id).find(
        (x) => x.direction === direction && x.ethertype === ethertype && x.protocol === protocol && x.min === min && x.max === max && x.remoteIp === remoteIp && x.remoteGroup === remoteGroup,
      );
      if (duplicate) throw fail(Q, 409, `Security group rule already exists. Rule id is ${duplicate.id}.`, 'SecurityGroupRuleExists');
      this.checkQuota(group.projectId, 'security_group_rule');
      const rule = this.addRule({ groupId: group.id, projectId: group.projectId, direction, ethertype, protocol, min, max, remoteIp, remoteGroup, description: typeof body.description === 'string' ? body.description : '' });
      return { status: 201, body: { security_group_rule: this.ruleJson(rule) } };
    });
    r.add('DELETE', `${v}/security-group-rules/:id`, (req, p) => {
      const rule = this.rules.get(p.id ?? '');
      if (!rule || !this.visible(authOf(req), rule)) throw fail(Q, 404, `Security group rule ${p.id} could not be found.`, 'SecurityGroupRuleNotFound');
      this.deleteRule(rule);
      return { status: 204 };
    });

    // Quotas
    const requireAdmin = (req: SimRequest) => {
      if (!isAdminAuth(authOf(req))) throw fail(Q, 403, 'rule:get_quota is disallowed by policy', 'PolicyNotAuthorized');
    };
    r.add('GET', `${v}/quotas/:id`, (req, p) => {
      requireAdmin(req);
      return { status: 200, body: { quota: this.limitsOf(p.id ?? '') } };
    });
    r.add('GET', `${v}/quotas/:id/default`, (req, p) => {
      requireAdmin(req);
      void p;
      return { status: 200, body: { quota: { ...NEUTRON_QUOTA_DEFAULTS } } };
    });
    r.add('GET', `${v}/quotas/:id/details`, (req, p) => {
      requireAdmin(req);
      const id = p.id ?? '';
      const limits = this.limitsOf(id);
      const detail = Object.fromEntries(Object.entries(limits).map(([k, limit]) => [k, { limit, used: this.usedOf(id, k), reserved: 0 }]));
      return { status: 200, body: { quota: detail } };
    });
    r.add('PUT', `${v}/quotas/:id`, (req, p) => {
      requireAdmin(req);
      const id = p.id ?? '';
      const body = member(Q, req.body, 'quota');
      const unknown = Object.keys(body).filter((k) => !(k in NEUTRON_QUOTA_DEFAULTS));
      if (unknown.length > 0) throw fail(Q, 400, `Unrecognized attribute(s) '${unknown.join(', ')}'`, 'HTTPBadRequest');
      const update: Record<string, number> = {};
      for (const [k, raw] of Object.entries(body)) {
        const value = Number(raw);
        if (!Number.isInteger(value) || value < -1) throw fail(Q, 400, `Invalid input for ${k}. Reason: '${String(raw)}' is not an integer.`, 'HTTPBadRequest');
        update[k] = value;
      }
      this.quotas.set(id, { ...this.quotas.get(id), ...update });
      return { status: 200, body: { quota: this.limitsOf(id) } };
    });
    r.add('DELETE', `${v}/quotas/:id`, (req, p) => {
      requireAdmin(req);
      // Neutron answers 404 when the project has no quota of its own (already the defaults).
      if (!this.quotas.delete(p.id ?? '')) throw fail(Q, 404, `Quota for tenant ${p.id} could not be found.`, 'TenantQuotaNotFound');
      return { status: 204 };
    });
  }
}

export const neutronSpec: RegionalServiceSpec = {
  prefix: 'network',
  name: 'neutron',
  style: 'neutron',
  catalog: { type: 'network', name: 'neutron', path: '' },
  create: (ctx) => new NeutronSim(ctx),
};

/** Keys filed under a value (a network's subnets, a device's ports), in insertion order. */
class KeyIndex {
  private readonly byValue = new Map<string, Set<string>>();

  add(value: string, key: string): void {
    let keys = this.byValue.get(value);
    if (!keys) this.byValue.set(value, (keys = new Set()));
    keys.add(key);
  }

  remove(value: string, key: string): void {
    const keys = this.byValue.get(value);
    if (!keys) return;
    keys.delete(key);
    if (keys.size === 0) this.byValue.delete(value);
  }

  keys(value: string): string[] {
    return [...(this.byValue.get(value) ?? [])];
  }
}
