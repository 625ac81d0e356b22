/**
 * ComputeQuota end to end: embedded API server, OpenStack simulator, the generic reconcile loop.
 */
import { startHarness, type Harness } from './support/harness.js';
import { createProject, createTenant, TENANTS, type TenantFixture } from './support/volume-tenant.js';
import { conditionOf, countRequests, eventually, isReady, quota, QUOTAS, startVolumeOperator, type VolumeOperator } from './support/volume-operator.js';
import type { KubeObject } from '../../src/runtime/index.js';

let h: Harness;
let operator: VolumeOperator;
let tenant: TenantFixture;

const get = (name: string, namespace = tenant.namespace) => h.client.get<KubeObject>(QUOTAS, namespace, name);
const project = (key = 'sto-1/production') => tenant.projects.get(key) ?? '';

beforeAll(async () => {
  h = await startHarness({ dataCenters: ['sto-1', 'gbg-1'] });
  await h.createDataCenter('sto-1', ['production', 'test']);
  await h.createDataCenter('gbg-1', ['production', 'test']);
  tenant = await createTenant(h, 'skatteverket', [
    { dataCenter: 'sto-1', environment: 'production' },
    { dataCenter: 'gbg-1', environment: 'production' },
    { dataCenter: 'sto-1', environment: 'test' },
  ]);
  operator = await startVolumeOperator(h);
});

afterAll(async () => {
  await operator?.stop();
  await h?.close();
});

