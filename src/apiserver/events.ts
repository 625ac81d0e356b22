import type { KubeObject } from './types.js';

/**
 * events.k8s.io/v1 Events are stored as core/v1 Events (one store, as in kube-apiserver), so
 * that an event written through either API is visible through both (`kubectl describe` reads
 * core/v1). Field names follow k8s.io/kubernetes/pkg/apis/events/v1 conversion.
 */
const RENAMES: [events: string, core: string][] = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];

function rename(object: KubeObject, from: 0 | 1, apiVersion: string): KubeObject {
  const to = from === 0 ? 1 : 0;
  const result: KubeObject = { ...object, apiVersion };
  for (const pair of RENAMES) {
    const source = pair[from];
    if (source in result) {
      const value = result[source];
      delete result[source];
      if (value !== undefined) result[pair[to]] = value;
    }
  }
  return result;
}

export function eventToCore(object: KubeObject): KubeObject {
  return rename(object, 0, 'v1');
}

export function coreToEvent(object: KubeObject): KubeObject {
  return rename(object, 1, 'events.k8s.io/v1');
}
