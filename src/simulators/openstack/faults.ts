import { seededRandom } from '../../runtime/random.js';

/** Which requests a fault rule applies to; every given field must match. */
export interface FaultMatch {
  service?: string;
  region?: string;
  method?: string;
  /** Matched against the path below the service prefix, e.g. `/os-quota-sets/abc`. */
  path?: RegExp;
}

export interface FaultRule extends FaultMatch {
  /** Share of requests answered with `errorStatus` (default 503) in the service's error shape. */
  errorRate?: number;
  errorStatus?: number;
  /** Share of requests that are never answered (the client's timeout fires). */
  timeoutRate?: number;
  /** Share of requests whose connection is reset without a response. */
  resetRate?: number;
}

export interface LatencyOptions {
  fixedMs: number;
  /** Uniform extra delay in [0, jitterMs), from the seeded random source. */
  jitterMs: number;
}

export type FaultDecision = { kind: 'none' } | { kind: 'error'; status: number } | { kind: 'timeout' } | { kind: 'reset' };

/** Seeded fault injection and latency for the simulator. */
export class Faults {
  private rules: FaultRule[] = [];
  private random: () => number;
  latency: LatencyOptions = { fixedMs: 0, jitterMs: 0 };

  constructor(seed = 1) {
    this.random = seededRandom(seed);
  }

  reseed(seed: number): void {
    this.random = seededRandom(seed);
  }

  add(rule: FaultRule): () => void {
    this.rules.push(rule);
    return () => {
      this.rules = this.rules.filter((r) => r !== rule);
    };
  }

  clear(): void {
    this.rules = [];
    this.latency = { fixedMs: 0, jitterMs: 0 };
  }

  delayMs(): number {
    const { fixedMs, jitterMs } = this.latency;
    return fixedMs + (jitterMs > 0 ? this.random() * jitterMs : 0);
  }

  decide(req: { service: string; region: string | undefined; method: string; path: string }): FaultDecision {
    for (const rule of this.rules) {
      if (rule.service !== undefined && rule.service !== req.service) continue;
      if (rule.region !== undefined && rule.region !== req.region) continue;
      if (rule.method !== undefined && rule.method !== req.method) continue;
      if (rule.path !== undefined && !rule.path.test(req.path)) continue;
      const roll = this.random();
      const reset = rule.resetRate ?? 0;
      const timeout = rule.timeoutRate ?? 0;
      const error = rule.errorRate ?? 0;
      if (roll < reset) return { kind: 'reset' };
      if (roll < reset + timeout) return { kind: 'timeout' };
      if (roll < reset + timeout + error) return { kind: 'error', status: rule.errorStatus ?? 503 };
    }
    return { kind: 'none' };
  }
}
