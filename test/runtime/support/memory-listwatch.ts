/** An in-memory list/watch source for controller unit tests that need no API server. */
import type { ListOptions, WatchEvent, WatchOptions } from '../../../src/runtime/client.js';
import type { ListWatchClient } from '../../../src/runtime/informer.js';
import type { KubeList, KubeObject, ResourceType } from '../../../src/runtime/types.js';
import { objectKey } from '../../../src/runtime/types.js';

export class MemoryListWatch implements ListWatchClient {
  private readonly objects = new Map<string, KubeObject>();
  private readonly watchers = new Set<(event: WatchEvent) => void>();
  private revision = 0;

  upsert(obj: KubeObject, options: { bumpGeneration?: boolean } = {}): KubeObject {
    const key = objectKey(obj);
    const previous = this.objects.get(key);
    const generation = (previous?.metadata?.generation ?? 0) + (previous && !options.bumpGeneration ? 0 : 1);
    const stored = structuredClone({ ...obj, metadata: { ...obj.metadata, generation, resourceVersion: String(++this.revision) } });
    this.objects.set(key, stored);
    for (const w of this.watchers) w({ type: previous ? 'MODIFIED' : 'ADDED', object: structuredClone(stored) });
    return stored;
  }

  remove(key: string): void {
    const previous = this.objects.get(key);
    if (!previous) return;
    this.objects.delete(key);
    const object = structuredClone({ ...previous, metadata: { ...previous.metadata, resourceVersion: String(++this.revision) } });
    for (const w of this.watchers) w({ type: 'DELETED', object });
  }

  async list<T extends KubeObject = KubeObject>(_type: ResourceType, _options?: ListOptions): Promise<KubeList<T>> {
    return {
      metadata: { resourceVersion: String(this.revision) },
      items: [...this.objects.values()].map((o) => structuredClone(o) as T),
    };
  }

  watch(_type: ResourceType, options: WatchOptions, onEvent: (event: WatchEvent) => void): Promise<void> {
    return new Promise((resolve) => {
      this.watchers.add(onEvent);
      options.signal?.addEventListener('abort', () => {
        this.watchers.delete(onEvent);
        resolve();
      }, { once: true });
    });
  }
}

export const WIDGETS: ResourceType = { group: 'test.statsmoln.io', version: 'v1', resource: 'widgets', kind: 'Widget', namespaced: true };

export function widget(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'test.statsmoln.io/v1', kind: 'Widget', metadata: { name, namespace: 'ns' }, spec };
}
