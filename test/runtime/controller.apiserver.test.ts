/** Controller behaviour end to end: embedded API server -> informer -> queue -> reconcile. */
import type { Clock } from '../../src/runtime/clock.js';
import { FakeClock, RealClock } from '../../src/runtime/clock.js';
import { Controller } from '../../src/runtime/controller.js';
import type { Reconciler } from '../../src/runtime/controller.js';
import { SharedInformer } from '../../src/runtime/informer.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { RuntimeMetrics } from '../../src/runtime/metrics.js';
import { Result, TerminalError } from '../../src/runtime/result.js';
import { updateStatusWithRetry, updateWithRetry } from '../../src/runtime/status.js';
import type { TestApi } from './support/apiserver.js';
import { GADGETS, eventually, gadget, startTestApi } from './support/apiserver.js';
import { seededRandom } from '../../src/runtime/random.js';

interface Running {
  informer: SharedInformer;
  controller: Controller;
  metrics: RuntimeMetrics;
  stop(): Promise<void>;
}

function run(api: TestApi, clock: Clock, reconcile: Reconciler, options: { workers?: number; resyncPeriodMs?: number } = {}): Running {
  const logger = silentLogger();
  const metrics = new RuntimeMetrics();
  const informer = new SharedInformer({
    client: api.clientFor(api.server.url, metrics),
    type: GADGETS,
    clock,
    logger,
    resyncPeriodMs: options.resyncPeriodMs,
    random: () => 0,
  });
  const controller = new Controller({ name: 'gadgets', primary: informer, clock, logger, metrics, reconcile, maxConcurrentReconciles: options.workers ?? 2 });
  const scope = new AbortController();
  const runs = [informer.run(scope.signal), controller.start(scope.signal)];
  return {
    informer,
    controller,
    metrics,
    stop: async () => {
      scope.abort();
      await Promise.all(runs);
    },
  };
}

/** Advances a fake clock in small steps, letting real I/O happen in between. */
async function tick(clock: FakeClock, ms: number, stepMs = 1): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    await clock.advance(stepMs);
    await new Promise((r) => setTimeout(r, 0));
  }
}

