/**
 * A generic Kubernetes REST client for any group/version/resource. Authentication and TLS come
 * from @kubernetes/client-node's KubeConfig (applyToHTTPSOptions), so it works against a real
 * cluster (token, client certificate, exec plugins) and against the embedded API server alike.
 * Every call has a timeout, a request id, typed errors and rest_client_* metrics.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import type { ApiStatus } from './errors.js';
import { ApiError, TransportError } from './errors.js';
import type { RuntimeMetrics } from './metrics.js';
import type { KubeList, KubeObject, ResourceType } from './types.js';

export type PatchType = 'merge' | 'json' | 'strategic';

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  limit?: number;
  continueToken?: string;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  /** Server-side watch duration; client-go picks 5-10 minutes. */
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

export interface KubeClientOptions {
  kubeConfig: KubeConfig;
  metrics?: RuntimeMetrics;
  /** Per-request timeout for non-watch calls. */
  timeoutMs?: number;
  userAgent?: string;
  /** Monotonic milliseconds, for how long credentials from the kubeconfig are reused. */
  now?: () => number;
}

interface RequestSpec {
  method: string;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * A KubeConfig pointing at one API server URL (embedded server, tests, local mode); `caData` is
 * the PEM of the CA that signed the server's certificate.
 */
export function kubeConfigForServer(server: string, token?: string, caData?: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  // client-node refuses plain http unless TLS verification is marked off; https keeps verification.
  const plainHttp = new URL(server).protocol === 'http:';
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: 'local',
        server,
        skipTLSVerify: plainHttp,
        ...(caData ? { caData: Buffer.from(caData).toString('base64') } : {}),
      },
    ],
    users: [token ? { name: 'local', token } : { name: 'local' }],
    contexts: [{ name: 'local', cluster: 'local', user: 'local' }],
    currentContext: 'local',
  });
  return kubeConfig;
}

export function resourcePath(type: ResourceType, namespace?: string, name?: string, subresource?: string): string {
  const base = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  const parts = [base];
  if (type.namespaced && namespace) parts.push('namespaces', encodeURIComponent(namespace));
  parts.push(type.resource);
  if (name !== undefined) parts.push(encodeURIComponent(name));
  if (subresource) parts.push(subresource);
  return parts.join('/');
}

export const AUTH_REFRESH_MS = 10_000;

export class KubeClient {
  private readonly kubeConfig: KubeConfig;
  private readonly metrics?: RuntimeMetrics;
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  private readonly server: URL;
  private agent?: http.Agent;
  private connection: { options: https.RequestOptions; appliedAt: number } | undefined;
  private readonly now: () => number;

  constructor(options: KubeClientOptions) {
    this.kubeConfig = options.kubeConfig;
    this.metrics = options.metrics;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.userAgent = options.userAgent ?? 'statsmoln-runtime';
    this.now = options.now ?? (() => performance.now());
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
  }

  get host(): string {
    return this.server.host;
  }

  async get<T extends KubeObject = KubeObject>(type: ResourceType, namespace: string | undefined, name: string): Promise<T> {
    return this.request<T>({ method: 'GET', path: resourcePath(type, namespace, name) });
  }

  async list<T extends KubeObject = KubeObject>(type: ResourceType, options: ListOptions = {}): Promise<KubeList<T>> {
    return this.request<KubeList<T>>({
      method: 'GET',
      path: resourcePath(type, options.namespace),
      query: {
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        resourceVersion: options.resourceVersion,
        limit: options.limit,
        continue: options.continueToken,
      },
    });
  }

  async create<T extends KubeObject>(type: ResourceType, obj: T): Promise<T> {
    return this.request<T>({ method: 'POST', path: resourcePath(type, obj.metadata?.namespace), body: obj });
  }

  async update<T extends KubeObject>(type: ResourceType, obj: T): Promise<T> {
    return this.request<T>({ method: 'PUT', path: resourcePath(type, obj.metadata?.namespace, nameOf(obj)), body: obj });
  }

  async updateStatus<T extends KubeObject>(type: ResourceType, obj: T): Promise<T> {
    return this.request<T>({
      method: 'PUT',
      path: resourcePath(type, obj.metadata?.namespace, nameOf(obj), 'status'),
      body: obj,
    });
  }

