import type { Registry } from 'prom-client';
import { backendError, kindForStatus, type BackendError, type BackendErrorKind } from './errors.js';
import { backendMetrics, type BackendMetrics } from './metrics.js';
import { SendTimeoutError, Transport, type TlsOptions } from './transport.js';
import type { ConcurrencyLimiter } from './limiter.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  /** Absolute URL. */
  url: string;
  headers?: Record<string, string>;
  /** Serialised as JSON when present. */
  json?: unknown;
  /** Whether the request may be repeated safely. Defaults to true for GET, HEAD, PUT and DELETE. */
  idempotent?: boolean;
  timeoutMs?: number;
  /** Cancels the request (for example on shutdown); a cancelled request is never retried. */
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or undefined for an empty or non-JSON body. */
  body: unknown;
  text: string;
  requestId: string | undefined;
}

/** How a service's error body becomes a message and kind (each service family has its own shapes). */
export interface ErrorInterpretation {
  kind: BackendErrorKind;
  message: string;
  serviceType?: string;
}
export type ErrorInterpreter = (status: number, body: unknown, text: string) => ErrorInterpretation;

export interface RetryPolicy {
  /** Number of retries after the first attempt. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface RequestLogger {
  debug(fields: Record<string, unknown>, message: string): void;
}

export interface HttpClientOptions {
  /** Metric label and error prefix: `keystone`, `nova`, `ceph-dashboard`, ... */
  service: string;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  interpretError?: ErrorInterpreter;
  /** Response headers holding the request id, first present wins. */
  requestIdHeaders?: string[];
  /** Strings that must never appear in an error or log (passwords, tokens); read at error time. */
  secrets?: () => Iterable<string>;
  tls?: TlsOptions;
  /** Shared cap on requests in flight; a request's timeout starts once it holds a slot. */
  limiter?: ConcurrencyLimiter;
  transport?: Transport;
  registry?: Registry;
  metrics?: BackendMetrics;
  logger?: RequestLogger;
  sleep?: (ms: number) => Promise<void>;
  /** Random source in [0,1) for backoff jitter; inject a seeded one in tests. */
  random?: () => number;
  now?: () => number;
}

const DEFAULT_RETRY: RetryPolicy = { maxRetries: 3, baseDelayMs: 200, maxDelayMs: 5000 };
const MAX_MESSAGE = 1000;

export function defaultInterpretError(status: number, body: unknown, text: string): ErrorInterpretation {
  const message = typeof body === 'object' && body !== null ? JSON.stringify(body) : text.trim();
  return { kind: kindForStatus(status), message: message || `HTTP ${status}` };
}

export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[REDACTED]');
  }
  return out;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** The caller cancelled the request through its AbortSignal. */
export class CancelledError extends Error {
  constructor(service: string, method: string, path: string) {
    super(`${service} ${method} ${path}: cancelled`);
    this.name = 'CancelledError';
  }
}

class AttemptFailure extends Error {
  constructor(
    readonly code: 'timeout' | 'connection',
    readonly detail: string,
  ) {
    super(detail);
  }
}

/**
 * A small HTTP client for backend APIs: a timeout on every attempt (AbortSignal), retries with
 * exponential backoff and jitter only for idempotent requests on 5xx and connection errors, typed
 * errors keeping the request id and the service's message, and per-service metrics.
 */
export class HttpClient {
  readonly service: string;
  private readonly timeoutMs: number;
  private readonly retry: RetryPolicy;
  private readonly interpretError: ErrorInterpreter;
  private readonly requestIdHeaders: string[];
  private readonly secrets: () => Iterable<string>;
  private readonly transport: Transport;
  private readonly ownsTransport: boolean;
  private readonly limiter: ConcurrencyLimiter | undefined;
  private readonly metrics: BackendMetrics;
  private readonly logger: RequestLogger | undefined;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(options: HttpClientOptions) {
    this.service = options.service;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.limiter = options.limiter;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.interpretError = options.interpretError ?? defaultInterpretError;
    this.requestIdHeaders = (options.requestIdHeaders ?? ['x-openstack-request-id', 'x-request-id']).map((h) =>
      h.toLowerCase(),
    );
    this.secrets = options.secrets ?? (() => []);
    this.ownsTransport = options.transport === undefined;
    this.transport = options.transport ?? new Transport(options.tls);
    this.metrics = options.metrics ?? backendMetrics(options.registry);
    this.logger = options.logger;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = options.random ?? Math.random;
    this.now = options.now ?? (() => performance.now());
  }

