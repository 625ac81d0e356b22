/**
 * Controller semantics with a deterministic clock and an in-memory list/watch source
 * (the same behaviours against the embedded API server are in controller.apiserver.test.ts).
 */
import { FakeClock, flushMicrotasks } from '../../src/runtime/clock.js';
import { Controller } from '../../src/runtime/controller.js';
import type { ReconcileContext } from '../../src/runtime/controller.js';
import { SharedInformer } from '../../src/runtime/informer.js';
import { Writable } from 'node:stream';
import { createLogger, silentLogger } from '../../src/runtime/logger.js';
import { RuntimeMetrics } from '../../src/runtime/metrics.js';
import type { ReconcileResult } from '../../src/runtime/result.js';
import { Result, TerminalError } from '../../src/runtime/result.js';
import { MemoryListWatch, WIDGETS, widget } from './support/memory-listwatch.js';

interface Harness {
  clock: FakeClock;
  source: MemoryListWatch;
  informer: SharedInformer;
  metrics: RuntimeMetrics;
  calls: Array<{ key: string; at: number }>;
  stop: () => Promise<void>;
  controller: Controller;
}

async function startHarness(
  reconcile: (ctx: ReconcileContext) => Promise<ReconcileResult>,
  options: { workers?: number; resyncPeriodMs?: number; seedObjects?: number } = {},
): Promise<Harness> {
  const clock = new FakeClock(0);
  const source = new MemoryListWatch();
  for (let i = 0; i < (options.seedObjects ?? 0); i++) source.upsert(widget(`seed-${String(i).padStart(3, '0')}`));
  const logger = silentLogger();
  const metrics = new RuntimeMetrics();
  const informer = new SharedInformer({ client: source, type: WIDGETS, clock, logger, resyncPeriodMs: options.resyncPeriodMs, random: () => 0 });
  const calls: Array<{ key: string; at: number }> = [];
  const controller = new Controller({
    name: 'widgets',
    primary: informer,
    clock,
    logger,
    metrics,
    maxConcurrentReconciles: options.workers ?? 2,
    reconcile: async (ctx) => {
      calls.push({ key: ctx.key, at: clock.now() });
      return reconcile(ctx);
    },
  });
  const scope = new AbortController();
  const informerRun = informer.run(scope.signal);
  const controllerRun = controller.start(scope.signal);
  await flushMicrotasks();
  return {
    clock,
    source,
    informer,
    metrics,
    calls,
    controller,
    stop: async () => {
      scope.abort();
      await Promise.all([informerRun, controllerRun]);
    },
  };
}

async function settle(times = 5): Promise<void> {
  for (let i = 0; i < times; i++) await flushMicrotasks();
}

/** Lets a change reach the controller, advances the clock, and answers how many reconciles ran. */
async function reconcilesAfter(h: Harness, ms: number): Promise<number> {
  await settle();
  await h.clock.advance(ms);
  return h.calls.length;
}

