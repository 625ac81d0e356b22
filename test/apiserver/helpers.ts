import { KubeConfig } from '@kubernetes/client-node';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { startApiServer, type ApiServer, type ApiServerOptions } from '../../src/apiserver/index.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export interface TestServer {
  server: ApiServer;
  kubeConfig: KubeConfig;
}

export async function startTestServer(options: ApiServerOptions = {}): Promise<TestServer> {
  const server = await startApiServer({ host: '127.0.0.1', port: 0, historySize: 1000, ...options });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'test', server: server.url, skipTLSVerify: true }],
    users: [{ name: 'test', token: server.token }],
    contexts: [{ name: 'test', cluster: 'test', user: 'test' }],
    currentContext: 'test',
  });
  return { server, kubeConfig };
}

/** Raw HTTP against the server with its token, for what client-node cannot express. */
export async function raw(server: ApiServer, method: string, path: string, body?: unknown, contentType = 'application/json', headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const init: RequestInit = {
    method,
    headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': contentType, ...headers },
  };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await fetch(`${server.url}${path}`, init);
  const text = await response.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = {};
  }
  return { status: response.status, body: parsed, text };
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Reads a watch stream through fetch, collecting parsed events. */
export class WatchReader {
  readonly events: { type: string; object: Record<string, unknown> }[] = [];
  private readonly controller = new AbortController();
  done: Promise<void>;

  constructor(server: ApiServer, path: string) {
    this.done = (async () => {
      try {
        const response = await fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${server.token}` }, signal: this.controller.signal });
        const reader = (response.body as ReadableStream<Uint8Array>).getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let newline = buffer.indexOf('\n');
          while (newline >= 0) {
            const line = buffer.slice(0, newline);
            buffer = buffer.slice(newline + 1);
            if (line.trim()) this.events.push(JSON.parse(line) as { type: string; object: Record<string, unknown> });
            newline = buffer.indexOf('\n');
          }
        }
      } catch (error) {
        if ((error as { name?: unknown }).name !== 'AbortError') throw error;
      }
    })();
  }

  async waitFor(count: number, timeoutMs = 5000): Promise<void> {
    await eventually(() => (this.events.length >= count ? true : undefined), timeoutMs);
  }

  stop(): Promise<void> {
    this.controller.abort();
    return this.done;
  }
}
