/** Owner reference helpers (metav1.OwnerReference, controllerutil.SetControllerReference semantics). */
import type { KubeObject, OwnerReference } from './types.js';

export function ownerReferenceFor(owner: KubeObject, options: { controller?: boolean; blockOwnerDeletion?: boolean } = {}): OwnerReference {
  const { apiVersion, kind } = owner;
  const name = owner.metadata?.name;
  const uid = owner.metadata?.uid;
  if (!apiVersion || !kind || !name || !uid) throw new Error('owner needs apiVersion, kind, metadata.name and metadata.uid');
  return {
    apiVersion,
    kind,
    name,
    uid,
    controller: options.controller ?? true,
    blockOwnerDeletion: options.blockOwnerDeletion ?? true,
  };
}

/**
 * Adds or updates `owner` in `obj`'s owner references (in place). Refuses a second controller,
 * and refuses cross-namespace ownership (a namespaced owner must share the object's namespace).
 */
export function setOwnerReference(obj: KubeObject, owner: KubeObject, options: { controller?: boolean } = {}): boolean {
  const ref = ownerReferenceFor(owner, options);
  const ownerNamespace = owner.metadata?.namespace;
  if (ownerNamespace && ownerNamespace !== obj.metadata?.namespace) {
    throw new Error('cross-namespace owner references are not allowed');
  }
  const metadata = (obj.metadata ??= {});
  const refs = (metadata.ownerReferences ??= []);
  const existing = refs.findIndex((r) => r.uid === ref.uid);
  if (ref.controller) {
    const other = refs.find((r) => r.controller && r.uid !== ref.uid);
    if (other) throw new Error(`object already has controller ${other.kind}/${other.name}`);
  }
  if (existing >= 0) {
    const before = JSON.stringify(refs[existing]);
    refs[existing] = ref;
    return before !== JSON.stringify(ref);
  }
  refs.push(ref);
  return true;
}

export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller);
}

export function isOwnedBy(obj: KubeObject, owner: KubeObject): boolean {
  const uid = owner.metadata?.uid;
  return uid !== undefined && (obj.metadata?.ownerReferences ?? []).some((r) => r.uid === uid);
}