  async patch<T extends KubeObject = KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    patchType: PatchType = 'merge',
    subresource?: string,
  ): Promise<T> {
    return this.request<T>({
      method: 'PATCH',
      path: resourcePath(type, namespace, name, subresource),
      body: patch,
      contentType: PATCH_CONTENT_TYPES[patchType],
    });
  }

  async delete(type: ResourceType, namespace: string | undefined, name: string, options: { uid?: string } = {}): Promise<void> {
    await this.request<unknown>({
      method: 'DELETE',
      path: resourcePath(type, namespace, name),
      body: options.uid ? { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: options.uid } } : undefined,
    });
  }

  /**
   * Streams watch events to `onEvent` until the server ends the watch, the signal aborts, or an
   * error occurs. An ERROR event is turned into a thrown ApiError (410 for an expired version).
   */
  async watch(type: ResourceType, options: WatchOptions, onEvent: (event: WatchEvent) => void): Promise<void> {
    const timeoutSeconds = options.timeoutSeconds ?? 300;
    const path = resourcePath(type, options.namespace);
    const { response, requestId } = await this.open({
      method: 'GET',
      path,
      query: {
        watch: 'true',
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        resourceVersion: options.resourceVersion,
        allowWatchBookmarks: options.allowWatchBookmarks ?? true,
        timeoutSeconds,
      },
      timeoutMs: (timeoutSeconds + 30) * 1000,
      signal: options.signal,
    });
    if ((response.statusCode ?? 0) >= 400) {
      throw await this.errorFrom(response, 'GET', path, requestId);
    }
    response.setEncoding('utf8');
    let buffered = '';
    let failure: Error | undefined;
    const handleLine = (line: string): void => {
      if (failure || line.trim() === '') return;
      const event = JSON.parse(line) as WatchEvent;
      if (event.type === 'ERROR') {
        const status = event.object as ApiStatus;
        failure = new ApiError(status.code ?? 500, status.reason ?? 'Unknown', status.message ?? '', 'WATCH', path, requestId);
        response.destroy();
        return;
      }
      onEvent(event);
    };
    try {
      for await (const chunk of response) {
        buffered += chunk as string;
        let newline = buffered.indexOf('\n');
        while (newline >= 0) {
          handleLine(buffered.slice(0, newline));
          buffered = buffered.slice(newline + 1);
          newline = buffered.indexOf('\n');
        }
        if (failure) break;
      }
      if (!failure && buffered.trim() !== '') handleLine(buffered);
    } catch (error) {
      if (failure) throw failure;
      if (options.signal?.aborted) return;
      throw new TransportError('WATCH', path, requestId, (error as Error).message, false);
    }
    if (failure) throw failure;
  }

  async request<T>(spec: RequestSpec): Promise<T> {
    const { response, requestId } = await this.open(spec);
    const text = await readBody(response, spec, requestId);
    // Refused credentials are read again on the next call instead of being reused until they age out.
    if (response.statusCode === 401) this.connection = undefined;
    if ((response.statusCode ?? 0) >= 400) throw errorFromText(response.statusCode ?? 0, text, spec, requestId);
    return (text === '' ? {} : JSON.parse(text)) as T;
  }

  /**
   * TLS settings, credentials and agent from the kubeconfig. client-node works them out afresh on
   * every call (reading the CA, the token source, building an agent): they are kept for
   * AUTH_REFRESH_MS, so a rotated token file or an exec plugin's new token is picked up within
   * that time (client-go re-reads a token file at most once a minute), or at once after a 401.
   */
  private async connectionOptions(): Promise<https.RequestOptions> {
    const now = this.now();
    if (this.connection && now - this.connection.appliedAt < AUTH_REFRESH_MS) return this.connection.options;
    const options: https.RequestOptions = { headers: {} };
    await this.kubeConfig.applyToHTTPSOptions(options);
    // One keep-alive agent for the client's lifetime; credentials are refreshed as above.
    this.agent ??= keepAliveAgent(options.agent);
    if (this.agent) options.agent = this.agent;
    this.connection = { options, appliedAt: now };
    return options;
  }

  private async errorFrom(response: IncomingMessage, method: string, path: string, requestId: string): Promise<ApiError> {
    const text = await readBody(response, { method, path }, requestId);
    if (response.statusCode === 401) this.connection = undefined;
    return errorFromText(response.statusCode ?? 0, text, { method, path }, requestId);
  }

  private async open(spec: RequestSpec): Promise<{ response: IncomingMessage; requestId: string }> {
    const requestId = randomUUID();
    const url = new URL(this.server.toString());
    url.pathname = url.pathname.replace(/\/$/, '') + spec.path;
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    }
    const connection = await this.connectionOptions();
    const options: https.RequestOptions = {
      ...connection,
      method: spec.method,
      headers: {
        ...connection.headers,
        Accept: 'application/json',
        'User-Agent': this.userAgent,
        'X-Request-Id': requestId,
      },
    };
    const payload = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    if (payload !== undefined) {
      (options.headers as Record<string, string>)['Content-Type'] = spec.contentType ?? 'application/json';
      // With a length the body goes out with the headers in one write, not chunked in two.
      (options.headers as Record<string, string>)['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const transport = url.protocol === 'https:' ? https : http;
    const timeoutMs = spec.timeoutMs ?? this.timeoutMs;
    const started = performance.now();
    const verb = spec.method;
    const attempt = (retried: boolean): Promise<{ response: IncomingMessage; requestId: string }> => new Promise((resolve, reject) => {
      let settled = false;
      const req = transport.request(url, options, (response) => {
        settled = true;
        const code = String(response.statusCode ?? 0);
        this.metrics?.restClientRequests.inc({ code, method: spec.method, host: this.host });
        this.metrics?.restClientRequestDuration.observe({ verb, host: this.host }, (performance.now() - started) / 1000);
        resolve({ response, requestId: headerValue(response, 'audit-id') ?? requestId });
      });
      const timer = setTimeout(() => {
        req.destroy(new TransportError(spec.method, spec.path, requestId, 'timeout', true));
      }, timeoutMs);
      req.on('close', () => clearTimeout(timer));
      const onAbort = (): void => {
        req.destroy(new TransportError(spec.method, spec.path, requestId, 'aborted', false));
      };
      spec.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('close', () => spec.signal?.removeEventListener('abort', onAbort));
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (settled) return;
        // A kept-alive connection the server closed while idle fails before the request reached it
        // (Node's documented race): resend once on a fresh connection.
        if (!retried && req.reusedSocket && error.code === 'ECONNRESET' && !spec.signal?.aborted) {
          settled = true;
          attempt(true).then(resolve, reject);
          return;
        }
        this.metrics?.restClientRequests.inc({ code: '<error>', method: spec.method, host: this.host });
        reject(
          error instanceof TransportError
            ? error
            : new TransportError(spec.method, spec.path, requestId, error.message, false),
        );
      });
      if (spec.signal?.aborted) onAbort();
      req.end(payload);
    });
    return attempt(false);
  }
}

