/** Informer list/watch semantics against the embedded API server, through a proxy that can cut connections. */
import { RealClock } from '../../src/runtime/clock.js';
import { SharedInformer } from '../../src/runtime/informer.js';
import { silentLogger } from '../../src/runtime/logger.js';
import type { KubeObject } from '../../src/runtime/types.js';
import { objectKey } from '../../src/runtime/types.js';
import type { TestApi } from './support/apiserver.js';
import { DropProxy, GADGETS, eventually, gadget, startTestApi } from './support/apiserver.js';

interface Recorded {
  type: 'add' | 'update' | 'delete';
  key: string;
  rv: string | undefined;
}

function record(informer: SharedInformer): Recorded[] {
  const seen: Recorded[] = [];
  const push = (type: Recorded['type'], obj: KubeObject): void => {
    seen.push({ type, key: objectKey(obj), rv: obj.metadata?.resourceVersion });
  };
  informer.addEventHandler({
    onAdd: (o) => push('add', o),
    onUpdate: (_old, o) => push('update', o),
    onDelete: (o) => push('delete', o),
  });
  return seen;
}

async function serverState(api: TestApi): Promise<Map<string, string | undefined>> {
  const list = await api.client.list(GADGETS, { namespace: 'ns' });
  return new Map(list.items.map((o) => [objectKey(o), o.metadata?.resourceVersion]));
}

function cacheState(informer: SharedInformer): Map<string, string | undefined> {
  return new Map(informer.store.list().map((o) => [objectKey(o), o.metadata?.resourceVersion]));
}

describe('SharedInformer against the embedded API server', () => {
  let api: TestApi;
  let proxy: DropProxy;
  let scope: AbortController;
  beforeEach(() => {
    scope = new AbortController();
  });
  afterEach(async () => {
    scope.abort();
    await proxy?.close();
    await api?.close();
  });

  function newInformer(): SharedInformer {
    return new SharedInformer({
      client: api.clientFor(proxy.url),
      type: GADGETS,
      namespace: 'ns',
      clock: new RealClock(),
      logger: silentLogger(),
      initialBackoffMs: 20,
      maxBackoffMs: 100,
      pageSize: 7,
      random: () => 0.5,
    });
  }

  it('resumes a dropped watch from the last resourceVersion and loses no event', async () => {
    api = await startTestApi({ historySize: 1000 });
    proxy = await DropProxy.start(api.server.url);
    for (let i = 0; i < 20; i++) await api.client.create(GADGETS, gadget(`g${i}`, { n: i }));
    const informer = newInformer();
    const seen = record(informer);
    const run = informer.run(scope.signal);
    expect(await informer.waitForSync()).toBe(true);
    expect(informer.store.size).toBe(20);
    // The cache drops managedFields (controller-runtime's recommended transform); the server keeps them.
    expect((await api.client.get(GADGETS, 'ns', 'g0')).metadata).toHaveProperty('managedFields');
    expect(informer.store.get('ns/g0')?.metadata).not.toHaveProperty('managedFields');

    proxy.drop(true); // the watch dies and reconnects are refused: an API outage
    const g3 = await api.client.get(GADGETS, 'ns', 'g3');
    await api.client.update(GADGETS, { ...g3, spec: { n: 300 } });
    await api.client.delete(GADGETS, 'ns', 'g4');
    await api.client.create(GADGETS, gadget('late', { n: 99 }));
    await new Promise((r) => setTimeout(r, 100));
    proxy.resume();

    const expected = await serverState(api);
    await eventually(() => (JSON.stringify([...cacheState(informer)].sort()) === JSON.stringify([...expected].sort()) ? true : undefined));
    expect(informer.stats.lists).toBe(1); // resumed from the resourceVersion, no re-list
    expect(informer.stats.watches).toBeGreaterThanOrEqual(2);
    const afterSync = seen.slice(20);
    expect(afterSync.map((e) => `${e.type}:${e.key}`)).toEqual(['update:ns/g3', 'delete:ns/g4', 'add:ns/late']);
    scope.abort();
    await run;
  });

  it('re-lists once on 410 Gone and emits only real differences', async () => {
    api = await startTestApi({ historySize: 5 });
    proxy = await DropProxy.start(api.server.url);
    for (let i = 0; i < 10; i++) await api.client.create(GADGETS, gadget(`g${i}`, { n: i }));
    const informer = newInformer();
    const seen = record(informer);
    const run = informer.run(scope.signal);
    await informer.waitForSync();
    expect(seen.length).toBe(10);

    proxy.drop(true);
    // More changes than the server's history keeps: resuming from our version must give 410.
    for (let round = 0; round < 4; round++) {
      const g0 = await api.client.get(GADGETS, 'ns', 'g0');
      await api.client.update(GADGETS, { ...g0, spec: { n: 1000 + round } });
    }
    await api.client.delete(GADGETS, 'ns', 'g1');
    for (let i = 0; i < 3; i++) await api.client.create(GADGETS, gadget(`new${i}`));
    proxy.resume();

    const expected = await serverState(api);
    await eventually(() => (JSON.stringify([...cacheState(informer)].sort()) === JSON.stringify([...expected].sort()) ? true : undefined));
    expect(informer.stats.gone).toBe(1);
    expect(informer.stats.lists).toBe(2);
    const afterSync = seen.slice(10).map((e) => `${e.type}:${e.key}`).sort();
    // g0 once (only its final state), g1 deleted once, three adds; the 7 unchanged objects emit nothing.
    expect(afterSync).toEqual(['add:ns/new0', 'add:ns/new1', 'add:ns/new2', 'delete:ns/g1', 'update:ns/g0']);
    expect(informer.store.get('ns/g0')?.spec).toEqual({ n: 1003 });
    scope.abort();
    await run;
  });

  it('receives bookmarks and advances its resourceVersion with them', async () => {
    api = await startTestApi({ bookmarkIntervalMs: 50 });
    proxy = await DropProxy.start(api.server.url);
    await api.client.create(GADGETS, gadget('only'));
    const informer = newInformer();
    const run = informer.run(scope.signal);
    await informer.waitForSync();
    await eventually(() => (informer.stats.bookmarks >= 2 ? true : undefined));
    expect(Number(informer.lastSyncResourceVersion())).toBeGreaterThan(0);
    scope.abort();
    await run;
  });
});
