import {
  ApiException, ApiextensionsV1Api, CoordinationV1Api, CoreV1Api, CustomObjectsApi, PatchStrategy, Watch, setHeaderOptions, type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { FIXTURES, WatchReader, eventually, raw, startTestServer, type TestServer } from './helpers.js';

const GROUP = 'test.statsmoln.io';
const V = 'v1alpha1';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function expectApiError(promise: Promise<unknown>, code: number): Promise<Obj> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    expect(error.code).toBe(code);
    return (typeof error.body === 'string' ? JSON.parse(error.body) : error.body) as Obj;
  }
  throw new Error(`expected HTTP ${code}`);
}

describe('embedded API server: core semantics through @kubernetes/client-node', () => {
  let t: TestServer;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;

  beforeAll(async () => {
    t = await startTestServer({ historySize: 50, bookmarkIntervalMs: 100 });
    core = t.kubeConfig.makeApiClient(CoreV1Api);
    custom = t.kubeConfig.makeApiClient(CustomObjectsApi);
    const ext = t.kubeConfig.makeApiClient(ApiextensionsV1Api);
    const crd = parse(await readFile(join(FIXTURES, 'widgets.yaml'), 'utf8')) as Obj;
    const created = (await ext.createCustomResourceDefinition({ body: crd as V1CustomResourceDefinition })) as Obj;
    expect(created.status.conditions.find((c: Obj) => c.type === 'Established').status).toBe('True');
    await t.server.registerCrdsFromDir(FIXTURES);
  });

  afterAll(async () => {
    await t.server.close();
  });

  const widget = (name: string, spec: Obj = { sizeGiB: 10 }, labels: Record<string, string> = {}): Obj => ({
    apiVersion: `${GROUP}/${V}`,
    kind: 'Widget',
    metadata: { name, labels },
    spec,
  });

  test('discovery lists core, groups and the CRD resources', async () => {
    const version = await raw(t.server, 'GET', '/version');
    expect(version.body.major).toBe('1');
    const api = await raw(t.server, 'GET', '/api');
    expect(api.body.versions).toEqual(['v1']);
    const v1 = await raw(t.server, 'GET', '/api/v1');
    const names = (v1.body.resources as Obj[]).map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(['namespaces', 'secrets', 'configmaps', 'events', 'serviceaccounts', 'namespaces/status']));
    const groups = await raw(t.server, 'GET', '/apis');
    const groupNames = (groups.body.groups as Obj[]).map((g) => g.name);
    expect(groupNames).toEqual(expect.arrayContaining([GROUP, 'coordination.k8s.io', 'apiextensions.k8s.io', 'rbac.authorization.k8s.io', 'events.k8s.io']));
    const group = await raw(t.server, 'GET', `/apis/${GROUP}`);
    // Versions of all CRDs in a group, by Kubernetes version priority.
    expect(group.body.versions).toEqual(['v1', 'v1beta1', 'v1alpha1'].map((v) => ({ groupVersion: `${GROUP}/${v}`, version: v })));
    expect(group.body.preferredVersion).toEqual({ groupVersion: `${GROUP}/v1`, version: 'v1' });
    const resources = await raw(t.server, 'GET', `/apis/${GROUP}/${V}`);
    const widgets = (resources.body.resources as Obj[]).find((r) => r.name === 'widgets') as Obj;
    expect(widgets).toMatchObject({ kind: 'Widget', namespaced: true, shortNames: ['wg'], categories: ['statsmoln'] });
    expect((resources.body.resources as Obj[]).map((r) => r.name)).toContain('widgets/status');
    const sites = await raw(t.server, 'GET', `/apis/${GROUP}/v1`);
    expect((sites.body.resources as Obj[]).find((r) => r.name === 'sites')).toMatchObject({ namespaced: false });
    const missing = await raw(t.server, 'GET', '/apis/nope.example.com/v1');
    expect(missing.status).toBe(404);
    const crossNamespacePost = await raw(t.server, 'POST', `/apis/${GROUP}/${V}/widgets`, { metadata: { name: 'x', namespace: 'default' }, spec: { sizeGiB: 1 } });
    expect(crossNamespacePost.status).toBe(405);
    expect(crossNamespacePost.body.reason).toBe('MethodNotAllowed');
  });

  test('rejects requests without the bearer token', async () => {
    const response = await raw(t.server, 'GET', '/api/v1/namespaces', undefined, 'application/json', { Authorization: '' });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    const wrong = await raw(t.server, 'GET', '/api/v1/namespaces', undefined, 'application/json', { Authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    const health = await raw(t.server, 'GET', '/healthz', undefined, 'application/json', { Authorization: '' });
    expect(health.status).toBe(200);
    expect(t.server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  test('default namespaces exist; objects need an existing namespace', async () => {
    const list = await core.listNamespace();
    expect(list.items.map((n) => n.metadata?.name)).toEqual(expect.arrayContaining(['default', 'kube-system']));
    const body = await expectApiError(core.createNamespacedConfigMap({ namespace: 'nowhere', body: { metadata: { name: 'a' } } }), 404);
    expect(body).toMatchObject({ reason: 'NotFound', message: 'namespaces "nowhere" not found' });
  });

  test('create sets uid, creationTimestamp, resourceVersion and generation; duplicate is 409 AlreadyExists', async () => {
    const created = (await custom.createNamespacedCustomObject({ group: GROUP, version: V, namespace: 'default', plural: 'widgets', body: widget('w-create') })) as Obj;
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata.creationTimestamp).toMatch(/Z$/);
    expect(Number(created.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(created.metadata.generation).toBe(1);
    const body = await expectApiError(custom.createNamespacedCustomObject({ group: GROUP, version: V, namespace: 'default', plural: 'widgets', body: widget('w-create') }), 409);
    expect(body).toMatchObject({ reason: 'AlreadyExists', message: `widgets.${GROUP} "w-create" already exists`, details: { name: 'w-create', group: GROUP, kind: 'widgets' } });
    const missing = await expectApiError(custom.getNamespacedCustomObject({ group: GROUP, version: V, namespace: 'default', plural: 'widgets', name: 'nope' }), 404);
    expect(missing.message).toBe(`widgets.${GROUP} "nope" not found`);
  });

  test('generateName appends a random suffix', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { generateName: 'gen-' }, data: { a: '1' } } });
    expect(created.metadata?.name).toMatch(/^gen-[a-z0-9]{5}$/);
  });

  test('a stale update gets 409 Conflict; a current one succeeds', async () => {
    const created = (await custom.createNamespacedCustomObject({ group: GROUP, version: V, namespace: 'default', plural: 'widgets', body: widget('w-stale') })) as Obj;
    const first = { ...created, spec: { ...created.spec, sizeGiB: 11 } };
    const updated = (await custom.replaceNamespacedCustomObject({ group: GROUP, version: V, namespace: 'default', plural: 'widgets', name: 'w-stale', body: first })) as Obj;
    expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
    const stale = { ...created, spec: { ...created.spec, sizeGiB: 12 } };
    const body = await expectApiError(custom.replaceNamespacedCustomObject({ group: GROUP, version: V, namespace: 'default', plural: 'widgets', name: 'w-stale', body: stale }), 409);
    expect(body).toMatchObject({
      reason: 'Conflict',
      message: `Operation cannot be fulfilled on widgets.${GROUP} "w-stale": the object has been modified; please apply your changes to the latest version and try again`,
    });
  });

  test('generation moves on spec changes only; status and spec writes do not touch each other', async () => {
    const created = (await custom.createNamespacedCustomObject({ group: GROUP, version: V, namespace: 'default', plural: 'widgets', body: { ...widget('w-gen'), status: { phase: 'ignored' } } })) as Obj;
    expect(created.status).toBeUndefined();
    const labelled = (await custom.patchNamespacedCustomObject(
      { group: GROUP, version: V, namespace: 'default', plural: 'widgets', name: 'w-gen', body: { metadata: { labels: { a: 'b' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as Obj;
    expect(labelled.metadata.generation).toBe(1);
    const withStatus = (await custom.replaceNamespacedCustomObjectStatus({
      group: GROUP, version: V, namespace: 'default', plural: 'widgets', name: 'w-gen',
      body: { ...labelled, spec: { sizeGiB: 999 }, status: { phase: 'Ready', observedGeneration: 1 } },
    })) as Obj;
    expect(withStatus.status).toEqual({ phase: 'Ready', observedGeneration: 1 });
    expect(withStatus.spec.sizeGiB).toBe(10);
    expect(withStatus.metadata.generation).toBe(1);
    const specChanged = (await custom.replaceNamespacedCustomObject({
      group: GROUP, version: V, namespace: 'default', plural: 'widgets', name: 'w-gen',
      body: { ...withStatus, spec: { ...withStatus.spec, sizeGiB: 20 }, status: { phase: 'overwritten?' } },
    })) as Obj;
    expect(specChanged.metadata.generation).toBe(2);
    expect(specChanged.status).toEqual({ phase: 'Ready', observedGeneration: 1 });
    const noop = (await custom.replaceNamespacedCustomObject({ group: GROUP, version: V, namespace: 'default', plural: 'widgets', name: 'w-gen', body: specChanged })) as Obj;
    expect(noop.metadata.resourceVersion).toBe(specChanged.metadata.resourceVersion);
  });

  test('list with label and field selectors, limit/continue pagination and resourceVersionMatch=Exact', async () => {
    await core.createNamespace({ body: { metadata: { name: 'paging' } } });
    for (let i = 0; i < 7; i++) {
      await custom.createNamespacedCustomObject({ group: GROUP, version: V, namespace: 'paging', plural: 'widgets', body: widget(`p-${i}`, { sizeGiB: 1 + i }, { parity: i % 2 === 0 ? 'even' : 'odd' }) });
    }
    const even = (await custom.listNamespacedCustomObject({ group: GROUP, version: V, namespace: 'paging', plural: 'widgets', labelSelector: 'parity=even' })) as Obj;
    expect(even.items.map((w: Obj) => w.metadata.name)).toEqual(['p-0', 'p-2', 'p-4', 'p-6']);
    const setBased = (await custom.listNamespacedCustomObject({ group: GROUP, version: V, namespace: 'paging', plural: 'widgets', labelSelector: 'parity in (odd),parity!=even' })) as Obj;
    expect(setBased.items).toHaveLength(3);
    const byName = (await custom.listNamespacedCustomObject({ group: GROUP, version: V, namespace: 'paging', plural: 'widgets', fieldSelector: 'metadata.name=p-3' })) as Obj;
    expect(byName.items.map((w: Obj) => w.metadata.name)).toEqual(['p-3']);
    const badField = await expectApiError(custom.listNamespacedCustomObject({ group: GROUP, version: V, namespace: 'paging', plural: 'widgets', fieldSelector: 'spec.tier=hdd' }), 400);
    expect(badField.message).toBe('field label not supported: spec.tier');

    const page1 = (await custom.listNamespacedCustomObject({ group: GROUP, version: V, namespace: 'paging', plural: 'widgets', limit: 3 })) as Obj;
    expect(page1.items.map((w: Obj) => w.metadata.name)).toEqual(['p-0', 'p-1', 'p-2']);
    expect(page1.metadata.remainingItemCount).toBe(4);
    // A write between pages does not show up: pages are one consistent snapshot.
    await custom.createNamespacedCustomObject({ group: GROUP, version: V, namespace: 'paging', plural: 'widgets', body: widget('p-9') });
    await custom.deleteNamespacedCustomObject({ group: GROUP, version: V, namespace: 'paging', plural: 'widgets', name: 'p-4' });
    const page2 = (await custom.listNamespacedCustomObject({ group: GROUP, version: V, namespace: 'paging', plural: 'widgets', limit: 3, _continue: page1.metadata.continue })) as Obj;
    expect(page2.items.map((w: Obj) => w.metadata.name)).toEqual(['p-3', 'p-4', 'p-5']);
    const page3 = (await custom.listNamespacedCustomObject({ group: GROUP, version: V, namespace: 'paging', plural: 'widgets', limit: 3, _continue: page2.metadata.continue })) as Obj;
    expect(page3.items.map((w: Obj) => w.metadata.name)).toEqual(['p-6']);
    expect(page3.metadata.continue).toBeUndefined();
    expect(page3.metadata.resourceVersion).toBe(page1.metadata.resourceVersion);

    const exact = (await custom.listNamespacedCustomObject({ group: GROUP, version: V, namespace: 'paging', plural: 'widgets', resourceVersion: page1.metadata.resourceVersion, resourceVersionMatch: 'Exact' })) as Obj;
    expect(exact.items.map((w: Obj) => w.metadata.name)).toContain('p-4');
    expect(exact.items.map((w: Obj) => w.metadata.name)).not.toContain('p-9');
    const latest = (await custom.listNamespacedCustomObject({ group: GROUP, version: V, namespace: 'paging', plural: 'widgets' })) as Obj;
    expect(latest.items.map((w: Obj) => w.metadata.name)).toEqual(['p-0', 'p-1', 'p-2', 'p-3', 'p-5', 'p-6', 'p-9']);
    const all = (await custom.listClusterCustomObject({ group: GROUP, version: V, plural: 'widgets', labelSelector: 'parity' })) as Obj;
    expect(all.items.every((w: Obj) => w.metadata.namespace === 'paging')).toBe(true);
  });

  test('a watch resumed from a resourceVersion neither loses nor repeats events', async () => {
    await core.createNamespace({ body: { metadata: { name: 'watching' } } });
    const seen: string[] = [];
    const watch = new Watch(t.kubeConfig);
    const path = `/apis/${GROUP}/${V}/namespaces/watching/widgets`;
    let lastRv = (await custom.listNamespacedCustomObject({ group: GROUP, version: V, namespace: 'watching', plural: 'widgets' }) as Obj).metadata.resourceVersion as string;
    const record = (type: string, obj: Obj): void => {
      if (type === 'BOOKMARK') return;
      seen.push(`${type}:${obj.metadata.name}:${obj.metadata.resourceVersion}`);
      lastRv = obj.metadata.resourceVersion;
    };
    let controller = await watch.watch(path, { resourceVersion: lastRv }, record, () => {});
    await custom.createNamespacedCustomObject({ group: GROUP, version: V, namespace: 'watching', plural: 'widgets', body: widget('r-1') });
    await custom.createNamespacedCustomObject({ group: GROUP, version: V, namespace: 'watching', plural: 'widgets', body: widget('r-2') });
    await eventually(() => (seen.length >= 2 ? true : undefined));
    controller.abort();
    // Changes while nobody watches.
    await custom.patchNamespacedCustomObject({ group: GROUP, version: V, namespace: 'watching', plural: 'widgets', name: 'r-1', body: { spec: { sizeGiB: 30 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await custom.deleteNamespacedCustomObject({ group: GROUP, version: V, namespace: 'watching', plural: 'widgets', name: 'r-2' });
    controller = await watch.watch(path, { resourceVersion: lastRv }, record, () => {});
    await custom.createNamespacedCustomObject({ group: GROUP, version: V, namespace: 'watching', plural: 'widgets', body: widget('r-3') });
    await eventually(() => (seen.length >= 5 ? true : undefined));
    controller.abort();
    expect(seen.map((s) => s.split(':').slice(0, 2).join(':'))).toEqual(['ADDED:r-1', 'ADDED:r-2', 'MODIFIED:r-1', 'DELETED:r-2', 'ADDED:r-3']);
    expect(new Set(seen).size).toBe(seen.length);
    const rvs = seen.map((s) => Number(s.split(':')[2]));
    expect([...rvs].sort((a, b) => a - b)).toEqual(rvs);
  });

  test('watch without resourceVersion starts with the current state; label changes become ADDED/DELETED; bookmarks arrive', async () => {
    await core.createNamespace({ body: { metadata: { name: 'wsel' } } });
    await core.createNamespacedConfigMap({ namespace: 'wsel', body: { metadata: { name: 'pre', labels: { app: 'x' } } } });
    const reader = new WatchReader(t.server, '/api/v1/namespaces/wsel/configmaps?watch=true&labelSelector=app%3Dx&allowWatchBookmarks=true');
    await reader.waitFor(1);
    expect(reader.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'pre' } } });
    await core.patchNamespacedConfigMap({ namespace: 'wsel', name: 'pre', body: { metadata: { labels: { app: 'y' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await core.createNamespacedConfigMap({ namespace: 'wsel', body: { metadata: { name: 'other', labels: { app: 'y' } } } });
    await core.patchNamespacedConfigMap({ namespace: 'wsel', name: 'other', body: { metadata: { labels: { app: 'x' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await eventually(() => (reader.events.some((e) => e.type === 'BOOKMARK') && reader.events.filter((e) => e.type !== 'BOOKMARK').length >= 3 ? true : undefined));
    await reader.stop();
    const changes = reader.events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type}:${(e.object.metadata as Obj).name}`);
    expect(changes).toEqual(['ADDED:pre', 'DELETED:pre', 'ADDED:other']);
    const bookmark = reader.events.find((e) => e.type === 'BOOKMARK') as Obj;
    expect(bookmark.object).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1' });
    expect(Number(bookmark.object.metadata.resourceVersion)).toBeGreaterThan(0);
  });

  test('sendInitialEvents streams the current state, then a bookmark marking its end', async () => {
    await core.createNamespace({ body: { metadata: { name: 'wlist' } } });
    await core.createNamespacedConfigMap({ namespace: 'wlist', body: { metadata: { name: 'one' } } });
    const reader = new WatchReader(t.server, '/api/v1/namespaces/wlist/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true');
    await reader.waitFor(2);
    await core.createNamespacedConfigMap({ namespace: 'wlist', body: { metadata: { name: 'two' } } });
    await eventually(() => (reader.events.some((e) => e.type === 'ADDED' && (e.object.metadata as Obj).name === 'two') ? true : undefined));
    await reader.stop();
    expect(reader.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'one' } } });
    expect(reader.events[1]).toMatchObject({ type: 'BOOKMARK', object: { metadata: { annotations: { 'k8s.io/initial-events-end': 'true' } } } });
    const refused = await raw(t.server, 'GET', '/api/v1/namespaces/wlist/configmaps?watch=true&sendInitialEvents=true');
    expect(refused.status).toBe(400);
  });

  test('watch of one object by name, and the legacy /watch/ path', async () => {
    await core.createNamespace({ body: { metadata: { name: 'wone' } } });
    await core.createNamespacedConfigMap({ namespace: 'wone', body: { metadata: { name: 'a' } } });
    await core.createNamespacedConfigMap({ namespace: 'wone', body: { metadata: { name: 'b' } } });
    const byName = new WatchReader(t.server, '/api/v1/namespaces/wone/configmaps/b?watch=true');
    const legacy = new WatchReader(t.server, '/api/v1/watch/namespaces/wone/configmaps');
    await byName.waitFor(1);
    await legacy.waitFor(2);
    await byName.stop();
    await legacy.stop();
    expect(byName.events.map((e) => (e.object.metadata as Obj).name)).toEqual(['b']);
    expect(legacy.events.map((e) => (e.object.metadata as Obj).name)).toEqual(['a', 'b']);
  });

  test('timeoutSeconds ends the watch', async () => {
    const reader = new WatchReader(t.server, '/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1');
    await reader.done;
    expect(reader.events.every((e) => e.type === 'ADDED')).toBe(true);
  });

  test('410 Gone for a resourceVersion older than the retained history', async () => {
    const start = (await core.listNamespacedConfigMap({ namespace: 'default' })).metadata?.resourceVersion as string;
    for (let i = 0; i < 60; i++) await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `churn-${i}` } } });
    const reader = new WatchReader(t.server, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${start}`);
    await reader.done;
    expect(reader.events).toHaveLength(1);
    expect(reader.events[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
    expect((reader.events[0]?.object as Obj).message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
    const exact = await expectApiError(core.listNamespacedConfigMap({ namespace: 'default', resourceVersion: start, resourceVersionMatch: 'Exact' }), 410);
    expect(exact.reason).toBe('Expired');
    const done = new Promise<unknown>((resolve) => {
      void new Watch(t.kubeConfig).watch('/api/v1/namespaces/default/configmaps', { resourceVersion: start }, (type, obj) => {
        if (type === 'ERROR') resolve(obj);
      }, () => {});
    });
    expect(await done).toMatchObject({ code: 410 });
  });

  test('secrets, events and leases are served', async () => {
    const secret = await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 's' }, stringData: { a: 'b' }, data: { c: Buffer.from('d').toString('base64') } } });
    expect(secret.type).toBe('Opaque');
    expect(secret.stringData).toBeUndefined();
    expect(secret.data).toEqual({ a: Buffer.from('b').toString('base64'), c: Buffer.from('d').toString('base64') });
    const event = await core.createNamespacedEvent({
      namespace: 'default',
      body: { metadata: { name: 'w.1' }, involvedObject: { kind: 'Widget', name: 'w-gen', namespace: 'default' }, reason: 'Created', message: 'hello', type: 'Normal' },
    });
    expect(event.reason).toBe('Created');
    const events = await core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=w-gen,involvedObject.kind=Widget' });
    expect(events.items.map((e) => e.message)).toEqual(['hello']);
    // One store behind core/v1 and events.k8s.io/v1, as in kube-apiserver.
    const viaEvents = await raw(t.server, 'GET', '/apis/events.k8s.io/v1/namespaces/default/events/w.1');
    expect(viaEvents.body).toMatchObject({ apiVersion: 'events.k8s.io/v1', kind: 'Event', note: 'hello', regarding: { kind: 'Widget', name: 'w-gen' } });
    expect(viaEvents.body.message).toBeUndefined();
    const written = await raw(t.server, 'POST', '/apis/events.k8s.io/v1/namespaces/default/events', {
      metadata: { name: 'w.2' }, regarding: { kind: 'Widget', name: 'w-gen', namespace: 'default' }, note: 'from events.k8s.io', reason: 'Synced', type: 'Normal',
      action: 'Reconcile', reportingController: 'statsmoln.io/operator', reportingInstance: 'op-1', eventTime: '2026-01-01T00:00:00.000000Z',
    });
    expect(written.status).toBe(201);
    const asCore = await core.readNamespacedEvent({ namespace: 'default', name: 'w.2' });
    expect(asCore).toMatchObject({ message: 'from events.k8s.io', involvedObject: { name: 'w-gen' }, reportingComponent: 'statsmoln.io/operator' });
    const byRegarding = await raw(t.server, 'GET', '/apis/events.k8s.io/v1/namespaces/default/events?fieldSelector=regarding.name%3Dw-gen');
    expect((byRegarding.body.items as Obj[]).map((e) => e.note).sort()).toEqual(['from events.k8s.io', 'hello']);
    const leases = t.kubeConfig.makeApiClient(CoordinationV1Api);
    const lease = await leases.createNamespacedLease({ namespace: 'kube-system', body: { metadata: { name: 'leader' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 15 } } });
    const renewed = await leases.replaceNamespacedLease({ namespace: 'kube-system', name: 'leader', body: { ...lease, spec: { ...lease.spec, holderIdentity: 'b' } } });
    expect(renewed.spec?.holderIdentity).toBe('b');
    await expectApiError(leases.replaceNamespacedLease({ namespace: 'kube-system', name: 'leader', body: { ...lease, spec: { ...lease.spec, holderIdentity: 'c' } } }), 409);
  });
});
