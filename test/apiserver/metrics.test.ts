import { WatchReader, eventually, raw, startTestServer, type TestServer } from './helpers.js';

describe('embedded API server: /metrics', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.server.close());

  test('counts requests by verb, group, resource and code; tracks watchers and stored objects', async () => {
    await raw(t.server, 'GET', '/api/v1/namespaces');
    await raw(t.server, 'GET', '/api/v1/namespaces/nope');
    await raw(t.server, 'PATCH', '/api/v1/namespaces/default/configmaps/x?fieldManager=m', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n', 'application/apply-patch+yaml');
    const watch = new WatchReader(t.server, '/api/v1/namespaces/default/configmaps?watch=true');
    await watch.waitFor(1);
    const text = await eventually(async () => {
      const body = (await raw(t.server, 'GET', '/metrics')).text;
      return body.includes('apiserver_registered_watchers{group="",resource="configmaps"} 1') ? body : undefined;
    });
    expect(text).toContain('apiserver_request_total{verb="LIST",group="",resource="namespaces",code="200"} 1');
    expect(text).toContain('apiserver_request_total{verb="GET",group="",resource="namespaces",code="404"} 1');
    expect(text).toContain('apiserver_request_total{verb="APPLY",group="",resource="configmaps",code="200"} 1');
    expect(text).toContain('apiserver_request_total{verb="WATCH",group="",resource="configmaps",code="200"} 1');
    expect(text).toMatch(/apiserver_storage_objects\{resource="configmaps"\} 1/);
    await watch.stop();
    await eventually(async () => ((await raw(t.server, 'GET', '/metrics')).text.includes('apiserver_registered_watchers{group="",resource="configmaps"} 0') ? true : undefined));
    const anonymous = await raw(t.server, 'GET', '/metrics', undefined, 'application/json', { Authorization: '' });
    expect(anonymous.status).toBe(401);
  });
});
