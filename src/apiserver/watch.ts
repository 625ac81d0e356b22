import type { ApiCore } from './core.js';
import { ApiError, badRequest } from './errors.js';
import { matchesFilter, parseFilter, parseRv } from './reads.js';
import { apiVersionOf, storageKey, type ResourceInfo } from './registry.js';
import type { StoreEvent } from './store.js';
import type { KubeObject } from './types.js';

export interface WatchSink {
  write(chunk: string): void;
  end(): void;
}

export interface WatchOptions {
  /** How often a BOOKMARK is sent to watchers that allow them. */
  bookmarkIntervalMs: number;
  /** Upper bound of a watch's life when the client gives no timeoutSeconds. */
  defaultTimeoutSeconds: number;
}

/** Events serialised once per (event, apiVersion) and shared by every watcher. */
const encoded = new WeakMap<object, Map<string, string>>();

function encodeShared(key: object, apiVersion: string, type: string, object: KubeObject): string {
  let byVersion = encoded.get(key);
  if (!byVersion) {
    byVersion = new Map();
    encoded.set(key, byVersion);
  }
  let line = byVersion.get(`${type}:${apiVersion}`);
  if (line === undefined) {
    const presented = object.apiVersion === apiVersion ? object : { ...object, apiVersion };
    line = `{"type":"${type}","object":${JSON.stringify(presented)}}\n`;
    byVersion.set(`${type}:${apiVersion}`, line);
  }
  return line;
}

/**
 * Serves one watch: initial state (for an empty or "0" resourceVersion) or the history after
 * the given resourceVersion, then live events, bookmarks and a timeout. A resourceVersion older
 * than the retained history ends the watch with an ERROR event carrying a 410 Status, as
 * kube-apiserver does. Returns a function that stops the watch.
 */
export function startWatch(
  core: ApiCore,
  resource: ResourceInfo,
  namespace: string | undefined,
  query: URLSearchParams,
  sink: WatchSink,
  options: WatchOptions,
  render?: (object: KubeObject) => unknown,
): () => void {
  const filter = parseFilter(resource, namespace, query);
  const rvText = query.get('resourceVersion') ?? '';
  const bookmarks = query.get('allowWatchBookmarks') === 'true' || query.get('allowWatchBookmarks') === '1';
  const timeoutText = query.get('timeoutSeconds');
  const timeoutSeconds = timeoutText ? Number(timeoutText) : options.defaultTimeoutSeconds;
  const apiVersion = apiVersionOf(resource);
  const resourceKey = storageKey(resource);
  const encode = render
    ? (_key: object, _apiVersion: string, type: string, object: KubeObject): string => `${JSON.stringify({ type, object: render(object) })}\n`
    : encodeShared;
  let stopped = false;
  let unsubscribe = (): void => {};
  const timers: NodeJS.Timeout[] = [];

  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    unsubscribe();
    for (const timer of timers) clearTimeout(timer);
    sink.end();
  };

  const view = (object: KubeObject): KubeObject => (resource.storage || resource.custom ? core.present(resource, object) : object);
  const deliver = (event: StoreEvent): void => {
    if (event.resource !== resourceKey || stopped) return;
    const object = view(event.object);
    const previous = event.previous === undefined ? undefined : view(event.previous);
    const now = matchesFilter(filter, object);
    const before = previous !== undefined && event.type !== 'ADDED' && matchesFilter(filter, previous);
    if (event.type === 'DELETED') {
      if (now || before) sink.write(encode(event, apiVersion, 'DELETED', object));
      return;
    }
    if (now && (event.type === 'ADDED' || before)) sink.write(encode(event, apiVersion, event.type, object));
    else if (now) sink.write(encode(event, apiVersion, 'ADDED', object));
    else if (before && previous) {
      const gone = { ...previous, metadata: { ...previous.metadata, resourceVersion: object.metadata.resourceVersion } };
      sink.write(encode(event, apiVersion, 'DELETED', gone));
    }
  };

  const sendInitialEvents = query.get('sendInitialEvents') === 'true';
  if (sendInitialEvents && (query.get('resourceVersionMatch') !== 'NotOlderThan' || !bookmarks)) {
    throw badRequest('sendInitialEvents requires resourceVersionMatch=NotOlderThan and allowWatchBookmarks=true');
  }
  try {
    if (sendInitialEvents || rvText === '' || rvText === '0') {
      for (const stored of core.store.list(resourceKey, filter.namespace)) {
        const object = view(stored);
        if (matchesFilter(filter, object)) sink.write(encode(stored, apiVersion, 'ADDED', object));
      }
      if (sendInitialEvents) {
        // WatchList: the end of the initial state is marked by an annotated bookmark.
        const end = { kind: resource.kind, apiVersion, metadata: { resourceVersion: String(core.store.resourceVersion), annotations: { 'k8s.io/initial-events-end': 'true' } } };
        sink.write(`${JSON.stringify({ type: 'BOOKMARK', object: end })}\n`);
      }
    } else {
      for (const event of core.store.eventsSince(resourceKey, parseRv(rvText))) deliver(event);
    }
  } catch (error) {
    if (error instanceof ApiError) {
      sink.write(`${JSON.stringify({ type: 'ERROR', object: error.toStatus() })}\n`);
      stopped = true;
      sink.end();
      return () => {};
    }
    throw error;
  }
  unsubscribe = core.store.subscribe(deliver);

  if (bookmarks) {
    const sendBookmark = (): void => {
      if (stopped) return;
      const object = { kind: resource.kind, apiVersion, metadata: { resourceVersion: String(core.store.resourceVersion) } };
      sink.write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
      timers.push(setTimeout(sendBookmark, options.bookmarkIntervalMs));
    };
    timers.push(setTimeout(sendBookmark, options.bookmarkIntervalMs));
  }
  if (Number.isFinite(timeoutSeconds) && timeoutSeconds > 0) timers.push(setTimeout(stop, timeoutSeconds * 1000));
  return stop;
}
