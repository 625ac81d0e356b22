/**
 * A shared informer for one resource type (client-go's Reflector + SharedIndexInformer):
 * list (paginated), then watch from the list's resourceVersion with bookmarks; after a dropped
 * watch resume from the last seen resourceVersion; on 410 Gone re-list once and reconcile the
 * cache against the fresh list, emitting only real differences (so nothing is processed twice).
 */
import type { Clock } from './clock.js';
import type { KubeClient, WatchEvent } from './client.js';
import { isGone } from './errors.js';
import { Indexer } from './indexer.js';
import type { Logger } from './logger.js';
import type { KubeList, KubeObject, ResourceType } from './types.js';
import { objectKey } from './types.js';

export interface EventHandler<T extends KubeObject> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
  /** Periodic resync: every cached object, at low priority. */
  onResync?(obj: T): void;
}

/** What an informer needs from the API; KubeClient provides it. */
export type ListWatchClient = Pick<KubeClient, 'list' | 'watch'>;

export interface InformerOptions {
  client: ListWatchClient;
  type: ResourceType;
  clock: Clock;
  logger: Logger;
  namespace?: string;
  labelSelector?: string;
  /** 0 disables resync. */
  resyncPeriodMs?: number;
  /** Resync fires after period * (1 + jitter * random()). */
  resyncJitter?: number;
  pageSize?: number;
  /** Server-side watch length; defaults to a random 5-10 minutes like client-go. */
  watchTimeoutSeconds?: number;
  /** Random source for jitter (seed it in tests). */
  random?: () => number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * Applied to every object before it is cached and handed to handlers. Defaults to
   * {@link stripManagedFields} (as controller-runtime's recommended cache transform); pass
   * `(obj) => obj` to keep objects whole.
   */
  transform?: (obj: KubeObject) => KubeObject;
}

/** Drops metadata.managedFields: controllers never need them and they dominate cache memory. */
export function stripManagedFields(obj: KubeObject): KubeObject {
  if (obj.metadata && 'managedFields' in obj.metadata) {
    const { managedFields: _dropped, ...metadata } = obj.metadata as KubeObject['metadata'] & { managedFields?: unknown };
    return { ...obj, metadata };
  }
  return obj;
}

export interface InformerStats {
  lists: number;
  watches: number;
  gone: number;
  bookmarks: number;
}

export class SharedInformer<T extends KubeObject = KubeObject> {
  readonly store = new Indexer<T>();
  readonly type: ResourceType;
  readonly stats: InformerStats = { lists: 0, watches: 0, gone: 0, bookmarks: 0 };
  private readonly options: InformerOptions;
  private readonly handlers: EventHandler<T>[] = [];
  private readonly syncWaiters: Array<() => void> = [];
  private readonly random: () => number;
  private readonly transform: (obj: KubeObject) => KubeObject;
  private lastResourceVersion = '';
  private synced = false;
  private running = false;

