import { BackendError } from '../http/index.js';
import { ServiceClient } from './service.js';
import type { KeystoneSession } from './session.js';

export interface Network {
  id: string;
  name: string;
  project_id: string;
  status: string;
  admin_state_up: boolean;
  shared: boolean;
  'router:external': boolean;
  subnets: string[];
  tags: string[];
  description: string;
  mtu: number;
}
export interface AllocationPool {
  start: string;
  end: string;
}
export interface Subnet {
  id: string;
  name: string;
  network_id: string;
  project_id: string;
  cidr: string;
  ip_version: 4 | 6;
  gateway_ip: string | null;
  enable_dhcp: boolean;
  allocation_pools: AllocationPool[];
  dns_nameservers: string[];
  ipv6_ra_mode: string | null;
  ipv6_address_mode: string | null;
  tags: string[];
}
export interface CreateSubnet {
  network_id: string;
  cidr: string;
  ip_version: 4 | 6;
  name?: string;
  project_id?: string;
  gateway_ip?: string | null;
  enable_dhcp?: boolean;
  dns_nameservers?: string[];
  allocation_pools?: AllocationPool[];
  ipv6_ra_mode?: 'slaac' | 'dhcpv6-stateful' | 'dhcpv6-stateless';
  ipv6_address_mode?: 'slaac' | 'dhcpv6-stateful' | 'dhcpv6-stateless';
}
export interface FixedIp {
  subnet_id: string;
  ip_address: string;
}
export interface ExternalGateway {
  network_id: string;
  enable_snat?: boolean;
  external_fixed_ips?: FixedIp[];
}
export interface Router {
  id: string;
  name: string;
  project_id: string;
  status: string;
  admin_state_up: boolean;
  external_gateway_info: ExternalGateway | null;
  tags: string[];
}
export interface RouterInterface {
  id: string;
  subnet_id: string;
  subnet_ids: string[];
  port_id: string;
  network_id: string;
  project_id: string;
}
export interface SecurityGroupRule {
  id: string;
  security_group_id: string;
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  description: string;
  project_id: string;
}
export type CreateSecurityGroupRule = Pick<SecurityGroupRule, 'security_group_id' | 'direction' | 'ethertype'> &
  Partial<Pick<SecurityGroupRule, 'protocol' | 'port_range_min' | 'port_range_max' | 'remote_ip_prefix' | 'remote_group_id' | 'description'>>;
export interface SecurityGroup {
  id: string;
  name: string;
  description: string;
  project_id: string;
  security_group_rules: SecurityGroupRule[];
  tags: string[];
}
export interface Port {
  id: string;
  name: string;
  network_id: string;
  project_id: string;
  device_owner: string;
  device_id: string;
  fixed_ips: FixedIp[];
  status: string;
  mac_address: string;
}
export interface FloatingIp {
  id: string;
  project_id: string;
  floating_ip_address: string;
  floating_network_id: string;
  fixed_ip_address: string | null;
  port_id: string | null;
  router_id: string | null;
  status: string;
  description: string;
}

export const NEUTRON_QUOTA_KEYS = [
  'network',
  'subnet',
  'port',
  'router',
  'floatingip',
  'security_group',
  'security_group_rule',
  'rbac_policy',
  'subnetpool',
] as const;
export type NeutronQuotaKey = (typeof NEUTRON_QUOTA_KEYS)[number];
export type NeutronQuota = Record<NeutronQuotaKey, number>;
export interface NeutronQuotaDetail {
  limit: number;
  used: number;
  reserved: number;
}

export interface ListFilter {
  name?: string;
  projectId?: string;
  /** All of these tags. */
  tags?: string[];
  /** Any of these tags. */
  tagsAny?: string[];
}

type TaggedResource = 'networks' | 'subnets' | 'routers' | 'ports' | 'security-groups';

const enc = encodeURIComponent;

function filterQuery(filter: ListFilter): Record<string, string | undefined> {
  return {
    name: filter.name,
    project_id: filter.projectId,
    tags: filter.tags?.length ? filter.tags.join(',') : undefined,
    'tags-any': filter.tagsAny?.length ? filter.tagsAny.join(',') : undefined,
  };
}

/** Neutron v2.0: networks, subnets, routers and interfaces, security groups and rules, ports, floating IPs, quotas. */
export class NetworkClient extends ServiceClient {
  constructor(session: KeystoneSession) {
    super(session, 'network', 'neutron');
  }

