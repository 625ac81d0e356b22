import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FaultInjector } from './faults.js';

/** An HTTP error the simulated API answers with: status, JSON (or text) body, extra headers. */
export class SimHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

export interface SimRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Raw query string without `?`, as sent (needed to verify signatures). */
  rawQuery: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface SimResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type SimHandler = (request: SimRequest) => Promise<SimResponse> | SimResponse;

export function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, result: SimResponse, defaultContentType: string): void {
  const headers: Record<string, string> = { ...result.headers };
  let payload: string | Buffer | undefined;
  if (result.body === undefined || result.status === 204) {
    payload = undefined;
  } else if (typeof result.body === 'string' || Buffer.isBuffer(result.body)) {
    payload = result.body;
  } else {
    payload = JSON.stringify(result.body);
    headers['content-type'] ??= defaultContentType;
  }
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
  else if (result.status !== 204) headers['content-length'] = '0';
  response.writeHead(result.status, headers);
  response.end(payload);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Request counts by `<api> <METHOD> <route pattern> <status>`, for benchmarks (as the OpenStack simulator's). */
export class RequestCounter {
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly api: string,
    /** The route pattern of a path, so that counts group by endpoint, not by object. */
    private readonly route: (path: string) => string = (path) => path,
  ) {}

  count(method: string, path: string, status: number | 'reset' | 'hang'): void {
    const key = `${this.api} ${method} ${this.route(path)} ${status}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  reset(): void {
    this.counts.clear();
  }
}

/** An HTTP server on 127.0.0.1 that runs faults and latency first, then the handler. */
export async function listen(
  handler: SimHandler,
  faults: FaultInjector,
  options: { port?: number; contentType?: string; errorBody?: (status: number) => unknown; counter?: RequestCounter } = {},
): Promise<{ server: Server; url: string }> {
  const contentType = options.contentType ?? 'application/json';
  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const method = request.method ?? 'GET';
      const body = await readBody(request);
      const delay = faults.delayMs();
      const fault = faults.match(method, url.pathname);
      if (delay > 0 || fault?.delayMs) await sleep(delay + (fault?.delayMs ?? 0));
      if (fault) {
        options.counter?.count(method, url.pathname, fault.status);
        if (fault.status === 'reset') {
          request.socket.destroy();
          return;
        }
        if (fault.status === 'hang') return;
        send(response, { status: fault.status, body: fault.body ?? options.errorBody?.(fault.status) ?? { detail: 'injected fault' } }, contentType);
        return;
      }
      const rawQuery = (request.url ?? '').includes('?') ? (request.url ?? '').slice((request.url ?? '').indexOf('?') + 1) : '';
      try {
        const result = await handler({ method, path: url.pathname, query: url.searchParams, rawQuery, headers: request.headers, body });
        options.counter?.count(method, url.pathname, result.status);
        send(response, result, contentType);
      } catch (error) {
        if (error instanceof SimHttpError) {
          options.counter?.count(method, url.pathname, error.status);
          send(response, { status: error.status, body: error.body, headers: error.headers }, contentType);
        } else {
          options.counter?.count(method, url.pathname, 500);
          send(response, { status: 500, body: options.errorBody?.(500) ?? { detail: String(error) } }, contentType);
        }
      }
    })().catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${address.port}` };
}

export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
