/**
 * The informer's in-memory cache: objects by key plus secondary indexes (client-go's
 * cache.Indexer). Built-in: by namespace; by label key; and any custom index function, e.g.
 * "volumes by data center".
 */
import type { LabelSelector } from './selector.js';
import { matchesSelector, parseLabelSelector } from './selector.js';
import type { KubeObject } from './types.js';
import { objectKey } from './types.js';

/** Returns the index values an object is filed under (none, one or several). */
export type IndexFunc<T extends KubeObject> = (obj: T) => readonly string[];

export const NAMESPACE_INDEX = 'namespace';

export function labelIndexName(labelKey: string): string {
  return `label:${labelKey}`;
}

export class Indexer<T extends KubeObject = KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexFuncs = new Map<string, IndexFunc<T>>();
  /** index name -> index value -> keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor() {
    this.addIndex(NAMESPACE_INDEX, (obj) => (obj.metadata?.namespace ? [obj.metadata.namespace] : []));
  }

  /** Registers an index; existing objects are indexed at once. */
  addIndex(name: string, fn: IndexFunc<T>): void {
    if (this.indexFuncs.has(name)) throw new Error(`index ${name} already exists`);
    this.indexFuncs.set(name, fn);
    const index = new Map<string, Set<string>>();
    this.indices.set(name, index);
    for (const [key, obj] of this.items) this.file(index, fn(obj), key);
  }

  /** Indexes objects by the value of one label. */
  addLabelIndex(labelKey: string): void {
    this.addIndex(labelIndexName(labelKey), (obj) => {
      const value = obj.metadata?.labels?.[labelKey];
      return value === undefined ? [] : [value];
    });
  }

  get size(): number {
    return this.items.size;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  list(): T[] {
    return [...this.items.values()];
  }

  /** Keys filed under `value` in index `name`. */
  indexKeys(name: string, value: string): string[] {
    const index = this.indices.get(name);
    if (!index) throw new Error(`no index ${name}`);
    return [...(index.get(value) ?? [])];
  }

  byIndex(name: string, value: string): T[] {
    return this.indexKeys(name, value).map((key) => this.items.get(key) as T);
  }

  /** Objects in a namespace (or all) matching a label selector, using the namespace index. */
  select(options: { namespace?: string; labelSelector?: string | LabelSelector } = {}): T[] {
    const selector =
      typeof options.labelSelector === 'string' ? parseLabelSelector(options.labelSelector) : (options.labelSelector ?? []);
    const candidates = options.namespace !== undefined ? this.byIndex(NAMESPACE_INDEX, options.namespace) : this.list();
    return selector.length === 0 ? candidates : candidates.filter((obj) => matchesSelector(selector, obj.metadata?.labels));
  }

  /** Inserts or replaces; returns the previous object. */
  upsert(obj: T): T | undefined {
    const key = objectKey(obj);
    const previous = this.items.get(key);
    if (previous) this.unindex(key, previous);
    this.items.set(key, obj);
    for (const [name, fn] of this.indexFuncs) this.file(this.indices.get(name) as Map<string, Set<string>>, fn(obj), key);
    return previous;
  }

  remove(key: string): T | undefined {
    const previous = this.items.get(key);
    if (!previous) return undefined;
    this.unindex(key, previous);
    this.items.delete(key);
    return previous;
  }

  private file(index: Map<string, Set<string>>, values: readonly string[], key: string): void {
    for (const value of values) {
      let keys = index.get(value);
      if (!keys) index.set(value, (keys = new Set()));
      keys.add(key);
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexFuncs) {
      const index = this.indices.get(name) as Map<string, Set<string>>;
      for (const value of fn(obj)) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
    }
  }
}
