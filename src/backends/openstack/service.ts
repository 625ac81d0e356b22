import type { HttpResponse } from '../http/index.js';
import type { KeystoneSession, ServiceRequest } from './session.js';

type Dict = Record<string, unknown>;

/** Base of the per-service clients: a session, a catalog type, a metrics name and pagination. */
export abstract class ServiceClient {
  constructor(
    readonly session: KeystoneSession,
    protected readonly serviceType: string,
    protected readonly metricsName: string,
    protected readonly extraHeaders: Record<string, string> = {},
  ) {}

  protected call(req: ServiceRequest): Promise<HttpResponse> {
    return this.session.request(this.serviceType, this.metricsName, {
      ...req,
      headers: { ...this.extraHeaders, ...req.headers },
    });
  }

  protected async json<T>(req: ServiceRequest, key: string): Promise<T> {
    const res = await this.call(req);
    const body = res.body as Dict | undefined;
    if (!body || !(key in body)) {
      throw new Error(`${this.metricsName} ${req.method} ${req.path}: response has no "${key}"`);
    }
    return body[key] as T;
  }

  /**
   * Lists a collection, following `<key>_links` rel=next (nova, cinder, neutron) until exhausted.
   * `pageSize` sets `limit` on every page; without it the service's default applies.
   */
  protected async list<T>(path: string, key: string, query: ServiceRequest['query'] = {}, pageSize?: number): Promise<T[]> {
    const out: T[] = [];
    let next: string | undefined = path;
    let q: ServiceRequest['query'] = pageSize === undefined ? query : { ...query, limit: pageSize };
    const seen = new Set<string>();
    while (next !== undefined) {
      const res = await this.call({ method: 'GET', path: next, ...(q ? { query: q } : {}) });
      const body = (res.body ?? {}) as Dict;
      const page = body[key];
      if (!Array.isArray(page)) throw new Error(`${this.metricsName} GET ${path}: response has no "${key}" list`);
      out.push(...(page as T[]));
      const links = body[`${key}_links`];
      const href = Array.isArray(links)
        ? (links as { rel?: string; href?: string }[]).find((l) => l.rel === 'next')?.href
        : undefined;
      if (href === undefined || page.length === 0 || seen.has(href)) break;
      seen.add(href);
      next = href;
      q = undefined; // the next link carries the query
    }
    return out;
  }
}

/** Polls `read` until `done` holds, the value is gone (undefined) when `untilGone`, or timeout. */
export interface WaitOptions {
  timeoutMs?: number;
  /** The longest pause between two reads (1 s by default). */
  intervalMs?: number;
  /** The first pause (25 ms by default); each next one doubles, up to `intervalMs`. */
  initialIntervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export class WaitTimeoutError extends Error {
  constructor(what: string, last: string) {
    super(`timed out waiting for ${what} (last state: ${last})`);
    this.name = 'WaitTimeoutError';
  }
}

export async function waitFor<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  describe: (value: T) => string,
  options: WaitOptions = {},
): Promise<T> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = options.now ?? Date.now;
  const deadline = now() + (options.timeoutMs ?? 120_000);
  const longest = options.intervalMs ?? 1000;
  // Most transitions finish within a second: polling soon and then less often frees the caller
  // (a reconcile worker) early without reading a slow backend more than about once a second.
  let pause = Math.min(options.initialIntervalMs ?? 25, longest);
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (now() >= deadline) throw new WaitTimeoutError(what, describe(value));
    await sleep(pause);
    pause = Math.min(pause * 2, longest);
  }
}
