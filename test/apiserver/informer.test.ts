import { CoreV1Api, makeInformer, type V1ConfigMap } from '@kubernetes/client-node';
import { eventually, startTestServer, type TestServer } from './helpers.js';

describe('embedded API server: @kubernetes/client-node informer (list then watch)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ historySize: 20 });
  });
  afterAll(() => t.server.close());

  test('the informer cache follows adds, updates and deletes, and recovers after 410 Gone', async () => {
    const core = t.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'inf' } } });
    await core.createNamespacedConfigMap({ namespace: 'inf', body: { metadata: { name: 'before' }, data: { v: '0' } } });
    const informer = makeInformer<V1ConfigMap>(t.kubeConfig, '/api/v1/namespaces/inf/configmaps', () => core.listNamespacedConfigMap({ namespace: 'inf' }));
    const seen: string[] = [];
    informer.on('add', (cm) => seen.push(`add:${cm.metadata?.name}`));
    informer.on('update', (cm) => seen.push(`update:${cm.metadata?.name}:${cm.data?.v}`));
    informer.on('delete', (cm) => seen.push(`delete:${cm.metadata?.name}`));
    await informer.start();
    try {
      await eventually(() => (seen.includes('add:before') ? true : undefined));
      await core.createNamespacedConfigMap({ namespace: 'inf', body: { metadata: { name: 'new' }, data: { v: '1' } } });
      await core.replaceNamespacedConfigMap({ namespace: 'inf', name: 'new', body: { metadata: { name: 'new' }, data: { v: '2' } } });
      await core.deleteNamespacedConfigMap({ namespace: 'inf', name: 'before' });
      await eventually(() => (seen.includes('delete:before') ? true : undefined));
      expect(seen).toEqual(['add:before', 'add:new', 'update:new:2', 'delete:before']);
      expect(informer.list().map((cm) => cm.metadata?.name)).toEqual(['new']);
      expect(informer.get('new', 'inf')?.data).toEqual({ v: '2' });

      // Connection loss while more changes happen than the history holds: resuming gives
      // 410 Gone and the informer re-lists.
      const configmaps = t.server.core.resource('', 'v1', 'configmaps');
      t.server.dropWatches();
      for (let i = 0; i < 30; i++) t.server.core.create(configmaps, 'inf', { metadata: { name: `gap-${i}` } }, {});
      t.server.core.delete(configmaps, 'inf', 'new', {});
      await eventually(() => (informer.list().length === 30 && !informer.get('new', 'inf') ? true : undefined));
      expect(informer.list().map((cm) => cm.metadata?.name).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `gap-${i}`).sort());
    } finally {
      await informer.stop();
    }
  });
});
