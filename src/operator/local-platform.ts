/**
 * The simulated platform of local mode: one OpenStack region per example DataCenter, one Ceph, the
 * Secrets pointing at them, and the DataCenters rewritten (in memory) to use them.
 */
import type { DataCenter } from '../api/v1alpha1/index.js';
import { OpenStackClients } from '../backends/openstack/index.js';
import { OpenStackSimulator, type SimulatorOptions } from '../simulators/openstack/index.js';
import { startCephSimulator, type CephSimulator } from '../simulators/ceph/server.js';
import type { KubeObject } from '../runtime/index.js';

export interface SimulatedPlatform {
  openstack: OpenStackSimulator;
  /** One Ceph simulator per Ceph cluster the example partitions name (by dashboard URL), in order of first use. */
  cephs: CephSimulator[];
  /** The example DataCenters with endpoints, regions and external networks of the simulators. */
  dataCenters: KubeObject[];
  /** The Secrets the rewritten DataCenters reference, in the operator namespace. */
  secrets: KubeObject[];
  stop(): Promise<void>;
}

const base64 = (text: string): string => Buffer.from(text).toString('base64');

/**
 * Starts the simulators for the given DataCenters and prepares what the operator needs to reach
 * them. Partitions that name different Ceph clusters get different simulators: an RBD namespace is
 * per agency, so two environments on one simulated cluster would see (and meter) each other's images.
 */
export async function startSimulatedPlatform(
  dataCenterManifests: readonly KubeObject[],
  operatorNamespace: string,
  openstackOptions: Pick<SimulatorOptions, 'externalCidr'> = {},
): Promise<SimulatedPlatform> {
  const dataCenters = dataCenterManifests.map((object) => structuredClone(object) as unknown as DataCenter);
  const regions = dataCenters.map((dataCenter) => dataCenter.metadata.name);
  const poolsByCluster = new Map<string, Set<string>>();
  for (const dataCenter of dataCenters) {
    for (const partition of dataCenter.spec.partitions) {
      const pools = poolsByCluster.get(partition.ceph.dashboardUrl) ?? new Set<string>();
      pools.add(partition.ceph.tenantPool);
      for (const tier of partition.storageTiers) pools.add(tier.cephPool);
      poolsByCluster.set(partition.ceph.dashboardUrl, pools);
    }
  }
  const openstack = new OpenStackSimulator({ ...openstackOptions, regions: regions.length > 0 ? regions : ['RegionOne'] });
  await openstack.start();
  const cephByUrl = new Map<string, CephSimulator>();
  const stop = async (): Promise<void> => {
    await Promise.all([...cephByUrl.values()].map((ceph) => ceph.close()));
    await openstack.stop();
  };
  try {
    for (const [url, pools] of poolsByCluster) cephByUrl.set(url, await startCephSimulator({ rbdPools: [...pools] }));
    await createVolumeTypes(openstack, dataCenters);
    const externalNetwork = openstack.facts().externalNetworkName ?? 'external';
    const clouds = new Map<string, Map<string, string>>(); // secret -> cloud -> region
    for (const dataCenter of dataCenters) {
      for (const partition of dataCenter.spec.partitions) {
        const secretName = partition.openstack.cloudsSecretRef.name;
        const entries = clouds.get(secretName) ?? new Map<string, string>();
        entries.set(partition.openstack.cloud, dataCenter.metadata.name);
        clouds.set(secretName, entries);
        partition.openstack.region = dataCenter.metadata.name;
        partition.externalNetwork = externalNetwork;
        const ceph = cephByUrl.get(partition.ceph.dashboardUrl)!;
        partition.ceph.dashboardUrl = ceph.dashboardUrl;
        partition.ceph.rgwAdminUrl = ceph.rgwUrl;
      }
    }
    const secrets: KubeObject[] = [];
    for (const [name, entries] of clouds) {
      // One clouds.yaml with an entry per cloud name the partitions use; each entry's region is its data center.
      const body = [...entries].map(([cloud, region]) => openstack.cloudsYaml(cloud, region).split('\n').slice(1).join('\n')).join('');
      secrets.push(secret(operatorNamespace, name, { 'clouds.yaml': `clouds:\n${body}` }));
    }
    for (const dataCenter of dataCenters) {
      for (const partition of dataCenter.spec.partitions) {
        const key = partition.ceph.credentialsSecretRef.key ?? 'password';
        // Every simulator has the same default dashboard user, so partitions may share a Secret.
        const ceph = [...cephByUrl.values()].find((candidate) => candidate.dashboardUrl === partition.ceph.dashboardUrl)!;
        if (!secrets.some((entry) => entry.metadata?.name === partition.ceph.credentialsSecretRef.name)) {
          secrets.push(secret(operatorNamespace, partition.ceph.credentialsSecretRef.name, { username: ceph.dashboardUser, [key]: ceph.dashboardPassword }));
        }
      }
    }
    return { openstack, cephs: [...cephByUrl.values()], dataCenters: dataCenters as unknown as KubeObject[], secrets, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function secret(namespace: string, name: string, data: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'statsmoln-local' } },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, base64(value)])),
  } as KubeObject;
}

/** The Cinder volume types the storage tiers name, in every region (the simulator has only `standard`). */
async function createVolumeTypes(openstack: OpenStackSimulator, dataCenters: readonly DataCenter[]): Promise<void> {
  for (const dataCenter of dataCenters) {
    const region = dataCenter.metadata.name;
    const admin = OpenStackClients.fromCloudsYaml(openstack.cloudsYaml('sim', region), 'sim');
    try {
      const existing = new Set((await admin.blockStorage.listVolumeTypes()).map((type) => type.name));
      for (const partition of dataCenter.spec.partitions) {
        for (const tier of partition.storageTiers) {
          if (!existing.has(tier.cinderVolumeType)) {
            await admin.blockStorage.createVolumeType({ name: tier.cinderVolumeType, description: `${tier.name} tier` });
            existing.add(tier.cinderVolumeType);
          }
          const encrypted = tier.encryptedCinderVolumeType;
          if (encrypted && !existing.has(encrypted)) {
            const type = await admin.blockStorage.createVolumeType({ name: encrypted, description: `${tier.name} tier, LUKS` });
            await admin.blockStorage.createVolumeTypeEncryption(type.id, { provider: 'luks', cipher: 'aes-xts-plain64', key_size: 256, control_location: 'front-end' });
            existing.add(encrypted);
          }
        }
      }
    } finally {
      admin.close();
    }
  }
}
