/** Capped exponential backoff with seeded jitter, so retry schedules are reproducible in tests. */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  /** Fraction of each delay that is random: 0.5 means between 50% and 100% of the nominal delay. */
  jitter?: number;
  seed?: number;
}

/** mulberry32: a small, fast, seedable PRNG in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
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
