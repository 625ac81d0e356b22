import { Gauge, type Registry } from 'prom-client';

/**
 * At most `limit` backend requests in flight at once across every client that shares the limiter,
 * first come first served. The operator shares one between all controllers so that a burst of
 * reconciles (a restart, a thousand new agencies) cannot flood Keystone, Nova, Cinder, Neutron or
 * the Ceph dashboard; a request waits for a slot before its own timeout starts.
 */
export class ConcurrencyLimiter {
  private running = 0;
  private peak = 0;
  private held = 0;
  private completed = 0;
  private readonly queue: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`backend concurrency must be a whole number >= 1, got ${limit}`);
  }

  /** Requests holding a slot now. */
  get inFlight(): number {
    return this.running;
  }

  /** Requests waiting for a slot now. */
  get waiting(): number {
    return this.queue.length;
  }

  /** The most requests that have held slots at once. */
  get peakInFlight(): number {
    return this.peak;
  }

  /** Slot time used so far: the sum over finished requests of how long each held its slot, in ms. */
  get heldMs(): number {
    return this.held;
  }

  /** Requests that have finished (and released their slot). */
  get finished(): number {
    return this.completed;
  }

  /** Runs `task` once a slot is free; gives up waiting (not running) when `signal` aborts. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    const started = performance.now();
    try {
      return await task();
    } finally {
      this.held += performance.now() - started;
      this.completed += 1;
      this.release();
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.running < this.limit) {
      this.take();
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        this.take();
        resolve();
      };
      const onAbort = (): void => {
        const index = this.queue.indexOf(grant);
        if (index >= 0) this.queue.splice(index, 1);
        reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted while waiting for a backend request slot'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(grant);
    });
  }

  private take(): void {
    this.running += 1;
    if (this.running > this.peak) this.peak = this.running;
  }

  private release(): void {
    this.running -= 1;
    this.queue.shift()?.();
  }
}

/** `statsmoln_backend_requests_in_flight` and `statsmoln_backend_requests_waiting`, read at scrape time. */
export function registerLimiterMetrics(limiter: ConcurrencyLimiter, registry: Registry): void {
  new Gauge({
    name: 'statsmoln_backend_requests_in_flight',
    help: 'Backend (OpenStack and Ceph) requests holding one of the operator-wide slots.',
    registers: [registry],
    collect() {
      this.set(limiter.inFlight);
    },
  });
  new Gauge({
    name: 'statsmoln_backend_requests_waiting',
    help: 'Backend requests waiting for a slot (all slots of --backend-concurrency are taken).',
    registers: [registry],
    collect() {
      this.set(limiter.waiting);
    },
  });
}