describe('ComputeQuota', () => {
  it('converges the example quotas: Nova quota set and Neutron floating IPs, with limits and use in status', async () => {
    await h.client.create(QUOTAS, quota(tenant.namespace, 'sto-1-production'));
    await h.client.create(QUOTAS, quota(tenant.namespace, 'gbg-1-production', { dataCenter: 'gbg-1' }));
    await h.client.create(QUOTAS, quota(tenant.namespace, 'sto-1-test', { environment: 'test', cores: 64, ramGiB: 256, instances: 40, serverGroups: 5, floatingIps: 4 }));
    for (const name of ['sto-1-production', 'gbg-1-production', 'sto-1-test']) await eventually(() => get(name), isReady, `${name} Ready`);

    const nova = await h.adminClients('sto-1').compute.getQuotaSet(project());
    expect(nova).toMatchObject({ cores: 512, ram: 2048 * 1024, instances: 200, server_groups: 20 });
    expect((await h.adminClients('sto-1').network.getQuota(project())).floatingip).toBe(16);
    const testNova = await h.adminClients('sto-1').compute.getQuotaSet(project('sto-1/test'));
    expect(testNova).toMatchObject({ cores: 64, ram: 256 * 1024, instances: 40, server_groups: 5 });
    expect((await h.adminClients('gbg-1').compute.getQuotaSet(project('gbg-1/production'))).cores).toBe(512);

    const ready = await get('sto-1-production');
    expect(ready.status).toMatchObject({
      projectId: project(),
      limits: { cores: 512, ramGiB: 2048, instances: 200, serverGroups: 20, floatingIps: 16 },
      inUse: { cores: 0, ramGiB: 0, instances: 0, serverGroups: 0, floatingIps: 0 },
    });
    expect(conditionOf(ready, 'BelowUsage')).toBeUndefined();
  });

  it('raising a quota makes exactly one Nova PUT and no Neutron write, and a no-change resync writes nothing', async () => {
    const current = await get('sto-1-production');
    h.openstack.resetCounters();
    await h.client.update(QUOTAS, { ...current, spec: { ...(current.spec as object), cores: 768, ramGiB: 3072 } });
    await eventually(() => get('sto-1-production'), (object) => isReady(object) && (object.status as { limits: { cores: number } }).limits.cores === 768, 'raised');
    expect(countRequests(h, 'nova PUT', 'os-quota-sets')).toBe(1);
    expect(countRequests(h, 'neutron PUT')).toBe(0);
    expect(await h.adminClients('sto-1').compute.getQuotaSet(project())).toMatchObject({ cores: 768, ram: 3072 * 1024, instances: 200 });

    h.openstack.resetCounters();
    const ready = await get('sto-1-production');
    await h.client.update(QUOTAS, { ...ready, metadata: { ...ready.metadata, labels: { resync: '1' } } });
    await eventually(async () => countRequests(h, 'os-quota-sets', 'detail'), (reads) => reads >= 1, 'a resync read');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(countRequests(h, 'PUT')).toBe(0);
  });

  it('reports a limit below current use in BelowUsage with the numbers, and still applies it', async () => {
    const admin = h.adminClients('sto-1');
    const projectClients = admin.forProject(project('sto-1/test'));
    // Servers use 3 x 1 vCPU in the test project; then the quota drops to 2 cores.
    const { flavorName = 'm1.tiny', imageId = '' } = h.openstack.facts();
    const flavor = (await admin.compute.findFlavor(flavorName)) ?? (await admin.compute.createFlavor({ name: flavorName, vcpus: 1, ram: 512, disk: 1 }));
    expect(flavor.vcpus).toBe(1);
    for (const index of [1, 2, 3]) {
      await projectClients.compute.createServer({ name: `app-${index}`, flavorRef: flavor.id, imageRef: imageId, networks: 'none' });
    }
    const current = await get('sto-1-test');
    await h.client.update(QUOTAS, { ...current, spec: { ...(current.spec as object), cores: 2 } });
    const below = await eventually(() => get('sto-1-test'), (object) => conditionOf(object, 'BelowUsage')?.status === 'True' && isReady(object), 'BelowUsage');
    expect(conditionOf(below, 'BelowUsage')).toMatchObject({ reason: 'LimitBelowUsage', message: 'cores limit 2 is below 3 in use' });
    expect((await admin.compute.getQuotaSet(project('sto-1/test'))).cores).toBe(2);
    expect(below.status).toMatchObject({ limits: { cores: 2 }, inUse: { cores: 3, instances: 3 } });

    const again = await get('sto-1-test');
    await h.client.update(QUOTAS, { ...again, spec: { ...(again.spec as object), cores: 8 } });
    const fine = await eventually(() => get('sto-1-test'), (object) => isReady(object) && (object.status as { limits: { cores: number } }).limits.cores === 8, 'raised again');
    expect(conditionOf(fine, 'BelowUsage')).toBeUndefined();
    projectClients.close();
  });

  it('stalls a second quota for the same partition without touching the backend', async () => {
    h.openstack.resetCounters();
    await h.client.create(QUOTAS, quota(tenant.namespace, 'duplicate', { cores: 1 }));
    const stalled = await eventually(() => get('duplicate'), (object) => conditionOf(object, 'Stalled')?.status === 'True', 'Stalled');
    expect(conditionOf(stalled, 'Stalled')?.message).toContain('ComputeQuota "sto-1-production" already sets the quota for sto-1/production');
    expect(countRequests(h, 'PUT')).toBe(0);
    expect((await h.adminClients('sto-1').compute.getQuotaSet(project())).cores).toBe(768);
    await h.client.delete(QUOTAS, tenant.namespace, 'duplicate');
  });

  it('waits with TenantNotReady while the tenant has no project in the partition', async () => {
    const late = await createTenant(h, 'polisen', [{ dataCenter: 'sto-1', environment: 'production' }], { withoutProjects: true });
    await h.client.create(QUOTAS, quota(late.namespace, 'sto-1-production'));
    const waiting = await eventually(() => get('sto-1-production', late.namespace), (object) => conditionOf(object, 'Reconciling')?.status === 'True', 'Reconciling');
    expect(conditionOf(waiting, 'Reconciling')).toMatchObject({ reason: 'TenantNotReady' });
    expect(conditionOf(waiting, 'Ready')?.status).toBe('False');
    // It has neither created nor adopted anything, so it waits without a finalizer: one write, not two.
    expect(waiting.metadata?.finalizers ?? []).toEqual([]);

    // The tenant controller gets there: the quota follows at once, not after the 15 s retry.
    const projectId = await createProject(h, late.name, { dataCenter: 'sto-1', environment: 'production' });
    const tenantObject = await h.client.get<KubeObject>(TENANTS, '', late.name);
    await h.client.updateStatus(TENANTS, { ...tenantObject, status: { placements: [{ dataCenter: 'sto-1', environment: 'production', projectId, ready: true }] } });
    const ready = await eventually(() => get('sto-1-production', late.namespace), isReady, 'Ready once the tenant has its project', 5_000);
    expect(ready.status).toMatchObject({ projectId, limits: { cores: 512 } });
    expect(ready.metadata?.finalizers).toEqual(['statsmoln.io/cleanup']);
  });

  it('under managementPolicy Observe reports the difference and writes nothing', async () => {
    const observed = await createTenant(h, 'bolagsverket', [{ dataCenter: 'sto-1', environment: 'production' }]);
    h.openstack.resetCounters();
    await h.client.create(QUOTAS, quota(observed.namespace, 'sto-1-production', { managementPolicy: 'Observe', cores: 10 }));
    const object = await eventually(() => h.client.get<KubeObject>(QUOTAS, observed.namespace, 'sto-1-production'), (item) => conditionOf(item, 'Stalled')?.status === 'True', 'Stalled');
    expect(conditionOf(object, 'Stalled')).toMatchObject({ reason: 'ObservedDifference', message: 'managementPolicy Observe: 2 to update needed; not acting' });
    expect(object.status).toMatchObject({ projectId: observed.projects.get('sto-1/production'), limits: { cores: 20 } });
    expect(countRequests(h, 'PUT')).toBe(0);
    expect(object.metadata?.finalizers ?? []).toEqual([]);
  });

  it('leaves the quota as it is when the ComputeQuota is deleted, and records that in an event', async () => {
    h.openstack.resetCounters();
    await h.client.delete(QUOTAS, tenant.namespace, 'gbg-1-production');
    await eventually(async () => (await h.client.list(QUOTAS, { namespace: tenant.namespace })).items.map((item) => item.metadata?.name), (names) => !names.includes('gbg-1-production'), 'gone');
    expect(countRequests(h, 'PUT') + countRequests(h, 'DELETE')).toBe(0);
    expect((await h.adminClients('gbg-1').compute.getQuotaSet(project('gbg-1/production'))).cores).toBe(512);
    const events = await h.client.list({ group: 'events.k8s.io', version: 'v1', resource: 'events', kind: 'Event', namespaced: true }, { namespace: tenant.namespace });
    const retained = events.items.find((event) => event.reason === 'Retained' && (event.regarding as { name?: string } | undefined)?.name === 'gbg-1-production');
    expect(retained?.note).toContain('the project keeps its current quota');
  });
});
