/**
 * A rate-limited, delaying, priority work queue with client-go's guarantees:
 * - a key is handed to at most one worker at a time (adds while it is processed are held back
 *   and re-queued on done);
 * - repeated adds of a queued key collapse into one (keeping the highest priority);
 * - higher priority first, first-in-first-out within a priority (controller-runtime's priority
 *   queue: resyncs use {@link PRIORITY_RESYNC} so new and changed objects overtake them);
 * - delayed adds keep the earliest ready time; an immediate add makes a delayed key ready now.
 */
import type { Clock, TimerHandle } from './clock.js';
import { Heap } from './heap.js';
import type { InFlightSource, WorkQueueMetrics } from './metrics.js';
import { NO_WORKQUEUE_METRICS } from './metrics.js';
import type { RateLimiter } from './ratelimiter.js';

export const PRIORITY_NORMAL = 0;
/** controller-runtime's handler.LowPriority, used for periodic resyncs. */
export const PRIORITY_RESYNC = -100;

export interface QueueItem {
  key: string;
  priority: number;
  /** Clock time the key became ready (its wait is now - addedAt). */
  addedAt: number;
}

export interface AddOptions {
  priority?: number;
}

interface QueuedEntry {
  key: string;
  priority: number;
  seq: number;
  addedAt: number;
}

interface DelayedEntry {
  readyAt: number;
  priority: number;
  timer: TimerHandle;
}

export interface WorkQueueOptions {
  name: string;
  clock: Clock;
  rateLimiter: RateLimiter;
  metrics?: (inFlight: InFlightSource) => WorkQueueMetrics;
}

export class WorkQueue implements InFlightSource {
  readonly name: string;
  private readonly clock: Clock;
  private readonly rateLimiter: RateLimiter;
  private readonly metrics: WorkQueueMetrics;

  private readonly ready = new Heap<QueuedEntry>((a, b) => a.priority > b.priority || (a.priority === b.priority && a.seq < b.seq));
  /** Keys waiting in `ready`; the entry here is the live one (older heap entries are stale). */
  private readonly queued = new Map<string, QueuedEntry>();
  /** Keys handed to a worker and not yet done, with the time they started. */
  private readonly processing = new Map<string, number>();
  /** Keys added while being processed: re-queued on done. */
  private readonly dirtyWhileProcessing = new Map<string, { priority: number; addedAt: number }>();
  private readonly delayed = new Map<string, DelayedEntry>();
  private readonly getters: Array<(item: QueueItem | undefined) => void> = [];
  private readonly drainWaiters: Array<() => void> = [];
  private seq = 0;
  private shuttingDown = false;

  constructor(options: WorkQueueOptions) {
    this.name = options.name;
    this.clock = options.clock;
    this.rateLimiter = options.rateLimiter;
    this.metrics = options.metrics ? options.metrics(this) : NO_WORKQUEUE_METRICS;
  }

  /** Keys ready to be handed out. */
  len(): number {
    return this.queued.size;
  }

  /** Keys currently handed to workers. */
  inFlight(): number {
    return this.processing.size;
  }

  /** Keys waiting for a delay to pass. */
  delayedLen(): number {
    return this.delayed.size;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  add(key: string, options: AddOptions = {}): void {
    if (this.shuttingDown) return;
    const priority = options.priority ?? PRIORITY_NORMAL;
    this.metrics.added();
    const pending = this.delayed.get(key);
    if (pending) {
      pending.timer.cancel();
      this.delayed.delete(key);
    }
    this.enqueue(key, Math.max(priority, pending?.priority ?? priority), this.clock.now());
  }

  /** Adds `key` once `delayMs` has passed; an earlier pending ready time wins. */
  addAfter(key: string, delayMs: number, options: AddOptions = {}): void {
    if (this.shuttingDown) return;
    const priority = options.priority ?? PRIORITY_NORMAL;
    if (delayMs <= 0) {
      this.add(key, { priority });
      return;
    }
    const readyAt = this.clock.now() + delayMs;
    const existing = this.delayed.get(key);
    if (existing) {
      if (existing.readyAt <= readyAt) {
        existing.priority = Math.max(existing.priority, priority);
        return;
      }
      existing.timer.cancel();
    }
    const timer = this.clock.setTimer(() => {
      const entry = this.delayed.get(key);
      if (entry?.timer !== timer) return;
      this.delayed.delete(key);
      this.add(key, { priority: entry.priority });
    }, delayMs);
    this.delayed.set(key, { readyAt, priority, timer });
  }

  /** Adds `key` after the rate limiter's delay (per-key backoff combined with the overall bucket). */
  addRateLimited(key: string, options: AddOptions = {}): void {
    if (this.shuttingDown) return;
    this.metrics.retried();
    this.addAfter(key, this.rateLimiter.when(key), options);
  }

  /** Ends backoff tracking for `key` (after a success or a deliberate requeue-after). */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.rateLimiter.numRequeues(key);
  }

