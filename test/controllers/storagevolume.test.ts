/**
 * StorageVolume end to end: embedded API server, OpenStack and Ceph simulators, the generic loop.
 */
import { jest } from '@jest/globals';
import { startHarness, TENANT_POOL, type Harness } from './support/harness.js';
import { createTenant, type TenantFixture } from './support/volume-tenant.js';
import { conditionOf, countRequests, eventually, isReady, startVolumeOperator, storageVolume, VOLUMES, type VolumeOperator } from './support/volume-operator.js';
import { METADATA_FINAL_COPY_OF } from '../../src/controllers/storagevolume/index.js';
import { BlockStorageClient } from '../../src/backends/openstack/index.js';
import { CephDashboardClient, type ImageSpec } from '../../src/backends/ceph/index.js';
import type { KubeObject } from '../../src/runtime/index.js';

const GIB = 1024 ** 3;
const HOLD = 'test.statsmoln.io/hold';
const CREATE_VOLUME = 'cinder POST /v3/:project/volumes 202';

let h: Harness;
let operator: VolumeOperator;
/** Confidentiality 2: encrypted Cinder volumes. */
let secret: TenantFixture;
/** Confidentiality 1: raw RBD images allowed. */
let open: TenantFixture;

interface VolumeStatus {
  phase?: string;
  backendId?: string;
  sizeGiB?: number;
  replication?: { state: string; message?: string };
  usedBytes?: number;
  deletionReceipt?: { action: string; backendId: string; snapshotId?: string; time: string; confirmation: string };
}
const statusOf = (object: KubeObject): VolumeStatus => (object.status ?? {}) as VolumeStatus;
const get = (tenant: TenantFixture, name: string) => h.client.get<KubeObject>(VOLUMES, tenant.namespace, name);
const projectOf = (tenant: TenantFixture) => tenant.projects.get('sto-1/production') ?? '';
const cinder = () => h.adminClients('sto-1').blockStorage;
const volumesNamed = (tenant: TenantFixture, name: string) => cinder().listVolumes({ projectId: projectOf(tenant), name });

async function ready(tenant: TenantFixture, name: string): Promise<KubeObject> {
  return eventually(() => get(tenant, name), isReady, `${tenant.namespace}/${name} Ready`);
}

/** Deletes the object while a test finalizer holds it, so that its last status (the receipt) can be read. */
async function deleteAndReadReceipt(tenant: TenantFixture, name: string): Promise<VolumeStatus> {
  const current = await get(tenant, name);
  await h.client.update(VOLUMES, { ...current, metadata: { ...current.metadata, finalizers: [...(current.metadata?.finalizers ?? []), HOLD] } });
  await h.client.delete(VOLUMES, tenant.namespace, name);
  const held = await eventually(() => get(tenant, name), (object) => !(object.metadata?.finalizers ?? []).includes('statsmoln.io/cleanup'), 'finalized');
  await h.client.update(VOLUMES, { ...held, metadata: { ...held.metadata, finalizers: [] } });
  return statusOf(held);
}

beforeAll(async () => {
  h = await startHarness({ dataCenters: ['sto-1', 'gbg-1'] });
  await h.createDataCenter('sto-1', ['production', 'test']);
  await h.createDataCenter('gbg-1', ['production', 'test']);
  secret = await createTenant(h, 'skatteverket', [{ dataCenter: 'sto-1', environment: 'production' }, { dataCenter: 'gbg-1', environment: 'production' }], { confidentiality: 2 });
  open = await createTenant(h, 'bolagsverket', [{ dataCenter: 'sto-1', environment: 'production' }], { confidentiality: 1 });
  operator = await startVolumeOperator(h);
});

afterAll(async () => {
  await operator?.stop();
  await h?.close();
});