/**
 * client-node creates a plain https.Agent (no keep-alive) for every request: a new TCP and TLS
 * handshake per call. The same TLS options on a keep-alive agent reuse connections. Proxy agents
 * are kept as they are.
 */
function keepAliveAgent(created: unknown): http.Agent | undefined {
  if (!(created instanceof http.Agent)) return undefined;
  const options = (created as http.Agent & { options?: https.AgentOptions }).options ?? {};
  if (created.constructor === https.Agent) return new https.Agent({ ...options, keepAlive: true });
  if (created.constructor === http.Agent) return new http.Agent({ ...options, keepAlive: true });
  return created;
}

function nameOf(obj: KubeObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error('object has no metadata.name');
  return name;
}

function headerValue(response: IncomingMessage, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(response: IncomingMessage, spec: { method: string; path: string }, requestId: string): Promise<string> {
  response.setEncoding('utf8');
  let text = '';
  try {
    for await (const chunk of response) text += chunk as string;
  } catch (error) {
    throw new TransportError(spec.method, spec.path, requestId, (error as Error).message, error instanceof TransportError && error.timedOut);
  }
  return text;
}

function errorFromText(statusCode: number, text: string, spec: { method: string; path: string }, requestId: string): ApiError {
  let status: ApiStatus;
  try {
    status = JSON.parse(text) as ApiStatus;
  } catch {
    status = { message: text.slice(0, 200) };
  }
  return new ApiError(statusCode, status.reason ?? 'Unknown', status.message ?? '', spec.method, spec.path, requestId);
}
