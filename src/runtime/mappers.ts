/** Secondary-watch mappers: from a changed object to the primary keys it affects. */
import type { Indexer } from './indexer.js';
import { NAMESPACE_INDEX } from './indexer.js';
import type { KubeObject } from './types.js';

export type KeyMapper<S extends KubeObject = KubeObject> = (obj: S) => readonly string[];

/** Maps an owned object to its owner's key (same namespace), optionally only controller owners. */
export function mapToOwner(ownerKind: string, ownerApiGroup: string, options: { controllerOnly?: boolean; ownerNamespaced?: boolean } = {}): KeyMapper {
  const controllerOnly = options.controllerOnly ?? true;
  const ownerNamespaced = options.ownerNamespaced ?? true;
  return (obj) =>
    (obj.metadata?.ownerReferences ?? [])
      .filter((ref) => ref.kind === ownerKind && groupOf(ref.apiVersion) === ownerApiGroup && (!controllerOnly || ref.controller))
      .map((ref) => (ownerNamespaced && obj.metadata?.namespace ? `${obj.metadata.namespace}/${ref.name}` : ref.name));
}

/** Maps an object to the cluster-scoped key named by one of its labels, e.g. a namespace's tenant label. */
export function mapByLabel(labelKey: string): KeyMapper {
  return (obj) => {
    const value = obj.metadata?.labels?.[labelKey];
    return value ? [value] : [];
  };
}

/** Maps a Namespace object to every primary object cached in that namespace. */
export function mapNamespaceToPrimaries(primaries: Indexer): KeyMapper {
  return (namespace) => {
    const name = namespace.metadata?.name;
    return name ? primaries.indexKeys(NAMESPACE_INDEX, name) : [];
  };
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}
