import { randomUUID } from 'node:crypto';
import {
  BackendError,
  TimeoutError,
  UnavailableError,
  errorClassForStatus,
  type BackendErrorClass,
  type BackendErrorDetails,
} from './errors.js';
import { backendRequestDurationSeconds, backendRequestsTotal } from './metrics.js';
import type { IncomingHttpHeaders } from 'node:http';
import type { ConcurrencyLimiter } from '../http/limiter.js';
import { SendTimeoutError, Transport, type RawRequest, type RawResponse } from '../http/transport.js';

/**
 * A small HTTP transport for the Ceph clients: one timeout per attempt, retries only for idempotent
 * calls on transient failures, typed errors, a request id on every call, and metrics. Requests go
 * over the same keep-alive node:http(s) sender the OpenStack clients use, with a deadline kept by
 * one timer: fetch here and AbortSignal timeouts on every backend call together cost a quarter of
 * the operator's CPU at a thousand calls a second (docs/operator.md), and fetch cannot take a CA
 * bundle per backend.
 */

/** Sends one raw HTTP exchange; tests inject one to observe or alter the traffic. */
export type HttpSender = (request: RawRequest) => Promise<RawResponse>;

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

/** The subset of pino's logger the transport uses. */
export interface TransportLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export type QueryValue = string | number | boolean | undefined;

export interface TransportRequest {
  method: HttpMethod;
  /** Path below the base URL, without query string. */
  path: string;
  /** Query parameters; undefined values are left out. Empty-string values are sent as `key` alone. */
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  /** Serialised as JSON. */
  json?: unknown;
  /** Defaults to true for GET, HEAD, PUT and DELETE, false for POST. */
  idempotent?: boolean;
  /** Per-call timeout override in milliseconds. */
  timeoutMs?: number;
  /** Adds authentication headers to the outgoing request (called again for every attempt). */
  authorize?: (outgoing: OutgoingRequest) => Record<string, string>;
}

export interface OutgoingRequest {
  method: HttpMethod;
  url: URL;
  headers: Record<string, string>;
  body: string | undefined;
}

export interface TransportResponse {
  status: number;
  /** Header names in lower case, as node:http gives them. */
  headers: IncomingHttpHeaders;
  /** Parsed JSON when the response says so (or looks like JSON), else the raw text; undefined if empty. */
  body: unknown;
  requestId: string;
}

/** Turns an error response into a message, the backend's code and optionally a sharper error class. */
export type ErrorDescriber = (
  status: number,
  body: unknown,
) => { message: string; backendCode?: string; errorClass?: BackendErrorClass; requestId?: string };

export interface TransportOptions {
  /** Metric and log label, e.g. `ceph-dashboard`. */
  service: string;
  baseUrl: string;
  timeoutMs?: number;
  /** Extra attempts for idempotent calls after a transient failure. */
  retries?: number;
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /** Replaces the default keep-alive sender (which `close()` releases). */
  send?: HttpSender;
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1); inject a seeded one in tests. */
  random?: () => number;
  logger?: TransportLogger;
  describeError?: ErrorDescriber;
  /** Response headers that carry the backend's request id, first match wins. */
  requestIdHeaders?: string[];
  /** Shared cap on requests in flight; a request's timeout starts once it holds a slot. */
  limiter?: ConcurrencyLimiter;
}

const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