describe('StorageVolume on Cinder', () => {
  it('creates the example volumes: named after the object, encrypted type, uid metadata, Available', async () => {
    await h.client.create(VOLUMES, storageVolume(secret.namespace, 'deklarationer-db', { sizeGiB: 2048, tier: 'flash', encrypted: true, deletionPolicy: 'Snapshot', replication: { dataCenter: 'gbg-1', intervalMinutes: 15 } }));
    await h.client.create(VOLUMES, storageVolume(secret.namespace, 'arkiv', { dataCenter: 'gbg-1', sizeGiB: 10240, tier: 'hdd', encrypted: true }));
    const db = await ready(secret, 'deklarationer-db');
    const arkiv = await ready(secret, 'arkiv');

    const [created] = await volumesNamed(secret, 'agency-skatteverket/deklarationer-db');
    expect(created).toMatchObject({ size: 2048, volume_type: 'encrypted', status: 'available', metadata: { 'statsmoln.io:uid': db.metadata?.uid } });
    expect(statusOf(db)).toMatchObject({ phase: 'Available', backendId: created?.id, sizeGiB: 2048 });
    expect(statusOf(db).usedBytes).toBeUndefined();
    // Replication is asked for and not implemented: the status says so instead of staying silent.
    expect(statusOf(db).replication).toEqual({ state: 'NotReplicated', message: expect.stringContaining('spec.replication to gbg-1 is not implemented') });
    expect(statusOf(arkiv).replication).toBeUndefined();
    const gbg = await h.adminClients('gbg-1').blockStorage.listVolumes({ projectId: projectOf(secret), name: 'agency-skatteverket/arkiv' });
    expect(gbg.map((volume) => [volume.size, volume.volume_type])).toEqual([[10240, 'encrypted']]);
    expect(statusOf(arkiv).backendId).toBe(gbg[0]?.id);
    // Both exceed Cinder's default 1000 GiB: the project's quota was raised to fit, not unlimited.
    expect((await cinder().getQuotaSet(projectOf(secret))).gigabytes).toBe(2048);
    expect((await h.adminClients('gbg-1').blockStorage.getQuotaSet(projectOf(secret))).gigabytes).toBe(10240);
  });

  it('growing a volume makes exactly one extend call and no create, and the size follows', async () => {
    const current = await get(secret, 'deklarationer-db');
    h.openstack.resetCounters();
    await h.client.update(VOLUMES, { ...current, spec: { ...(current.spec as object), sizeGiB: 3072 } });
    const grown = await eventually(() => get(secret, 'deklarationer-db'), (object) => isReady(object) && statusOf(object).sizeGiB === 3072, 'grown');
    expect(countRequests(h, 'cinder POST', '/volumes/:id/action')).toBe(1);
    expect(countRequests(h, CREATE_VOLUME)).toBe(0);
    expect(countRequests(h, 'cinder DELETE')).toBe(0);
    expect((await cinder().getVolume(statusOf(grown).backendId ?? '')).size).toBe(3072);
  });

  it('a no-change resync reads but writes nothing', async () => {
    const current = await get(secret, 'deklarationer-db');
    h.openstack.resetCounters();
    await h.client.update(VOLUMES, { ...current, metadata: { ...current.metadata, labels: { resync: '1' } } });
    await eventually(async () => countRequests(h, 'cinder GET'), (reads) => reads >= 1, 'a resync read');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(countRequests(h, 'cinder POST') + countRequests(h, 'cinder PUT') + countRequests(h, 'cinder DELETE')).toBe(0);
  });

  it('refuses a volume whose deterministic name is taken by another owner, touching nothing', async () => {
    const project = h.adminClients('sto-1').forProject(projectOf(secret));
    // Room for a volume made outside statsmoln: the operator raised the quota only as far as its own volumes need.
    const limit = (await cinder().getQuotaSet(projectOf(secret))).gigabytes;
    await cinder().updateQuotaSet(projectOf(secret), { gigabytes: limit + 1 });
    const foreign = await project.blockStorage.createVolume({ name: 'agency-skatteverket/taken', size: 1, volume_type: 'encrypted', metadata: { 'statsmoln.io:uid': 'someone-else' } });
    h.openstack.resetCounters();
    await h.client.create(VOLUMES, storageVolume(secret.namespace, 'taken', { encrypted: true }));
    const stalled = await eventually(() => get(secret, 'taken'), (object) => conditionOf(object, 'Stalled')?.status === 'True', 'Stalled');
    expect(conditionOf(stalled, 'Stalled')).toMatchObject({ reason: 'InvalidConfiguration' });
    expect(conditionOf(stalled, 'Stalled')?.message).toContain(`Cinder volume ${foreign.id} "agency-skatteverket/taken" is owned by another object`);
    expect(countRequests(h, 'cinder POST') + countRequests(h, 'cinder DELETE')).toBe(0);
    await h.client.delete(VOLUMES, secret.namespace, 'taken');
    project.close();
  });

  it('never duplicates a volume when the operator dies between the create call and the status write', async () => {
    h.openstack.resetCounters();
    // The operator dies while it waits for the volume it has just asked Cinder to create.
    let kill: ((reason: Error) => void) | undefined;
    const wait = jest.spyOn(BlockStorageClient.prototype, 'waitForVolumeAvailable').mockImplementationOnce(
      () => new Promise((_resolve, reject) => (kill = reject)),
    );
    await h.client.create(VOLUMES, storageVolume(secret.namespace, 'crash', { sizeGiB: 50, encrypted: true }));
    await eventually(async () => kill !== undefined, (started) => started, 'the wait after the create call');
    expect(countRequests(h, CREATE_VOLUME)).toBe(1);
    const stopping = operator.stop();
    kill?.(new Error('operator killed'));
    await stopping;
    wait.mockRestore();
    expect(statusOf(await get(secret, 'crash')).backendId).toBeUndefined();

    operator = await startVolumeOperator(h);
    const recovered = await ready(secret, 'crash');
    expect(countRequests(h, CREATE_VOLUME)).toBe(1);
    const named = await volumesNamed(secret, 'agency-skatteverket/crash');
    expect(named).toHaveLength(1);
    expect(statusOf(recovered).backendId).toBe(named[0]?.id);
  });

  it('Retain leaves the volume and records a receipt', async () => {
    const before = statusOf(await ready(secret, 'arkiv'));
    h.openstack.resetCounters();
    const last = await deleteAndReadReceipt(secret, 'arkiv');
    expect(last.phase).toBe('Retained');
    expect(last.deletionReceipt).toMatchObject({ action: 'Retained', backendId: before.backendId });
    expect(last.deletionReceipt?.confirmation).toContain('deletionPolicy Retain: the volume and its data were left in place');
    expect(countRequests(h, 'cinder DELETE') + countRequests(h, 'cinder POST')).toBe(0);
    expect((await h.adminClients('gbg-1').blockStorage.getVolume(before.backendId ?? '')).status).toBe('available');
  });

  it('Delete deletes the volume and confirms it is gone with a 404 on read-back', async () => {
    await h.client.create(VOLUMES, storageVolume(secret.namespace, 'test-db', { sizeGiB: 200, encrypted: true, deletionPolicy: 'Delete' }));
    const id = statusOf(await ready(secret, 'test-db')).backendId ?? '';
    h.openstack.resetCounters();
    const last = await deleteAndReadReceipt(secret, 'test-db');
    expect(last.deletionReceipt).toMatchObject({ action: 'Deleted', backendId: id });
    expect(last.deletionReceipt?.confirmation).toMatch(new RegExp(`volume ${id} deleted; GET /volumes/${id} answered 404`));
    expect(countRequests(h, 'cinder DELETE')).toBe(1);
    await expect(cinder().getVolume(id)).rejects.toMatchObject({ kind: 'NotFound' });
  });

  it('a crash between the delete call and its confirmation still ends in a confirmed receipt, with one delete', async () => {
    await h.client.create(VOLUMES, storageVolume(secret.namespace, 'half-deleted', { sizeGiB: 5, encrypted: true, deletionPolicy: 'Delete' }));
    const id = statusOf(await ready(secret, 'half-deleted')).backendId ?? '';
    h.openstack.resetCounters();
    const gone = jest.spyOn(BlockStorageClient.prototype, 'waitForVolumeGone').mockRejectedValueOnce(new Error('operator killed'));
    const last = await deleteAndReadReceipt(secret, 'half-deleted');
    gone.mockRestore();
    expect(countRequests(h, 'cinder DELETE')).toBe(1);
    expect(last.deletionReceipt).toMatchObject({ action: 'Deleted', backendId: id });
    expect(last.deletionReceipt?.confirmation).toContain(`GET /volumes/${id} answered 404`);
  });

  it('Snapshot keeps a final copy from a snapshot, then deletes the volume and confirms it', async () => {
    const id = statusOf(await ready(secret, 'deklarationer-db')).backendId ?? '';
    h.openstack.resetCounters();
    const last = await deleteAndReadReceipt(secret, 'deklarationer-db');
    expect(last.deletionReceipt).toMatchObject({ action: 'SnapshotThenDeleted', backendId: id });
    await expect(cinder().getVolume(id)).rejects.toMatchObject({ kind: 'NotFound' });
    const copies = await cinder().listVolumes({ projectId: projectOf(secret), metadata: { [METADATA_FINAL_COPY_OF]: id } });
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatchObject({ id: last.deletionReceipt?.snapshotId, size: 3072, volume_type: 'encrypted', status: 'available' });
    expect(copies[0]?.name).toMatch(/^agency-skatteverket\/deklarationer-db@final-\d{8}T\d{6}Z$/);
    expect(countRequests(h, 'cinder POST /v3/:project/snapshots 202')).toBe(1);
    expect(countRequests(h, CREATE_VOLUME)).toBe(1);
    expect(countRequests(h, 'cinder DELETE')).toBe(1);
  });
  it('a crash between the delete of the original and the receipt still names the final copy in the receipt', async () => {
    await h.client.create(VOLUMES, storageVolume(secret.namespace, 'snap-gone-db', { sizeGiB: 5, encrypted: true, deletionPolicy: 'Snapshot' }));
    const id = statusOf(await ready(secret, 'snap-gone-db')).backendId ?? '';
    h.openstack.resetCounters();
    const gone = jest.spyOn(BlockStorageClient.prototype, 'waitForVolumeGone').mockRejectedValueOnce(new Error('operator killed'));
    const last = await deleteAndReadReceipt(secret, 'snap-gone-db');
    gone.mockRestore();
    const copies = await cinder().listVolumes({ projectId: projectOf(secret), metadata: { [METADATA_FINAL_COPY_OF]: id } });
    expect(copies).toHaveLength(1);
    expect(last.deletionReceipt).toMatchObject({ action: 'SnapshotThenDeleted', backendId: id, snapshotId: copies[0]?.id });
    expect(last.deletionReceipt?.confirmation).toContain(`GET /volumes/${id} answered 404`);
    expect(countRequests(h, CREATE_VOLUME)).toBe(1);
    expect(countRequests(h, 'cinder DELETE')).toBe(1);
  });
});