  constructor(options: InformerOptions) {
    this.options = options;
    this.type = options.type;
    this.random = options.random ?? Math.random;
    this.transform = options.transform ?? stripManagedFields;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  lastSyncResourceVersion(): string {
    return this.lastResourceVersion;
  }

  /** Adds a handler; if the cache is already filled, it first sees every object as an add. */
  addEventHandler(handler: EventHandler<T>): void {
    this.handlers.push(handler);
    if (this.synced) for (const obj of this.store.list()) this.safely(() => handler.onAdd?.(obj));
  }

  /** Resolves true once the first list has been applied, false if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      });
    });
  }

  /** Runs list/watch until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.running) throw new Error(`informer for ${this.type.resource} already running`);
    this.running = true;
    const initialBackoff = this.options.initialBackoffMs ?? 800;
    const maxBackoff = this.options.maxBackoffMs ?? 30_000;
    let backoff = initialBackoff;
    let needList = true;
    const resync = this.startResync(signal);
    try {
      while (!signal.aborted) {
        try {
          if (needList) {
            await this.listAndReplace(signal);
            needList = false;
          }
          this.stats.watches++;
          await this.options.client.watch(
            this.type,
            {
              namespace: this.options.namespace,
              labelSelector: this.options.labelSelector,
              resourceVersion: this.lastResourceVersion,
              allowWatchBookmarks: true,
              timeoutSeconds: this.options.watchTimeoutSeconds ?? Math.floor(300 * (1 + this.random())),
              signal,
            },
            (event) => this.handleWatchEvent(event),
          );
          backoff = initialBackoff;
        } catch (error) {
          if (signal.aborted) break;
          if (isGone(error)) {
            // Our resourceVersion is too old: one fresh list, no backoff (client-go does the same).
            this.stats.gone++;
            this.options.logger.info({ resource: this.type.resource, resourceVersion: this.lastResourceVersion }, 'watch expired (410), re-listing');
            needList = true;
            continue;
          }
          this.options.logger.warn({ resource: this.type.resource, err: (error as Error).message }, 'list/watch failed, retrying');
          await this.options.clock.sleep(backoff * (1 + 0.2 * this.random()), signal);
          backoff = Math.min(maxBackoff, backoff * 2);
        }
      }
    } finally {
      resync.cancel();
      this.running = false;
    }
  }

  private async listAndReplace(signal: AbortSignal): Promise<void> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      if (signal.aborted) return;
      const page: KubeList<T> = await this.options.client.list<T>(this.type, {
        namespace: this.options.namespace,
        labelSelector: this.options.labelSelector,
        limit: this.options.pageSize ?? 500,
        continueToken,
      });
      for (const item of page.items) items.push(this.transform(item) as T);
      continueToken = page.metadata?.continue || undefined;
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
    } while (continueToken);
    this.stats.lists++;
    this.replace(items, resourceVersion);
  }

  /** Applies a full list: adds, real updates and deletes only; unchanged objects emit nothing. */
  private replace(items: T[], resourceVersion: string): void {
    const seen = new Set<string>();
    for (const item of items) {
      const key = objectKey(item);
      seen.add(key);
      const previous = this.store.get(key);
      this.store.upsert(item);
      if (!previous) this.emit((h) => h.onAdd?.(item));
      else if (previous.metadata?.resourceVersion !== item.metadata?.resourceVersion) {
        this.emit((h) => h.onUpdate?.(previous, item));
      }
    }
    for (const key of this.store.keys()) {
      if (seen.has(key)) continue;
      const removed = this.store.remove(key);
      if (removed) this.emit((h) => h.onDelete?.(removed));
    }
    this.lastResourceVersion = resourceVersion;
    if (!this.synced) {
      this.synced = true;
      for (const waiter of this.syncWaiters.splice(0)) waiter();
    }
  }

  private handleWatchEvent(event: WatchEvent): void {
    const obj = (event.type === 'BOOKMARK' ? event.object : this.transform(event.object)) as T;
    const resourceVersion = obj.metadata?.resourceVersion;
    switch (event.type) {
      case 'BOOKMARK':
        this.stats.bookmarks++;
        break;
      case 'ADDED':
      case 'MODIFIED': {
        const key = objectKey(obj);
        const previous = this.store.get(key);
        if (previous && previous.metadata?.resourceVersion === resourceVersion) break;
        this.store.upsert(obj);
        if (previous) this.emit((h) => h.onUpdate?.(previous, obj));
        else this.emit((h) => h.onAdd?.(obj));
        break;
      }
      case 'DELETED': {
        const removed = this.store.remove(objectKey(obj));
        if (removed) this.emit((h) => h.onDelete?.(obj));
        break;
      }
      default:
        return;
    }
    if (resourceVersion) this.lastResourceVersion = resourceVersion;
  }

  private startResync(signal: AbortSignal): { cancel(): void } {
    const period = this.options.resyncPeriodMs ?? 0;
    if (period <= 0) return { cancel: () => {} };
    const jitter = this.options.resyncJitter ?? 0.1;
    let timer = { cancel: () => {} };
    const schedule = (): void => {
      timer = this.options.clock.setTimer(() => {
        if (signal.aborted) return;
        if (this.synced) for (const obj of this.store.list()) this.emit((h) => h.onResync?.(obj));
        schedule();
      }, period * (1 + jitter * this.random()));
    };
    schedule();
    return { cancel: () => timer.cancel() };
  }

  private emit(call: (handler: EventHandler<T>) => void): void {
    for (const handler of this.handlers) this.safely(() => call(handler));
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.options.logger.error({ resource: this.type.resource, err: (error as Error).message }, 'event handler failed');
    }
  }
}
