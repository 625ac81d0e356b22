import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorBody, requestId, SimClock, SimHttpError, type ErrorStyle, type Router, type SimRequest, type SimResponse } from './core.js';
import { Faults } from './faults.js';
import { KeystoneSim, type CatalogEntry } from './keystone.js';

/** A regional service: its URL prefix below `/<region>`, catalog entry and router. */
export interface RegionalService {
  readonly router: Router;
}

export interface RegionalServiceSpec {
  /** URL segment after the region: `compute`, `volume`, `network`. */
  prefix: string;
  /** Service name in metrics, faults and counters: `nova`, `cinder`, `neutron`. */
  name: string;
  style: ErrorStyle;
  catalog: Omit<CatalogEntry, 'url'> & { path: string };
  create: (ctx: RegionContext) => RegionalService;
  /** Extra response headers (nova's x-compute-request-id, microversion echo). */
  headers?: (req: SimRequest, reqId: string) => Record<string, string>;
}

export interface RegionContext {
  region: string;
  clock: SimClock;
  keystone: KeystoneSim;
  options: SimulatorOptions;
}

export interface SimulatorOptions {
  regions?: string[];
  adminPassword?: string;
  tokenLifetimeMs?: number;
  clock?: SimClock;
  /** Seed for latency jitter and fault injection. */
  seed?: number;
  /** Time a volume spends in `creating`, `extending`, `deleting`; a server in `BUILD`. */
  transitionMs?: number;
  services?: RegionalServiceSpec[];
  /**
   * The IPv4 subnet of each region's external network (default 203.0.113.0/24). Every router
   * gateway takes an address from it, so a /24 holds about 250 agencies' routers per region.
   */
  externalCidr?: string;
}

/**
 * An OpenStack simulator on one loopback HTTP server: Keystone under `/identity`, and for each
 * region the regional services under `/<region>/<prefix>`. Latency, errors, timeouts and
 * connection resets can be injected per route; request counters feed benchmarks.
 */
export class SimulatorServer {
  readonly clock: SimClock;
  readonly faults: Faults;
  readonly keystone: KeystoneSim;
  readonly regions: string[];
  readonly adminPassword: string;
  readonly services = new Map<string, RegionalService>();
  private readonly specs: RegionalServiceSpec[];
  private readonly counters = new Map<string, number>();
  private server: http.Server | undefined;
  private baseUrl = '';

  constructor(options: SimulatorOptions = {}) {
    this.clock = options.clock ?? new SimClock();
    this.faults = new Faults(options.seed ?? 1);
    this.regions = options.regions ?? ['RegionOne'];
    this.adminPassword = options.adminPassword ?? 'sim-admin-password';
    this.specs = options.services ?? [];
    this.keystone = new KeystoneSim({
      adminPassword: this.adminPassword,
      tokenLifetimeMs: options.tokenLifetimeMs ?? 3600_000,
      regions: this.regions,
      clock: this.clock,
      catalog: this.specs.map((s) => ({
        type: s.catalog.type,
        name: s.catalog.name,
        url: (region: string) => `/${region}/${s.prefix}${s.catalog.path}`,
      })),
    });
    for (const region of this.regions) {
      for (const spec of this.specs) {
        this.services.set(`${region}/${spec.prefix}`, spec.create({ region, clock: this.clock, keystone: this.keystone, options }));
      }
    }
  }

  /** A regional service's state, for tests that inspect it. */
  service<T extends RegionalService>(region: string, prefix: string): T {
    const s = this.services.get(`${region}/${prefix}`);
    if (!s) throw new Error(`simulator has no ${prefix} in ${region}`);
    return s as T;
  }

  get url(): string {
    if (!this.server) throw new Error('simulator is not started');
    return this.baseUrl;
  }

