import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { register, type Counter } from 'prom-client';
import { BACKEND_REQUESTS_TOTAL } from '../../src/backends/ceph/metrics.js';
import { HttpTransport } from '../../src/backends/ceph/transport.js';
import { FaultInjector } from '../../src/simulators/ceph/faults.js';
import { closeServer, listen } from '../../src/simulators/ceph/http-util.js';

/** A tiny server that echoes the request and counts hits, behind the simulator's fault injector. */
describe('HttpTransport', () => {
  let faults: FaultInjector;
  let server: Server;
  let url: string;
  let hits: { method: string; path: string; requestId: string | undefined }[];
  let delays: number[];

  beforeEach(async () => {
    faults = new FaultInjector(3);
    hits = [];
    delays = [];
    const started = await listen(
      (request) => {
        hits.push({ method: request.method, path: request.path, requestId: request.headers['x-request-id'] as string | undefined });
        return { status: 200, body: { ok: true, query: request.rawQuery }, headers: { 'x-amz-request-id': 'tx-backend-1' } };
      },
      faults,
    );
    server = started.server;
    url = started.url;
  });

  afterEach(async () => {
    await closeServer(server);
  });

  const transport = (overrides: Partial<ConstructorParameters<typeof HttpTransport>[0]> = {}): HttpTransport =>
    new HttpTransport({
      service: 'test-service',
      baseUrl: url,
      timeoutMs: 2_000,
      retries: 2,
      sleep: async (ms) => {
        delays.push(ms);
      },
      random: () => 0.5,
      ...overrides,
    });

  it('sends a request id, records the backend one and encodes the query', async () => {
    const response = await transport().request({ method: 'GET', path: '/admin/user', query: { quota: '', uid: 'a b', skip: undefined } });
    expect(response.body).toEqual({ ok: true, query: 'quota&uid=a%20b' });
    expect(response.requestId).toBe('tx-backend-1');
    expect(hits[0]?.requestId).toMatch(/^req-[0-9a-f-]{36}$/);
  });

  it('retries idempotent calls on 503 with exponential backoff, then succeeds', async () => {
    faults.add({ path: '/x', status: 503, times: 2 });
    const response = await transport().request({ method: 'GET', path: '/x' });
    expect(response.status).toBe(200);
    expect(hits).toHaveLength(1);
    expect(delays).toEqual([150, 300]);
  });

  it('does not retry POST, nor a 500', async () => {
    faults.add({ path: '/x', status: 503, times: 1 });
    await expect(transport().request({ method: 'POST', path: '/x', json: {} })).rejects.toMatchObject({ name: 'UnavailableError', status: 503 });
    faults.add({ path: '/y', status: 500, times: 1 });
    await expect(transport().request({ method: 'GET', path: '/y' })).rejects.toMatchObject({ name: 'UnavailableError', status: 500 });
    expect(delays).toEqual([]);
    expect(hits).toHaveLength(0);
  });

  it('gives up after the configured retries', async () => {
    faults.add({ path: '/x', status: 502 });
    await expect(transport({ retries: 1 }).request({ method: 'DELETE', path: '/x' })).rejects.toMatchObject({ name: 'UnavailableError', status: 502 });
    expect(delays).toHaveLength(1);
  });

  it('times out a call that never answers with TimeoutError', async () => {
    faults.add({ path: '/slow', status: 'hang', times: 1 });
    await expect(transport({ timeoutMs: 150, retries: 0 }).request({ method: 'GET', path: '/slow' })).rejects.toMatchObject({
      name: 'TimeoutError',
      transient: true,
    });
  });

  it('maps a dropped connection and a refused one to UnavailableError', async () => {
    faults.add({ path: '/reset', status: 'reset', times: 1 });
    await expect(transport({ retries: 0 }).request({ method: 'GET', path: '/reset' })).rejects.toMatchObject({ name: 'UnavailableError' });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(transport({ baseUrl: `http://127.0.0.1:${port}`, retries: 0 }).request({ method: 'GET', path: '/' })).rejects.toMatchObject({
      name: 'UnavailableError',
      status: undefined,
    });
  });

  it('maps statuses to typed errors', async () => {
    const cases: [number, string][] = [
      [400, 'BadRequestError'],
      [401, 'UnauthorizedError'],
      [403, 'ForbiddenError'],
      [404, 'NotFoundError'],
      [409, 'ConflictError'],
      [413, 'OverQuotaError'],
      [501, 'UnsupportedError'],
      [504, 'TimeoutError'],
    ];
    for (const [status, name] of cases) {
      faults.add({ path: `/s${status}`, status, times: 1 });
      await expect(transport({ retries: 0 }).request({ method: 'GET', path: `/s${status}` })).rejects.toMatchObject({ name, status });
    }
  });

  it('counts requests by service, method and code in the shared metric', async () => {
    const counter = register.getSingleMetric(BACKEND_REQUESTS_TOTAL) as Counter<'service' | 'method' | 'code'>;
    const before = (await counter.get()).values.find((value) => value.labels['service'] === 'metric-test' && value.labels['code'] === '200')?.value ?? 0;
    await transport({ service: 'metric-test' }).request({ method: 'GET', path: '/m' });
    faults.add({ path: '/m', status: 404, times: 1 });
    await expect(transport({ service: 'metric-test' }).request({ method: 'GET', path: '/m' })).rejects.toThrow();
    const values = (await counter.get()).values.filter((value) => value.labels['service'] === 'metric-test');
    expect(values.find((value) => value.labels['code'] === '200')?.value).toBe(before + 1);
    expect(values.find((value) => value.labels['code'] === '404')).toMatchObject({ labels: { method: 'GET' }, value: 1 });
    expect(register.getSingleMetric('statsmoln_backend_request_duration_seconds')).toBeDefined();
  });
});
