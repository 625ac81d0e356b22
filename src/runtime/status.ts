/**
 * Writes that re-read and retry on 409 Conflict (client-go's retry.RetryOnConflict): status
 * through the status subresource, metadata (finalizers, labels) through the main resource.
 */
import type { KubeClient } from './client.js';
import { isConflict } from './errors.js';
import type { KubeObject, ResourceType } from './types.js';

/** Mutates the fresh copy in place; return false to skip the write. */
export type Mutation<T extends KubeObject> = (obj: T) => boolean | void;

export interface RetryOptions {
  maxAttempts?: number;
  /**
   * The object as the caller already knows it (for example from an informer cache it knows to be
   * current): the first attempt starts from it instead of a GET, and makes no request at all when
   * the mutation changes nothing. A stale copy costs one 409, after which the object is re-read.
   */
  start?: KubeObject;
  /** Called with the server's answer when a write was made (not when the mutation changed nothing). */
  onWrite?: (written: KubeObject) => void;
}

type WriteClient = Pick<KubeClient, 'get' | 'update' | 'updateStatus'>;

async function retryOnConflict<T extends KubeObject>(
  client: WriteClient,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
  mutate: Mutation<T>,
  write: (obj: T) => Promise<T>,
  relevant: (obj: T) => unknown,
  options: RetryOptions,
): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 5;
  let lastError: unknown;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const current = attempt === 0 && options.start ? (options.start as T) : await client.get<T>(type, namespace, name);
    const before = JSON.stringify(relevant(current));
    const copy = structuredClone(current);
    if (mutate(copy) === false || JSON.stringify(relevant(copy)) === before) return current;
    try {
      const written = await write(copy);
      options.onWrite?.(written);
      return written;
    } catch (error) {
      if (!isConflict(error)) throw error;
      lastError = error;
    }
  }
  throw lastError instanceof Error ? lastError : new Error('conflict retries exhausted');
}

/** Re-reads the object, applies `mutate` and writes `status` via the status subresource; no write if unchanged. */
export function updateStatusWithRetry<T extends KubeObject>(
  client: WriteClient,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
  mutate: Mutation<T>,
  options: RetryOptions = {},
): Promise<T> {
  return retryOnConflict(client, type, namespace, name, mutate, (obj) => client.updateStatus(type, obj), (obj) => obj.status, options);
}

/** Re-reads the object, applies `mutate` and writes it (metadata and spec); no write if unchanged. */
export function updateWithRetry<T extends KubeObject>(
  client: WriteClient,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
  mutate: Mutation<T>,
  options: RetryOptions = {},
): Promise<T> {
  return retryOnConflict(
    client,
    type,
    namespace,
    name,
    mutate,
    (obj) => client.update(type, obj),
    (obj) => ({ metadata: obj.metadata, spec: obj.spec }),
    options,
  );
}