  // Networks
  listNetworks(filter: ListFilter & { external?: boolean } = {}, pageSize?: number): Promise<Network[]> {
    return this.list(
      '/v2.0/networks',
      'networks',
      { ...filterQuery(filter), 'router:external': filter.external === undefined ? undefined : String(filter.external) },
      pageSize,
    );
  }
  getNetwork(id: string): Promise<Network> {
    return this.json({ method: 'GET', path: `/v2.0/networks/${enc(id)}` }, 'network');
  }
  createNetwork(network: { name: string; project_id?: string; description?: string; admin_state_up?: boolean; mtu?: number }): Promise<Network> {
    return this.json({ method: 'POST', path: '/v2.0/networks', json: { network } }, 'network');
  }
  updateNetwork(id: string, patch: { name?: string; description?: string; admin_state_up?: boolean }): Promise<Network> {
    return this.json({ method: 'PUT', path: `/v2.0/networks/${enc(id)}`, json: { network: patch } }, 'network');
  }
  async deleteNetwork(id: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/v2.0/networks/${enc(id)}` });
  }

  // Tags (networks, subnets, routers, ports, security groups)
  replaceTags(resource: TaggedResource, id: string, tags: string[]): Promise<string[]> {
    return this.json({ method: 'PUT', path: `/v2.0/${resource}/${enc(id)}/tags`, json: { tags } }, 'tags');
  }
  /**
   * Adds one tag. Neutron routes on the decoded path, so a tag containing '/' cannot be added
   * this way (404): use replaceTags for such tags.
   */
  async addTag(resource: TaggedResource, id: string, tag: string): Promise<void> {
    if (tag.includes('/')) throw new Error(`neutron tag ${JSON.stringify(tag)} contains '/': set it with replaceTags`);
    await this.call({ method: 'PUT', path: `/v2.0/${resource}/${enc(id)}/tags/${enc(tag)}` });
  }
  async removeTag(resource: TaggedResource, id: string, tag: string): Promise<void> {
    if (tag.includes('/')) throw new Error(`neutron tag ${JSON.stringify(tag)} contains '/': remove it with replaceTags`);
    await this.call({ method: 'DELETE', path: `/v2.0/${resource}/${enc(id)}/tags/${enc(tag)}` });
  }

  // Subnets
  listSubnets(filter: ListFilter & { networkId?: string } = {}, pageSize?: number): Promise<Subnet[]> {
    return this.list('/v2.0/subnets', 'subnets', { ...filterQuery(filter), network_id: filter.networkId }, pageSize);
  }
  getSubnet(id: string): Promise<Subnet> {
    return this.json({ method: 'GET', path: `/v2.0/subnets/${enc(id)}` }, 'subnet');
  }
  createSubnet(subnet: CreateSubnet): Promise<Subnet> {
    return this.json({ method: 'POST', path: '/v2.0/subnets', json: { subnet } }, 'subnet');
  }
  async deleteSubnet(id: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/v2.0/subnets/${enc(id)}` });
  }

  // Routers
  listRouters(filter: ListFilter = {}, pageSize?: number): Promise<Router[]> {
    return this.list('/v2.0/routers', 'routers', filterQuery(filter), pageSize);
  }
  getRouter(id: string): Promise<Router> {
    return this.json({ method: 'GET', path: `/v2.0/routers/${enc(id)}` }, 'router');
  }
  createRouter(router: { name: string; project_id?: string; description?: string; external_gateway_info?: ExternalGateway }): Promise<Router> {
    return this.json({ method: 'POST', path: '/v2.0/routers', json: { router } }, 'router');
  }
  /** Sets (or with `null` clears) the external gateway. */
  setRouterGateway(id: string, gateway: ExternalGateway | null): Promise<Router> {
    return this.json({ method: 'PUT', path: `/v2.0/routers/${enc(id)}`, json: { router: { external_gateway_info: gateway ?? {} } } }, 'router');
  }
  async deleteRouter(id: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/v2.0/routers/${enc(id)}` });
  }
  addRouterInterface(routerId: string, subnetId: string): Promise<RouterInterface> {
    return this.call({
      method: 'PUT',
      path: `/v2.0/routers/${enc(routerId)}/add_router_interface`,
      json: { subnet_id: subnetId },
      idempotent: false,
    }).then((res) => res.body as RouterInterface);
  }
  removeRouterInterface(routerId: string, subnetId: string): Promise<RouterInterface> {
    return this.call({
      method: 'PUT',
      path: `/v2.0/routers/${enc(routerId)}/remove_router_interface`,
      json: { subnet_id: subnetId },
      idempotent: false,
    }).then((res) => res.body as RouterInterface);
  }

  // Security groups
  listSecurityGroups(filter: ListFilter = {}, pageSize?: number): Promise<SecurityGroup[]> {
    return this.list('/v2.0/security-groups', 'security_groups', filterQuery(filter), pageSize);
  }
  getSecurityGroup(id: string): Promise<SecurityGroup> {
    return this.json({ method: 'GET', path: `/v2.0/security-groups/${enc(id)}` }, 'security_group');
  }
  createSecurityGroup(group: { name: string; description?: string; project_id?: string }): Promise<SecurityGroup> {
    return this.json({ method: 'POST', path: '/v2.0/security-groups', json: { security_group: group } }, 'security_group');
  }
  async deleteSecurityGroup(id: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/v2.0/security-groups/${enc(id)}` });
  }
  listSecurityGroupRules(filter: { securityGroupId?: string; projectId?: string } = {}): Promise<SecurityGroupRule[]> {
    return this.list('/v2.0/security-group-rules', 'security_group_rules', {
      security_group_id: filter.securityGroupId,
      project_id: filter.projectId,
    });
  }
  createSecurityGroupRule(rule: CreateSecurityGroupRule & { project_id?: string }): Promise<SecurityGroupRule> {
    return this.json({ method: 'POST', path: '/v2.0/security-group-rules', json: { security_group_rule: rule } }, 'security_group_rule');
  }
  async deleteSecurityGroupRule(id: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/v2.0/security-group-rules/${enc(id)}` });
  }

  // Ports
  listPorts(filter: ListFilter & { networkId?: string; deviceOwner?: string; deviceId?: string } = {}, pageSize?: number): Promise<Port[]> {
    return this.list(
      '/v2.0/ports',
      'ports',
      { ...filterQuery(filter), network_id: filter.networkId, device_owner: filter.deviceOwner, device_id: filter.deviceId },
      pageSize,
    );
  }
  createPort(port: { network_id: string; name?: string; project_id?: string; fixed_ips?: { subnet_id: string; ip_address?: string }[] }): Promise<Port> {
    return this.json({ method: 'POST', path: '/v2.0/ports', json: { port } }, 'port');
  }
  async deletePort(id: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/v2.0/ports/${enc(id)}` });
  }

  // Floating IPs
  listFloatingIps(filter: { projectId?: string; floatingNetworkId?: string } = {}, pageSize?: number): Promise<FloatingIp[]> {
    return this.list('/v2.0/floatingips', 'floatingips', { project_id: filter.projectId, floating_network_id: filter.floatingNetworkId }, pageSize);
  }
  getFloatingIp(id: string): Promise<FloatingIp> {
    return this.json({ method: 'GET', path: `/v2.0/floatingips/${enc(id)}` }, 'floatingip');
  }
  /** Allocates an address from an external network to a project. Not idempotent: never retried. */
  createFloatingIp(floatingIp: { floating_network_id: string; project_id?: string; description?: string }): Promise<FloatingIp> {
    return this.json({ method: 'POST', path: '/v2.0/floatingips', json: { floatingip: floatingIp } }, 'floatingip');
  }
  async deleteFloatingIp(id: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/v2.0/floatingips/${enc(id)}` });
  }

  // Quotas
  getQuota(projectId: string): Promise<NeutronQuota> {
    return this.json({ method: 'GET', path: `/v2.0/quotas/${enc(projectId)}` }, 'quota');
  }
  getDefaultQuota(projectId: string): Promise<NeutronQuota> {
    return this.json({ method: 'GET', path: `/v2.0/quotas/${enc(projectId)}/default` }, 'quota');
  }
  getQuotaDetails(projectId: string): Promise<Record<NeutronQuotaKey, NeutronQuotaDetail>> {
    return this.json({ method: 'GET', path: `/v2.0/quotas/${enc(projectId)}/details` }, 'quota');
  }
  updateQuota(projectId: string, update: Partial<NeutronQuota>): Promise<NeutronQuota> {
    return this.json({ method: 'PUT', path: `/v2.0/quotas/${enc(projectId)}`, json: { quota: update } }, 'quota');
  }
  /** Resets a project's quotas to the defaults; a project already at the defaults is fine. */
  async deleteQuota(projectId: string): Promise<void> {
    try {
      await this.call({ method: 'DELETE', path: `/v2.0/quotas/${enc(projectId)}` });
    } catch (error) {
      // Neutron answers 404 TenantQuotaNotFound when the project has no quota of its own.
      if (!(error instanceof BackendError && error.serviceType === 'TenantQuotaNotFound')) throw error;
    }
  }
}
