/** The manager's HTTP endpoints: /metrics (Prometheus text), /healthz (liveness), /readyz (caches synced). */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export type Check = () => boolean;

export interface ProbeServerOptions {
  registry: Registry;
  host?: string;
  port?: number;
  healthChecks?: Record<string, Check>;
  readyChecks?: Record<string, Check>;
}

export interface ProbeServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

function runChecks(checks: Record<string, Check>): { ok: boolean; body: string } {
  const lines: string[] = [];
  let ok = true;
  for (const [name, check] of Object.entries(checks)) {
    let passed: boolean;
    try {
      passed = check();
    } catch {
      passed = false;
    }
    ok &&= passed;
    lines.push(`[${passed ? '+' : '-'}]${name} ${passed ? 'ok' : 'failed'}`);
  }
  lines.push(ok ? 'ok' : 'check failed');
  return { ok, body: lines.join('\n') + '\n' };
}

export async function startProbeServer(options: ProbeServerOptions): Promise<ProbeServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    if (path === '/metrics') {
      options.registry
        .metrics()
        .then((text) => res.writeHead(200, { 'Content-Type': options.registry.contentType }).end(text))
        .catch(() => res.writeHead(500).end('metrics collection failed\n'));
      return;
    }
    if (path === '/healthz' || path === '/readyz') {
      const { ok, body } = runChecks((path === '/healthz' ? options.healthChecks : options.readyChecks) ?? {});
      res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain; charset=utf-8' }).end(body);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  return {
    port,
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
