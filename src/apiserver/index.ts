import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { CrdAdmission } from './admission.js';
import { FieldManager } from './apply.js';
import { ApiCore } from './core.js';
import { registerCrdsFromDir, writeKubeconfig } from './files.js';
import { ApiServerMetrics } from './metrics.js';
import { openapiHandler } from './openapi.js';
import { DataDirJournal } from './persist.js';
import { RequestHandler, type ServerExtensions } from './server.js';
import { createServingCertificate, type ServingCertificate } from './tls.js';

export interface ApiServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Persist state here (write-ahead log + snapshot), and the token and certificate; memory only when absent. */
  dataDir?: string;
  /** Number of changes kept for watch resume and consistent lists; older ones give 410 Gone. */
  historySize?: number;
  /** Bearer token clients must present; random when absent (kept in dataDir). Empty string disables auth. */
  token?: string;
  /** Serve HTTPS with a self-signed certificate (default true): kubectl sends tokens only over TLS. */
  tls?: boolean;
  /** Interval of watch BOOKMARK events. */
  bookmarkIntervalMs?: number;
  now?: () => Date;
}

export interface ApiServer {
  url: string;
  token: string;
  /** PEM of the serving certificate (its own CA), when serving HTTPS. */
  caData?: string;
  core: ApiCore;
  /** Request, watch and storage metrics (also served at /metrics). */
  metrics: ApiServerMetrics;
  close(): Promise<void>;
  registerCrdsFromDir(dir: string): Promise<string[]>;
  writeKubeconfig(path: string): Promise<string>;
  /** Ends every open watch, as a restarting or failing-over API server does (clients must resume or re-list). */
  dropWatches(): void;
}

function persistent(dataDir: string | undefined, file: string, make: () => string): string {
  if (!dataDir) return make();
  const path = join(dataDir, file);
  if (existsSync(path)) return readFileSync(path, 'utf8');
  const value = make();
  writeFileSync(path, value, { mode: 0o600 });
  return value;
}

export async function startApiServer(options: ApiServerOptions = {}): Promise<ApiServer> {
  const now = options.now ?? (() => new Date());
  const host = options.host ?? '127.0.0.1';
  const core = new ApiCore({ historySize: options.historySize ?? 10_000, now });
  core.admission = new CrdAdmission();
  const journal = options.dataDir ? DataDirJournal.open(options.dataDir, core.store) : undefined;
  core.bootstrap();
  const token = options.token ?? persistent(options.dataDir, 'token', () => randomBytes(24).toString('base64url'));
  let certificate: ServingCertificate | undefined;
  if (options.tls !== false) {
    const pair = persistent(options.dataDir, 'tls.json', () => JSON.stringify(createServingCertificate([host], now())));
    certificate = JSON.parse(pair) as ServingCertificate;
  }
  const fieldManager = new FieldManager(now);
  const extensions: ServerExtensions = {
    apply: (resource, live, body, manager, force, subresource) => fieldManager.apply(resource, live, body, manager, force, subresource),
    trackUpdate: (resource, next, old, subresource, manager) => fieldManager.trackUpdate(resource, next, old, subresource, manager),
    openapi: openapiHandler(core.registry),
  };
  const metrics = new ApiServerMetrics(core.store);
  const handler = new RequestHandler(core, {
    token: token || undefined,
    now,
    metrics,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000,
    defaultTimeoutSeconds: 1800,
  }, extensions);
  const listener: RequestListener = handler.handle;
  const server: Server = certificate ? createHttpsServer({ key: certificate.key, cert: certificate.cert }, listener) : createServer(listener);
  server.keepAliveTimeout = 65_000;
  // Every TCP connection, including TLS ones still in their handshake, so that close() ends them all.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const hostText = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${certificate ? 'https' : 'http'}://${hostText}:${address.port}`;
  const caData = certificate?.cert;
  return {
    url,
    token,
    ...(caData ? { caData } : {}),
    core,
    metrics,
    async close() {
      handler.closing = true;
      for (const stop of [...handler.activeWatches]) stop();
      core.close();
      // Stop accepting first, then cut every open connection (keep-alive and handshaking ones too).
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await closed;
      journal?.close();
    },
    registerCrdsFromDir: (dir: string) => registerCrdsFromDir(core, dir),
    dropWatches: () => {
      for (const stop of [...handler.activeWatches]) stop();
    },
    writeKubeconfig: (path: string) => writeKubeconfig(path, url, token, caData),
  };
}
