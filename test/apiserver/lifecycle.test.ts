import { ApiException, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { FIXTURES, eventually, raw, startTestServer, type TestServer } from './helpers.js';

const GROUP = 'test.statsmoln.io';
const V = 'v1alpha1';
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function gone(fetcher: () => Promise<unknown>): Promise<true | undefined> {
  try {
    await fetcher();
    return undefined;
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return true;
    throw error;
  }
}

describe('embedded API server: deletion, finalizers, garbage collection', () => {
  let t: TestServer;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

  beforeAll(async () => {
    t = await startTestServer();
    core = t.kubeConfig.makeApiClient(CoreV1Api);
    custom = t.kubeConfig.makeApiClient(CustomObjectsApi);
    await t.server.registerCrdsFromDir(FIXTURES);
  });
  afterAll(() => t.server.close());

  const widgetApi = (namespace: string) => ({ group: GROUP, version: V, namespace, plural: 'widgets' });
  const widget = (name: string, extra: Obj = {}): Obj => ({ apiVersion: `${GROUP}/${V}`, kind: 'Widget', metadata: { name, ...extra }, spec: { sizeGiB: 1 } });

  test('a finalizer holds the object with deletionTimestamp until it is removed', async () => {
    await custom.createNamespacedCustomObject({ ...widgetApi('default'), body: widget('fin', { finalizers: ['statsmoln.io/cleanup'] }) });
    const deleting = (await custom.deleteNamespacedCustomObject({ ...widgetApi('default'), name: 'fin' })) as Obj;
    expect(deleting.metadata.deletionTimestamp).toBeDefined();
    const still = (await custom.getNamespacedCustomObject({ ...widgetApi('default'), name: 'fin' })) as Obj;
    expect(still.metadata.finalizers).toEqual(['statsmoln.io/cleanup']);
    expect(still.metadata.generation).toBe(2);
    // No new finalizers while deleting.
    const refused = await raw(t.server, 'PATCH', `/apis/${GROUP}/${V}/namespaces/default/widgets/fin`, { metadata: { finalizers: ['statsmoln.io/cleanup', 'other'] } }, 'application/merge-patch+json');
    expect(refused.status).toBe(422);
    expect(refused.body.message).toContain('no new finalizers can be added if the object is being deleted');
    // Deleting again is accepted and changes nothing.
    await custom.deleteNamespacedCustomObject({ ...widgetApi('default'), name: 'fin' });
    await custom.patchNamespacedCustomObject({ ...widgetApi('default'), name: 'fin', body: { metadata: { finalizers: null } } }, merge);
    expect(await gone(() => custom.getNamespacedCustomObject({ ...widgetApi('default'), name: 'fin' }))).toBe(true);
  });

  test('background propagation deletes dependents whose owners are gone; remaining owners keep them', async () => {
    const owner = (await custom.createNamespacedCustomObject({ ...widgetApi('default'), body: widget('owner-bg') })) as Obj;
    const other = (await custom.createNamespacedCustomObject({ ...widgetApi('default'), body: widget('owner-other') })) as Obj;
    const ref = (o: Obj) => ({ apiVersion: `${GROUP}/${V}`, kind: 'Widget', name: o.metadata.name, uid: o.metadata.uid });
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'dep-only', ownerReferences: [ref(owner)] } } });
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'dep-shared', ownerReferences: [ref(owner), ref(other)] } } });
    await custom.deleteNamespacedCustomObject({ ...widgetApi('default'), name: 'owner-bg' });
    await eventually(() => gone(() => core.readNamespacedConfigMap({ namespace: 'default', name: 'dep-only' })));
    const shared = await eventually(async () => {
      const cm = await core.readNamespacedConfigMap({ namespace: 'default', name: 'dep-shared' });
      return cm.metadata?.ownerReferences?.length === 1 ? cm : undefined;
    });
    expect(shared.metadata?.ownerReferences?.[0]?.name).toBe('owner-other');
  });

  test('foreground propagation deletes dependents first, then the owner', async () => {
    const owner = (await custom.createNamespacedCustomObject({ ...widgetApi('default'), body: widget('owner-fg') })) as Obj;
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'dep-fg', finalizers: ['test/hold'], ownerReferences: [{ apiVersion: `${GROUP}/${V}`, kind: 'Widget', name: 'owner-fg', uid: owner.metadata.uid, blockOwnerDeletion: true }] } },
    });
    const response = await raw(t.server, 'DELETE', `/apis/${GROUP}/${V}/namespaces/default/widgets/owner-fg`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' });
    expect(response.status).toBe(202);
    expect((response.body.metadata as Obj).finalizers).toContain('foregroundDeletion');
    const dependent = await eventually(async () => {
      const cm = await core.readNamespacedConfigMap({ namespace: 'default', name: 'dep-fg' });
      return cm.metadata?.deletionTimestamp ? cm : undefined;
    });
    expect(dependent.metadata?.finalizers).toEqual(['test/hold']);
    // The owner waits for its dependent.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(((await custom.getNamespacedCustomObject({ ...widgetApi('default'), name: 'owner-fg' })) as Obj).metadata.deletionTimestamp).toBeDefined();
    await core.patchNamespacedConfigMap({ namespace: 'default', name: 'dep-fg', body: { metadata: { finalizers: null } } }, merge);
    await eventually(() => gone(() => custom.getNamespacedCustomObject({ ...widgetApi('default'), name: 'owner-fg' })));
  });

  test('orphan propagation removes the owner reference and keeps the dependent', async () => {
    const owner = (await custom.createNamespacedCustomObject({ ...widgetApi('default'), body: widget('owner-orphan') })) as Obj;
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'dep-orphan', ownerReferences: [{ apiVersion: `${GROUP}/${V}`, kind: 'Widget', name: 'owner-orphan', uid: owner.metadata.uid }] } },
    });
    await custom.deleteNamespacedCustomObject({ ...widgetApi('default'), name: 'owner-orphan', propagationPolicy: 'Orphan' });
    await eventually(() => gone(() => custom.getNamespacedCustomObject({ ...widgetApi('default'), name: 'owner-orphan' })));
    const kept = await core.readNamespacedConfigMap({ namespace: 'default', name: 'dep-orphan' });
    expect(kept.metadata?.ownerReferences).toBeUndefined();
  });

  test('deleting a namespace removes everything in it, waiting for finalizers; no new content while terminating', async () => {
    await core.createNamespace({ body: { metadata: { name: 'doomed' } } });
    await core.createNamespacedSecret({ namespace: 'doomed', body: { metadata: { name: 's' }, stringData: { k: 'v' } } });
    await custom.createNamespacedCustomObject({ ...widgetApi('doomed'), body: widget('held', { finalizers: ['statsmoln.io/cleanup'] }) });
    await core.deleteNamespace({ name: 'doomed' });
    const terminating = await core.readNamespace({ name: 'doomed' });
    expect(terminating.status?.phase).toBe('Terminating');
    const refused = await raw(t.server, 'POST', '/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'late' } });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe('unable to create new content in namespace doomed because it is being terminated');
    await eventually(() => gone(() => core.readNamespacedSecret({ namespace: 'doomed', name: 's' })));
    const held = (await custom.getNamespacedCustomObject({ ...widgetApi('doomed'), name: 'held' })) as Obj;
    expect(held.metadata.deletionTimestamp).toBeDefined();
    expect((await core.readNamespace({ name: 'doomed' })).metadata?.name).toBe('doomed');
    await custom.patchNamespacedCustomObject({ ...widgetApi('doomed'), name: 'held', body: { metadata: { finalizers: null } } }, merge);
    await eventually(() => gone(() => core.readNamespace({ name: 'doomed' })));
  });

  test('delete preconditions on uid and resourceVersion give 409', async () => {
    const cm = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'precond' } } });
    const response = await raw(t.server, 'DELETE', '/api/v1/namespaces/default/configmaps/precond', { preconditions: { resourceVersion: '1' } });
    expect(response.status).toBe(409);
    expect(response.body.message).toBe(`Operation cannot be fulfilled on configmaps "precond": Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: ${cm.metadata?.resourceVersion}`);
    const ok = await raw(t.server, 'DELETE', '/api/v1/namespaces/default/configmaps/precond', { preconditions: { uid: cm.metadata?.uid } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'precond', kind: 'configmaps' } });
  });

  test('deleting a CRD removes its instances and stops serving it', async () => {
    const crd = (await raw(t.server, 'GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/sites.${GROUP}`)).body;
    expect(crd.metadata).toBeDefined();
    await custom.createClusterCustomObject({ group: GROUP, version: 'v1', plural: 'sites', body: { apiVersion: `${GROUP}/v1`, kind: 'Site', metadata: { name: 'sto' }, spec: { country: 'SE' } } });
    await raw(t.server, 'DELETE', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/sites.${GROUP}`);
    await eventually(async () => ((await raw(t.server, 'GET', `/apis/${GROUP}/v1/sites`)).status === 404 ? true : undefined));
    expect((await raw(t.server, 'GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/sites.${GROUP}`)).status).toBe(404);
    await t.server.registerCrdsFromDir(FIXTURES);
    const list = (await custom.listClusterCustomObject({ group: GROUP, version: 'v1', plural: 'sites' })) as Obj;
    expect(list.items).toEqual([]);
  });

  test('dryRun=All validates but stores nothing', async () => {
    const response = await raw(t.server, 'POST', '/api/v1/namespaces/default/configmaps?dryRun=All', { metadata: { name: 'dry' } });
    expect(response.status).toBe(201);
    expect(await gone(() => core.readNamespacedConfigMap({ namespace: 'default', name: 'dry' }))).toBe(true);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'dry2' } } });
    const del = await raw(t.server, 'DELETE', '/api/v1/namespaces/default/configmaps/dry2?dryRun=All');
    expect(del.status).toBe(200);
    expect((await core.readNamespacedConfigMap({ namespace: 'default', name: 'dry2' })).metadata?.name).toBe('dry2');
  });
});
