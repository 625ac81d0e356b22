/**
 * Simulator fidelity: runs the same calls against a target and records the field names of every
 * object the clients read and the kind, status, service type and message of every error, with ids
 * masked. The real-services test compares the simulator's record with real OpenStack's.
 */
import { BackendError, type OpenStackClients } from '../../src/backends/openstack/index.js';
import type { OpenStackTargetFacts } from './openstack.js';

export interface FidelityRecord {
  /** Sorted field names per object kind. */
  shapes: Record<string, string[]>;
  /** `status serviceType: message` per error case, ids masked. */
  errors: Record<string, string>;
}

const ID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|\b[0-9a-f]{32}\b/g;
export const maskIds = (text: string): string => text.replace(ID, '<id>');

const keys = (o: object | undefined): string[] => Object.keys(o ?? {}).sort();

export async function recordFidelity(admin: OpenStackClients, facts: Required<Pick<OpenStackTargetFacts, 'imageId' | 'flavorName' | 'volumeType' | 'externalNetworkName'>>, name: (s: string) => string): Promise<FidelityRecord> {
  const shapes: Record<string, string[]> = {};
  const errors: Record<string, string> = {};
  const expectError = async (label: string, call: () => Promise<unknown>) => {
    try {
      await call();
      errors[label] = 'no error';
    } catch (error) {
      errors[label] =
        error instanceof BackendError ? `${error.status} ${error.serviceType ?? ''}: ${maskIds(error.serviceMessage)}` : `not a BackendError: ${String(error)}`;
    }
  };
  const wait = { intervalMs: 200, timeoutMs: 120_000 };
  const token = await admin.session.token();
  const project = await admin.identity.createProject({ name: name('fid'), domain_id: 'default' });
  shapes.project = keys(project);
  const [adminRole] = await admin.identity.listRoles({ name: 'admin' });
  await admin.identity.grantRole({ projectId: project.id }, { userId: token.userId }, adminRole?.id as string);
  const inProject = admin.forProject(project.id);
  try {
    // Keystone
    await expectError('keystone duplicate project', () => admin.identity.createProject({ name: project.name, domain_id: 'default' }));
    await expectError('keystone missing project', () => admin.identity.getProject('nope'));
    await expectError('keystone missing mapping', () => admin.identity.getMapping('nope'));
    await expectError('keystone missing identity provider', () => admin.identity.getIdentityProvider('nope'));
    await expectError('keystone tag with slash', () => admin.identity.createProject({ name: name('fid'), domain_id: 'default', tags: ['a/b'] }));

    // Nova
    const compute = admin.compute;
    shapes.novaQuotaSet = keys(await compute.getQuotaSet(project.id));
    shapes.novaQuotaDetail = keys(await compute.getQuotaDetail(project.id));
    shapes.novaLimits = keys(await compute.getLimits(project.id));
    const flavor = await compute.findFlavor(facts.flavorName);
    if (!flavor) throw new Error(`flavor ${facts.flavorName} not found`);
    shapes.flavor = keys(flavor);
    await compute.updateQuotaSet(project.id, { instances: 1, cores: flavor.vcpus, ram: flavor.ram, server_groups: 0 });
    await expectError('nova server group over quota', () => inProject.compute.createServerGroup(name('sg'), 'affinity'));
    const serverId = await inProject.compute.createServer({ name: name('vm'), flavorRef: flavor.id, imageRef: facts.imageId, networks: 'none' });
    shapes.server = keys(await inProject.compute.waitForServerActive(serverId, wait));
    await expectError('nova server over quota', () =>
      inProject.compute.createServer({ name: name('vm'), flavorRef: flavor.id, imageRef: facts.imageId, networks: 'none' }),
    );
    await expectError('nova quota below use', () => compute.updateQuotaSet(project.id, { instances: 0 }));
    await expectError('nova unknown image', () =>
      inProject.compute.createServer({ name: name('vm'), flavorRef: flavor.id, imageRef: '11111111-1111-4111-8111-111111111111', networks: 'none' }),
    );
    await expectError('nova metadata key with slash', () =>
      inProject.compute.createServer({ name: name('vm'), flavorRef: flavor.id, imageRef: facts.imageId, networks: 'none', metadata: { 'a/b': '1' } }),
    );
    await expectError('nova missing server', () => compute.getServer('11111111-1111-4111-8111-111111111111'));
    await inProject.compute.deleteServer(serverId);
    await inProject.compute.waitForServerGone(serverId, wait);

    // Cinder
    const cinder = admin.blockStorage;
    await cinder.updateQuotaSet(project.id, { volumes: 1, gigabytes: 2 });
    const created = await inProject.blockStorage.createVolume({ size: 1, name: name('vol'), volume_type: facts.volumeType });
    shapes.volumeCreated = keys(created);
    await expectError('cinder extend while creating', () => inProject.blockStorage.extendVolume(created.id, 2));
    shapes.volume = keys(await inProject.blockStorage.waitForVolumeAvailable(created.id, wait));
    shapes.cinderQuotaUsage = keys(await cinder.getQuotaUsage(project.id)).filter((k) => !/_/.test(k) || ['per_volume_gigabytes', 'backup_gigabytes'].includes(k));
    await expectError('cinder volumes over quota', () => inProject.blockStorage.createVolume({ size: 1, name: name('vol'), volume_type: facts.volumeType }));
    await expectError('cinder extend over quota', () => inProject.blockStorage.extendVolume(created.id, 3));
    await expectError('cinder shrink', () => inProject.blockStorage.extendVolume(created.id, 1));
    await cinder.updateQuotaSet(project.id, { volumes: 5, gigabytes: 2 });
    await expectError('cinder gigabytes over quota', () => inProject.blockStorage.createVolume({ size: 2, name: name('vol'), volume_type: facts.volumeType }));
    await expectError('cinder unknown availability zone', () => inProject.blockStorage.createVolume({ size: 1, name: name('vol'), availability_zone: 'nope' }));
    await expectError('cinder unknown type', () => inProject.blockStorage.createVolume({ size: 1, name: name('vol'), volume_type: 'nope' }));
    const snapshot = await inProject.blockStorage.createSnapshot({ volume_id: created.id, name: name('snap') });
    shapes.snapshot = keys(await inProject.blockStorage.waitForSnapshotAvailable(snapshot.id, wait));
    await expectError('cinder delete volume with snapshot', () => inProject.blockStorage.deleteVolume(created.id));
    await expectError('cinder missing volume', () => inProject.blockStorage.getVolume('11111111-1111-4111-8111-111111111111'));
    await inProject.blockStorage.deleteVolume(created.id, { cascade: true });
    await inProject.blockStorage.waitForVolumeGone(created.id, wait);
    const type = await cinder.createVolumeType({ name: name('type') });
    shapes.volumeType = keys(type);
    shapes.encryption = keys(await cinder.createVolumeTypeEncryption(type.id, { provider: 'luks', cipher: 'aes-xts-plain64', key_size: 256, control_location: 'front-end' }));
    const encryption = await cinder.getVolumeTypeEncryption(type.id);
    shapes.encryptionRead = keys(encryption);
    await cinder.deleteVolumeTypeEncryption(type.id, encryption?.encryption_id as string);
    await cinder.deleteVolumeType(type.id);

    // Neutron
    const net = admin.network;
    await net.updateQuota(project.id, { network: 1 });
    const network = await net.createNetwork({ name: name('net'), project_id: project.id });
    shapes.network = keys(network);
    await expectError('neutron network over quota', () => net.createNetwork({ name: name('net'), project_id: project.id }));
    const subnet = await net.createSubnet({ network_id: network.id, cidr: '10.9.0.0/24', ip_version: 4, project_id: project.id });
    shapes.subnet = keys(subnet);
    const v6 = await net.createSubnet({ network_id: network.id, cidr: 'fd00:9::/64', ip_version: 6, project_id: project.id });
    shapes.subnetV6Defaults = [`gateway ${v6.gateway_ip}`, ...v6.allocation_pools.map((p) => `pool ${p.start}-${p.end}`)];
    await expectError('neutron overlapping subnet', () => net.createSubnet({ network_id: network.id, cidr: '10.9.0.0/25', ip_version: 4, project_id: project.id }));
    await expectError('neutron bad cidr', () => net.createSubnet({ network_id: network.id, cidr: '10.300.0.0/24', ip_version: 4, project_id: project.id }));
    const [external] = await net.listNetworks({ name: facts.externalNetworkName, external: true });
    const router = await net.createRouter({ name: name('router'), project_id: project.id, external_gateway_info: { network_id: external?.id as string } });
    shapes.router = keys(router);
    shapes.routerGateway = keys(router.external_gateway_info ?? undefined);
    const iface = await net.addRouterInterface(router.id, subnet.id);
    shapes.routerInterface = keys(iface);
    const [port] = await net.listPorts({ networkId: network.id });
    shapes.port = keys(port);
    await expectError('neutron network in use', () => net.deleteNetwork(network.id));
    await expectError('neutron router in use', () => net.deleteRouter(router.id));
    await expectError('neutron delete router port', () => net.deletePort(port?.id as string));
    await expectError('neutron interface twice', () => net.addRouterInterface(router.id, subnet.id));
    await net.removeRouterInterface(router.id, subnet.id);
    await expectError('neutron remove interface twice', () => net.removeRouterInterface(router.id, subnet.id));
    await net.deleteRouter(router.id);
    await expectError('neutron missing router', () => net.getRouter('11111111-1111-4111-8111-111111111111'));
    await expectError('neutron missing security group', () => net.getSecurityGroup('11111111-1111-4111-8111-111111111111'));
    const group = await net.createSecurityGroup({ name: name('sg'), project_id: project.id });
    shapes.securityGroup = keys(group);
    shapes.securityGroupDefaultRules = group.security_group_rules.map((r) => `${r.direction} ${r.ethertype} ${r.protocol} ${r.remote_ip_prefix} ${r.remote_group_id ? 'group' : 'none'}`).sort();
    const rule = await net.createSecurityGroupRule({ security_group_id: group.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22 });
    shapes.securityGroupRule = keys(rule);
    await expectError('neutron duplicate rule', () =>
      net.createSecurityGroupRule({ security_group_id: group.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22 }),
    );
    shapes.neutronQuotaDetails = keys(await net.getQuotaDetails(project.id));
    await net.deleteSecurityGroup(group.id);
    await net.deleteNetwork(network.id);
    await net.deleteQuota(project.id);
    await expectError('neutron reset quota twice', () => admin.session.request('network', 'neutron', { method: 'DELETE', path: `/v2.0/quotas/${project.id}` }));
  } finally {
    inProject.close();
    await admin.identity.deleteProject(project.id);
  }
  return { shapes, errors };
}
