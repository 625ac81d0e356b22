/**
 * ComputeQuota, Cinder volumes and raw RBD volumes (Delete and Snapshot) against the real OpenStack (Zed) and Ceph (16)
 * that test/real/run.sh brings up: the embedded API server holds the objects, the DataCenter points
 * at the real services through Secrets, and the quota and volume controllers converge them.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { startApiServer, type ApiServer } from '../../src/apiserver/index.js';
import { dataCenterDefinition } from '../../src/api/v1alpha1/index.js';
import { OpenStackClients } from '../../src/backends/openstack/index.js';
import { CephDashboardClient, formatImageSpec, parseImageSpec } from '../../src/backends/ceph/index.js';
import { BackendRegistry, resourceTypeOf } from '../../src/controllers/framework/index.js';
import { KubeClient, kubeConfigForServer, type KubeObject, type SharedInformer } from '../../src/runtime/index.js';
import { NAMESPACES, OPERATOR_NAMESPACE, SECRETS } from '../controllers/support/harness.js';
import { createTenant, type TenantFixture } from '../controllers/support/volume-tenant.js';
import { conditionOf, eventually, isReady, quota, QUOTAS, startVolumeOperator, storageVolume, VOLUMES, type VolumeOperator } from '../controllers/support/volume-operator.js';

const OPENSTACK_DIR = '/tmp/statsmoln-real/openstack';
const CEPH_ENV = '/tmp/statsmoln-real/ceph/env';
const DC = 'real-1';
const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const run = promisify(execFile);
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function readEnvFile(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined) out[match[1]] = (match[2] ?? '').replace(/^"(.*)"$/, '$1');
  }
  return out;
}

const osEnv = readEnvFile(`${OPENSTACK_DIR}/env`);
const cephEnv = readEnvFile(CEPH_ENV);
const cloudsYaml = readFileSync(`${OPENSTACK_DIR}/clouds.yaml`, 'utf8');
const cloud = osEnv.OS_CLOUD ?? 'statsmoln-real';
const region = osEnv.STATSMOLN_OS_REGION ?? 'RegionOne';
const pool = cephEnv.CEPH_RBD_POOL ?? 'rbd';
const tenantName = `vol${process.pid}`;
const slow = { timeoutMs: 180_000, intervalMs: 1000 };

let api: ApiServer;
let client: KubeClient;
let admin: OpenStackClients;
let ceph: CephDashboardClient;
let operator: VolumeOperator | undefined;
let tenant: TenantFixture;
const registries: BackendRegistry[] = [];
const TIMEOUT_MS = Number(process.env.STATSMOLN_REAL_WAIT_MS ?? 240_000);

/** Waits like eventually, but fails with the object's conditions rather than the whole object. */
async function until<T>(read: () => Promise<T>, accept: (value: T) => boolean, what: string): Promise<T> {
  let last: T | undefined;
  try {
    return await eventually(async () => (last = await read()), accept, what, TIMEOUT_MS);
  } catch {
    const conditions = (last as { status?: { conditions?: unknown } } | undefined)?.status?.conditions;
    throw new Error(`timed out waiting for ${what}; conditions: ${JSON.stringify(conditions ?? last)}`);
  }
}

