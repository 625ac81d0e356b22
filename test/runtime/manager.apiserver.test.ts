/** The Manager end to end: probes, the metrics contract, events, conflict retries and graceful shutdown. */
import { RealClock } from '../../src/runtime/clock.js';
import type { Lease } from '../../src/runtime/leaderelection.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { Manager } from '../../src/runtime/manager.js';
import { RECONCILE_TIME_BUCKETS, RuntimeMetrics, WORKQUEUE_DURATION_BUCKETS } from '../../src/runtime/metrics.js';
import { Result, TerminalError } from '../../src/runtime/result.js';
import { updateStatusWithRetry } from '../../src/runtime/status.js';
import type { KubeObject } from '../../src/runtime/types.js';
import { EVENTS_V1, LEASES } from '../../src/runtime/types.js';
import type { TestApi } from './support/apiserver.js';
import { GADGETS, eventually, gadget, startTestApi } from './support/apiserver.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/);
    if (!match) throw new Error(`unparseable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1] as string] = pair[2] as string;
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

function find(samples: Sample[], name: string, labels: Record<string, string>): Sample | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

describe('Manager against the embedded API server', () => {
  let api: TestApi;
  const managers: Manager[] = [];
  afterEach(async () => {
    for (const m of managers.splice(0)) await m.stop();
    await api?.close();
  });

  function newManager(url: string, overrides: Partial<ConstructorParameters<typeof Manager>[0]> = {}, collectDefaults = false): Manager {
    const metrics = new RuntimeMetrics({ collectDefaults });
    const manager = new Manager({
      client: api.clientFor(url, metrics),
      metrics,
      clock: new RealClock(),
      logger: silentLogger(),
      server: { host: '127.0.0.1', port: 0 },
      ...overrides,
    });
    managers.push(manager);
    return manager;
  }

  it('serves /metrics with every controller-runtime name, label and bucket, and /healthz and /readyz', async () => {
    api = await startTestApi();
    const manager = newManager(api.server.url, {
      leaderElection: { namespace: 'operator', name: 'statsmoln-operator', identity: 'only' },
    }, true);
    const requeued = new Set<string>();
    manager.addController({
      name: 'gadgets',
      type: GADGETS,
      maxConcurrentReconciles: 3,
      rateLimiterOptions: { baseDelayMs: 1000 },
      reconcile: async ({ name }) => {
        if (name === 'requeue' && !requeued.has(name)) {
          requeued.add(name);
          return Result.requeue();
        }
        if (name === 'later') return Result.requeueAfter(60_000);
        if (name === 'broken') return Result.transientError(new Error('backend down'));
        if (name === 'invalid') throw new TerminalError('bad spec');
        return Result.done();
      },
    });
    for (const name of ['ok', 'requeue', 'later', 'broken', 'invalid']) await api.client.create(GADGETS, gadget(name));
    await manager.start();
    const base = manager.serverUrl as string;
    let samples: Sample[] = [];
    await eventually(async () => {
      samples = parseMetrics(await (await fetch(`${base}/metrics`)).text());
      const total = (result: string): number => find(samples, 'controller_runtime_reconcile_total', { controller: 'gadgets', result })?.value ?? 0;
      return total('success') >= 2 && total('requeue') >= 1 && total('requeue_after') >= 1 && total('error') >= 2 ? true : undefined;
    });
    const c = { controller: 'gadgets' };
    const q = { name: 'gadgets', controller: 'gadgets' };
    for (const result of ['success', 'error', 'requeue', 'requeue_after']) {
      expect(find(samples, 'controller_runtime_reconcile_total', { ...c, result })).toBeDefined();
    }
    expect(find(samples, 'controller_runtime_reconcile_errors_total', c)?.value).toBeGreaterThanOrEqual(2);
    expect(find(samples, 'controller_runtime_terminal_reconcile_errors_total', c)?.value).toBe(1);
    expect(find(samples, 'controller_runtime_reconcile_panics_total', c)?.value).toBe(0);
    expect(find(samples, 'controller_runtime_max_concurrent_reconciles', c)?.value).toBe(3);
    expect(find(samples, 'controller_runtime_active_workers', c)).toBeDefined();
    const reconcileBuckets = samples
      .filter((s) => s.name === 'controller_runtime_reconcile_time_seconds_bucket' && s.labels.controller === 'gadgets')
      .map((s) => s.labels.le);
    expect(reconcileBuckets).toEqual([...RECONCILE_TIME_BUCKETS.map(String), '+Inf']);
    expect(find(samples, 'controller_runtime_reconcile_time_seconds_count', c)?.value).toBeGreaterThanOrEqual(5);
    for (const name of [
      'workqueue_adds_total',
      'workqueue_retries_total',
      'workqueue_unfinished_work_seconds',
      'workqueue_longest_running_processor_seconds',
      'workqueue_queue_duration_seconds_count',
      'workqueue_work_duration_seconds_count',
    ]) {
      expect({ name, sample: find(samples, name, q) !== undefined }).toEqual({ name, sample: true });
    }
    expect(find(samples, 'workqueue_depth', { ...q, priority: '0' })).toBeDefined();
    expect(find(samples, 'workqueue_retries_total', q)?.value).toBeGreaterThanOrEqual(2);
    for (const histogram of ['workqueue_queue_duration_seconds_bucket', 'workqueue_work_duration_seconds_bucket']) {
      const les = samples.filter((s) => s.name === histogram && s.labels.name === 'gadgets').map((s) => (s.labels.le === '+Inf' ? Infinity : Number(s.labels.le)));
      expect(les).toEqual([...WORKQUEUE_DURATION_BUCKETS, Infinity]);
    }
    expect(WORKQUEUE_DURATION_BUCKETS[0]).toBeCloseTo(1e-8, 20);
    expect(WORKQUEUE_DURATION_BUCKETS.at(-1)).toBeCloseTo(1000, 6);
    const host = new URL(api.server.url).host;
    expect(find(samples, 'rest_client_requests_total', { code: '200', method: 'GET', host })?.value).toBeGreaterThan(0);
    expect(find(samples, 'rest_client_requests_total', { code: '201', method: 'POST', host })).toBeDefined(); // lease create
    expect(find(samples, 'leader_election_master_status', { name: 'statsmoln-operator' })?.value).toBe(1);
    expect(samples.some((s) => s.name === 'process_resident_memory_bytes')).toBe(true);

    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toContain('[+]informers ok');
  });

  it('is not ready while its caches cannot sync', async () => {
    api = await startTestApi();
    const manager = newManager('http://127.0.0.1:9', {}); // nothing listens on the discard port
    manager.addController({ name: 'gadgets', type: GADGETS, reconcile: async () => Result.done() });
    await manager.start();
    const base = manager.serverUrl as string;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toContain('[-]informers failed');
  });

  it('shuts down gracefully: no new work, in-flight reconciles finish, the lease is released', async () => {
    api = await startTestApi();
    const manager = newManager(api.server.url, {
      server: false,
      leaderElection: { namespace: 'operator', name: 'statsmoln-operator', identity: 'graceful' },
      gracefulShutdownTimeoutMs: 5000,
    });
    const started: string[] = [];
    const finished: string[] = [];
    manager.addController({
      name: 'gadgets',
      type: GADGETS,
      maxConcurrentReconciles: 1,
      reconcile: async ({ key }) => {
        started.push(key);
        await new Promise((r) => setTimeout(r, 150));
        finished.push(key);
        return Result.done();
      },
    });
    for (let i = 0; i < 5; i++) await api.client.create(GADGETS, gadget(`slow-${i}`));
    await manager.start();
    await eventually(() => (started.length === 1 ? true : undefined));
    expect(await manager.stop()).toBe('stopped');
    expect(started.length).toBe(1);
    expect(finished).toEqual(started);
    const lease = (await api.client.get(LEASES, 'operator', 'statsmoln-operator')) as Lease;
    expect(lease.spec?.holderIdentity).toBe('');
  });

  it('runs leader runnables on the leader only, and stops them through their signal before stop returns', async () => {
    api = await startTestApi();
    const election = { namespace: 'operator', name: 'statsmoln-operator' };
    const runs: string[] = [];
    const runnable = (identity: string) => async (signal: AbortSignal) => {
      runs.push(`${identity} started`);
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      runs.push(`${identity} stopped`);
    };
    const leader = newManager(api.server.url, { server: false, leaderElection: { ...election, identity: 'first' } });
    leader.addLeaderRunnable('collector', runnable('first'));
    await leader.start();
    await eventually(() => (runs.length === 1 ? true : undefined));
    const standby = newManager(api.server.url, { server: false, leaderElection: { ...election, identity: 'second', leaseDurationMs: 60_000 } });
    standby.addLeaderRunnable('collector', runnable('second'));
    await standby.start();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(standby.isLeader()).toBe(false);
    expect(runs).toEqual(['first started']);
    await leader.stop();
    expect(runs).toEqual(['first started', 'first stopped']);
    // The lease was released, so the standby takes over and starts its own.
    await eventually(() => (runs.includes('second started') ? true : undefined));
  });

  it('aborts reconciles that outlive the shutdown deadline through their signal', async () => {
    api = await startTestApi();
    const manager = newManager(api.server.url, { server: false, gracefulShutdownTimeoutMs: 100 });
    let aborted = false;
    manager.addController({
      name: 'gadgets',
      type: GADGETS,
      reconcile: async ({ signal }) => {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        aborted = signal.aborted;
        return Result.done();
      },
    });
    await api.client.create(GADGETS, gadget('stuck'));
    await manager.start();
    await eventually(() => (manager.isLeader() ? true : undefined));
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await manager.stop();
    expect(aborted).toBe(true);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('records events with reasons and folds repeats into a series', async () => {
    api = await startTestApi();
    const manager = newManager(api.server.url, { server: false });
    const obj = await api.client.create(GADGETS, gadget('noisy'));
    await manager.events.record(obj, 'Warning', 'InvalidConfiguration', 'Validate', 'spec.size must be positive');
    await manager.events.record(obj, 'Warning', 'InvalidConfiguration', 'Validate', 'spec.size must be positive');
    await manager.events.record(obj, 'Normal', 'Provisioned', 'Create', 'volume created');
    const events = await api.client.list(EVENTS_V1, { namespace: 'ns' });
    expect(events.items.length).toBe(2);
    const warning = events.items.find((e) => e.reason === 'InvalidConfiguration') as KubeObject;
    expect(warning).toMatchObject({
      type: 'Warning',
      action: 'Validate',
      note: 'spec.size must be positive',
      reportingController: 'statsmoln.io/operator',
      regarding: { kind: 'Gadget', name: 'noisy', namespace: 'ns', uid: obj.metadata?.uid },
      series: { count: 2 },
    });
    await expect(manager.events.record(obj, 'Normal', 'not camel', 'x', 'y')).rejects.toThrow(/UpperCamelCase/);
  });

  it('status updates re-read and retry on 409 Conflict', async () => {
    api = await startTestApi();
    await api.client.create(GADGETS, gadget('contended', { size: 1 }));
    let attempts = 0;
    let writes = 0;
    // A client whose first status write is preceded by someone else's write to the same object.
    const contended = {
      get: api.client.get.bind(api.client),
      update: api.client.update.bind(api.client),
      updateStatus: async <T extends KubeObject>(type: typeof GADGETS, obj: T): Promise<T> => {
        if (writes++ === 0) await api.client.patch(GADGETS, 'ns', 'contended', { metadata: { labels: { touched: 'yes' } } });
        return api.client.updateStatus(type, obj);
      },
    };
    const result = await updateStatusWithRetry(contended, GADGETS, 'ns', 'contended', (obj) => {
      attempts++;
      obj.status = { phase: 'Ready' };
    });
    expect(attempts).toBe(2);
    expect(writes).toBe(2);
    expect(result.status).toEqual({ phase: 'Ready' });
    const stored = await api.client.get(GADGETS, 'ns', 'contended');
    expect(stored.status).toEqual({ phase: 'Ready' });
    expect(stored.metadata?.labels).toEqual({ touched: 'yes' });
  });

  it('status updates from a known object skip the GET, write nothing when unchanged, and re-read after a 409', async () => {
    api = await startTestApi();
    const created = await api.client.create(GADGETS, gadget('known', { size: 1 }));
    let gets = 0;
    let writes = 0;
    const counting = {
      get: <T extends KubeObject>(...args: Parameters<typeof api.client.get>): Promise<T> => {
        gets++;
        return api.client.get<T>(...args);
      },
      update: api.client.update.bind(api.client),
      updateStatus: <T extends KubeObject>(type: typeof GADGETS, obj: T): Promise<T> => {
        writes++;
        return api.client.updateStatus(type, obj);
      },
    };
    const ready = (obj: KubeObject): void => {
      obj.status = { phase: 'Ready' };
    };
    const first = await updateStatusWithRetry(counting, GADGETS, 'ns', 'known', ready, { start: created });
    expect({ gets, writes }).toEqual({ gets: 0, writes: 1 });
    expect(await updateStatusWithRetry(counting, GADGETS, 'ns', 'known', ready, { start: first })).toBe(first);
    expect({ gets, writes }).toEqual({ gets: 0, writes: 1 });

    // A stale start (someone wrote since): one 409, then a GET and a write that keeps their change.
    await api.client.patch(GADGETS, 'ns', 'known', { metadata: { labels: { touched: 'yes' } } });
    const result = await updateStatusWithRetry(counting, GADGETS, 'ns', 'known', (obj) => {
      obj.status = { phase: 'Done' };
    }, { start: first });
    expect({ gets, writes }).toEqual({ gets: 1, writes: 3 });
    expect(result.status).toEqual({ phase: 'Done' });
    expect(result.metadata?.labels).toEqual({ touched: 'yes' });
  });

  it('stops gracefully on SIGTERM when asked to handle signals', async () => {
    api = await startTestApi();
    const manager = newManager(api.server.url, { server: false, handleSignals: true });
    manager.addController({ name: 'gadgets', type: GADGETS, reconcile: async () => Result.done() });
    await manager.start();
    await eventually(() => (manager.cachesSynced() ? true : undefined));
    process.emit('SIGTERM', 'SIGTERM');
    expect(await manager.wait()).toBe('stopped');
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });

  it('records core/v1 events when configured for clusters without events.k8s.io', async () => {
    api = await startTestApi();
    const manager = newManager(api.server.url, { server: false, eventApi: 'v1' });
    const obj = await api.client.create(GADGETS, gadget('legacy'));
    await manager.events.record(obj, 'Normal', 'Adopted', 'Adopt', 'found backend volume');
    await manager.events.record(obj, 'Normal', 'Adopted', 'Adopt', 'found backend volume');
    const events = await api.client.list({ group: '', version: 'v1', resource: 'events', kind: 'Event', namespaced: true }, { namespace: 'ns' });
    expect(events.items).toHaveLength(1);
    expect(events.items[0]).toMatchObject({
      reason: 'Adopted',
      message: 'found backend volume',
      type: 'Normal',
      count: 2,
      involvedObject: { kind: 'Gadget', name: 'legacy', uid: obj.metadata?.uid },
      source: { component: 'statsmoln.io/operator' },
    });
  });
});
