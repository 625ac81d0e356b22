/**
 * Everything the simulated platform holds, described without ids (ids differ between runs): one
 * line per backend object, so that two runs of the same manifests can be compared line by line. A
 * duplicate shows as a repeated line, an orphan as a line the other run does not have.
 */
import type { CinderSim, NeutronSim, NovaSim } from '../../../src/simulators/openstack/index.js';
import type { SimulatedPlatform } from '../../../src/operator/local-platform.js';

/**
 * `owners` maps the uid of every Kubernetes object to `Kind/namespace/name`: ownership tags and
 * metadata (`statsmoln.io:uid=...`) then read the same in both runs, and a tag naming an object
 * that does not exist keeps its raw uid and shows as a difference.
 */
export function platformInventory(platform: SimulatedPlatform, regions: readonly string[], owners: ReadonlyMap<string, string>): string[] {
  const keystone = platform.openstack.keystone;
  const domainName = (id: string): string => keystone.domains.get(id)?.name ?? `?domain`;
  const projectName = (id: string): string => {
    const project = keystone.projects.get(id);
    return project ? `${domainName(project.domain_id)}/${project.name}` : id === '' ? '(none)' : '?project';
  };
  const lines: string[] = [];
  for (const domain of keystone.domains.values()) lines.push(`keystone domain ${domain.name} enabled=${domain.enabled}`);
  for (const project of keystone.projects.values()) lines.push(`keystone project ${projectName(project.id)} enabled=${project.enabled}`);
  for (const group of keystone.groups.values()) lines.push(`keystone group ${domainName(group.domain_id)}/${group.name}`);
  for (const idp of keystone.idps.values()) lines.push(`keystone identity-provider ${idp.id} ${domainName(idp.domain_id)} ${idp.remote_ids.join(',')}`);
  for (const mapping of keystone.mappings.values()) lines.push(`keystone mapping ${mapping.id} rules=${JSON.stringify(mapping.rules).length}`);
  for (const protocol of keystone.protocols.values()) lines.push(`keystone protocol ${protocol.idp}/${protocol.id} -> ${protocol.mapping_id}`);
  for (const assignment of keystone.assignments) {
    const role = keystone.roles.get(assignment.roleId)?.name ?? '?role';
    const scope = 'project' in assignment.scope ? `project ${projectName(assignment.scope.project)}` : `domain ${domainName(assignment.scope.domain)}`;
    const actor = 'group' in assignment.actor
      ? `group ${keystone.groups.get(assignment.actor.group)?.name ?? '?group'}`
      : `user ${keystone.users.get(assignment.actor.user)?.name ?? '?user'}`;
    lines.push(`keystone assignment ${role} on ${scope} to ${actor}`);
  }
  for (const region of regions) {
    const nova = platform.openstack.services.get(`${region}/compute`) as NovaSim;
    for (const [projectId, quota] of nova.quotas) lines.push(`${region} nova quota ${projectName(projectId)} ${JSON.stringify(Object.entries(quota).sort())}`);
    for (const server of nova.servers.values()) lines.push(`${region} nova server ${projectName(server.projectId)}/${server.name}`);

    const cinder = platform.openstack.services.get(`${region}/volume`) as CinderSim;
    for (const volume of cinder.volumes.values()) {
      lines.push(`${region} cinder volume ${projectName(volume.projectId)}/${volume.name} ${volume.size}GiB ${cinder.types.get(volume.typeId)?.name} ${volume.status} ${JSON.stringify(volume.metadata)}`);
    }
    for (const snapshot of cinder.snapshots.values()) lines.push(`${region} cinder snapshot ${projectName(snapshot.projectId)}/${snapshot.name}`);
    for (const [projectId, quota] of cinder.quotas) lines.push(`${region} cinder quota ${projectName(projectId)} ${JSON.stringify(Object.entries(quota).sort())}`);

    const neutron = platform.openstack.services.get(`${region}/network`) as NeutronSim;
    const networkName = (id: string): string => neutron.networks.get(id)?.name ?? '?network';
    for (const network of neutron.networks.values()) lines.push(`${region} neutron network ${projectName(network.projectId)}/${network.name} tags=${[...network.tags].sort().join(',')}`);
    for (const subnet of neutron.subnets.values()) lines.push(`${region} neutron subnet ${networkName(subnet.networkId)}/${subnet.name} ${subnet.cidrText}`);
    for (const router of neutron.routers.values()) {
      lines.push(`${region} neutron router ${projectName(router.projectId)}/${router.name} gateway=${router.gateway ? networkName(router.gateway.networkId) : 'none'}`);
    }
    for (const port of neutron.ports.values()) {
      const device = neutron.routers.get(port.deviceId)?.name ?? (port.deviceId === '' ? '' : 'other');
      const subnets = port.fixedIps.map((ip) => neutron.subnets.get(ip.subnetId)?.name ?? '?subnet').join(',');
      lines.push(`${region} neutron port on ${networkName(port.networkId)} owner=${port.deviceOwner} device=${device} subnets=${subnets}`);
    }
    for (const group of neutron.groups.values()) {
      const rules = [...neutron.rules.values()].filter((rule) => rule.groupId === group.id);
      lines.push(`${region} neutron security-group ${projectName(group.projectId)}/${group.name} rules=${rules.length}`);
    }
    for (const [projectId, quota] of neutron.quotas) lines.push(`${region} neutron quota ${projectName(projectId)} ${JSON.stringify(Object.entries(quota).sort())}`);
  }
  platform.cephs.forEach((ceph, index) => {
    for (const pool of ceph.cluster.pools.values()) {
      for (const [namespace, images] of pool.namespaces) {
        if (namespace !== '') lines.push(`ceph#${index} namespace ${pool.name}/${namespace}`);
        for (const image of images.values()) lines.push(`ceph#${index} image ${pool.name}/${namespace}/${image.name} ${image.size}B`);
      }
    }
  });
  const uid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
  return lines.map((line) => line.replace(uid, (found) => owners.get(found) ?? found)).sort();
}

/** The lines that occur more than once. */
export function repeated(lines: readonly string[]): string[] {
  return lines.filter((line, index) => index > 0 && lines[index - 1] === line);
}