beforeAll(async () => {
  api = await startApiServer({ host: '127.0.0.1', port: 0 });
  await api.registerCrdsFromDir('crds');
  client = new KubeClient({ kubeConfig: kubeConfigForServer(api.url, api.token, api.caData) });
  admin = OpenStackClients.fromCloudsYaml(cloudsYaml, cloud, { registry: new Registry() });
  ceph = new CephDashboardClient({ url: cephEnv.CEPH_DASHBOARD_URL ?? 'http://127.0.0.1:8080', username: cephEnv.CEPH_DASHBOARD_USER ?? '', password: cephEnv.CEPH_DASHBOARD_PASSWORD ?? '' });
  const data = (entries: Record<string, string>) => Object.fromEntries(Object.entries(entries).map(([key, value]) => [key, Buffer.from(value).toString('base64')]));
  await client.create(NAMESPACES, { metadata: { name: OPERATOR_NAMESPACE } });
  await client.create(SECRETS, { metadata: { name: 'real-openstack', namespace: OPERATOR_NAMESPACE }, type: 'Opaque', data: data({ 'clouds.yaml': cloudsYaml }) });
  await client.create(SECRETS, {
    metadata: { name: 'real-ceph', namespace: OPERATOR_NAMESPACE },
    type: 'Opaque',
    data: data({ username: cephEnv.CEPH_DASHBOARD_USER ?? '', password: cephEnv.CEPH_DASHBOARD_PASSWORD ?? '' }),
  });
  const dataCenters = resourceTypeOf(dataCenterDefinition);
  const created = await client.create<KubeObject>(dataCenters, {
    apiVersion: 'statsmoln.io/v1alpha1',
    kind: 'DataCenter',
    metadata: { name: DC },
    spec: {
      displayName: 'Real services on loopback',
      country: 'SE',
      partitions: [
        {
          environment: 'production',
          openstack: { cloudsSecretRef: { name: 'real-openstack' }, cloud, region },
          ceph: { dashboardUrl: cephEnv.CEPH_DASHBOARD_URL ?? 'http://127.0.0.1:8080', credentialsSecretRef: { name: 'real-ceph' }, tenantPool: pool },
          externalNetwork: osEnv.STATSMOLN_OS_EXTERNAL_NETWORK_NAME ?? 'external',
          storageTiers: [{ name: 'hdd', cinderVolumeType: osEnv.STATSMOLN_OS_VOLUME_TYPE ?? 'standard', cephPool: pool }],
        },
      ],
    },
  });
  // The DataCenter controller is another engineer's part: the partition is declared Ready here.
  const now = new Date().toISOString();
  await client.updateStatus(dataCenters, {
    ...created,
    status: { observedGeneration: 1, partitions: [{ environment: 'production', ready: true, services: [], lastCheckTime: now }] },
  });
  tenant = await createTenant({ client, adminClients: () => admin }, tenantName, [{ dataCenter: DC, environment: 'production' }]);
  operator = await startVolumeOperator(
    {
      client,
      backendRegistry: (informer: SharedInformer<KubeObject>) => {
        const registry = new BackendRegistry({ client, operatorNamespace: OPERATOR_NAMESPACE, dataCenters: informer, timeoutMs: 60_000, metricsRegistry: new Registry() });
        registries.push(registry);
        return registry;
      },
    },
    slow,
  );
});

afterAll(async () => {
  await operator?.stop();
  for (const registry of registries) registry.close();
  const projectId = tenant?.projects.get(`${DC}/production`);
  if (projectId) {
    for (const volume of await admin.blockStorage.listVolumes({ projectId })) {
      await admin.blockStorage.deleteVolume(volume.id, { cascade: true }).catch(() => undefined);
      await admin.blockStorage.waitForVolumeGone(volume.id, slow).catch(() => undefined);
    }
    await admin.compute.deleteQuotaSet(projectId).catch(() => undefined);
    await admin.network.deleteQuota(projectId).catch(() => undefined);
    await admin.identity.deleteProject(projectId).catch(() => undefined);
  }
  const [domain] = await admin.identity.listDomains({ name: `agency-${tenantName}` });
  if (domain) await admin.identity.deleteDomain(domain.id).catch(() => undefined);
  await ceph.deleteNamespace(pool, `agency-${tenantName}`).catch(() => undefined);
  admin.close();
  await api.close();
});

const get = (type: typeof QUOTAS, name: string) => client.get<KubeObject>(type, tenant.namespace, name);
const status = (object: KubeObject) => (object.status ?? {}) as { backendId?: string; sizeGiB?: number; usedBytes?: number; deletionReceipt?: { action: string; confirmation: string } };

