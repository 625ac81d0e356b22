import type { Registry } from 'prom-client';
import {
  BackendError,
  HttpClient,
  Transport,
  type HttpMethod,
  type HttpResponse,
  type RequestLogger,
  type RetryPolicy,
} from '../http/index.js';
import type { ConcurrencyLimiter } from '../http/limiter.js';
import { cloudSecrets, type CloudConfig, type EndpointInterface, type NameOrId } from './clouds.js';
import { interpretOpenStackError } from './errors.js';

export interface CatalogEndpoint {
  id?: string;
  interface: string;
  region?: string | null;
  region_id?: string | null;
  url: string;
}
export interface CatalogService {
  id?: string;
  type: string;
  name?: string;
  endpoints: CatalogEndpoint[];
}

export interface Token {
  value: string;
  expiresAt: number;
  userId: string;
  projectId: string | undefined;
  domainId: string | undefined;
  roles: string[];
  catalog: CatalogService[];
}

/** Service types by alias: the catalog may name block storage `volumev3`, `block-storage` or `volume`. */
export const SERVICE_TYPE_ALIASES: Record<string, string[]> = {
  identity: ['identity'],
  compute: ['compute'],
  'block-storage': ['block-storage', 'volumev3', 'volume'],
  network: ['network'],
  image: ['image'],
  placement: ['placement'],
};

export interface SessionOptions {
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Refresh a cached token this long before it expires (default 5 minutes). */
  refreshBeforeMs?: number;
  /** Wall clock in epoch milliseconds, for token expiry; inject in tests. */
  clock?: () => number;
  registry?: Registry;
  logger?: RequestLogger;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Override the region of the cloud config. */
  regionName?: string;
  /** Shared cap on backend requests in flight (the operator shares one across every client). */
  limiter?: ConcurrencyLimiter;
}

export interface ServiceRequest {
  method: HttpMethod;
  /** Path relative to the service endpoint, or an absolute URL (pagination links). */
  path: string;
  query?: Record<string, string | number | boolean | undefined | string[]>;
  json?: unknown;
  headers?: Record<string, string>;
  idempotent?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

type Scope = CloudConfig['scope'] | { kind: 'project'; project: NameOrId & { domain?: NameOrId } };

interface KeystoneTokenBody {
  token?: {
    expires_at?: string;
    user?: { id?: string };
    project?: { id?: string };
    domain?: { id?: string };
    roles?: { id?: string; name?: string }[];
    catalog?: CatalogService[];
  };
}

/**
 * A Keystone v3 session: authenticates with the cloud's credentials, caches the token and
 * refreshes it before expiry (single flight), re-authenticates once on a 401, and picks service
 * endpoints from the token's catalog by type, interface and region.
 */
export class KeystoneSession {
  readonly config: CloudConfig;
  readonly regionName: string | undefined;
  private readonly options: SessionOptions;
  private readonly scope: Scope;
  private readonly transport: Transport;
  private readonly ownsTransport: boolean;
  private readonly clients = new Map<string, HttpClient>();
  private readonly clock: () => number;
  private readonly refreshBeforeMs: number;
  private cached: Token | undefined;
  private inflight: Promise<Token> | undefined;

  constructor(config: CloudConfig, options: SessionOptions = {}, scope?: Scope, transport?: Transport) {
    this.config = config;
    this.options = options;
    this.scope = scope ?? config.scope;
    this.regionName = options.regionName ?? config.regionName;
    this.ownsTransport = transport === undefined;
    this.transport =
      transport ??
      new Transport({
        ...(config.caCert !== undefined ? { ca: config.caCert } : {}),
        rejectUnauthorized: config.verify,
      });
    this.clock = options.clock ?? Date.now;
    this.refreshBeforeMs = options.refreshBeforeMs ?? 5 * 60_000;
  }

  /** A session with the same credentials scoped to another project (admin acting in a tenant project). */
  scopedToProject(projectId: string): KeystoneSession {
    if (this.config.auth.type === 'application_credential') {
      throw new Error('an application credential is bound to its own project and cannot be re-scoped');
    }
    return new KeystoneSession(this.config, this.options, { kind: 'project', project: { id: projectId } }, this.transport);
  }

  /** The HTTP client for a service (metrics label, retries, error shapes, redaction). */
  http(service: string): HttpClient {
    let client = this.clients.get(service);
    if (!client) {
      client = new HttpClient({
        service,
        transport: this.transport,
        interpretError: interpretOpenStackError,
        requestIdHeaders: ['x-openstack-request-id', 'x-compute-request-id', 'openstack-request-id'],
        secrets: () => this.secrets(),
        ...(this.options.timeoutMs !== undefined ? { timeoutMs: this.options.timeoutMs } : {}),
        ...(this.options.retry ? { retry: this.options.retry } : {}),
        ...(this.options.registry ? { registry: this.options.registry } : {}),
        ...(this.options.logger ? { logger: this.options.logger } : {}),
        ...(this.options.sleep ? { sleep: this.options.sleep } : {}),
        ...(this.options.random ? { random: this.options.random } : {}),
        ...(this.options.limiter ? { limiter: this.options.limiter } : {}),
      });
      this.clients.set(service, client);
    }
    return client;
  }

