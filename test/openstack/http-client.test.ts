import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { BackendError, HttpClient } from '../../src/backends/http/index.js';
import { interpretOpenStackError } from '../../src/backends/openstack/errors.js';

type Reply = (req: http.IncomingMessage, res: http.ServerResponse) => void;

async function serve(replies: Reply[]): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server = http.createServer((req, res) => {
    const reply = replies[Math.min(hits, replies.length - 1)] as Reply;
    hits++;
    req.resume();
    req.on('end', () => reply(req, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => (_req, res) => {
  res.writeHead(status, { 'content-type': 'application/json', 'x-openstack-request-id': `req-${status}`, ...headers });
  res.end(JSON.stringify(body));
};
const reset: Reply = (req) => req.socket.destroy();

function client(registry: Registry, extra: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}) {
  const delays: number[] = [];
  const c = new HttpClient({
    service: 'nova',
    registry,
    interpretError: interpretOpenStackError,
    retry: { maxRetries: 2, baseDelayMs: 100, maxDelayMs: 1000 },
    sleep: async (ms) => {
      delays.push(ms);
    },
    random: () => 0.5,
    ...extra,
  });
  return { c, delays };
}

describe('HttpClient', () => {
  test('retries an idempotent GET on 503 with backoff, then succeeds, and counts every attempt', async () => {
    const srv = await serve([json(503, { computeFault: { code: 503, message: 'busy' } }), json(503, {}), json(200, { ok: true })]);
    const registry = new Registry();
    const { c, delays } = client(registry);
    try {
      const res = await c.request({ method: 'GET', url: `${srv.url}/x` });
      expect(res.body).toEqual({ ok: true });
      expect(res.requestId).toBe('req-200');
      expect(srv.hits()).toBe(3);
      expect(delays).toEqual([75, 150]);
      const metric = await registry.getSingleMetricAsString('statsmoln_backend_requests_total');
      expect(metric).toContain('statsmoln_backend_requests_total{service="nova",method="GET",code="503"} 2');
      expect(metric).toContain('statsmoln_backend_requests_total{service="nova",method="GET",code="200"} 1');
      const duration = await registry.getSingleMetricAsString('statsmoln_backend_request_duration_seconds');
      expect(duration).toContain('statsmoln_backend_request_duration_seconds_count{service="nova",method="GET"} 3');
    } finally {
      c.close();
      await srv.close();
    }
  });

  test('never retries a POST on 5xx or on a connection reset', async () => {
    const srv = await serve([json(500, { computeFault: { code: 500, message: 'boom' } })]);
    const { c } = client(new Registry());
    try {
      const error = await c.request({ method: 'POST', url: `${srv.url}/x`, json: {} }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackendError);
      expect((error as BackendError).kind).toBe('Unavailable');
      expect((error as BackendError).serviceMessage).toBe('boom');
      expect(srv.hits()).toBe(1);
    } finally {
      c.close();
      await srv.close();
    }
    const srv2 = await serve([reset]);
    const { c: c2 } = client(new Registry());
    try {
      const error = (await c2.request({ method: 'POST', url: `${srv2.url}/x`, json: {} }).catch((e: unknown) => e)) as BackendError;
      expect(error.kind).toBe('Unavailable');
      expect(error.status).toBeUndefined();
      expect(srv2.hits()).toBe(1);
    } finally {
      c2.close();
      await srv2.close();
    }
  });

  test('retries an idempotent request after connection resets and gives up after maxRetries', async () => {
    const srv = await serve([reset]);
    const registry = new Registry();
    const { c } = client(registry);
    try {
      const error = (await c.request({ method: 'DELETE', url: `${srv.url}/x` }).catch((e: unknown) => e)) as BackendError;
      expect(error.kind).toBe('Unavailable');
      expect(srv.hits()).toBe(3);
      expect(await registry.getSingleMetricAsString('statsmoln_backend_requests_total')).toContain('code="connection"} 3');
    } finally {
      c.close();
      await srv.close();
    }
  });

  const silent: Reply = () => undefined;
  const headersThenSilence: Reply = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
    res.write('{"partial":');
  };
  test.each([
    ['gets no answer', silent],
    ['gets its headers and then part of its body (the deadline covers the body)', headersThenSilence],
  ])('a request that %s times out after timeoutMs', async (_what, reply) => {
    const srv = await serve([reply]);
    const registry = new Registry();
    const { c } = client(registry, { retry: { maxRetries: 0 } });
    try {
      const error = (await c.request({ method: 'GET', url: `${srv.url}/x`, timeoutMs: 50 }).catch((e: unknown) => e)) as BackendError;
      expect(error.kind).toBe('Unavailable');
      expect(error.serviceMessage).toContain('no response within 50 ms');
      expect(await registry.getSingleMetricAsString('statsmoln_backend_requests_total')).toContain('code="timeout"} 1');
    } finally {
      c.close();
      await srv.close();
    }
  });

  test('a request cancelled by the caller is not retried and is not a backend error', async () => {
    // The caller cancels once the server holds the request (not after a fixed delay, which a busy
    // machine can outrun before the request arrives); the server never answers.
    const controller = new AbortController();
    const srv = await serve([() => controller.abort()]);
    const { c } = client(new Registry());
    try {
      const pending = c.request({ method: 'GET', url: `${srv.url}/x`, signal: controller.signal, timeoutMs: 10_000 });
      await expect(pending).rejects.toThrow(/cancelled/);
      await expect(pending).rejects.not.toBeInstanceOf(BackendError);
      expect(srv.hits()).toBe(1);
    } finally {
      c.close();
      await srv.close();
    }
  });

  test.each([
    [404, { itemNotFound: { code: 404, message: 'Volume v1 could not be found.' } }, 'NotFound', 'Volume v1 could not be found.'],
    [413, { overLimit: { code: 413, message: 'VolumeLimitExceeded: Maximum number of volumes allowed (1) exceeded', retryAfter: '0' } }, 'OverQuota', 'VolumeLimitExceeded: Maximum number of volumes allowed (1) exceeded'],
    [403, { forbidden: { code: 403, message: 'Quota exceeded for cores: Requested 4, but already used 0 of 2 cores' } }, 'OverQuota', 'Quota exceeded for cores: Requested 4, but already used 0 of 2 cores'],
    [403, { error: { code: 403, message: 'You are not authorized to perform the requested action.', title: 'Forbidden' } }, 'Forbidden', 'You are not authorized to perform the requested action.'],
    [409, { NeutronError: { type: 'OverQuota', message: "Quota exceeded for resources: ['network'].", detail: '' } }, 'OverQuota', "Quota exceeded for resources: ['network']."],
    [409, { NeutronError: { type: 'NetworkInUse', message: 'Unable to complete operation on network n1.', detail: '' } }, 'Conflict', 'Unable to complete operation on network n1.'],
    [400, { badRequest: { code: 400, message: 'Invalid input' } }, 'BadRequest', 'Invalid input'],
    [401, { error: { code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized' } }, 'Unauthorized', 'The request you have made requires authentication.'],
  ])('maps %i %j to %s keeping the service message and request id', async (status, body, kind, message) => {
    const srv = await serve([json(status, body)]);
    const { c } = client(new Registry());
    try {
      const error = (await c.request({ method: 'GET', url: `${srv.url}/x` }).catch((e: unknown) => e)) as BackendError;
      expect(error.kind).toBe(kind);
      expect(error.serviceMessage).toBe(message);
      expect(error.requestId).toBe(`req-${status}`);
      expect(error.status).toBe(status);
      expect(error.message).toContain(message);
    } finally {
      c.close();
      await srv.close();
    }
  });

  test('redacts secrets from service messages', async () => {
    const srv = await serve([json(400, { badRequest: { code: 400, message: 'bad password hunter2-secret given' } })]);
    const { c } = client(new Registry(), { secrets: () => ['hunter2-secret'] });
    try {
      const error = (await c.request({ method: 'GET', url: `${srv.url}/x` }).catch((e: unknown) => e)) as BackendError;
      expect(error.message).not.toContain('hunter2-secret');
      expect(error.serviceMessage).toBe('bad password [REDACTED] given');
    } finally {
      c.close();
      await srv.close();
    }
  });
});
