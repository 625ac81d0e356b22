import { KubeConfig } from '@kubernetes/client-node';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { startApiServer, type ApiServer, type ApiServerOptions } from '../../src/apiserver/index.js';
import { eventuallyDefined as eventually } from '../support/eventually.js';

/** Loosely typed JSON for assertions on response bodies. */
export type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export interface TestServer {
  server: ApiServer;
  kubeConfig: KubeConfig;
}

export async function startTestServer(options: ApiServerOptions = {}): Promise<TestServer> {
  const server = await startApiServer({ host: '127.0.0.1', port: 0, historySize: 1000, ...options });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'test', server: server.url, ...(server.caData ? { caData: Buffer.from(server.caData).toString('base64') } : {}) }],
    users: [{ name: 'test', token: server.token }],
    contexts: [{ name: 'test', cluster: 'test', user: 'test' }],
    currentContext: 'test',
  });
  return { server, kubeConfig };
}

/** Opens a request to the server (HTTP or HTTPS, trusting its certificate). */
export function open(server: ApiServer, method: string, path: string, headers: Record<string, string>, body?: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, server.url);
    if (body !== undefined) headers = { ...headers, 'Content-Length': String(Buffer.byteLength(body)) };
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method, headers, ...(server.caData ? { ca: server.caData } : {}) }, resolve);
    request.on('error', reject);
    if (body !== undefined) request.write(body);
    request.end();
  });
}

async function readAll(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Raw HTTP against the server with its token, for what client-node cannot express. */
export async function raw(server: ApiServer, method: string, path: string, body?: unknown, contentType = 'application/json', headers: Record<string, string> = {}): Promise<{ status: number; body: Obj; text: string; headers: Record<string, string | string[] | undefined> }> {
  const allHeaders: Record<string, string> = { Authorization: `Bearer ${server.token}`, 'Content-Type': contentType, ...headers };
  if (allHeaders.Authorization === '') delete allHeaders.Authorization;
  const response = await open(server, method, path, allHeaders, body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
  const text = await readAll(response);
  let parsed: Obj;
  try {
    parsed = JSON.parse(text) as Obj;
  } catch {
    parsed = {};
  }
  return { status: response.statusCode ?? 0, body: parsed, text, headers: response.headers };
}

export { eventually };

/** Reads a watch stream, collecting parsed events. */
export class WatchReader {
  readonly events: { type: string; object: Obj }[] = [];
  private response: IncomingMessage | undefined;
  private stopped = false;
  done: Promise<void>;

  constructor(server: ApiServer, path: string) {
    this.done = (async () => {
      const response = await open(server, 'GET', path, { Authorization: `Bearer ${server.token}` });
      this.response = response;
      if (this.stopped) response.destroy();
      let buffer = '';
      try {
        for await (const chunk of response) {
          buffer += (chunk as Buffer).toString('utf8');
          let newline = buffer.indexOf('\n');
          while (newline >= 0) {
            const line = buffer.slice(0, newline);
            buffer = buffer.slice(newline + 1);
            if (line.trim()) this.events.push(JSON.parse(line) as { type: string; object: Obj });
            newline = buffer.indexOf('\n');
          }
        }
      } catch (error) {
        if (!this.stopped) throw error;
      }
    })();
  }

  async waitFor(count: number, timeoutMs = 5000): Promise<void> {
    await eventually(() => (this.events.length >= count ? true : undefined), timeoutMs);
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.response?.destroy();
    return this.done;
  }
}
