/**
 * Rate limiters with client-go's semantics (k8s.io/client-go/util/workqueue/default_rate_limiters.go).
 * `when` both records a failure and returns how long to wait before retrying the key.
 */
import type { Clock } from './clock.js';

export interface RateLimiter {
  /** Delay in milliseconds before `key` may be retried; counts one more failure for it. */
  when(key: string): number;
  /** Clears the failure history of `key` (call on success). */
  forget(key: string): void;
  /** Failures recorded for `key` since the last forget. */
  numRequeues(key: string): number;
}

/** base * 2^failures, capped at max. client-go's default is 5 ms .. 1000 s. */
export class ItemExponentialFailureRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();

  constructor(
    readonly baseDelayMs = 5,
    readonly maxDelayMs = 1_000_000,
  ) {
    if (baseDelayMs <= 0 || maxDelayMs < baseDelayMs) throw new Error('invalid exponential backoff bounds');
  }

  when(key: string): number {
    const exp = this.failures.get(key) ?? 0;
    this.failures.set(key, exp + 1);
    // 2^exp overflows to Infinity long before it matters; the cap handles it.
    const backoff = this.baseDelayMs * Math.pow(2, exp);
    return backoff > this.maxDelayMs ? this.maxDelayMs : backoff;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

/**
 * Overall token bucket (golang.org/x/time/rate Reserve semantics): every call takes a token,
 * borrowing from the future when the bucket is empty, so delays grow with the backlog.
 */
export class BucketRateLimiter implements RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly clock: Clock,
    readonly qps = 10,
    readonly burst = 100,
  ) {
    if (qps <= 0 || burst < 1) throw new Error('token bucket needs qps > 0 and burst >= 1');
    this.tokens = burst;
    this.last = clock.now();
  }

  when(_key: string): number {
    const now = this.clock.now();
    const elapsedSec = Math.max(0, now - this.last) / 1000;
    this.last = Math.max(this.last, now);
    this.tokens = Math.min(this.burst, this.tokens + elapsedSec * this.qps);
    this.tokens -= 1;
    if (this.tokens >= 0) return 0;
    return Math.ceil((-this.tokens / this.qps) * 1000);
  }

  forget(_key: string): void {}

  numRequeues(_key: string): number {
    return 0;
  }
}

/** The worst (longest) delay of several limiters. */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    if (limiters.length === 0) throw new Error('MaxOfRateLimiter needs at least one limiter');
    this.limiters = limiters;
  }

  when(key: string): number {
    let worst = 0;
    for (const l of this.limiters) worst = Math.max(worst, l.when(key));
    return worst;
  }

  forget(key: string): void {
    for (const l of this.limiters) l.forget(key);
  }

  numRequeues(key: string): number {
    let most = 0;
    for (const l of this.limiters) most = Math.max(most, l.numRequeues(key));
    return most;
  }
}

export interface RateLimiterOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  qps?: number;
  burst?: number;
}

/** client-go's DefaultControllerRateLimiter: max(per-key 5 ms..1000 s, bucket 10 qps burst 100). */
export function defaultControllerRateLimiter(clock: Clock, options: RateLimiterOptions = {}): RateLimiter {
  return new MaxOfRateLimiter(
    new ItemExponentialFailureRateLimiter(options.baseDelayMs ?? 5, options.maxDelayMs ?? 1_000_000),
    new BucketRateLimiter(clock, options.qps ?? 10, options.burst ?? 100),
  );
}
