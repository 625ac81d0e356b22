import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { FIXTURES, raw, startTestServer, type Obj, type TestServer } from './helpers.js';

const GROUP = 'test.statsmoln.io';
const V = 'v1alpha1';
const BASE = `/apis/${GROUP}/${V}/namespaces/default/widgets`;
const APPLY = 'application/apply-patch+yaml';

describe('embedded API server: merge patch, JSON patch, server-side apply, dryRun', () => {
  let t: TestServer;
  let custom: CustomObjectsApi;
  let core: CoreV1Api;

  beforeAll(async () => {
    t = await startTestServer();
    custom = t.kubeConfig.makeApiClient(CustomObjectsApi);
    core = t.kubeConfig.makeApiClient(CoreV1Api);
    await t.server.registerCrdsFromDir(FIXTURES);
  });
  afterAll(() => t.server.close());

  const api = { group: GROUP, version: V, namespace: 'default', plural: 'widgets' };
  const widget = (name: string, spec: Obj = { sizeGiB: 10 }): Obj => ({ apiVersion: `${GROUP}/${V}`, kind: 'Widget', metadata: { name }, spec });

  test('merge patch sets and removes fields', async () => {
    await custom.createNamespacedCustomObject({ ...api, body: widget('mp', { sizeGiB: 10, owner: 'ops', tags: ['a'] }) });
    const patched = (await custom.patchNamespacedCustomObject({ ...api, name: 'mp', body: { spec: { owner: null, tags: ['b', 'c'] }, metadata: { annotations: { x: 'y' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))) as Obj;
    expect(patched.spec.owner).toBeUndefined();
    expect(patched.spec.tags).toEqual(['b', 'c']);
    expect(patched.metadata.annotations).toEqual({ x: 'y' });
    expect(patched.metadata.generation).toBe(2);
  });

  test('JSON patch applies operations; a failing test operation is 422 and changes nothing', async () => {
    await custom.createNamespacedCustomObject({ ...api, body: widget('jp', { sizeGiB: 10, tags: ['a'] }) });
    const patched = (await custom.patchNamespacedCustomObject({
      ...api, name: 'jp',
      body: [{ op: 'add', path: '/spec/tags/-', value: 'b' }, { op: 'replace', path: '/spec/sizeGiB', value: 12 }, { op: 'test', path: '/spec/tier', value: 'hdd' }],
    }, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch))) as Obj;
    expect(patched.spec.tags).toEqual(['a', 'b']);
    expect(patched.spec.sizeGiB).toBe(12);
    const failed = await raw(t.server, 'PATCH', `${BASE}/jp`, [{ op: 'replace', path: '/spec/sizeGiB', value: 50 }, { op: 'test', path: '/spec/tier', value: 'ssd' }], 'application/json-patch+json');
    expect(failed.status).toBe(422);
    expect(failed.body.reason).toBe('Invalid');
    expect(((await custom.getNamespacedCustomObject({ ...api, name: 'jp' })) as Obj).spec.sizeGiB).toBe(12);
    const stale = await raw(t.server, 'PATCH', `${BASE}/jp`, [{ op: 'replace', path: '/metadata/resourceVersion', value: '1' }, { op: 'replace', path: '/spec/sizeGiB', value: 13 }], 'application/json-patch+json');
    expect(stale.status).toBe(409);
  });

  test('strategic merge patch works on built-in kinds and is refused for custom resources', async () => {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'smp', labels: { a: '1' } }, data: { k: 'v' } } });
    const patched = await core.patchNamespacedConfigMap({ namespace: 'default', name: 'smp', body: { metadata: { labels: { b: '2' } }, data: { k: null, k2: 'v2' } } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
    expect(patched.metadata?.labels).toEqual({ a: '1', b: '2' });
    expect(patched.data).toEqual({ k2: 'v2' });
    const refused = await raw(t.server, 'PATCH', `${BASE}/jp`, { spec: { sizeGiB: 20 } }, 'application/strategic-merge-patch+json');
    expect(refused.status).toBe(415);
    expect(refused.body.reason).toBe('UnsupportedMediaType');
  });

  test('server-side apply creates, updates, removes fields no longer applied, and records managedFields', async () => {
    const yaml = `apiVersion: ${GROUP}/${V}\nkind: Widget\nmetadata:\n  name: ssa\n  labels:\n    team: a\nspec:\n  sizeGiB: 10\n  owner: ops\n  tags: [x]\n`;
    const created = await raw(t.server, 'PATCH', `${BASE}/ssa?fieldManager=alice`, yaml, APPLY);
    expect(created.status).toBe(200);
    expect(created.body.spec).toMatchObject({ sizeGiB: 10, owner: 'ops', tags: ['x'], tier: 'hdd' });
    const entry = (created.body.metadata.managedFields as Obj[]).find((e) => e.manager === 'alice');
    expect(entry).toMatchObject({ operation: 'Apply', apiVersion: `${GROUP}/${V}`, fieldsType: 'FieldsV1' });
    expect(entry?.fieldsV1).toEqual({ 'f:metadata': { 'f:labels': { 'f:team': {} } }, 'f:spec': { 'f:sizeGiB': {}, 'f:owner': {}, 'f:tags': {} } });
    const again = await raw(t.server, 'PATCH', `${BASE}/ssa?fieldManager=alice`, `apiVersion: ${GROUP}/${V}\nkind: Widget\nmetadata:\n  name: ssa\nspec:\n  sizeGiB: 11\n`, APPLY);
    expect(again.status).toBe(200);
    expect(again.body.spec.owner).toBeUndefined();
    expect(again.body.spec.tags).toBeUndefined();
    expect(again.body.spec.sizeGiB).toBe(11);
    expect(again.body.metadata.labels).toBeUndefined();
    expect(again.body.metadata.generation).toBe(2);
  });

  test('server-side apply conflicts with another manager, and force takes ownership', async () => {
    const base = `apiVersion: ${GROUP}/${V}\nkind: Widget\nmetadata:\n  name: ssa2\nspec:\n  sizeGiB: 10\n`;
    expect((await raw(t.server, 'PATCH', `${BASE}/ssa2?fieldManager=alice`, base, APPLY)).status).toBe(200);
    const bob = `apiVersion: ${GROUP}/${V}\nkind: Widget\nmetadata:\n  name: ssa2\nspec:\n  sizeGiB: 20\n`;
    const conflict = await raw(t.server, 'PATCH', `${BASE}/ssa2?fieldManager=bob`, bob, APPLY);
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({
      kind: 'Status', reason: 'Conflict', code: 409,
      message: 'Apply failed with 1 conflict: conflict with "alice": .spec.sizeGiB',
      details: { name: 'ssa2', group: GROUP, kind: 'widgets', causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "alice"', field: '.spec.sizeGiB' }] },
    });
    // Same value: shared ownership, no conflict.
    expect((await raw(t.server, 'PATCH', `${BASE}/ssa2?fieldManager=carol`, base, APPLY)).status).toBe(200);
    const forced = await raw(t.server, 'PATCH', `${BASE}/ssa2?fieldManager=bob&force=true`, bob, APPLY);
    expect(forced.status).toBe(200);
    expect(forced.body.spec.sizeGiB).toBe(20);
    const managers = (forced.body.metadata.managedFields as Obj[]).map((e) => e.manager).sort();
    expect(managers).toEqual(['bob']);
    // An Update (PUT, as kubectl edit does) takes the field it changes; a later apply conflicts with it.
    const current = (await raw(t.server, 'GET', `${BASE}/ssa2`)).body;
    current.spec.sizeGiB = 30;
    const put = await raw(t.server, 'PUT', `${BASE}/ssa2?fieldManager=kubectl-edit`, current);
    expect(put.status).toBe(200);
    const editEntry = (put.body.metadata.managedFields as Obj[]).find((e) => e.manager === 'kubectl-edit');
    expect(editEntry).toMatchObject({ operation: 'Update', fieldsV1: { 'f:spec': { 'f:sizeGiB': {} } } });
    const afterEdit = await raw(t.server, 'PATCH', `${BASE}/ssa2?fieldManager=bob`, `apiVersion: ${GROUP}/${V}\nkind: Widget\nmetadata:\n  name: ssa2\nspec:\n  sizeGiB: 40\n`, APPLY);
    expect(afterEdit.status).toBe(409);
    expect(afterEdit.body.message).toMatch(/^Apply failed with 1 conflict: conflict with "kubectl-edit" using test\.statsmoln\.io\/v1alpha1 at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: \.spec\.sizeGiB$/);
  });

  test('apply needs a field manager; apply to status writes only status', async () => {
    const missing = await raw(t.server, 'PATCH', `${BASE}/ssa3`, `apiVersion: ${GROUP}/${V}\nkind: Widget\nmetadata:\n  name: ssa3\nspec:\n  sizeGiB: 1\n`, APPLY);
    expect(missing.status).toBe(422);
    expect(missing.body.message).toBe('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    await raw(t.server, 'PATCH', `${BASE}/ssa3?fieldManager=op`, `apiVersion: ${GROUP}/${V}\nkind: Widget\nmetadata:\n  name: ssa3\nspec:\n  sizeGiB: 1\n`, APPLY);
    const status = await raw(t.server, 'PATCH', `${BASE}/ssa3/status?fieldManager=controller`, {
      apiVersion: `${GROUP}/${V}`, kind: 'Widget', metadata: { name: 'ssa3' },
      spec: { sizeGiB: 999 },
      status: { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True', reason: 'Done' }] },
    }, APPLY);
    expect(status.status).toBe(200);
    expect(status.body.spec.sizeGiB).toBe(1);
    expect(status.body.status.conditions[0]).toMatchObject({ type: 'Ready', status: 'True' });
    const entry = (status.body.metadata.managedFields as Obj[]).find((e) => e.manager === 'controller');
    expect(entry).toMatchObject({ operation: 'Apply', subresource: 'status' });
    expect(entry?.fieldsV1).toEqual({ 'f:status': { 'f:observedGeneration': {}, 'f:conditions': { 'k:{"type":"Ready"}': { '.': {}, 'f:type': {}, 'f:status': {}, 'f:reason': {} } } } });
  });

  test('dryRun=All on patch and apply returns the result without storing it', async () => {
    await custom.createNamespacedCustomObject({ ...api, body: widget('dry') });
    const before = (await raw(t.server, 'GET', `${BASE}/dry`)).body;
    const patched = await raw(t.server, 'PATCH', `${BASE}/dry?dryRun=All`, { spec: { sizeGiB: 99 } }, 'application/merge-patch+json');
    expect(patched.status).toBe(200);
    expect(patched.body.spec.sizeGiB).toBe(99);
    const applied = await raw(t.server, 'PATCH', `${BASE}/dry?dryRun=All&fieldManager=x&force=true`, `apiVersion: ${GROUP}/${V}\nkind: Widget\nmetadata:\n  name: dry\nspec:\n  sizeGiB: 77\n`, APPLY);
    expect(applied.body.spec.sizeGiB).toBe(77);
    const after = (await raw(t.server, 'GET', `${BASE}/dry`)).body;
    expect(after.spec.sizeGiB).toBe(10);
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    const invalid = await raw(t.server, 'PATCH', `${BASE}/dry?dryRun=All`, { spec: { sizeGiB: 1 } }, 'application/merge-patch+json');
    expect(invalid.status).toBe(422);
  });
});
