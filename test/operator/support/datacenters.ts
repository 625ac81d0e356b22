/** DataCenters for operator tests, without the harness's pre-set Ready status: the controller decides. */
import type { DataCenter, Environment } from '../../../src/api/v1alpha1/index.js';
import type { KubeObject } from '../../../src/runtime/index.js';
import { DATACENTERS, OPERATOR_NAMESPACE, SECRETS, TENANT_POOL, type Harness } from '../../controllers/support/harness.js';
import { eventually } from '../../support/eventually.js';

const base64 = (entries: Record<string, string>) => Object.fromEntries(Object.entries(entries).map(([key, value]) => [key, Buffer.from(value).toString('base64')]));

export async function createOpenStackSecret(h: Harness, name: string, region: string): Promise<void> {
  await h.client.create(SECRETS, { metadata: { name, namespace: OPERATOR_NAMESPACE }, type: 'Opaque', data: base64({ 'clouds.yaml': h.openstack.cloudsYaml(region, region) }) });
}

export async function createCephSecret(h: Harness, name: string): Promise<void> {
  await h.client.create(SECRETS, { metadata: { name, namespace: OPERATOR_NAMESPACE }, type: 'Opaque', data: base64({ username: h.ceph.dashboardUser, password: h.ceph.dashboardPassword }) });
}

export interface PartitionSetup {
  environment: Environment;
  cloudsSecret: string;
  cephSecret: string;
  cephUrl?: string;
}

/** A DataCenter whose name is also its simulator region; no status until the controller writes one. */
export async function createDataCenterObject(h: Harness, name: string, partitions: PartitionSetup[]): Promise<DataCenter> {
  const created = await h.client.create<KubeObject>(DATACENTERS, {
    apiVersion: 'statsmoln.io/v1alpha1',
    kind: 'DataCenter',
    metadata: { name },
    spec: {
      displayName: name,
      country: 'SE',
      protectedSite: true,
      partitions: partitions.map((partition) => ({
        environment: partition.environment,
        openstack: { cloudsSecretRef: { name: partition.cloudsSecret }, cloud: name, region: name },
        ceph: { dashboardUrl: partition.cephUrl ?? h.ceph.dashboardUrl, credentialsSecretRef: { name: partition.cephSecret }, tenantPool: TENANT_POOL },
        externalNetwork: 'external',
        storageTiers: [{ name: 'hdd', cinderVolumeType: 'standard', cephPool: TENANT_POOL }],
      })),
    },
  });
  return created as unknown as DataCenter;
}

export { eventually };
