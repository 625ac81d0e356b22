import { GROUP, VERSION, type KindDefinition } from '../../api/v1alpha1/index.js';
import type { ResourceType } from '../../runtime/index.js';

/** Where a statsmoln kind lives in the Kubernetes API. */
export function resourceTypeOf(definition: KindDefinition): ResourceType {
  return { group: GROUP, version: VERSION, resource: definition.plural, kind: definition.kind, namespaced: definition.scope === 'Namespaced' };
}
