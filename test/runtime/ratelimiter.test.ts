import { FakeClock } from '../../src/runtime/clock.js';
import {
  BucketRateLimiter,
  ItemExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
} from '../../src/runtime/ratelimiter.js';

describe('ItemExponentialFailureRateLimiter', () => {
  it('doubles from 5 ms per key, caps at 1000 s, and resets on forget', () => {
    const limiter = new ItemExponentialFailureRateLimiter();
    expect([0, 1, 2, 3, 4].map(() => limiter.when('a'))).toEqual([5, 10, 20, 40, 80]);
    expect(limiter.when('b')).toBe(5);
    expect(limiter.numRequeues('a')).toBe(5);
    for (let i = 0; i < 40; i++) limiter.when('a');
    expect(limiter.when('a')).toBe(1_000_000);
    limiter.forget('a');
    expect(limiter.numRequeues('a')).toBe(0);
    expect(limiter.when('a')).toBe(5);
  });

  it('survives exponents that overflow', () => {
    const limiter = new ItemExponentialFailureRateLimiter(5, 1000);
    for (let i = 0; i < 2000; i++) limiter.when('x');
    expect(limiter.when('x')).toBe(1000);
  });
});

describe('BucketRateLimiter', () => {
  it('lets a burst through and then spaces requests at qps, refilling with time', async () => {
    const clock = new FakeClock();
    const bucket = new BucketRateLimiter(clock, 10, 100);
    for (let i = 0; i < 100; i++) expect(bucket.when(`k${i}`)).toBe(0);
    expect(bucket.when('over1')).toBe(100);
    expect(bucket.when('over2')).toBe(200);
    await clock.advance(1000);
    // 10 tokens refilled, 2 were borrowed: 8 free before delays start again.
    for (let i = 0; i < 8; i++) expect(bucket.when(`r${i}`)).toBe(0);
    expect(bucket.when('r8')).toBe(100);
  });
});

describe('MaxOfRateLimiter / defaultControllerRateLimiter', () => {
  it('takes the longest delay of its parts and forgets in all of them', () => {
    const clock = new FakeClock();
    const limiter = defaultControllerRateLimiter(clock);
    expect(limiter.when('a')).toBe(5);
    expect(limiter.when('a')).toBe(10);
    expect(limiter.numRequeues('a')).toBe(2);
    limiter.forget('a');
    expect(limiter.when('a')).toBe(5);
    // Exhaust the bucket: the overall limit then dominates a fresh key's 5 ms.
    for (let i = 0; i < 200; i++) limiter.when(`bulk${i}`);
    expect(limiter.when('fresh')).toBeGreaterThan(5000);
  });

  it('refuses to be built empty', () => {
    expect(() => new MaxOfRateLimiter()).toThrow(/at least one/);
  });
});
