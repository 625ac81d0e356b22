import type { DataCenterObservation } from './observe.js';

/** status.partitions as the schema describes it (messages only where a check failed or lacked data). */
export function dataCenterStatus(observation: DataCenterObservation): Record<string, unknown> {
  return {
    partitions: observation.partitions.map((partition) => ({
      environment: partition.environment,
      ready: partition.ready,
      services: partition.services.map((service) => ({
        service: service.service,
        reachable: service.reachable,
        ...(service.version !== undefined ? { version: service.version } : {}),
        ...(service.message !== undefined ? { message: service.message } : {}),
      })),
      lastCheckTime: partition.lastCheckTime,
    })),
  };
}