  /** A valid token, from the cache unless it expires within the refresh margin. */
  async token(): Promise<Token> {
    const cached = this.cached;
    if (cached && this.clock() < cached.expiresAt - this.refreshBeforeMs) return cached;
    this.inflight ??= this.authenticate().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** Forget the cached token (after a 401, or to force re-authentication). */
  invalidate(token?: Token): void {
    if (!token || this.cached === token) this.cached = undefined;
  }

  /** The endpoint URL (no trailing slash) of a service type for this session's interface and region. */
  async endpoint(serviceType: string): Promise<string> {
    const token = await this.token();
    return selectEndpoint(token.catalog, serviceType, this.config.interface, this.regionName);
  }

  /**
   * Calls a service endpoint with the session's token; on 401 re-authenticates once and repeats.
   * `service` is the catalog service type; `metricsName` labels metrics and errors.
   */
  async request(serviceType: string, metricsName: string, req: ServiceRequest): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.token();
      const base = selectEndpoint(token.catalog, serviceType, this.config.interface, this.regionName);
      const url = buildUrl(base, req.path, req.query);
      try {
        return await this.http(metricsName).request({
          method: req.method,
          url,
          headers: { ...req.headers, 'x-auth-token': token.value },
          ...(req.json !== undefined ? { json: req.json } : {}),
          ...(req.idempotent !== undefined ? { idempotent: req.idempotent } : {}),
          ...(req.timeoutMs !== undefined ? { timeoutMs: req.timeoutMs } : {}),
          ...(req.signal ? { signal: req.signal } : {}),
        });
      } catch (error) {
        if (error instanceof BackendError && error.kind === 'Unauthorized' && attempt === 0) {
          this.invalidate(token);
          continue;
        }
        throw error;
      }
    }
  }

  /** Revokes the session's current token at Keystone (used on shutdown and by tests). */
  async revoke(): Promise<void> {
    const token = this.cached;
    if (!token) return;
    this.cached = undefined;
    await this.http('keystone').request({
      method: 'DELETE',
      url: `${identityBase(this.config.auth.authUrl)}/auth/tokens`,
      headers: { 'x-auth-token': token.value, 'x-subject-token': token.value },
    });
  }

  close(): void {
    if (this.ownsTransport) this.transport.close();
  }

  private secrets(): string[] {
    const out = cloudSecrets(this.config);
    if (this.cached) out.push(this.cached.value);
    return out;
  }

  private async authenticate(): Promise<Token> {
    const res = await this.http('keystone').request({
      method: 'POST',
      url: `${identityBase(this.config.auth.authUrl)}/auth/tokens`,
      json: this.authBody(),
      // Repeating an authentication is harmless: it only issues another token.
      idempotent: true,
    });
    const value = res.headers['x-subject-token'];
    const body = res.body as KeystoneTokenBody | undefined;
    const t = body?.token;
    if (typeof value !== 'string' || !t?.expires_at || !t.user?.id) {
      throw new Error('keystone: token response without X-Subject-Token, expires_at or user');
    }
    const token: Token = {
      value,
      expiresAt: Date.parse(t.expires_at),
      userId: t.user.id,
      projectId: t.project?.id,
      domainId: t.domain?.id,
      roles: (t.roles ?? []).map((r) => r.name ?? r.id ?? '').filter(Boolean),
      catalog: t.catalog ?? [],
    };
    this.cached = token;
    return token;
  }

  private authBody(): unknown {
    const auth = this.config.auth;
    const identity =
      auth.type === 'password'
        ? { methods: ['password'], password: { user: { ...entity(auth.user), password: auth.password } } }
        : {
            methods: ['application_credential'],
            application_credential: {
              ...entity(auth.applicationCredential),
              ...(auth.user && auth.applicationCredential.id === undefined ? { user: entity(auth.user) } : {}),
              secret: auth.secret,
            },
          };
    const scope = this.scope;
    if (scope.kind === 'project') return { auth: { identity, scope: { project: entity(scope.project) } } };
    if (scope.kind === 'domain') return { auth: { identity, scope: { domain: entity(scope.domain) } } };
    return { auth: { identity } };
  }
}

function entity(e: NameOrId & { domain?: NameOrId }): Record<string, unknown> {
  if (e.id !== undefined) return { id: e.id };
  return { name: e.name, ...(e.domain ? { domain: entity(e.domain) } : {}) };
}

/** `http://host:5000`, `http://host:5000/v3/` and `http://host/identity/v3` all give the v3 base. */
export function identityBase(authUrl: string): string {
  const trimmed = authUrl.replace(/\/+$/, '');
  return /\/v3$/.test(trimmed) ? trimmed : `${trimmed}/v3`;
}

export class EndpointNotFoundError extends Error {
  constructor(serviceType: string, iface: string, region: string | undefined) {
    super(`no ${iface} endpoint for service type ${serviceType}${region ? ` in region ${region}` : ''} in the catalog`);
    this.name = 'EndpointNotFoundError';
  }
}

export function selectEndpoint(
  catalog: CatalogService[],
  serviceType: string,
  iface: EndpointInterface,
  region: string | undefined,
): string {
  const types = SERVICE_TYPE_ALIASES[serviceType] ?? [serviceType];
  for (const type of types) {
    for (const service of catalog.filter((s) => s.type === type)) {
      const endpoint = service.endpoints.find(
        (e) => e.interface === iface && (region === undefined || e.region_id === region || e.region === region),
      );
      if (endpoint) return endpoint.url.replace(/\/+$/, '');
    }
  }
  throw new EndpointNotFoundError(serviceType, iface, region);
}

export function buildUrl(base: string, path: string, query?: ServiceRequest['query']): string {
  const url = new URL(/^https?:\/\//.test(path) ? path : `${base}${path.startsWith('/') ? '' : '/'}${path}`);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) url.searchParams.append(key, v);
    else url.searchParams.set(key, String(value));
  }
  return url.toString();
}
