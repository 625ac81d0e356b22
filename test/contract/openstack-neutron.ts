import type { Network } from '../../src/backends/openstack/neutron.js';
import { expectBackendError, type ContractContext } from './openstack.js';

/** The target's external network (from its facts). */
async function externalNetwork(ctx: ContractContext): Promise<Network> {
  const { facts } = ctx.target();
  if (!facts.externalNetworkName) throw new Error('target facts need externalNetworkName');
  const [external] = await ctx.admin().network.listNetworks({ name: facts.externalNetworkName, external: true });
  if (!external) throw new Error(`external network ${facts.externalNetworkName} not found`);
  return external;
}

export function registerNeutronContract(ctx: ContractContext): void {
  describe('neutron', () => {
    test('networks with tags: create for a project, filter by name and tags, list across pages, update, delete', async () => {
      const { project } = await ctx.project();
      const net = ctx.admin().network;
      const uid = `statsmoln.io/uid=${ctx.name('uid')}`;
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const n = await net.createNetwork({ name: ctx.name('net'), project_id: project.id, description: 'contract' });
        ctx.cleanup(() => net.deleteNetwork(n.id));
        expect(n).toMatchObject({ project_id: project.id, status: 'ACTIVE', 'router:external': false, tags: [], subnets: [] });
        // Tags with '/' only go through the body (a %2F in the path is a 404 in Neutron).
        expect(await net.replaceTags('networks', n.id, [uid])).toEqual([uid]);
        ids.push(n.id);
      }
      const [first] = ids as [string, ...string[]];
      await net.addTag('networks', first, 'env:test');
      expect((await net.getNetwork(first)).tags.sort()).toEqual([uid, 'env:test'].sort());
      await expect(net.addTag('networks', first, 'a/b')).rejects.toThrow(/replaceTags/);
      const slash = await expectBackendError(
        ctx.admin().session.request('network', 'neutron', { method: 'PUT', path: `/v2.0/networks/${first}/tags/${encodeURIComponent('a/b')}` }),
        'NotFound',
      );
      expect(slash.status).toBe(404);
      expect((await net.listNetworks({ tags: [uid, 'env:test'] })).map((n) => n.id)).toEqual([first]);
      expect((await net.listNetworks({ tags: [uid] })).map((n) => n.id).sort()).toEqual([...ids].sort());
      expect((await net.listNetworks({ tags: [uid] }, 2)).map((n) => n.id).sort()).toEqual([...ids].sort());
      expect((await net.listNetworks({ tagsAny: ['env:test', 'nothing'] })).map((n) => n.id)).toEqual([first]);
      expect((await net.listNetworks({ projectId: project.id })).length).toBe(3);
      await net.removeTag('networks', first, 'env:test');
      const got = await net.getNetwork(first);
      expect(got.tags).toEqual([uid]);
      expect((await net.listNetworks({ name: got.name })).map((n) => n.id)).toEqual([first]);
      expect((await net.updateNetwork(first, { description: 'renamed' })).description).toBe('renamed');
      await net.deleteNetwork(first);
      const missing = await expectBackendError(net.getNetwork(first), 'NotFound');
      expect(missing.serviceType).toBe('NetworkNotFound');
      expect(missing.serviceMessage).toBe(`Network ${first} could not be found.`);
    });

    test('subnets v4 and v6 with gateways and pools; overlap and bad CIDR are BadRequest', async () => {
      const { project } = await ctx.project();
      const net = ctx.admin().network;
      const n = await net.createNetwork({ name: ctx.name('net'), project_id: project.id });
      ctx.cleanup(() => net.deleteNetwork(n.id));
      const v4 = await net.createSubnet({ network_id: n.id, cidr: '10.20.0.0/24', ip_version: 4, name: ctx.name('v4'), project_id: project.id, dns_nameservers: ['192.0.2.53'] });
      ctx.cleanup(() => net.deleteSubnet(v4.id));
      expect(v4).toMatchObject({ cidr: '10.20.0.0/24', ip_version: 4, gateway_ip: '10.20.0.1', enable_dhcp: true, allocation_pools: [{ start: '10.20.0.2', end: '10.20.0.254' }], dns_nameservers: ['192.0.2.53'] });
      const v6 = await net.createSubnet({
        network_id: n.id,
        cidr: 'fd00:20::/64',
        ip_version: 6,
        name: ctx.name('v6'),
        project_id: project.id,
        ipv6_ra_mode: 'slaac',
        ipv6_address_mode: 'slaac',
      });
      ctx.cleanup(() => net.deleteSubnet(v6.id));
      // IPv6 default gateway: the subnet-router anycast address.
      expect(v6).toMatchObject({ cidr: 'fd00:20::/64', ip_version: 6, gateway_ip: 'fd00:20::', ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' });
      expect(v6.allocation_pools).toEqual([{ start: 'fd00:20::1', end: 'fd00:20::ffff:ffff:ffff:ffff' }]);
      expect((await net.getNetwork(n.id)).subnets.sort()).toEqual([v4.id, v6.id].sort());
      expect((await net.listSubnets({ networkId: n.id })).map((s) => s.id).sort()).toEqual([v4.id, v6.id].sort());

      const overlap = await expectBackendError(net.createSubnet({ network_id: n.id, cidr: '10.20.0.128/25', ip_version: 4, project_id: project.id }), 'BadRequest');
      expect(overlap.serviceMessage).toContain('overlaps with another subnet');
      const bad = await expectBackendError(net.createSubnet({ network_id: n.id, cidr: '10.300.0.0/24', ip_version: 4, project_id: project.id }), 'BadRequest');
      expect(bad.serviceMessage).toMatch(/cidr/i);
      // Agencies' address plans overlap: the same CIDR on another network is fine.
      const other = await net.createNetwork({ name: ctx.name('net'), project_id: project.id });
      ctx.cleanup(() => net.deleteNetwork(other.id));
      const same = await net.createSubnet({ network_id: other.id, cidr: '10.20.0.0/24', ip_version: 4, project_id: project.id });
      ctx.cleanup(() => net.deleteSubnet(same.id));
      expect(same.gateway_ip).toBe('10.20.0.1');
    });

    test('a router with an external gateway and interfaces; in-use deletes are Conflict', async () => {
      const { project } = await ctx.project();
      const net = ctx.admin().network;
      const external = await externalNetwork(ctx);
      const n = await net.createNetwork({ name: ctx.name('net'), project_id: project.id });
      ctx.cleanup(() => net.deleteNetwork(n.id));
      const subnet = await net.createSubnet({ network_id: n.id, cidr: '10.30.0.0/24', ip_version: 4, project_id: project.id });
      ctx.cleanup(() => net.deleteSubnet(subnet.id));
      const router = await net.createRouter({ name: ctx.name('router'), project_id: project.id, external_gateway_info: { network_id: external.id } });
      ctx.cleanup(() => net.deleteRouter(router.id));
      expect(router.external_gateway_info?.network_id).toBe(external.id);
      expect(router.external_gateway_info?.external_fixed_ips?.length).toBeGreaterThan(0);
      expect(router.project_id).toBe(project.id);

      const iface = await net.addRouterInterface(router.id, subnet.id);
      ctx.cleanup(() => net.removeRouterInterface(router.id, subnet.id));
      expect(iface).toMatchObject({ id: router.id, subnet_id: subnet.id, network_id: n.id });
      const ports = await net.listPorts({ networkId: n.id });
      expect(ports.map((p) => p.id)).toEqual([iface.port_id]);
      expect(ports[0]).toMatchObject({ device_owner: 'network:router_interface', device_id: router.id, fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.30.0.1' }] });
      await expectBackendError(net.addRouterInterface(router.id, subnet.id), 'BadRequest');

      const inUse = await expectBackendError(net.deleteNetwork(n.id), 'Conflict');
      expect(inUse.serviceType).toBe('NetworkInUse');
      const routerInUse = await expectBackendError(net.deleteRouter(router.id), 'Conflict');
      expect(routerInUse.serviceType).toBe('RouterInUse');
      const notExternal = await expectBackendError(net.setRouterGateway(router.id, { network_id: n.id }), 'BadRequest');
      expect(notExternal.serviceMessage).toContain('is not an external network');

      await net.removeRouterInterface(router.id, subnet.id);
      await expectBackendError(net.removeRouterInterface(router.id, subnet.id), 'NotFound');
      const cleared = await net.setRouterGateway(router.id, null);
      expect(cleared.external_gateway_info).toBeNull();
      await net.deleteRouter(router.id);
      await expectBackendError(net.getRouter(router.id), 'NotFound');
    });

    test('ports: create on a subnet, list by network, delete', async () => {
      const { project } = await ctx.project();
      const net = ctx.admin().network;
      const n = await net.createNetwork({ name: ctx.name('net'), project_id: project.id });
      ctx.cleanup(() => net.deleteNetwork(n.id));
      const subnet = await net.createSubnet({ network_id: n.id, cidr: '10.40.0.0/28', ip_version: 4, project_id: project.id, enable_dhcp: false });
      ctx.cleanup(() => net.deleteSubnet(subnet.id));
      const port = await net.createPort({ network_id: n.id, name: ctx.name('port'), project_id: project.id });
      ctx.cleanup(() => net.deletePort(port.id));
      expect(port.fixed_ips).toHaveLength(1);
      expect(port.fixed_ips[0]?.subnet_id).toBe(subnet.id);
      expect(port.mac_address).toMatch(/^fa:16:3e:/);
      expect((await net.listPorts({ networkId: n.id, projectId: project.id })).map((p) => p.id)).toEqual([port.id]);
      const subnetInUse = await expectBackendError(net.deleteSubnet(subnet.id), 'Conflict');
      expect(subnetInUse.serviceType).toBe('SubnetInUse');
      await net.deletePort(port.id);
      await expectBackendError(net.deletePort(port.id), 'NotFound');
    });

    test('security groups and rules; duplicate rule is Conflict', async () => {
      const { project } = await ctx.project();
      const net = ctx.admin().network;
      const sg = await net.createSecurityGroup({ name: ctx.name('sg'), description: 'baseline', project_id: project.id });
      ctx.cleanup(() => net.deleteSecurityGroup(sg.id));
      expect(sg).toMatchObject({ description: 'baseline', project_id: project.id });
      expect(sg.security_group_rules.filter((r) => r.direction === 'egress').map((r) => r.ethertype).sort()).toEqual(['IPv4', 'IPv6']);
      const rule = await net.createSecurityGroupRule({
        security_group_id: sg.id,
        direction: 'ingress',
        ethertype: 'IPv4',
        protocol: 'tcp',
        port_range_min: 443,
        port_range_max: 443,
        remote_ip_prefix: '10.0.0.0/8',
        description: 'https from the agency',
      });
      expect(rule).toMatchObject({ security_group_id: sg.id, direction: 'ingress', protocol: 'tcp', port_range_min: 443, remote_ip_prefix: '10.0.0.0/8' });
      const dup = await expectBackendError(
        net.createSecurityGroupRule({ security_group_id: sg.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 443, port_range_max: 443, remote_ip_prefix: '10.0.0.0/8' }),
        'Conflict',
      );
      expect(dup.serviceType).toBe('SecurityGroupRuleExists');
      expect((await net.listSecurityGroupRules({ securityGroupId: sg.id })).map((r) => r.id)).toContain(rule.id);
      expect((await net.listSecurityGroups({ name: sg.name, projectId: project.id })).map((g) => g.id)).toEqual([sg.id]);
      await net.deleteSecurityGroupRule(rule.id);
      expect((await net.getSecurityGroup(sg.id)).security_group_rules.map((r) => r.id)).not.toContain(rule.id);
      await net.deleteSecurityGroup(sg.id);
      await expectBackendError(net.getSecurityGroup(sg.id), 'NotFound');
    });

    test('floating IPs: allocated from the external network to a project, listed, counted in the quota, released', async () => {
      const { project } = await ctx.project();
      const net = ctx.admin().network;
      const external = await externalNetwork(ctx);
      await net.updateQuota(project.id, { floatingip: 1 });
      ctx.cleanup(() => net.deleteQuota(project.id));

      const internal = await net.createNetwork({ name: ctx.name('net'), project_id: project.id });
      ctx.cleanup(() => net.deleteNetwork(internal.id));
      const notExternal = await expectBackendError(net.createFloatingIp({ floating_network_id: internal.id, project_id: project.id }), 'BadRequest');
      expect(notExternal.serviceMessage).toContain('is not a valid external network');

      const fip = await net.createFloatingIp({ floating_network_id: external.id, project_id: project.id });
      ctx.cleanup(() => net.deleteFloatingIp(fip.id).catch(() => undefined));
      expect(fip).toMatchObject({ project_id: project.id, floating_network_id: external.id, port_id: null, fixed_ip_address: null, router_id: null, status: 'DOWN' });
      const [externalSubnet] = await net.listSubnets({ networkId: external.id });
      expect(fip.floating_ip_address.split('.').slice(0, 3)).toEqual(externalSubnet!.cidr.split('.').slice(0, 3));
      expect((await net.listFloatingIps({ projectId: project.id })).map((ip) => ip.id)).toEqual([fip.id]);
      expect((await net.getFloatingIp(fip.id)).floating_ip_address).toBe(fip.floating_ip_address);
      expect((await net.getQuotaDetails(project.id)).floatingip).toMatchObject({ limit: 1, used: 1 });
      // The address is held by a port on the external network that only the floating IP API may delete.
      const [holder] = (await net.listPorts({ networkId: external.id, deviceOwner: 'network:floatingip' })).filter((port) => port.device_id === fip.id);
      expect(holder?.fixed_ips.map((ip) => ip.ip_address)).toEqual([fip.floating_ip_address]);

      const over = await expectBackendError(net.createFloatingIp({ floating_network_id: external.id, project_id: project.id }), 'OverQuota');
      expect(over.status).toBe(409);
      expect(over.serviceMessage).toContain('floatingip');
      // The quota is checked before the network: at the limit, even a bad network is OverQuota.
      await expectBackendError(net.createFloatingIp({ floating_network_id: internal.id, project_id: project.id }), 'OverQuota');

      await net.deleteFloatingIp(fip.id);
      expect(await net.listFloatingIps({ projectId: project.id })).toEqual([]);
      const gone = await expectBackendError(net.getFloatingIp(fip.id), 'NotFound');
      expect(gone.serviceType).toBe('FloatingIPNotFound');
      expect((await net.getQuotaDetails(project.id)).floatingip).toMatchObject({ used: 0 });
    });

    test('quotas: update, details with usage, 409 OverQuota on create, unknown key refused, reset', async () => {
      const { project } = await ctx.project();
      const net = ctx.admin().network;
      const defaults = await net.getDefaultQuota(project.id);
      expect(await net.getQuota(project.id)).toEqual(defaults);
      const updated = await net.updateQuota(project.id, { network: 1, router: 1, subnet: 5 });
      expect(updated).toMatchObject({ network: 1, router: 1, subnet: 5 });
      const n = await net.createNetwork({ name: ctx.name('net'), project_id: project.id });
      ctx.cleanup(() => net.deleteNetwork(n.id));
      const details = await net.getQuotaDetails(project.id);
      expect(details.network).toEqual({ limit: 1, used: 1, reserved: 0 });
      expect(details.subnet).toMatchObject({ limit: 5, used: 0 });
      const over = await expectBackendError(net.createNetwork({ name: ctx.name('net'), project_id: project.id }), 'OverQuota');
      expect(over.status).toBe(409);
      expect(over.serviceType).toBe('OverQuota');
      expect(over.serviceMessage).toContain('network');
      await expectBackendError(net.updateQuota(project.id, { no_such_resource: 1 } as unknown as { network: number }), 'BadRequest');
      await net.deleteQuota(project.id);
      expect(await net.getQuota(project.id)).toEqual(defaults);
      await net.deleteQuota(project.id); // already at the defaults: Neutron's 404 is absorbed
      const raw = await expectBackendError(ctx.admin().session.request('network', 'neutron', { method: 'DELETE', path: `/v2.0/quotas/${project.id}` }), 'NotFound');
      expect(raw.serviceType).toBe('TenantQuotaNotFound');
    });
  });
}