describe('quota and volumes against real OpenStack and Ceph', () => {
  it('converges a ComputeQuota into Nova and Neutron, and reports limits and use', async () => {
    await client.create(QUOTAS, quota(tenant.namespace, 'real', { dataCenter: DC, cores: 24, ramGiB: 48, instances: 12, serverGroups: 3, floatingIps: 2 }));
    const ready = await until(() => get(QUOTAS, 'real'), isReady, 'quota Ready');
    const projectId = tenant.projects.get(`${DC}/production`) ?? '';
    expect(await admin.compute.getQuotaSet(projectId)).toMatchObject({ cores: 24, ram: 48 * 1024, instances: 12, server_groups: 3 });
    expect((await admin.network.getQuota(projectId)).floatingip).toBe(2);
    expect(ready.status).toMatchObject({ projectId, limits: { cores: 24, ramGiB: 48, instances: 12, serverGroups: 3, floatingIps: 2 }, inUse: { cores: 0, instances: 0 } });
  });

  it('creates, grows and deletes a Cinder volume with a confirmed receipt', async () => {
    await client.create(VOLUMES, storageVolume(tenant.namespace, 'cinder', { dataCenter: DC, sizeGiB: 1, tier: 'hdd', deletionPolicy: 'Delete' }));
    const ready = await until(() => get(VOLUMES, 'cinder'), isReady, 'cinder volume Ready');
    const id = status(ready).backendId ?? '';
    const volume = await admin.blockStorage.getVolume(id);
    expect(volume).toMatchObject({ name: `${tenant.namespace}/cinder`, size: 1, status: 'available', metadata: { 'statsmoln.io:uid': ready.metadata?.uid } });

    await client.update(VOLUMES, { ...ready, spec: { ...(ready.spec as object), sizeGiB: 2 } });
    await until(() => get(VOLUMES, 'cinder'), (object) => isReady(object) && status(object).sizeGiB === 2, 'grown');
    expect((await admin.blockStorage.getVolume(id)).size).toBe(2);

    const current = await get(VOLUMES, 'cinder');
    await client.update(VOLUMES, { ...current, metadata: { ...current.metadata, finalizers: [...(current.metadata?.finalizers ?? []), 'test.statsmoln.io/hold'] } });
    await client.delete(VOLUMES, tenant.namespace, 'cinder');
    const held = await until(() => get(VOLUMES, 'cinder'), (object) => !(object.metadata?.finalizers ?? []).includes('statsmoln.io/cleanup'), 'finalized');
    expect(status(held).deletionReceipt).toMatchObject({ action: 'Deleted' });
    expect(status(held).deletionReceipt?.confirmation).toContain(`GET /volumes/${id} answered 404`);
    await expect(admin.blockStorage.getVolume(id)).rejects.toMatchObject({ kind: 'NotFound' });
    await client.update(VOLUMES, { ...held, metadata: { ...held.metadata, finalizers: [] } });
  });

  it('deletionPolicy Snapshot keeps a final copy in the project and deletes the volume', async () => {
    await client.create(VOLUMES, storageVolume(tenant.namespace, 'kept-copy', { dataCenter: DC, sizeGiB: 1, tier: 'hdd', deletionPolicy: 'Snapshot' }));
    const ready = await until(() => get(VOLUMES, 'kept-copy'), isReady, 'volume Ready');
    const id = status(ready).backendId ?? '';
    await client.update(VOLUMES, { ...ready, metadata: { ...ready.metadata, finalizers: [...(ready.metadata?.finalizers ?? []), 'test.statsmoln.io/hold'] } });
    await client.delete(VOLUMES, tenant.namespace, 'kept-copy');
    const held = await until(() => get(VOLUMES, 'kept-copy'), (object) => !(object.metadata?.finalizers ?? []).includes('statsmoln.io/cleanup'), 'finalized');
    const receipt = status(held).deletionReceipt as { action: string; snapshotId?: string; confirmation: string } | undefined;
    expect(receipt).toMatchObject({ action: 'SnapshotThenDeleted' });
    await expect(admin.blockStorage.getVolume(id)).rejects.toMatchObject({ kind: 'NotFound' });
    const copy = await admin.blockStorage.getVolume(receipt?.snapshotId ?? '');
    expect(copy).toMatchObject({ status: 'available', size: 1, metadata: { 'statsmoln.io:final-copy-of': id } });
    expect(copy.name).toMatch(new RegExp(`^${tenant.namespace}/kept-copy@final-`));
    await client.update(VOLUMES, { ...held, metadata: { ...held.metadata, finalizers: [] } });
  });

  it('creates, grows and deletes a raw RBD image in the agency namespace, with Ceph usage', async () => {
    await client.create(VOLUMES, storageVolume(tenant.namespace, 'raw', { dataCenter: DC, sizeGiB: 1, tier: 'hdd', backend: 'rbd', deletionPolicy: 'Delete' }));
    const ready = await until(() => get(VOLUMES, 'raw'), isReady, 'rbd volume Ready');
    const spec = { pool, namespace: `agency-${tenantName}`, name: `${tenant.namespace}.raw` };
    expect(status(ready)).toMatchObject({ backendId: `${pool}/agency-${tenantName}/${tenant.namespace}.raw`, sizeGiB: 1 });
    expect(typeof status(ready).usedBytes).toBe('number');
    expect((await ceph.getImage(spec)).sizeBytes).toBe(GIB);

    await client.update(VOLUMES, { ...ready, spec: { ...(ready.spec as object), sizeGiB: 2 } });
    await until(() => get(VOLUMES, 'raw'), (object) => isReady(object) && status(object).sizeGiB === 2, 'grown');
    expect((await ceph.getImage(spec)).sizeBytes).toBe(2 * GIB);

    await client.delete(VOLUMES, tenant.namespace, 'raw');
    await until(async () => (await client.list(VOLUMES, { namespace: tenant.namespace })).items.length, (count) => count === 0, 'deleted');
    await expect(ceph.getImage(spec)).rejects.toMatchObject({ name: 'NotFoundError' });
    expect(conditionOf(ready, 'Ready')?.status).toBe('True');
  });

  it('deletionPolicy Snapshot on rbd keeps a final image with the data and deletes the original', async () => {
    await client.create(VOLUMES, storageVolume(tenant.namespace, 'raw-kept', { dataCenter: DC, sizeGiB: 1, tier: 'hdd', backend: 'rbd', deletionPolicy: 'Snapshot' }));
    const ready = await until(() => get(VOLUMES, 'raw-kept'), isReady, 'rbd volume with deletionPolicy Snapshot Ready');
    const spec = { pool, namespace: `agency-${tenantName}`, name: `${tenant.namespace}.raw-kept` };
    const backendId = `${pool}/agency-${tenantName}/${tenant.namespace}.raw-kept`;
    expect(status(ready).backendId).toBe(backendId);
    // 6 MiB written by a client touch two 4 MiB objects.
    await run('rbd', ['--conf', cephEnv.CEPH_CONF ?? '', 'bench', '--io-type', 'write', '--io-size', '4096', '--io-threads', '1', '--io-pattern', 'seq', '--io-total', String(6 * MIB), formatImageSpec(spec)]);
    expect((await ceph.getImage(spec)).usedBytes).toBe(8 * MIB);

    await client.update(VOLUMES, { ...ready, metadata: { ...ready.metadata, finalizers: [...(ready.metadata?.finalizers ?? []), 'test.statsmoln.io/hold'] } });
    await client.delete(VOLUMES, tenant.namespace, 'raw-kept');
    const held = await until(() => get(VOLUMES, 'raw-kept'), (object) => !(object.metadata?.finalizers ?? []).includes('statsmoln.io/cleanup'), 'finalized');
    await client.update(VOLUMES, { ...held, metadata: { ...held.metadata, finalizers: [] } });

    const receipt = status(held).deletionReceipt as { action: string; backendId?: string; snapshotId?: string; confirmation: string } | undefined;
    expect(receipt).toMatchObject({ action: 'SnapshotThenDeleted', backendId, snapshotId: expect.stringMatching(new RegExp(`^${escape(backendId)}\\.final-\\d{8}T\\d{6}Z$`)) });
    const finalSpec = parseImageSpec(receipt?.snapshotId ?? '');
    const time = finalSpec.name.slice(`${spec.name}.final-`.length);
    expect(receipt?.confirmation).toMatch(
      new RegExp(`^snapshot ${escape(backendId)}@final-${time} copied to final image ${escape(receipt?.snapshotId ?? '')} \\(id [0-9a-f]+\\), then image ${escape(backendId)} deleted; GET answered 404`),
    );
    await expect(ceph.getImage(spec)).rejects.toMatchObject({ name: 'NotFoundError', status: 404 });
    await expect(ceph.getImage({ ...finalSpec, name: `${finalSpec.name}.partial` })).rejects.toMatchObject({ name: 'NotFoundError' });
    const kept = await ceph.getImage(finalSpec);
    expect(kept).toMatchObject({ sizeBytes: GIB, usedBytes: 8 * MIB, snapshots: [] });
    expect(receipt?.confirmation).toContain(`(id ${kept.id})`);
    // The final copy is the agency's data and outlives the object; this test removes it.
    await ceph.deleteImage(finalSpec);
  });
});