describe('Controller', () => {
  it('backs off 5, 10, 20, 40 ms on transient errors and resets after a success', async () => {
    let failuresLeft = 4;
    const h = await startHarness(async () => {
      if (failuresLeft-- > 0) return Result.transientError(new Error('backend 503'));
      return Result.done();
    });
    h.source.upsert(widget('a'));
    await settle();
    for (let i = 0; i < 200 && h.calls.length < 5; i++) await h.clock.advance(1);
    const gaps = h.calls.slice(1).map((c, i) => c.at - (h.calls[i]?.at ?? 0));
    expect(gaps).toEqual([5, 10, 20, 40]);
    expect(h.controller.queue.numRequeues('ns/a')).toBe(0);
    // After the reset the next failure starts again at 5 ms.
    failuresLeft = 1;
    const before = h.calls.length;
    h.source.upsert(widget('a', { size: 2 }), { bumpGeneration: true });
    await settle();
    for (let i = 0; i < 20 && h.calls.length < before + 1; i++) await h.clock.advance(1);
    const failedAt = h.clock.now();
    for (let i = 0; i < 100 && h.calls.length < before + 2; i++) await h.clock.advance(1);
    expect(h.calls.length).toBe(before + 2);
    expect((h.calls.at(-1)?.at ?? 0) - failedAt).toBe(5);
    const text = await h.metrics.registry.metrics();
    expect(text).toContain('controller_runtime_reconcile_errors_total{controller="widgets"} 5');
    expect(text).toContain('controller_runtime_reconcile_total{controller="widgets",result="success"} 2');
    await h.stop();
  });

  it('does not reconcile again for its own status writes, but does for labels, finalizers and spec', async () => {
    let writes = 0;
    const h = await startHarness(async () => {
      // A status write whose message differs each time (a request id) must not feed the next reconcile.
      const current = h.source.list(WIDGETS);
      const object = (await current).items.find((item) => item.metadata?.name === 'a');
      if (object && writes < 50) h.source.upsert({ ...object, status: { message: `req-${++writes}` } });
      return Result.done();
    });
    h.source.upsert(widget('a'));
    expect(await reconcilesAfter(h, 1000)).toBe(1);
    const stored = (await h.source.list(WIDGETS)).items[0]!;
    h.source.upsert({ ...stored, metadata: { ...stored.metadata, labels: { tier: 'gold' } } });
    expect(await reconcilesAfter(h, 10)).toBe(2);
    const labelled = (await h.source.list(WIDGETS)).items[0]!;
    h.source.upsert({ ...labelled, metadata: { ...labelled.metadata, finalizers: ['statsmoln.io/cleanup'] } });
    expect(await reconcilesAfter(h, 10)).toBe(3);
    h.source.upsert(widget('a', { size: 3 }), { bumpGeneration: true });
    expect(await reconcilesAfter(h, 10)).toBe(4);
    await h.stop();
  });

  it('does not reconcile again for a metadata write it reports as its own, but does when someone else changes it', async () => {
    const h = await startHarness(async (ctx) => {
      const object = (await h.source.list(WIDGETS)).items.find((item) => item.metadata?.name === 'a');
      if (object && !object.metadata?.finalizers?.includes('statsmoln.io/cleanup')) {
        const written = h.source.upsert({ ...object, metadata: { ...object.metadata, finalizers: ['statsmoln.io/cleanup'] } });
        ctx.wrote(written.metadata!.resourceVersion!);
      }
      return Result.done();
    });
    h.source.upsert(widget('a'));
    expect(await reconcilesAfter(h, 1000)).toBe(1);
    // Someone strips the finalizer: that is news, and the reconcile puts it back.
    const stored = (await h.source.list(WIDGETS)).items[0]!;
    h.source.upsert({ ...stored, metadata: { ...stored.metadata, finalizers: [] } });
    expect(await reconcilesAfter(h, 1000)).toBe(2);
    expect((await h.source.list(WIDGETS)).items[0]?.metadata?.finalizers).toEqual(['statsmoln.io/cleanup']);
    await h.stop();
  });

  it('reconciles again when someone else changes the object while its reconcile runs', async () => {
    let first = true;
    const h = await startHarness(async (ctx) => {
      const object = (await h.source.list(WIDGETS)).items.find((item) => item.metadata?.name === 'a')!;
      if (first) {
        first = false;
        const written = h.source.upsert({ ...object, metadata: { ...object.metadata, finalizers: ['statsmoln.io/cleanup'] } });
        ctx.wrote(written.metadata!.resourceVersion!);
        // Meanwhile a user labels it: that event is not ours.
        h.source.upsert({ ...written, metadata: { ...written.metadata, labels: { tier: 'gold' } } });
      }
      return Result.done();
    });
    h.source.upsert(widget('a'));
    expect(await reconcilesAfter(h, 1000)).toBe(2);
    await h.stop();
  });

  it('parks a key after a terminal error until the generation changes', async () => {
    let terminal = true;
    const h = await startHarness(async () => {
      if (terminal) throw new TerminalError('spec.size must be positive');
      return Result.done();
    }, { resyncPeriodMs: 1000 });
    h.source.upsert(widget('bad', { size: -1 }));
    expect(await reconcilesAfter(h, 10)).toBe(1);
    expect(h.controller.isParked('ns/bad')).toBe(true);
    // Status/metadata updates (no generation change), resyncs and waiting do not retry it.
    h.source.upsert({ ...widget('bad', { size: -1 }), status: { observed: true } });
    await h.clock.advance(5000);
    expect(h.calls.length).toBe(1);
    terminal = false;
    h.source.upsert(widget('bad', { size: 1 }), { bumpGeneration: true });
    expect(await reconcilesAfter(h, 10)).toBe(2);
    expect(h.controller.isParked('ns/bad')).toBe(false);
    const text = await h.metrics.registry.metrics();
    expect(text).toContain('controller_runtime_terminal_reconcile_errors_total{controller="widgets"} 1');
    await h.stop();
  });

  it('reconciles a new object ahead of a backlog of resyncs', async () => {
    let release: () => void = () => {};
    let blockFirst = true;
    const h = await startHarness(async () => {
      if (blockFirst) {
        blockFirst = false;
        await new Promise<void>((r) => (release = r));
      }
      return Result.done();
    }, { workers: 1, resyncPeriodMs: 60_000, seedObjects: 50 });
    for (let i = 0; i < 200 && h.calls.length < 50; i++) await settle(1);
    expect(h.calls.length).toBeGreaterThanOrEqual(1);
    // Let the initial round finish, then trigger a resync of all 50 while the worker is blocked.
    release();
    for (let i = 0; i < 500 && h.calls.length < 50; i++) await settle(1);
    expect(h.calls.length).toBe(50);
    blockFirst = true;
    await h.clock.advance(60_000); // resync: 50 low-priority keys
    await settle();
    h.source.upsert(widget('brand-new'));
    await settle();
    release();
    for (let i = 0; i < 500 && h.calls.length < 101; i++) await settle(1);
    const afterResync = h.calls.slice(50).map((c) => c.key);
    expect(afterResync.length).toBe(51);
    // The first resync key was already running when brand-new arrived; brand-new goes next.
    expect(afterResync[1]).toBe('ns/brand-new');
    await h.stop();
  });

  it('requeueAfter re-runs after the delay without counting as a failure', async () => {
    const h = await startHarness(async () => Result.requeueAfter(30_000));
    h.source.upsert(widget('poll'));
    await settle();
    await h.clock.advance(29_999);
    expect(h.calls.length).toBe(1);
    await h.clock.advance(1);
    expect(h.calls.length).toBe(2);
    expect(h.controller.queue.numRequeues('ns/poll')).toBe(0);
    await h.stop();
  });

  it('logs one structured line per reconcile outcome with controller, key, duration and result', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
        cb();
      },
    });
    const clock = new FakeClock(0);
    const source = new MemoryListWatch();
    const logger = createLogger({ destination: sink });
    const informer = new SharedInformer({ client: source, type: WIDGETS, clock, logger: silentLogger() });
    const outcomes: ReconcileResult[] = [Result.transientError(new Error('token=abc rejected')), Result.requeueAfter(10), Result.done()];
    const controller = new Controller({
      name: 'widgets',
      primary: informer,
      clock,
      logger,
      reconcile: async () => {
        await clock.sleep(7);
        return outcomes.shift() ?? Result.done();
      },
    });
    const scope = new AbortController();
    const runs = [informer.run(scope.signal), controller.start(scope.signal)];
    await informer.waitForSync();
    await settle();
    source.upsert(widget('logged'));
    for (let i = 0; i < 100 && lines.filter((l) => l.result).length < 3; i++) await clock.advance(1);
    scope.abort();
    await Promise.all(runs);
    logger.flush();
    await settle();
    const outcomeLines = lines.filter((l) => l.result !== undefined);
    expect(outcomeLines.map((l) => [l.controller, l.key, l.result, l.durationMs])).toEqual([
      ['widgets', 'ns/logged', 'error', 7],
      ['widgets', 'ns/logged', 'requeue_after', 7],
      ['widgets', 'ns/logged', 'success', 7],
    ]);
    expect(outcomeLines[0]).toMatchObject({ level: 40, err: 'token=[REDACTED] rejected', retries: 1 });
    expect(outcomeLines[1]).toMatchObject({ level: 30, requeueAfterMs: 10 });
  });
});
