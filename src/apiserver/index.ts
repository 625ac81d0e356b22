import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { ApiCore } from './core.js';
import { registerCrdsFromDir, writeKubeconfig } from './files.js';
import { RequestHandler, type ServerExtensions } from './server.js';

export interface ApiServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Persist state here (write-ahead log + snapshot); memory only when absent. */
  dataDir?: string;
  /** Number of changes kept for watch resume and consistent lists; older ones give 410 Gone. */
  historySize?: number;
  /** Bearer token clients must present; a random one is generated when absent. Empty string disables auth. */
  token?: string;
  /** Interval of watch BOOKMARK events. */
  bookmarkIntervalMs?: number;
  now?: () => Date;
}

export interface ApiServer {
  url: string;
  token: string;
  kubeconfigPath?: string;
  core: ApiCore;
  close(): Promise<void>;
  registerCrdsFromDir(dir: string): Promise<string[]>;
  writeKubeconfig(path: string): Promise<string>;
}

export async function startApiServer(options: ApiServerOptions = {}): Promise<ApiServer> {
  const now = options.now ?? (() => new Date());
  const core = new ApiCore({ historySize: options.historySize ?? 10_000, now });
  core.bootstrap();
  const token = options.token ?? randomBytes(24).toString('base64url');
  const extensions: ServerExtensions = {};
  const handler = new RequestHandler(core, {
    token: token || undefined,
    now,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000,
    defaultTimeoutSeconds: 1800,
  }, extensions);
  const server: Server = createServer(handler.handle);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  return {
    url,
    token,
    core,
    async close() {
      for (const stop of [...handler.activeWatches]) stop();
      core.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    registerCrdsFromDir: (dir: string) => registerCrdsFromDir(core, dir),
    writeKubeconfig: (path: string) => writeKubeconfig(path, url, token),
  };
}
