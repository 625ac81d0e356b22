import { randomUUID } from 'node:crypto';

/** Simulated wall clock: real time plus an offset that tests advance, or fully manual. */
export class SimClock {
  private offsetMs = 0;
  private manualMs: number | undefined;

  constructor(start?: number) {
    this.manualMs = start;
  }
  now(): number {
    return this.manualMs ?? Date.now() + this.offsetMs;
  }
  advance(ms: number): void {
    if (this.manualMs !== undefined) this.manualMs += ms;
    else this.offsetMs += ms;
  }
}

export const uuid = (): string => randomUUID();
export const hexId = (): string => randomUUID().replace(/-/g, '');
export const requestId = (): string => `req-${randomUUID()}`;

/** ISO time as OpenStack services print it (no trailing Z for nova/cinder, with Z for keystone). */
export const isoZ = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '.000000Z');
export const isoNoZone = (ms: number): string => new Date(ms).toISOString().replace(/Z$/, '').replace(/\.\d{3}$/, '.000000');
export const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '');

export interface SimResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** An error response with the service's own body shape. */
export class SimHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`simulated HTTP ${status}`);
  }
}

export type ErrorStyle = 'keystone' | 'nova' | 'neutron';

const TITLES: Record<number, [string, string]> = {
  400: ['Bad Request', 'badRequest'],
  401: ['Unauthorized', 'unauthorized'],
  403: ['Forbidden', 'forbidden'],
  404: ['Not Found', 'itemNotFound'],
  409: ['Conflict', 'conflictingRequest'],
  413: ['Request Entity Too Large', 'overLimit'],
  500: ['Internal Server Error', 'computeFault'],
  503: ['Service Unavailable', 'serviceUnavailable'],
};

/** Builds the error body a real service returns for a status, in its family's style. */
export function errorBody(style: ErrorStyle, status: number, message: string, neutronType?: string): unknown {
  const [title, novaKey] = TITLES[status] ?? ['Error', 'computeFault'];
  if (style === 'keystone') return { error: { code: status, message, title } };
  if (style === 'neutron') {
    return { NeutronError: { type: neutronType ?? title.replace(/\s/g, ''), message, detail: '' } };
  }
  return { [novaKey]: { code: status, message } };
}

export function fail(style: ErrorStyle, status: number, message: string, neutronType?: string): SimHttpError {
  return new SimHttpError(status, errorBody(style, status, message, neutronType));
}

/** keystonemiddleware's answer to a missing or invalid token, the same in every service. */
export const unauthorized = (): SimHttpError =>
  fail('keystone', 401, 'The request you have made requires authentication.');

/** The validated token behind a request to a regional service. */
export interface AuthContext {
  userId: string;
  projectId: string | undefined;
  roleNames: string[];
}

export interface SimRequest {
  method: string;
  /** Set for regional services (nova, cinder, neutron) after token validation. */
  auth?: AuthContext;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** Base URL of the simulator, for links. */
  baseUrl: string;
}

export type Params = Record<string, string>;
export type Handler = (req: SimRequest, params: Params) => SimResponse | Promise<SimResponse>;

interface Route {
  method: string;
  pattern: string;
  regex: RegExp;
  names: string[];
  handler: Handler;
}

/** A path router: patterns like `/v3/projects/:id/tags/:tag`. */
export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    const names: string[] = [];
    const regex = new RegExp(
      `^${pattern.replace(/\/:([a-zA-Z_]+)/g, (_m, name: string) => {
        names.push(name);
        return '/([^/]+)';
      })}/?$`,
    );
    this.routes.push({ method, pattern, regex, names, handler });
    return this;
  }

  match(method: string, path: string): { route: string; handler: Handler; params: Params } | 'method' | undefined {
    let pathMatched = false;
    for (const r of this.routes) {
      const m = r.regex.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== method && !(method === 'HEAD' && r.method === 'GET')) continue;
      const params: Params = {};
      r.names.forEach((n, i) => (params[n] = m[i + 1] ?? '')); // the server routes on the decoded path
      return { route: `${r.method} ${r.pattern}`, handler: r.handler, params };
    }
    return pathMatched ? 'method' : undefined;
  }
}

type Dict = Record<string, unknown>;
export const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads `body[key]` as an object, or fails with a 400 in the service's style. */
export function member(style: ErrorStyle, body: unknown, key: string): Dict {
  if (!isDict(body) || !isDict(body[key])) {
    throw fail(style, 400, style === 'keystone' ? `Invalid input for field '${key}': None is not of type 'object'` : `Malformed request body: missing '${key}'`);
  }
  return body[key] as Dict;
}

/** Marker/limit pagination as nova, cinder and neutron do it, with a `<key>_links` next link. */
export function paginate<T extends { id: string }>(
  items: T[],
  query: URLSearchParams,
  nextBase: string,
  key: string,
  style: ErrorStyle,
  maxLimit = 1000,
): Record<string, unknown> {
  let start = 0;
  const marker = query.get('marker');
  if (marker) {
    const idx = items.findIndex((i) => i.id === marker);
    if (idx < 0) {
      throw style === 'neutron'
        ? fail('neutron', 404, `Marker ${marker} could not be found.`, 'HTTPNotFound')
        : fail(style, 400, `marker [${marker}] not found`);
    }
    start = idx + 1;
  }
  const limitText = query.get('limit');
  const limit = limitText === null ? maxLimit : Number(limitText);
  if (!Number.isInteger(limit) || limit < 0) throw fail(style, 400, `Invalid limit: ${limitText}`);
  const page = items.slice(start, start + Math.min(limit, maxLimit));
  const out: Record<string, unknown> = { [key]: page };
  const last = page[page.length - 1];
  // Like the real services, a full page always carries a next link, even when nothing follows.
  if (limitText !== null && last && page.length === limit) {
    const next = new URLSearchParams(query);
    next.set('marker', last.id);
    next.set('limit', String(limit));
    out[`${key}_links`] = [{ rel: 'next', href: `${nextBase}?${next.toString()}` }];
  }
  return out;
}

/** The token of a regional request (the server validates before dispatch). */
export function authOf(req: SimRequest): AuthContext {
  if (!req.auth) throw unauthorized();
  return req.auth;
}

export const isAdminAuth = (a: AuthContext): boolean => a.roleNames.includes('admin');
