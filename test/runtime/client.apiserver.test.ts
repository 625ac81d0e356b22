/** The generic REST client: typed errors, request ids, timeouts and metrics. */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { AUTH_REFRESH_MS, KubeClient, kubeConfigForServer, resourcePath } from '../../src/runtime/client.js';
import { ApiError, TransportError, isConflict, isNotFound } from '../../src/runtime/errors.js';
import { RuntimeMetrics } from '../../src/runtime/metrics.js';
import { LEASES } from '../../src/runtime/types.js';
import type { TestApi } from './support/apiserver.js';
import { GADGETS, gadget, startTestApi } from './support/apiserver.js';

describe('KubeClient', () => {
  let api: TestApi | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it('builds core and group paths', () => {
    expect(resourcePath({ group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true }, 'ns', 'creds')).toBe(
      '/api/v1/namespaces/ns/secrets/creds',
    );
    expect(resourcePath(LEASES, 'operator', 'x', 'status')).toBe('/apis/coordination.k8s.io/v1/namespaces/operator/leases/x/status');
    expect(resourcePath(GADGETS)).toBe('/apis/runtime.test.statsmoln.io/v1/gadgets');
  });

  it('keeps connections alive: many requests, in turn and in parallel, over few TLS connections', async () => {
    api = await startTestApi();
    const target = new URL(api.server.url);
    expect(target.protocol).toBe('https:');
    let connections = 0;
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((socket) => {
      connections += 1;
      const upstream = net.connect(Number(target.port), target.hostname);
      sockets.add(socket).add(upstream);
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const client = api.clientFor(`https://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
      for (let index = 0; index < 20; index++) await client.get(GADGETS, 'ns', 'nope').catch(() => undefined);
      expect(connections).toBe(1);
      await Promise.all(Array.from({ length: 8 }, (_, index) => client.create(GADGETS, gadget(`parallel-${index}`))));
      expect(connections).toBeLessThanOrEqual(8);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('returns typed errors with the status reason and a request id, and counts requests by code', async () => {
    api = await startTestApi();
    const metrics = new RuntimeMetrics();
    const client = api.clientFor(api.server.url, metrics);
    const missing = await client.get(GADGETS, 'ns', 'nope').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ApiError);
    expect(isNotFound(missing)).toBe(true);
    expect((missing as ApiError).reason).toBe('NotFound');
    expect((missing as ApiError).requestId).toMatch(/\S{8,}/);
    const created = await client.create(GADGETS, gadget('once'));
    const stale = { ...created, metadata: { ...created.metadata, resourceVersion: '1' }, spec: { changed: true } };
    const conflict = await client.update(GADGETS, stale).catch((e: unknown) => e);
    expect(isConflict(conflict)).toBe(true);
    const host = new URL(api.server.url).host;
    const text = await metrics.registry.metrics();
    expect(text).toContain(`rest_client_requests_total{code="404",method="GET",host="${host}"} 1`);
    expect(text).toContain(`rest_client_requests_total{code="409",method="PUT",host="${host}"} 1`);
    expect(text).toContain(`rest_client_requests_total{code="201",method="POST",host="${host}"} 1`);
  });

  it('reuses credentials from the kubeconfig for AUTH_REFRESH_MS, and reads them again sooner after a 401', async () => {
    api = await startTestApi();
    const kubeConfig = kubeConfigForServer(api.server.url, api.server.token, api.server.caData);
    let now = 0;
    const client = new KubeClient({ kubeConfig, timeoutMs: 5000, now: () => now });
    const setToken = (token: string | undefined): void => {
      kubeConfig.users = kubeConfig.users.map((user) => ({ ...user, token }));
    };
    const listStatus = async (): Promise<number> => {
      const outcome = await client.list(GADGETS).then(() => 200, (error: unknown) => (error as ApiError).statusCode);
      return outcome;
    };
    expect(await listStatus()).toBe(200);
    setToken('a-token-the-server-refuses');
    now += AUTH_REFRESH_MS - 1;
    expect(await listStatus()).toBe(200); // within the window: the credentials read before
    now += 1;
    expect(await listStatus()).toBe(401); // read again, and refused
    setToken(api.server.token);
    expect(await listStatus()).toBe(200); // after a 401 the next call reads them at once
  });

  it('times out a request that gets no answer, and counts it as <error>', async () => {
    const silent = http.createServer(() => {
      /* never answers */
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const metrics = new RuntimeMetrics();
    const client = new KubeClient({ kubeConfig: kubeConfigForServer(url), metrics, timeoutMs: 100 });
    const started = Date.now();
    const error = await client.get(GADGETS, 'ns', 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await metrics.registry.metrics()).toContain('rest_client_requests_total{code="<error>",method="GET"');
    silent.closeAllConnections();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });
});