  /** Next key to work on; resolves undefined once the queue shuts down. */
  get(): Promise<QueueItem | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const item = this.take();
    if (item) return Promise.resolve(item);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Marks the key's processing finished; a key added meanwhile goes back into the queue. */
  done(key: string): void {
    const startedAt = this.processing.get(key);
    if (startedAt === undefined) return;
    this.processing.delete(key);
    this.metrics.worked((this.clock.now() - startedAt) / 1000);
    const dirty = this.dirtyWhileProcessing.get(key);
    if (dirty) {
      this.dirtyWhileProcessing.delete(key);
      if (!this.shuttingDown) this.enqueue(key, dirty.priority, dirty.addedAt);
    }
    if (this.processing.size === 0) {
      for (const waiter of this.drainWaiters.splice(0)) waiter();
    }
  }

  /** Stops handing out work: pending getters resolve undefined, queued and delayed keys are dropped. */
  shutdown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const entry of this.delayed.values()) entry.timer.cancel();
    this.delayed.clear();
    for (const entry of this.queued.values()) this.metrics.depthChanged(entry.priority, -1);
    this.queued.clear();
    this.dirtyWhileProcessing.clear();
    for (const getter of this.getters.splice(0)) getter(undefined);
  }

  /** Resolves once no key is being processed. */
  drained(): Promise<void> {
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  unfinishedWorkSeconds(): number {
    const now = this.clock.now();
    let total = 0;
    for (const started of this.processing.values()) total += now - started;
    return total / 1000;
  }

  longestRunningProcessorSeconds(): number {
    const now = this.clock.now();
    let oldest = now;
    for (const started of this.processing.values()) oldest = Math.min(oldest, started);
    return (now - oldest) / 1000;
  }

  private enqueue(key: string, priority: number, addedAt: number): void {
    if (this.processing.has(key)) {
      const dirty = this.dirtyWhileProcessing.get(key);
      this.dirtyWhileProcessing.set(key, {
        priority: Math.max(priority, dirty?.priority ?? priority),
        addedAt: dirty?.addedAt ?? addedAt,
      });
      return;
    }
    const existing = this.queued.get(key);
    if (existing) {
      if (priority <= existing.priority) return;
      // Upgrade: the old heap entry becomes stale; the key keeps its original add time.
      this.metrics.depthChanged(existing.priority, -1);
      const upgraded: QueuedEntry = { key, priority, seq: this.seq++, addedAt: existing.addedAt };
      this.queued.set(key, upgraded);
      this.ready.push(upgraded);
      this.metrics.depthChanged(priority, 1);
      return;
    }
    const entry: QueuedEntry = { key, priority, seq: this.seq++, addedAt };
    this.queued.set(key, entry);
    this.ready.push(entry);
    this.metrics.depthChanged(priority, 1);
    const getter = this.getters.shift();
    if (getter) {
      const item = this.take();
      getter(item);
    }
  }

  private take(): QueueItem | undefined {
    for (;;) {
      const entry = this.ready.pop();
      if (!entry) return undefined;
      if (this.queued.get(entry.key) !== entry) continue;
      this.queued.delete(entry.key);
      this.metrics.depthChanged(entry.priority, -1);
      const now = this.clock.now();
      this.metrics.queued((now - entry.addedAt) / 1000);
      this.processing.set(entry.key, now);
      return { key: entry.key, priority: entry.priority, addedAt: entry.addedAt };
    }
  }
}
