/**
 * A controller: informers feed keys into a priority work queue; bounded workers run the
 * reconcile function; its result decides forget, backoff or delayed requeue (controller-runtime's
 * reconcileHandler). A terminal error parks the key until the object's generation changes or a watched related object changes.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Clock } from './clock.js';
import type { EventHandler, SharedInformer } from './informer.js';
import type { Logger } from './logger.js';
import { redactText } from './logger.js';
import type { KeyMapper } from './mappers.js';
import type { ReconcileResultLabel, RuntimeMetrics } from './metrics.js';
import type { RateLimiter, RateLimiterOptions } from './ratelimiter.js';
import { defaultControllerRateLimiter } from './ratelimiter.js';
import type { ReconcileResult } from './result.js';
import { TerminalError } from './result.js';
import type { KubeObject } from './types.js';
import { objectKey, splitKey } from './types.js';
import { PRIORITY_NORMAL, PRIORITY_RESYNC, WorkQueue } from './workqueue.js';

const OWN_WRITES_KEPT = 4;

export interface ReconcileContext {
  key: string;
  namespace?: string;
  name: string;
  /** Aborts when the controller stops (shutdown or lost leadership): stop backend work promptly. */
  signal: AbortSignal;
  logger: Logger;
  /** Failures recorded for this key since its last success. */
  retries: number;
  /** How long the key waited in the queue before this reconcile started. */
  queuedMs: number;
  /**
   * Tells the controller that this reconcile wrote the object and got `resourceVersion` back: the
   * watch event of that version brings nothing the reconcile does not know, so it enqueues nothing
   * (adding a finalizer would otherwise run every object's first reconcile twice).
   */
  wrote(resourceVersion: string): void;
}

export type Reconciler = (ctx: ReconcileContext) => Promise<ReconcileResult>;

export interface ControllerOptions<T extends KubeObject> {
  name: string;
  /** The informer of the kind this controller reconciles. */
  primary: SharedInformer<T>;
  reconcile: Reconciler;
  clock: Clock;
  logger: Logger;
  metrics?: RuntimeMetrics;
  /** Workers; default 2 (controller-runtime defaults to 1, which stalls on slow backends). */
  maxConcurrentReconciles?: number;
  rateLimiter?: RateLimiter;
  rateLimiterOptions?: RateLimiterOptions;
}

interface TerminalRecord {
  generation: number | undefined;
  deleting: boolean;
}

export class Controller<T extends KubeObject = KubeObject> {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly maxConcurrentReconciles: number;
  private readonly options: ControllerOptions<T>;
  private readonly informers: SharedInformer<KubeObject>[] = [];
  private readonly terminal = new Map<string, TerminalRecord>();
  /** Per key, the resourceVersions this controller's last few own writes produced (see ReconcileContext.wrote). */
  private readonly ownWrites = new Map<string, string[]>();
  /** Update events that arrived while their key was being reconciled, judged when it finishes. */
  private readonly heldUpdates = new Map<string, string[]>();
  private started = false;

  constructor(options: ControllerOptions<T>) {
    this.options = options;
    this.name = options.name;
    this.maxConcurrentReconciles = options.maxConcurrentReconciles ?? 2;
    if (!Number.isInteger(this.maxConcurrentReconciles) || this.maxConcurrentReconciles < 1) {
      throw new Error('maxConcurrentReconciles must be a positive integer');
    }
    const metrics = options.metrics;
    metrics?.registerController(this.name, this.maxConcurrentReconciles);
    this.queue = new WorkQueue({
      name: this.name,
      clock: options.clock,
      rateLimiter: options.rateLimiter ?? defaultControllerRateLimiter(options.clock, options.rateLimiterOptions),
      metrics: metrics ? (inFlight) => metrics.workQueue(this.name, inFlight) : undefined,
    });
    this.informers.push(options.primary as unknown as SharedInformer<KubeObject>);
    options.primary.addEventHandler(this.primaryHandler());
  }