  get authUrl(): string {
    return `${this.url}/identity/v3`;
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve) => server.listen(port, host, resolve));
    this.server = server;
    const addr = server.address() as AddressInfo;
    this.baseUrl = `http://${host}:${addr.port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** A clouds.yaml for the admin user, as a platform engineer would put in a Secret. */
  cloudsYaml(cloudName = 'sim', region = this.regions[0]): string {
    return [
      'clouds:',
      `  ${cloudName}:`,
      '    auth:',
      `      auth_url: ${this.authUrl}`,
      '      username: admin',
      `      password: ${this.adminPassword}`,
      '      project_name: admin',
      '      user_domain_name: Default',
      '      project_domain_name: Default',
      `    region_name: ${region}`,
      '    interface: public',
      '    identity_api_version: 3',
      '',
    ].join('\n');
  }

  /** Request counts by `<service> <METHOD> <route pattern> <status>` (status `reset`/`timeout` for faults). */
  requestCounts(): Record<string, number> {
    return Object.fromEntries(this.counters);
  }

  totalRequests(filter?: (key: string) => boolean): number {
    let total = 0;
    for (const [k, v] of this.counters) if (!filter || filter(k)) total += v;
    return total;
  }

  resetCounters(): void {
    this.counters.clear();
  }

  private count(key: string): void {
    this.counters.set(key, (this.counters.get(key) ?? 0) + 1);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://sim');
    const method = req.method ?? 'GET';
    // Like the WSGI servers in front of OpenStack, route on the decoded path: an encoded '/'
    // (%2F) in a path segment splits the segment and usually ends in 404.
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      pathname = url.pathname;
    }
    const segments = pathname.split('/');
    let service = 'keystone';
    let style: ErrorStyle = 'keystone';
    let region: string | undefined;
    let router: Router = this.keystone.router;
    let subPath = pathname.replace(/^\/identity/, '');
    let spec: RegionalServiceSpec | undefined;
    if (segments[1] !== 'identity') {
      region = segments[1];
      spec = this.specs.find((s) => s.prefix === segments[2]);
      const regional = spec ? this.services.get(`${region}/${spec.prefix}`) : undefined;
      if (!spec || !regional) {
        this.count(`unknown ${method} ${url.pathname} 404`);
        this.send(res, method, { status: 404, body: { error: { code: 404, message: 'The resource could not be found.', title: 'Not Found' } } }, requestId(), {});
        return;
      }
      service = spec.name;
      style = spec.style;
      router = regional.router;
      subPath = `/${segments.slice(3).join('/')}`;
    }

    const reqId = requestId();
    const matched = router.match(method, subPath);
    const route = typeof matched === 'object' ? matched.route : `${method} ${subPath}`;
    const fault = this.faults.decide({ service, region, method, path: subPath });
    const delay = this.faults.delayMs();
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (fault.kind === 'reset') {
      this.count(`${service} ${route} reset`);
      req.socket.destroy();
      return;
    }
    if (fault.kind === 'timeout') {
      this.count(`${service} ${route} timeout`);
      return; // never answered; stop() closes the connection
    }

    const text = Buffer.concat(chunks).toString('utf8');
    const simReq: SimRequest = {
      method,
      path: subPath,
      query: url.searchParams,
      headers: req.headers,
      body: undefined,
      baseUrl: this.baseUrl,
    };
    const extra = spec?.headers?.(simReq, reqId) ?? {};
    let response: SimResponse;
    try {
      if (fault.kind === 'error') {
        throw new SimHttpError(fault.status, errorBody(style, fault.status, 'Injected fault: the service is unavailable.'));
      }
      // keystonemiddleware validates the token before the service routes the request.
      if (spec) simReq.auth = this.keystone.validate(req.headers['x-auth-token']);
      if (text) {
        try {
          simReq.body = JSON.parse(text) as unknown;
        } catch {
          throw new SimHttpError(400, errorBody(style, 400, 'Malformed request body'));
        }
      }
      if (matched === undefined) {
        throw new SimHttpError(404, style === 'neutron' ? { NeutronError: { type: 'HTTPNotFound', message: 'The resource could not be found.', detail: '' } } : errorBody(style, 404, 'The resource could not be found.'));
      }
      if (matched === 'method') throw new SimHttpError(405, errorBody(style, 405, 'The method is not allowed for the requested URL.'));
      response = await matched.handler(simReq, matched.params);
    } catch (error) {
      if (error instanceof SimHttpError) response = { status: error.status, body: error.body };
      else response = { status: 500, body: errorBody(style, 500, `Unexpected simulator error: ${(error as Error).message}`) };
    }
    this.count(`${service} ${route} ${response.status}`);
    this.send(res, method, response, reqId, extra);
  }

  private send(res: http.ServerResponse, method: string, response: SimResponse, reqId: string, extra: Record<string, string>): void {
    const payload = response.body === undefined || response.status === 204 || method === 'HEAD' ? '' : JSON.stringify(response.body);
    const headers: Record<string, string | number> = {
      'x-openstack-request-id': reqId,
      ...extra,
      ...response.headers,
      'content-length': Buffer.byteLength(payload),
    };
    if (payload) headers['content-type'] = 'application/json';
    res.writeHead(response.status, headers);
    res.end(payload);
  }
}