  /** Sends the request; resolves for 2xx/3xx and throws a typed BackendError otherwise. */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const url = new URL(req.url);
    const idempotent = req.idempotent ?? ['GET', 'HEAD', 'PUT', 'DELETE'].includes(req.method);
    const body = req.json === undefined ? undefined : JSON.stringify(req.json);
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const timeoutMs = req.timeoutMs ?? this.timeoutMs;

    for (let attempt = 0; ; attempt++) {
      const started = this.now();
      let failure: BackendError;
      try {
        const raw = await this.attempt(req.method, url, headers, body, timeoutMs, req.signal);
        this.observe(req.method, String(raw.status), started);
        const requestId = this.requestId(raw.headers);
        const parsed = parseJson(raw.body);
        this.logger?.debug(
          { service: this.service, method: req.method, path: url.pathname, status: raw.status, requestId, attempt },
          'backend request',
        );
        if (raw.status < 400) {
          return { status: raw.status, headers: raw.headers, body: parsed, text: raw.body, requestId };
        }
        const interpreted = this.interpretError(raw.status, parsed, raw.body);
        failure = backendError(interpreted.kind, {
          service: this.service,
          method: req.method,
          path: url.pathname,
          status: raw.status,
          requestId,
          serviceMessage: this.clean(interpreted.message),
          ...(interpreted.serviceType ? { serviceType: interpreted.serviceType } : {}),
        });
        if (!(raw.status >= 500 && idempotent && attempt < this.retry.maxRetries)) throw failure;
      } catch (error) {
        if (!(error instanceof AttemptFailure)) throw error;
        this.observe(req.method, error.code, started);
        this.logger?.debug(
          { service: this.service, method: req.method, path: url.pathname, error: error.code, attempt },
          'backend request failed',
        );
        failure = backendError('Unavailable', {
          service: this.service,
          method: req.method,
          path: url.pathname,
          serviceMessage: this.clean(error.detail),
        });
        if (!(idempotent && attempt < this.retry.maxRetries)) throw failure;
      }
      await this.sleep(this.backoff(attempt));
    }
  }

  close(): void {
    if (this.ownsTransport) this.transport.close();
  }

  private async attempt(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: string | undefined,
    timeoutMs: number,
    cancel: AbortSignal | undefined,
  ) {
    if (!this.limiter) return this.attemptNow(method, url, headers, body, timeoutMs, cancel);
    try {
      return await this.limiter.run(() => this.attemptNow(method, url, headers, body, timeoutMs, cancel), cancel);
    } catch (error) {
      if (cancel?.aborted) throw new CancelledError(this.service, method, url.pathname);
      throw error;
    }
  }

  private async attemptNow(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: string | undefined,
    timeoutMs: number,
    cancel: AbortSignal | undefined,
  ) {
    if (cancel?.aborted) throw new CancelledError(this.service, method, url.pathname);
    try {
      return await this.transport.send({ method, url, headers, ...(body !== undefined ? { body } : {}), timeoutMs, ...(cancel ? { signal: cancel } : {}) });
    } catch (error) {
      if (cancel?.aborted) throw new CancelledError(this.service, method, url.pathname);
      if (error instanceof SendTimeoutError) throw new AttemptFailure('timeout', error.message);
      const code = (error as { code?: unknown }).code;
      const text = error instanceof Error ? error.message : String(error);
      throw new AttemptFailure('connection', `connection error${typeof code === 'string' ? ` ${code}` : ''}: ${text}`);
    }
  }

  private backoff(attempt: number): number {
    const ceiling = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** attempt);
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  private observe(method: string, code: string, started: number): void {
    this.metrics.requests.inc({ service: this.service, method, code });
    this.metrics.duration.observe({ service: this.service, method }, (this.now() - started) / 1000);
  }

  private requestId(headers: Record<string, string | string[] | undefined>): string | undefined {
    for (const name of this.requestIdHeaders) {
      const value = headerValue(headers[name]);
      if (value) return value;
    }
    return undefined;
  }

  private clean(message: string): string {
    const redacted = redact(message, this.secrets());
    return redacted.length > MAX_MESSAGE ? `${redacted.slice(0, MAX_MESSAGE)}...` : redacted;
  }
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
