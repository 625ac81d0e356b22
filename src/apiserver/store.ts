import { gone } from './errors.js';
import type { KubeObject, WatchEventType } from './types.js';

/** One committed change: the unit of history, of watch delivery and of the write-ahead log. */
export interface StoreEvent {
  rv: number;
  type: WatchEventType;
  /** Storage key of the resource: `group/plural` (one store for every served version). */
  resource: string;
  /** `namespace/name`, or `/name` for cluster-scoped objects. */
  key: string;
  object: KubeObject;
  /** The object before the change, for MODIFIED and DELETED (lets history rebuild older snapshots). */
  previous?: KubeObject;
}

/** Durable sink for committed events; `append` returns only once the event is on disk. */
export interface Journal {
  append(event: StoreEvent): void;
}

export type StoreListener = (event: StoreEvent) => void;

export function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

/**
 * The object store: one cluster-wide, monotonically increasing resourceVersion, a bounded
 * history of changes (for watch resume and consistent snapshots), and synchronous fan-out to
 * listeners. Stored objects are never mutated after commit.
 */
export class Store {
  private revision = 0;
  private readonly collections = new Map<string, Map<string, KubeObject>>();
  private readonly sortedKeys = new Map<string, string[]>();
  private readonly history: StoreEvent[] = [];
  private historyStart = 0;
  /** Highest revision no longer in history: a watch or snapshot must start at or after it. */
  private compacted = 0;
  private readonly listeners = new Set<StoreListener>();
  journal: Journal | undefined;

  constructor(private readonly historySize: number) {}

  get resourceVersion(): number {
    return this.revision;
  }

  get compactedRevision(): number {
    return this.compacted;
  }

  /** Loads state without history (replay from disk); the next revision follows `revision`. */
  restore(revision: number, objects: Iterable<{ resource: string; key: string; object: KubeObject }>): void {
    for (const { resource, key, object } of objects) this.collection(resource).set(key, object);
    this.sortedKeys.clear();
    this.revision = revision;
    this.compacted = revision;
  }

  /** Replays one logged event (at start-up), keeping the revision it had. */
  replay(event: StoreEvent): void {
    const collection = this.collection(event.resource);
    if (event.type === 'DELETED') collection.delete(event.key);
    else collection.set(event.key, event.object);
    this.sortedKeys.delete(event.resource);
    this.revision = Math.max(this.revision, event.rv);
    this.compacted = this.revision;
  }

  nextRevision(): number {
    return this.revision + 1;
  }

  get(resource: string, key: string): KubeObject | undefined {
    return this.collections.get(resource)?.get(key);
  }

  /** Every resource with its objects; used for snapshots on disk. */
  *entries(): Iterable<{ resource: string; key: string; object: KubeObject }> {
    for (const [resource, collection] of this.collections) {
      for (const [key, object] of collection) yield { resource, key, object };
    }
  }

  resources(): string[] {
    return [...this.collections.keys()];
  }

  size(resource: string): number {
    return this.collections.get(resource)?.size ?? 0;
  }

  /** Objects of a resource sorted by key (as etcd returns them), optionally only one namespace. */
  list(resource: string, namespace?: string): KubeObject[] {
    const collection = this.collections.get(resource);
    if (!collection) return [];
    const keys = this.keys(resource, collection);
    const result: KubeObject[] = [];
    if (namespace === undefined) {
      for (const key of keys) result.push(collection.get(key) as KubeObject);
      return result;
    }
    const prefix = `${namespace}/`;
    let low = 0;
    let high = keys.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((keys[mid] as string) < prefix) low = mid + 1;
      else high = mid;
    }
    for (let i = low; i < keys.length && (keys[i] as string).startsWith(prefix); i++) result.push(collection.get(keys[i] as string) as KubeObject);
    return result;
  }

  /**
   * The objects of a resource as they were at revision `rv`, sorted by key. Rebuilt from the
   * history; 410 Gone when `rv` is older than the retained history.
   */
  listAt(resource: string, rv: number, namespace?: string): KubeObject[] {
    if (rv >= this.revision) return this.list(resource, namespace);
    if (rv < this.compacted) throw gone(`too old resource version: ${rv} (${this.compacted + 1})`);
    const state = new Map(this.collections.get(resource) ?? []);
    for (let i = this.history.length - 1; i >= this.historyStart; i--) {
      const event = this.history[i] as StoreEvent;
      if (event.rv <= rv) break;
      if (event.resource !== resource) continue;
      if (event.type === 'ADDED') state.delete(event.key);
      else if (event.previous) state.set(event.key, event.previous);
    }
    const prefix = namespace === undefined ? '' : `${namespace}/`;
    return [...state.keys()]
      .filter((key) => key.startsWith(prefix))
      .sort()
      .map((key) => state.get(key) as KubeObject);
  }

  /** Events after `rv` for one resource, oldest first; 410 Gone when history no longer reaches back to `rv`. */
  eventsSince(resource: string, rv: number): StoreEvent[] {
    if (rv < this.compacted) throw gone(`too old resource version: ${rv} (${this.compacted + 1})`);
    const result: StoreEvent[] = [];
    for (let i = this.historyStart; i < this.history.length; i++) {
      const event = this.history[i] as StoreEvent;
      if (event.rv > rv && event.resource === resource) result.push(event);
    }
    return result;
  }

  /**
   * Commits one change: stamps the next resourceVersion on the object, writes it to the journal,
   * applies it, records it in history and notifies listeners before returning.
   */
  commit(type: WatchEventType, resource: string, key: string, object: KubeObject): KubeObject {
    const rv = this.revision + 1;
    const stamped: KubeObject = { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } };
    const collection = this.collection(resource);
    const previous = collection.get(key);
    const event: StoreEvent = { rv, type, resource, key, object: stamped };
    if (previous) event.previous = previous;
    this.journal?.append(event);
    this.revision = rv;
    if (type === 'DELETED') {
      collection.delete(key);
      this.sortedKeys.delete(resource);
    } else {
      if (!previous) this.sortedKeys.delete(resource);
      collection.set(key, stamped);
    }
    this.record(event);
    for (const listener of this.listeners) listener(event);
    return stamped;
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Drops a resource's objects without events (used when a CRD is deleted and its instances go). */
  private collection(resource: string): Map<string, KubeObject> {
    let collection = this.collections.get(resource);
    if (!collection) {
      collection = new Map();
      this.collections.set(resource, collection);
    }
    return collection;
  }

  private keys(resource: string, collection: Map<string, KubeObject>): string[] {
    let keys = this.sortedKeys.get(resource);
    if (!keys) {
      keys = [...collection.keys()].sort();
      this.sortedKeys.set(resource, keys);
    }
    return keys;
  }

  private record(event: StoreEvent): void {
    this.history.push(event);
    while (this.history.length - this.historyStart > this.historySize) {
      const dropped = this.history[this.historyStart] as StoreEvent;
      this.compacted = dropped.rv;
      this.historyStart++;
    }
    if (this.historyStart > 1024 && this.historyStart > this.history.length / 2) {
      this.history.splice(0, this.historyStart);
      this.historyStart = 0;
    }
  }
}