describe('Controller against the embedded API server', () => {
  let api: TestApi;
  let running: Running | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    await api?.close();
  });

  it('never reconciles a key concurrently under load, and ends on the latest version of every object', async () => {
    api = await startTestApi();
    const random = seededRandom(7);
    const inFlight = new Set<string>();
    let overlaps = 0;
    let maxParallel = 0;
    const lastSeen = new Map<string, string | undefined>();
    let reconciles = 0;
    running = run(api, new RealClock(), async ({ key }) => {
      if (inFlight.has(key)) overlaps++;
      inFlight.add(key);
      maxParallel = Math.max(maxParallel, inFlight.size);
      reconciles++;
      await new Promise((r) => setTimeout(r, Math.floor(random() * 4)));
      lastSeen.set(key, running?.informer.store.get(key)?.metadata?.resourceVersion);
      inFlight.delete(key);
      return Result.done();
    }, { workers: 4 });
    const names = Array.from({ length: 10 }, (_, i) => `load-${i}`);
    for (const name of names) await api.client.create(GADGETS, gadget(name, { n: 0 }));
    const writers = names.map(async (name) => {
      for (let round = 1; round <= 20; round++) {
        await updateWithRetry(api.client, GADGETS, 'ns', name, (obj) => {
          obj.spec = { n: round };
        });
      }
    });
    await Promise.all(writers);
    const final = await api.client.list(GADGETS, { namespace: 'ns' });
    const expected = new Map(final.items.map((o) => [`ns/${o.metadata?.name}`, o.metadata?.resourceVersion]));
    await eventually(() => ([...expected].every(([k, rv]) => lastSeen.get(k) === rv) && inFlight.size === 0 ? true : undefined), 10_000);
    expect(overlaps).toBe(0);
    expect(maxParallel).toBeGreaterThan(1);
    expect(maxParallel).toBeLessThanOrEqual(4);
    console.log(`load: 210 writes -> ${reconciles} reconciles, max ${maxParallel} in parallel, 0 overlaps`);
  });

  it('backs off 5, 10, 20, 40 ms on errors and resets after a success', async () => {
    api = await startTestApi();
    const clock = new FakeClock(0);
    const calls: number[] = [];
    let failuresLeft = 4;
    running = run(api, clock, async () => {
      calls.push(clock.now());
      return failuresLeft-- > 0 ? Result.transientError(new Error('backend unavailable')) : Result.done();
    });
    await running.informer.waitForSync();
    await api.client.create(GADGETS, gadget('flaky'));
    await eventually(() => (calls.length === 1 ? true : undefined));
    while (calls.length < 5) await tick(clock, 1);
    expect(calls.slice(1).map((t, i) => t - (calls[i] ?? 0))).toEqual([5, 10, 20, 40]);
    expect(running.controller.queue.numRequeues('ns/flaky')).toBe(0);

    failuresLeft = 1;
    await updateWithRetry(api.client, GADGETS, 'ns', 'flaky', (obj) => {
      obj.spec = { changed: true };
    });
    await eventually(() => (calls.length === 6 ? true : undefined));
    const failedAt = clock.now();
    while (calls.length < 7) await tick(clock, 1);
    expect((calls[6] ?? 0) - failedAt).toBe(5);
  });

  it('reconciles a new object ahead of a backlog of resyncs', async () => {
    api = await startTestApi();
    for (let i = 0; i < 30; i++) await api.client.create(GADGETS, gadget(`old-${String(i).padStart(2, '0')}`));
    const clock = new FakeClock(0);
    const order: string[] = [];
    let gate: Promise<void> | undefined;
    let openGate = (): void => {};
    running = run(api, clock, async ({ key }) => {
      order.push(key);
      if (gate) await gate;
      return Result.done();
    }, { workers: 1, resyncPeriodMs: 60_000 });
    await eventually(() => (order.length === 30 ? true : undefined));
    gate = new Promise((r) => (openGate = r));
    await clock.advance(60_000); // periodic resync: 30 low-priority keys, the first one blocks the only worker
    await eventually(() => (order.length === 31 ? true : undefined));
    expect(running.controller.queue.len()).toBe(29);
    await api.client.create(GADGETS, gadget('brand-new'));
    await eventually(() => (running?.controller.queue.len() === 30 ? true : undefined));
    gate = undefined;
    openGate();
    await eventually(() => (order.length === 61 ? true : undefined));
    expect(order[31]).toBe('ns/brand-new');
  });

  it('does not retry a terminal error until the spec (generation) changes', async () => {
    api = await startTestApi();
    const calls: Array<number | undefined> = [];
    running = run(api, new RealClock(), async ({ key }) => {
      const obj = running?.informer.store.get(key);
      calls.push(obj?.metadata?.generation);
      const size = (obj?.spec as { size?: number } | undefined)?.size ?? 0;
      if (size <= 0) throw new TerminalError('spec.size must be positive');
      return Result.done();
    }, { resyncPeriodMs: 20 });
    await api.client.create(GADGETS, gadget('invalid', { size: -1 }));
    await eventually(() => (running?.controller.isParked('ns/invalid') ? true : undefined));
    // A status write (generation unchanged) and many resyncs: no retry.
    await updateStatusWithRetry(api.client, GADGETS, 'ns', 'invalid', (obj) => {
      obj.status = { conditions: [{ type: 'Stalled', status: 'True', reason: 'InvalidConfiguration' }] };
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(calls).toEqual([1]);
    await updateWithRetry(api.client, GADGETS, 'ns', 'invalid', (obj) => {
      obj.spec = { size: 10 };
    });
    // After the spec change it runs again, and (now successful) every resync reconciles it as usual.
    await eventually(() => (calls.length >= 2 ? true : undefined));
    expect(calls[0]).toBe(1);
    expect(calls.slice(1).every((generation) => generation === 2)).toBe(true);
    expect(running.controller.isParked('ns/invalid')).toBe(false);
    const text = await running.metrics.registry.metrics();
    expect(text).toContain('controller_runtime_terminal_reconcile_errors_total{controller="gadgets"} 1');
  });
});