  /** Also reconcile the keys `map` returns whenever an object of `informer`'s type changes. */
  watches<S extends KubeObject>(informer: SharedInformer<S>, map: KeyMapper<S>): this {
    if (this.started) throw new Error('add watches before starting the controller');
    this.informers.push(informer as unknown as SharedInformer<KubeObject>);
    // A related object changed: a terminal verdict may rest on what it said (a project id, a
    // partition), so the key is judged again even though its own generation did not move.
    const enqueueMapped = (obj: S): void => {
      for (const key of map(obj)) {
        this.terminal.delete(key);
        this.enqueue(key, PRIORITY_NORMAL, undefined);
      }
    };
    informer.addEventHandler({
      onAdd: enqueueMapped,
      onUpdate: (oldObj, newObj) => {
        enqueueMapped(oldObj);
        enqueueMapped(newObj);
      },
      onDelete: enqueueMapped,
    });
    return this;
  }

  /** Whether `key` is parked after a terminal error. */
  isParked(key: string): boolean {
    return this.terminal.has(key);
  }

  /** Waits for every informer's cache, then runs workers until `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    if (this.started) throw new Error(`controller ${this.name} already started`);
    this.started = true;
    const onAbort = (): void => this.queue.shutdown();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    const synced = await Promise.all(this.informers.map((informer) => informer.waitForSync(signal)));
    if (!synced.every(Boolean)) return;
    this.options.logger.info({ controller: this.name, workers: this.maxConcurrentReconciles }, 'starting workers');
    const workers = Array.from({ length: this.maxConcurrentReconciles }, () => this.worker(signal));
    await Promise.all(workers);
  }

  private primaryHandler(): EventHandler<T> {
    return {
      onAdd: (obj) => this.enqueue(objectKey(obj), PRIORITY_NORMAL, obj),
      onUpdate: (old, obj) => {
        if (!changedBeyondStatus(old, obj)) return;
        const key = objectKey(obj);
        const version = obj.metadata?.resourceVersion;
        if (version !== undefined) {
          if (this.ownWrites.get(key)?.includes(version)) return;
          // The event may be the echo of a write the running reconcile has not reported yet.
          const held = this.heldUpdates.get(key);
          if (held) {
            held.push(version);
            return;
          }
        }
        this.enqueue(key, PRIORITY_NORMAL, obj);
      },
      onDelete: (obj) => {
        const key = objectKey(obj);
        this.terminal.delete(key);
        this.ownWrites.delete(key);
        this.enqueue(key, PRIORITY_NORMAL, undefined);
      },
      onResync: (obj) => this.enqueue(objectKey(obj), PRIORITY_RESYNC, obj),
    };
  }

  private enqueue(key: string, priority: number, obj: T | undefined): void {
    const parked = this.terminal.get(key);
    if (parked) {
      const current = obj ?? this.options.primary.store.get(key);
      const unchanged =
        current !== undefined &&
        current.metadata?.generation === parked.generation &&
        Boolean(current.metadata?.deletionTimestamp) === parked.deleting;
      if (unchanged) return;
      this.terminal.delete(key);
    }
    this.queue.add(key, { priority });
  }

  private async worker(signal: AbortSignal): Promise<void> {
    const metrics = this.options.metrics;
    const clock = this.options.clock;
    for (;;) {
      const item = await this.queue.get();
      if (!item) return;
      const { key } = item;
      metrics?.activeWorkers.inc({ controller: this.name });
      const started = clock.now();
      this.heldUpdates.set(key, []);
      const outcome = await this.invoke(key, signal, started - item.addedAt);
      const seconds = (clock.now() - started) / 1000;
      metrics?.reconcileTime.observe({ controller: this.name }, seconds);
      if (!signal.aborted) this.handleResult(key, item.priority, outcome, seconds);
      const held = this.heldUpdates.get(key) ?? [];
      this.heldUpdates.delete(key);
      const own = this.ownWrites.get(key) ?? [];
      if (held.some((version) => !own.includes(version))) this.enqueue(key, PRIORITY_NORMAL, undefined);
      this.queue.done(key);
      metrics?.activeWorkers.dec({ controller: this.name });
    }
  }

  private async invoke(key: string, signal: AbortSignal, queuedMs: number): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const logger = this.options.logger.child({ controller: this.name, key });
    try {
      const wrote = (resourceVersion: string): void => {
        // A reconcile writes metadata, then status: keep a few, so that a late event still matches.
        this.ownWrites.set(key, [resourceVersion, ...(this.ownWrites.get(key) ?? [])].slice(0, OWN_WRITES_KEPT));
      };
      return await this.options.reconcile({ key, namespace, name, signal, logger, retries: this.queue.numRequeues(key), queuedMs, wrote });
    } catch (error) {
      if (error instanceof TerminalError) return { type: 'terminalError', error };
      if (!(error instanceof Error)) {
        this.options.metrics?.reconcilePanics.inc({ controller: this.name });
        return { type: 'transientError', error: new Error(`reconcile threw a non-error: ${String(error)}`) };
      }
      return { type: 'transientError', error };
    }
  }

  private handleResult(key: string, priority: number, result: ReconcileResult, seconds: number): void {
    const metrics = this.options.metrics;
    const controller = this.name;
    let label: ReconcileResultLabel;
    const line: Record<string, unknown> = { controller, key, durationMs: Math.round(seconds * 1000) };
    switch (result.type) {
      case 'done':
        this.queue.forget(key);
        label = 'success';
        break;
      case 'requeue':
        this.queue.addRateLimited(key, { priority });
        label = 'requeue';
        break;
      case 'requeueAfter':
        this.queue.forget(key);
        this.queue.addAfter(key, result.afterMs, { priority });
        line.requeueAfterMs = result.afterMs;
        label = 'requeue_after';
        break;
      case 'transientError':
        this.queue.addRateLimited(key, { priority });
        metrics?.reconcileErrors.inc({ controller });
        line.err = redactText(result.error.message);
        line.retries = this.queue.numRequeues(key);
        label = 'error';
        break;
      case 'terminalError': {
        this.queue.forget(key);
        const obj = this.options.primary.store.get(key);
        if (obj) {
          this.terminal.set(key, {
            generation: obj.metadata?.generation,
            deleting: Boolean(obj.metadata?.deletionTimestamp),
          });
        }
        metrics?.reconcileErrors.inc({ controller });
        metrics?.terminalReconcileErrors.inc({ controller });
        line.err = redactText(result.error.message);
        line.terminal = true;
        label = 'error';
        break;
      }
    }
    metrics?.reconcileTotal.inc({ controller, result: label });
    line.result = label;
    if (label === 'error') this.options.logger.warn(line, 'reconcile failed');
    else this.options.logger.info(line, 'reconciled');
  }
}

/**
 * Whether an update touched more than status. A reconcile's own status write must not trigger the
 * next reconcile: with a message that differs each time (a request id) that is a hot loop that
 * bypasses the backoff. The apiserver bumps generation only for spec changes, so metadata a
 * reconcile reads (labels, annotations, finalizers, deletion) is compared as well; kinds without a
 * generation are always reconciled.
 */
export function changedBeyondStatus(old: KubeObject, current: KubeObject): boolean {
  const before = old.metadata ?? {};
  const after = current.metadata ?? {};
  if (after.generation === undefined || before.generation !== after.generation) return true;
  if (before.deletionTimestamp !== after.deletionTimestamp) return true;
  return !isDeepStrictEqual(
    [before.labels ?? {}, before.annotations ?? {}, before.finalizers ?? [], before.ownerReferences ?? []],
    [after.labels ?? {}, after.annotations ?? {}, after.finalizers ?? [], after.ownerReferences ?? []],
  );
}
