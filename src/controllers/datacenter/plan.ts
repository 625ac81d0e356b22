import type { Readiness } from '../../runtime/index.js';
import type { Action } from '../framework/index.js';
import type { DataCenterObservation, PartitionObservation } from './observe.js';

/** The DataCenter controller only observes: its plan is always empty, whatever it found. */
export function planDataCenter(): Array<Action<never>> {
  return [];
}

function failures(partition: PartitionObservation): string {
  return partition.services
    .filter((service) => !service.reachable)
    .map((service) => `${service.service}: ${service.message ?? 'unreachable'}`)
    .join('; ');
}

/** Ready only when every partition is; otherwise the message names each failing partition and why. */
export function dataCenterReadiness(observation: DataCenterObservation): Readiness {
  const failing = observation.partitions.filter((partition) => !partition.ready);
  if (failing.length === 0) {
    const names = observation.partitions.map((partition) => partition.environment).join(', ');
    return { state: 'ready', reason: 'BackendsReachable', message: `all partitions ready: ${names}` };
  }
  const message = failing.map((partition) => `${partition.environment} (${failures(partition)})`).join('; ');
  return { state: 'reconciling', reason: 'PartitionNotReady', message: `partitions not ready: ${message}` };
}
