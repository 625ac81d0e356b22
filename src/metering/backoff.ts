import { seededRandom } from '../runtime/random.js';

/** Capped exponential backoff with seeded jitter, so retry schedules are reproducible in tests. */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  /** Fraction of each delay that is random: 0.5 means between 50% and 100% of the nominal delay. */
  jitter?: number;
  seed?: number;
}

export class Backoff {
  private attempt = 0;
  private readonly random: () => number;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 500;
    this.maxMs = options.maxMs ?? 60_000;
    this.factor = options.factor ?? 2;
    this.jitter = options.jitter ?? 0.5;
    this.random = seededRandom(options.seed ?? 1);
    if (this.initialMs <= 0 || this.maxMs < this.initialMs || this.factor < 1 || this.jitter < 0 || this.jitter > 1) {
      throw new RangeError('backoff needs 0 < initialMs <= maxMs, factor >= 1 and 0 <= jitter <= 1');
    }
  }

  /** Delay before the next retry; each call counts one more consecutive failure. */
  next(): number {
    const nominal = Math.min(this.maxMs, this.initialMs * this.factor ** this.attempt);
    this.attempt += 1;
    return Math.round(nominal * (1 - this.jitter + this.jitter * this.random()));
  }

  get failures(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
