/**
 * Latency and fault injection for the Ceph simulators. Rules match on method and path; a matching
 * rule answers with its status (or drops the connection) instead of the simulator, a limited number
 * of times or with a probability drawn from a seeded generator, so tests are reproducible.
 */
import { seededRandom } from '../../runtime/random.js';

export interface FaultRule {
  /** HTTP method to match; any when omitted. */
  method?: string;
  /** Path (without query) to match: a RegExp, or a string the path must start with. */
  path: RegExp | string;
  /** Status to answer with, or `reset` to destroy the connection, or `hang` to never answer. */
  status: number | 'reset' | 'hang';
  /** JSON body for the answer; a generic error body when omitted. */
  body?: unknown;
  /** How many requests to fail; unlimited when omitted. */
  times?: number;
  /** Probability in [0, 1] that a matching request fails; 1 when omitted. */
  probability?: number;
  /** Extra delay before answering, in ms. */
  delayMs?: number;
}

export interface LatencyOptions {
  /** Fixed delay added to every request, in ms. */
  fixedMs?: number;
  /** Uniform random extra delay up to this many ms (seeded). */
  jitterMs?: number;
}

export class FaultInjector {
  private rules: { rule: FaultRule; remaining: number }[] = [];
  latency: LatencyOptions = {};
  private readonly random: () => number;

  constructor(seed = 1) {
    this.random = seededRandom(seed);
  }

  add(rule: FaultRule): void {
    this.rules.push({ rule, remaining: rule.times ?? Number.POSITIVE_INFINITY });
  }

  clear(): void {
    this.rules = [];
    this.latency = {};
  }

  /** The fault for this request, if any rule fires (consuming one of its `times`). */
  match(method: string, path: string): FaultRule | undefined {
    for (const entry of this.rules) {
      const { rule } = entry;
      if (entry.remaining <= 0) continue;
      if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      const pathMatches = typeof rule.path === 'string' ? path.startsWith(rule.path) : rule.path.test(path);
      if (!pathMatches) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      entry.remaining -= 1;
      return rule;
    }
    return undefined;
  }

  delayMs(): number {
    const fixed = this.latency.fixedMs ?? 0;
    const jitter = this.latency.jitterMs ? this.random() * this.latency.jitterMs : 0;
    return fixed + jitter;
  }
}