const DEFAULT_REQUEST_ID_HEADERS = ['x-request-id', 'x-amz-request-id', 'x-openstack-request-id'];

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class HttpTransport {
  readonly service: string;
  readonly baseUrl: URL;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryBaseDelayMs: number;
  private readonly retryMaxDelayMs: number;
  private readonly send: HttpSender;
  private readonly ownTransport: Transport | undefined;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly logger: TransportLogger | undefined;
  private readonly describeError: ErrorDescriber;
  private readonly requestIdHeaders: string[];
  private readonly limiter: ConcurrencyLimiter | undefined;
  private readonly requests = backendRequestsTotal();
  private readonly durations = backendRequestDurationSeconds();

  constructor(options: TransportOptions) {
    this.service = options.service;
    this.baseUrl = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retries = options.retries ?? 2;
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 200;
    this.retryMaxDelayMs = options.retryMaxDelayMs ?? 5_000;
    if (options.send) {
      this.send = options.send;
    } else {
      const transport = new Transport();
      this.ownTransport = transport;
      this.send = (raw) => transport.send(raw);
    }
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.logger = options.logger;
    this.describeError = options.describeError ?? describeGenericError;
    this.requestIdHeaders = options.requestIdHeaders ?? DEFAULT_REQUEST_ID_HEADERS;
    this.limiter = options.limiter;
  }

  /** Sends the request; resolves for 2xx (and 3xx) responses and throws a typed error otherwise. */
  async request(request: TransportRequest): Promise<TransportResponse> {
    const idempotent = request.idempotent ?? request.method !== 'POST';
    const maxAttempts = idempotent ? this.retries + 1 : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(request);
      } catch (error) {
        // A 500 is usually a deterministic server bug: only gateway errors, throttling, timeouts and
        // connection failures are worth repeating at once.
        const retryable =
          error instanceof TimeoutError ||
          (error instanceof UnavailableError && (error.status === undefined || RETRYABLE_STATUSES.has(error.status)));
        if (!retryable || attempt >= maxAttempts) throw error;
        const delay = Math.min(this.retryMaxDelayMs, this.retryBaseDelayMs * 2 ** (attempt - 1));
        const jittered = Math.round(delay * (0.5 + this.random() / 2));
        this.logger?.warn(
          { service: this.service, method: request.method, path: request.path, attempt, delayMs: jittered, error: (error as Error).message },
          'retrying idempotent backend call',
        );
        await this.sleep(jittered);
      }
    }
  }

  /** Releases the keep-alive sockets of the default sender. */
  close(): void {
    this.ownTransport?.close();
  }

  buildUrl(path: string, query?: Record<string, QueryValue>): URL {
    const url = new URL(path.replace(/^\//, ''), this.baseUrl);
    const parts: string[] = [];
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined) continue;
      const encoded = encodeURIComponent(key);
      parts.push(value === '' ? encoded : `${encoded}=${encodeURIComponent(String(value))}`);
    }
    url.search = parts.join('&');
    return url;
  }

  private async attempt(request: TransportRequest): Promise<TransportResponse> {
    const clientRequestId = `req-${randomUUID()}`;
    const url = this.buildUrl(request.path, request.query);
    const body = request.json === undefined ? undefined : JSON.stringify(request.json);
    const headers: Record<string, string> = {
      accept: 'application/json',
      'x-request-id': clientRequestId,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...request.headers,
    };
    const outgoing: OutgoingRequest = { method: request.method, url, headers, body };
    if (request.authorize) Object.assign(headers, request.authorize(outgoing));

    const details: BackendErrorDetails = {
      service: this.service,
      method: request.method,
      path: url.pathname,
      requestId: clientRequestId,
    };
    const timeoutMs = request.timeoutMs ?? this.timeoutMs;
    const started = performance.now();
    const observe = (code: string): void => {
      this.requests.inc({ service: this.service, method: request.method, code });
      this.durations.observe({ service: this.service, method: request.method }, (performance.now() - started) / 1000);
    };

    let response: RawResponse;
    try {
      const exchange = (): Promise<RawResponse> =>
        this.send({ method: request.method, url, headers, ...(body === undefined ? {} : { body }), timeoutMs });
      response = this.limiter ? await this.limiter.run(exchange) : await exchange();
    } catch (error) {
      const timedOut = error instanceof SendTimeoutError;
      observe(timedOut ? 'timeout' : 'network');
      this.logger?.debug({ ...details, outcome: timedOut ? 'timeout' : 'network' }, 'backend call failed');
      if (timedOut) throw new TimeoutError(`${this.service} ${request.method} ${url.pathname} timed out after ${timeoutMs} ms`, details, { cause: error });
      throw new UnavailableError(`${this.service} ${request.method} ${url.pathname} failed: ${networkReason(error)}`, details, { cause: error });
    }

    const requestId = this.backendRequestId(response.headers) ?? clientRequestId;
    observe(String(response.status));
    this.logger?.debug({ ...details, requestId, status: response.status }, 'backend call');
    const parsed = parseBody(response.body, headerValue(response.headers, 'content-type'));
    if (response.status >= 400) {
      const described = this.describeError(response.status, parsed);
      const ErrorClass = described.errorClass ?? errorClassForStatus(response.status);
      throw new ErrorClass(`${this.service} ${request.method} ${url.pathname}: ${response.status} ${described.message}`, {
        ...details,
        requestId: described.requestId ?? requestId,
        status: response.status,
        ...(described.backendCode === undefined ? {} : { backendCode: described.backendCode }),
      });
    }
    return { status: response.status, headers: response.headers, body: parsed, requestId };
  }

  private backendRequestId(headers: IncomingHttpHeaders): string | undefined {
    for (const name of this.requestIdHeaders) {
      const value = headerValue(headers, name);
      if (value) return value;
    }
    return undefined;
  }
}

/** One header's value; a repeated header's values joined by ", " as fetch's Headers does. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (text.length === 0) return undefined;
  const looksJson = /json/i.test(contentType ?? '') || /^[[{"]/.test(text.trimStart());
  if (!looksJson) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function networkReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) return `${error.message} (${(cause as { code?: string }).code ?? cause.message})`;
  return error.message;
}

/** Short, secret-free description of an error body. */
export function describeGenericError(status: number, body: unknown): { message: string; backendCode?: string } {
  if (typeof body === 'string') return { message: body.slice(0, 300) };
  if (body && typeof body === 'object') {
    const record = body as Record<string, unknown>;
    const message = record['detail'] ?? record['message'] ?? record['Message'] ?? record['Code'];
    const code = record['code'] ?? record['Code'];
    return {
      message: typeof message === 'string' ? message.slice(0, 300) : `HTTP ${status}`,
      ...(typeof code === 'string' ? { backendCode: code } : {}),
    };
  }
  return { message: `HTTP ${status}` };
}

export function isBackendError(error: unknown): error is BackendError {
  return error instanceof BackendError;
}