describe('StorageVolume import and Observe', () => {
  it('adopts an existing volume by id and tags it with the owner uid', async () => {
    const project = h.adminClients('sto-1').forProject(projectOf(secret));
    const existing = await project.blockStorage.createVolume({ name: 'legacy-data', size: 20, volume_type: 'encrypted' });
    await project.blockStorage.waitForVolumeAvailable(existing.id, { intervalMs: 10 });
    h.openstack.resetCounters();
    await h.client.create(VOLUMES, storageVolume(secret.namespace, 'legacy', { sizeGiB: 20, encrypted: true, import: { id: existing.id } }));
    const adopted = await ready(secret, 'legacy');
    expect(statusOf(adopted)).toMatchObject({ phase: 'Available', backendId: existing.id, sizeGiB: 20 });
    expect((await cinder().getVolume(existing.id)).metadata['statsmoln.io:uid']).toBe(adopted.metadata?.uid);
    expect(countRequests(h, CREATE_VOLUME)).toBe(0);
    expect(countRequests(h, 'cinder POST /v3/:project/volumes/:id/metadata')).toBe(1);
    project.close();
  });

  it('import by a missing id is terminal; by a filter with no match waits; with two matches is terminal', async () => {
    await h.client.create(VOLUMES, storageVolume(secret.namespace, 'missing-id', { encrypted: true, import: { id: '00000000-0000-0000-0000-000000000000' } }));
    await h.client.create(VOLUMES, storageVolume(secret.namespace, 'no-match', { encrypted: true, import: { filter: { name: 'not-there' } } }));
    const project = h.adminClients('sto-1').forProject(projectOf(secret));
    for (let copy = 0; copy < 2; copy += 1) await project.blockStorage.createVolume({ name: 'twice', size: 1, volume_type: 'encrypted' });
    await h.client.create(VOLUMES, storageVolume(secret.namespace, 'two-matches', { encrypted: true, import: { filter: { name: 'twice' } } }));

    const missing = await eventually(() => get(secret, 'missing-id'), (object) => conditionOf(object, 'Stalled')?.status === 'True', 'Stalled');
    expect(conditionOf(missing, 'Stalled')?.message).toContain('import.id: Cinder volume 00000000-0000-0000-0000-000000000000 does not exist');
    const waiting = await eventually(() => get(secret, 'no-match'), (object) => conditionOf(object, 'Reconciling')?.status === 'True', 'Reconciling');
    expect(conditionOf(waiting, 'Reconciling')).toMatchObject({ reason: 'ImportNotFound' });
    const two = await eventually(() => get(secret, 'two-matches'), (object) => conditionOf(object, 'Stalled')?.status === 'True', 'Stalled');
    expect(conditionOf(two, 'Stalled')).toMatchObject({ reason: 'InvalidConfiguration' });
    expect(conditionOf(two, 'Stalled')?.message).toContain('import.filter: 2 Cinder volumes are named "twice"');
    project.close();
  });

  it('under managementPolicy Observe creates nothing and says what it would do', async () => {
    h.openstack.resetCounters();
    await h.client.create(VOLUMES, storageVolume(secret.namespace, 'observed', { encrypted: true, managementPolicy: 'Observe' }));
    const observed = await eventually(() => get(secret, 'observed'), (object) => conditionOf(object, 'Stalled')?.status === 'True', 'Stalled');
    expect(conditionOf(observed, 'Stalled')).toMatchObject({ reason: 'ObservedDifference', message: 'managementPolicy Observe: 1 to create needed; not acting' });
    expect(statusOf(observed).phase).toBe('Pending');
    expect(countRequests(h, 'cinder POST')).toBe(0);
  });

  it('waits with ProjectAccessNotReady while the operator has no role in the project', async () => {
    const locked = await createTenant(h, 'kronofogden', [{ dataCenter: 'sto-1', environment: 'production' }], { withoutOperatorRole: true });
    h.openstack.resetCounters();
    await h.client.create(VOLUMES, storageVolume(locked.namespace, 'data'));
    const waiting = await eventually(() => h.client.get<KubeObject>(VOLUMES, locked.namespace, 'data'), (object) => conditionOf(object, 'Reconciling')?.reason === 'ProjectAccessNotReady', 'ProjectAccessNotReady');
    expect(conditionOf(waiting, 'Reconciling')?.message).toContain(`the operator's user cannot act in project ${locked.projects.get('sto-1/production') ?? ''} yet`);
    expect(countRequests(h, CREATE_VOLUME)).toBe(0);
  });

  it('waits with TenantNotReady while the tenant has no project', async () => {
    const late = await createTenant(h, 'polisen', [{ dataCenter: 'sto-1', environment: 'production' }], { withoutProjects: true });
    await h.client.create(VOLUMES, storageVolume(late.namespace, 'early'));
    const waiting = await eventually(() => h.client.get<KubeObject>(VOLUMES, late.namespace, 'early'), (object) => conditionOf(object, 'Reconciling')?.status === 'True', 'Reconciling');
    expect(conditionOf(waiting, 'Reconciling')).toMatchObject({ reason: 'TenantNotReady' });
  });
});

