/** Finalizer helpers: pure list edits; the client write goes through updateWithRetry. */
import type { KubeObject } from './types.js';

export function hasFinalizer(obj: KubeObject, finalizer: string): boolean {
  return (obj.metadata?.finalizers ?? []).includes(finalizer);
}

/** Adds the finalizer in place; true when it was missing. */
export function addFinalizer(obj: KubeObject, finalizer: string): boolean {
  if (hasFinalizer(obj, finalizer)) return false;
  const metadata = (obj.metadata ??= {});
  metadata.finalizers = [...(metadata.finalizers ?? []), finalizer];
  return true;
}

/** Removes the finalizer in place; true when it was present. */
export function removeFinalizer(obj: KubeObject, finalizer: string): boolean {
  if (!hasFinalizer(obj, finalizer)) return false;
  const metadata = (obj.metadata ??= {});
  metadata.finalizers = (metadata.finalizers ?? []).filter((f) => f !== finalizer);
  return true;
}

export function isBeingDeleted(obj: KubeObject): boolean {
  return Boolean(obj.metadata?.deletionTimestamp);
}
