import fc from 'fast-check';
import { FakeClock } from '../../src/runtime/clock.js';
import { RuntimeMetrics } from '../../src/runtime/metrics.js';
import { defaultControllerRateLimiter, ItemExponentialFailureRateLimiter } from '../../src/runtime/ratelimiter.js';
import { PRIORITY_RESYNC, WorkQueue } from '../../src/runtime/workqueue.js';

function newQueue(clock = new FakeClock(0)): { queue: WorkQueue; clock: FakeClock } {
  return { queue: new WorkQueue({ name: 'test', clock, rateLimiter: defaultControllerRateLimiter(clock) }), clock };
}

async function drainKeys(queue: WorkQueue): Promise<string[]> {
  const keys: string[] = [];
  while (queue.len() > 0) {
    const item = await queue.get();
    if (!item) break;
    keys.push(item.key);
    queue.done(item.key);
  }
  return keys;
}

describe('WorkQueue', () => {
  it('collapses repeated adds of a queued key into one', async () => {
    const { queue } = newQueue();
    queue.add('a');
    queue.add('b');
    queue.add('a');
    queue.add('a');
    expect(queue.len()).toBe(2);
    expect(await drainKeys(queue)).toEqual(['a', 'b']);
  });

  it('never hands a key to two workers: an add during processing waits for done', async () => {
    const { queue } = newQueue();
    queue.add('a');
    const first = await queue.get();
    expect(first?.key).toBe('a');
    queue.add('a');
    expect(queue.len()).toBe(0);
    let second: string | undefined;
    void queue.get().then((item) => (second = item?.key));
    await new Promise((r) => setImmediate(r));
    expect(second).toBeUndefined();
    queue.done('a');
    await new Promise((r) => setImmediate(r));
    expect(second).toBe('a');
  });

  it('serves higher priority first and FIFO within a priority; a re-add upgrades priority', async () => {
    const { queue } = newQueue();
    queue.add('resync-1', { priority: PRIORITY_RESYNC });
    queue.add('resync-2', { priority: PRIORITY_RESYNC });
    queue.add('resync-3', { priority: PRIORITY_RESYNC });
    queue.add('new-1');
    queue.add('resync-3');
    queue.add('new-2');
    queue.add('resync-1', { priority: PRIORITY_RESYNC });
    expect(await drainKeys(queue)).toEqual(['new-1', 'resync-3', 'new-2', 'resync-1', 'resync-2']);
  });

  it('addAfter waits on the clock and keeps the earliest ready time; add makes it ready now', async () => {
    const { queue, clock } = newQueue();
    queue.addAfter('a', 1000);
    queue.addAfter('a', 5000);
    queue.addAfter('b', 2000);
    await clock.advance(999);
    expect(queue.len()).toBe(0);
    await clock.advance(1);
    expect(queue.len()).toBe(1);
    queue.add('b');
    expect(queue.delayedLen()).toBe(0);
    expect(await drainKeys(queue)).toEqual(['a', 'b']);
    await clock.advance(10_000);
    expect(queue.len()).toBe(0);
  });

  it('addRateLimited backs off exponentially per key and forget resets it', async () => {
    const clock = new FakeClock(0);
    const queue = new WorkQueue({ name: 'q', clock, rateLimiter: new ItemExponentialFailureRateLimiter(5, 1000) });
    const readyAfter: number[] = [];
    for (let i = 0; i < 4; i++) {
      const start = clock.now();
      queue.addRateLimited('a');
      while (queue.len() === 0) await clock.advance(1);
      readyAfter.push(clock.now() - start);
      const item = await queue.get();
      queue.done(item!.key);
    }
    expect(readyAfter).toEqual([5, 10, 20, 40]);
    queue.forget('a');
    expect(queue.numRequeues('a')).toBe(0);
  });

  it('shutdown releases waiting workers and drops pending work; drained waits for in-flight keys', async () => {
    const { queue, clock } = newQueue();
    queue.add('busy');
    const busy = await queue.get();
    const waiting = queue.get();
    queue.addAfter('later', 100);
    queue.shutdown();
    expect(await waiting).toBeUndefined();
    expect(await queue.get()).toBeUndefined();
    queue.add('ignored');
    expect(queue.len()).toBe(0);
    let drained = false;
    const drainedPromise = queue.drained().then(() => (drained = true));
    await clock.advance(200);
    expect(drained).toBe(false);
    queue.done(busy!.key);
    await drainedPromise;
    expect(drained).toBe(true);
  });

  it('reports depth, adds, retries and in-flight durations to the metrics', async () => {
    const clock = new FakeClock(0);
    const metrics = new RuntimeMetrics();
    const queue = new WorkQueue({
      name: 'volumes',
      clock,
      rateLimiter: defaultControllerRateLimiter(clock),
      metrics: (inFlight) => metrics.workQueue('volumes', inFlight),
    });
    queue.add('a');
    queue.add('b', { priority: PRIORITY_RESYNC });
    queue.add('a');
    await clock.advance(3000);
    const item = await queue.get();
    await clock.advance(2000);
    expect(queue.longestRunningProcessorSeconds()).toBe(2);
    const text = await metrics.registry.metrics();
    expect(text).toContain('workqueue_adds_total{name="volumes",controller="volumes"} 3');
    expect(text).toContain('workqueue_depth{name="volumes",controller="volumes",priority="-100"} 1');
    expect(text).toContain('workqueue_depth{name="volumes",controller="volumes",priority="0"} 0');
    expect(text).toContain('workqueue_longest_running_processor_seconds{name="volumes",controller="volumes"} 2');
    expect(text).toContain('workqueue_queue_duration_seconds_count{name="volumes",controller="volumes"} 1');
    queue.done(item!.key);
    queue.addRateLimited('a');
    const after = await metrics.registry.metrics();
    expect(after).toContain('workqueue_retries_total{name="volumes",controller="volumes"} 1');
    expect(after).toContain('workqueue_work_duration_seconds_sum{name="volumes",controller="volumes"} 2');
  });

  it('property: any interleaving of adds/gets/dones never runs a key twice at once and loses no add', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('add', 'get', 'done'), fc.constantFrom('a', 'b', 'c'), fc.boolean()), {
          maxLength: 60,
        }),
        async (ops) => {
          const { queue } = newQueue();
          const inFlight = new Set<string>();
          const owedRun = new Set<string>(); // keys added since they last started
          for (const [op, key, low] of ops) {
            if (op === 'add') {
              queue.add(key, low ? { priority: PRIORITY_RESYNC } : {});
              owedRun.add(key);
            } else if (op === 'get' && queue.len() > 0) {
              const item = await queue.get();
              expect(inFlight.has(item!.key)).toBe(false);
              inFlight.add(item!.key);
              owedRun.delete(item!.key);
            } else if (op === 'done' && inFlight.has(key)) {
              inFlight.delete(key);
              queue.done(key);
            }
          }
          for (const key of [...inFlight]) queue.done(key);
          const rest = await drainKeys(queue);
          expect(new Set(rest)).toEqual(owedRun);
          expect(rest.length).toBe(owedRun.size);
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });
});