describe('StorageVolume on RBD', () => {
  const image = (name: string) => ({ pool: TENANT_POOL, namespace: 'agency-bolagsverket', name: `agency-bolagsverket.${name}` });

  it('creates the namespace and the image, and reports Ceph disk usage', async () => {
    await h.client.create(VOLUMES, storageVolume(open.namespace, 'scratch', { backend: 'rbd', sizeGiB: 10, tier: 'hdd', deletionPolicy: 'Delete' }));
    const created = await ready(open, 'scratch');
    const sim = h.ceph.cluster.findImage(TENANT_POOL, 'agency-bolagsverket', 'agency-bolagsverket.scratch');
    expect(sim?.size).toBe(10 * GIB);
    expect(statusOf(created)).toMatchObject({ phase: 'Available', backendId: 'agencies/agency-bolagsverket/agency-bolagsverket.scratch', sizeGiB: 10, usedBytes: 0 });

    h.ceph.writeImage(image('scratch'), 0, 8 * 1024 * 1024);
    const touched = await get(open, 'scratch');
    await h.client.update(VOLUMES, { ...touched, metadata: { ...touched.metadata, labels: { resync: '1' } } });
    const used = await eventually(() => get(open, 'scratch'), (object) => (statusOf(object).usedBytes ?? 0) > 0, 'usage');
    expect(statusOf(used).usedBytes).toBe(h.ceph.rbdDuUsedBytes(image('scratch')));
  });

  it('growing an image resizes it once and creates nothing', async () => {
    const resize = jest.spyOn(h.ceph.cluster, 'resizeImage');
    const create = jest.spyOn(h.ceph.cluster, 'createImage');
    const current = await get(open, 'scratch');
    await h.client.update(VOLUMES, { ...current, spec: { ...(current.spec as object), sizeGiB: 25 } });
    await eventually(() => get(open, 'scratch'), (object) => isReady(object) && statusOf(object).sizeGiB === 25, 'grown');
    expect(resize).toHaveBeenCalledTimes(1);
    expect(resize.mock.calls[0]?.[1]).toBe(25 * GIB);
    expect(create).not.toHaveBeenCalled();
    resize.mockRestore();
    create.mockRestore();
  });

  it('Delete removes the image and confirms it; Retain keeps it', async () => {
    await h.client.create(VOLUMES, storageVolume(open.namespace, 'kept', { backend: 'rbd', sizeGiB: 1, tier: 'hdd' }));
    await ready(open, 'kept');
    const deleted = await deleteAndReadReceipt(open, 'scratch');
    expect(deleted.deletionReceipt).toMatchObject({ action: 'Deleted', backendId: 'agencies/agency-bolagsverket/agency-bolagsverket.scratch' });
    expect(deleted.deletionReceipt?.confirmation).toContain('GET answered 404');
    expect(h.ceph.cluster.findImage(TENANT_POOL, 'agency-bolagsverket', 'agency-bolagsverket.scratch')).toBeUndefined();
    const kept = await deleteAndReadReceipt(open, 'kept');
    expect(kept.deletionReceipt).toMatchObject({ action: 'Retained', backendId: 'agencies/agency-bolagsverket/agency-bolagsverket.kept' });
    expect(h.ceph.cluster.findImage(TENANT_POOL, 'agency-bolagsverket', 'agency-bolagsverket.kept')).toBeDefined();
  });

  const MiB = 1024 * 1024;
  const SPEC_PREFIX = 'agencies/agency-bolagsverket/';
  const imagesNamed = (prefix: string): string[] =>
    [...(h.ceph.cluster.pools.get(TENANT_POOL)?.namespaces.get('agency-bolagsverket')?.keys() ?? [])].filter((name) => name.startsWith(prefix)).sort();
  const cephCount = (...fragments: string[]): number =>
    Object.entries(h.ceph.requestCounts())
      .filter(([key]) => fragments.every((fragment) => key.includes(fragment)))
      .reduce((sum, [, count]) => sum + count, 0);
  const SNAP_CREATE = 'dashboard POST /api/block/image/{image_spec}/snap 201';
  const COPY = 'dashboard POST /api/block/image/{image_spec}/copy 200';
  /** A 1 GiB raw RBD volume with deletionPolicy Snapshot, created and Ready. */
  async function readySnapshotImage(name: string): Promise<KubeObject> {
    await h.client.create(VOLUMES, storageVolume(open.namespace, name, { backend: 'rbd', sizeGiB: 1, tier: 'hdd', deletionPolicy: 'Snapshot' }));
    return ready(open, name);
  }

  it('deletionPolicy Snapshot: an rbd volume converges Ready like any other', async () => {
    const created = await readySnapshotImage('snap');
    expect(statusOf(created)).toMatchObject({ phase: 'Available', backendId: `${SPEC_PREFIX}agency-bolagsverket.snap`, sizeGiB: 1, usedBytes: 0 });
    expect(conditionOf(created, 'Stalled')?.status).not.toBe('True');
    expect(h.ceph.cluster.findImage(TENANT_POOL, 'agency-bolagsverket', 'agency-bolagsverket.snap')?.size).toBe(GIB);
  });

  it('Snapshot on rbd keeps exactly one final image with the data, deletes the original and confirms it', async () => {
    h.ceph.writeImage(image('snap'), 0, 6 * MiB);
    const originalId = h.ceph.cluster.findImage(TENANT_POOL, 'agency-bolagsverket', 'agency-bolagsverket.snap')?.id;
    h.ceph.resetCounters();
    const last = await deleteAndReadReceipt(open, 'snap');

    expect(h.ceph.cluster.findImage(TENANT_POOL, 'agency-bolagsverket', 'agency-bolagsverket.snap')).toBeUndefined();
    const finals = imagesNamed('agency-bolagsverket.snap.');
    expect(finals).toHaveLength(1);
    const [finalName = ''] = finals;
    expect(finalName).toMatch(/^agency-bolagsverket\.snap\.final-\d{8}T\d{6}Z$/);
    const time = finalName.slice('agency-bolagsverket.snap.final-'.length);
    const copy = h.ceph.cluster.findImage(TENANT_POOL, 'agency-bolagsverket', finalName);
    expect(copy?.size).toBe(GIB);
    expect(copy?.id).not.toBe(originalId);
    // The original's 6 MiB touched two 4 MiB objects: the copy holds the same data.
    expect(h.ceph.rbdDuUsedBytes({ ...image('snap'), name: finalName })).toBe(8 * MiB);
    expect(copy?.snapshots).toEqual([]);

    expect(last.phase).toBe('Deleting');
    expect(last.deletionReceipt).toMatchObject({ action: 'SnapshotThenDeleted', backendId: `${SPEC_PREFIX}agency-bolagsverket.snap`, snapshotId: `${SPEC_PREFIX}${finalName}` });
    const confirmation = last.deletionReceipt?.confirmation ?? '';
    expect(confirmation.replace(/ \[[0-9a-f-]+\]$/, '')).toBe(
      `snapshot ${SPEC_PREFIX}agency-bolagsverket.snap@final-${time} copied to final image ${SPEC_PREFIX}${finalName} (id ${copy?.id ?? ''}), ` +
        `then image ${SPEC_PREFIX}agency-bolagsverket.snap deleted; GET answered 404`,
    );
    expect(confirmation).toMatch(/GET answered 404 \[[0-9a-f-]+\]$/);
    expect(cephCount(SNAP_CREATE)).toBe(1);
    expect(cephCount(COPY)).toBe(1);
    expect(cephCount('dashboard PUT /api/block/image/{image_spec} 200')).toBe(1);
    expect(cephCount('dashboard DELETE /api/block/image/{image_spec} 204')).toBe(1);
  });

  it('a crash between the copy and the delete of the original makes no second snapshot or copy', async () => {
    await readySnapshotImage('snap-crash');
    h.ceph.writeImage(image('snap-crash'), 0, 5 * MiB);
    h.ceph.resetCounters();
    // The original's delete fails (500, not retried) until the fault is cleared: every attempt
    // up to then has made the snapshot and the final image, and died before the delete.
    h.ceph.dashboardFaults.add({ method: 'DELETE', path: /^\/api\/block\/image\/agencies%2Fagency-bolagsverket%2Fagency-bolagsverket\.snap-crash$/, status: 500 });
    const current = await get(open, 'snap-crash');
    await h.client.update(VOLUMES, { ...current, metadata: { ...current.metadata, finalizers: [...(current.metadata?.finalizers ?? []), HOLD] } });
    await h.client.delete(VOLUMES, open.namespace, 'snap-crash');
    await eventually(async () => cephCount('dashboard DELETE /api/block/image/{image_spec} 500'), (failed) => failed >= 2, 'two failed deletes of the original');
    expect(h.ceph.cluster.findImage(TENANT_POOL, 'agency-bolagsverket', 'agency-bolagsverket.snap-crash')).toBeDefined();
    expect(imagesNamed('agency-bolagsverket.snap-crash.')).toEqual([expect.stringMatching(/^agency-bolagsverket\.snap-crash\.final-\d{8}T\d{6}Z$/)]);
    h.ceph.dashboardFaults.clear();

    const held = await eventually(() => get(open, 'snap-crash'), (object) => !(object.metadata?.finalizers ?? []).includes('statsmoln.io/cleanup'), 'finalized');
    await h.client.update(VOLUMES, { ...held, metadata: { ...held.metadata, finalizers: [] } });
    const finals = imagesNamed('agency-bolagsverket.snap-crash.');
    expect(finals).toHaveLength(1);
    expect(h.ceph.rbdDuUsedBytes({ ...image('snap-crash'), name: finals[0] ?? '' })).toBe(8 * MiB);
    expect(h.ceph.cluster.findImage(TENANT_POOL, 'agency-bolagsverket', 'agency-bolagsverket.snap-crash')).toBeUndefined();
    expect(statusOf(held).deletionReceipt).toMatchObject({ action: 'SnapshotThenDeleted', snapshotId: `${SPEC_PREFIX}${finals[0] ?? ''}` });
    expect(cephCount(SNAP_CREATE)).toBe(1);
    expect(cephCount(COPY)).toBe(1);
    expect(cephCount('dashboard DELETE /api/block/image/{image_spec} 204')).toBe(1);
  });

  it('a torn partial copy from an earlier attempt is deleted and copied again from the same snapshot', async () => {
    await readySnapshotImage('snap-torn');
    // An earlier attempt took the snapshot, and its copy died half way (no copy task is running).
    const original = h.ceph.cluster.openImage(TENANT_POOL, 'agency-bolagsverket', 'agency-bolagsverket.snap-torn');
    h.ceph.writeImage(image('snap-torn'), 0, 10 * MiB);
    h.ceph.cluster.createSnapshot(TENANT_POOL, original, 'final-20250101T000000Z');
    h.ceph.writeImage(image('snap-torn'), 0, 20 * MiB); // after the snapshot: not in the final copy
    const torn = h.ceph.cluster.createImage(TENANT_POOL, 'agency-bolagsverket', 'agency-bolagsverket.snap-torn.final-20250101T000000Z.partial', GIB, undefined, undefined);
    h.ceph.cluster.writeImage(torn, 0, MiB);
    h.ceph.resetCounters();

    const last = await deleteAndReadReceipt(open, 'snap-torn');
    expect(imagesNamed('agency-bolagsverket.snap-torn.')).toEqual(['agency-bolagsverket.snap-torn.final-20250101T000000Z']);
    expect(h.ceph.rbdDuUsedBytes({ ...image('snap-torn'), name: 'agency-bolagsverket.snap-torn.final-20250101T000000Z' })).toBe(12 * MiB);
    expect(h.ceph.cluster.findImage(TENANT_POOL, 'agency-bolagsverket', 'agency-bolagsverket.snap-torn')).toBeUndefined();
    expect(last.deletionReceipt).toMatchObject({ action: 'SnapshotThenDeleted', snapshotId: `${SPEC_PREFIX}agency-bolagsverket.snap-torn.final-20250101T000000Z` });
    expect(last.deletionReceipt?.confirmation).toContain(`snapshot ${SPEC_PREFIX}agency-bolagsverket.snap-torn@final-20250101T000000Z copied to final image`);
    expect(cephCount(SNAP_CREATE)).toBe(0);
    expect(cephCount(COPY)).toBe(1);
    // The torn partial and the original.
    expect(cephCount('dashboard DELETE /api/block/image/{image_spec} 204')).toBe(2);
  });

  it('a crash between the delete of the original and the receipt still names the final image in the receipt', async () => {
    await readySnapshotImage('snap-gone');
    h.ceph.resetCounters();
    const deleteImage = CephDashboardClient.prototype.deleteImage;
    const killed = jest.spyOn(CephDashboardClient.prototype, 'deleteImage').mockImplementationOnce(async function (this: CephDashboardClient, spec: ImageSpec) {
      await deleteImage.call(this, spec);
      throw new Error('operator killed');
    });
    const last = await deleteAndReadReceipt(open, 'snap-gone');
    killed.mockRestore();
    const finals = imagesNamed('agency-bolagsverket.snap-gone.');
    expect(finals).toEqual([expect.stringMatching(/^agency-bolagsverket\.snap-gone\.final-\d{8}T\d{6}Z$/)]);
    expect(h.ceph.cluster.findImage(TENANT_POOL, 'agency-bolagsverket', 'agency-bolagsverket.snap-gone')).toBeUndefined();
    expect(last.deletionReceipt).toMatchObject({ action: 'SnapshotThenDeleted', backendId: `${SPEC_PREFIX}agency-bolagsverket.snap-gone`, snapshotId: `${SPEC_PREFIX}${finals[0] ?? ''}` });
    expect(last.deletionReceipt?.confirmation).toMatch(/^image agencies\/agency-bolagsverket\/agency-bolagsverket\.snap-gone deleted; GET answered 404/);
    expect(cephCount(SNAP_CREATE)).toBe(1);
    expect(cephCount(COPY)).toBe(1);
    expect(cephCount('dashboard DELETE /api/block/image/{image_spec} 204')).toBe(1);
  });
});
