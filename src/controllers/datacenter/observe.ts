import type { DataCenter, Environment } from '../../api/v1alpha1/index.js';
import { conditionTime } from '../../runtime/index.js';
import { errorMessage, type BackendRegistry } from '../framework/index.js';
import { checkCeph, checkOpenStack, PARTITION_SERVICES, type ServiceCheck } from './checks.js';

export interface PartitionObservation {
  environment: Environment;
  ready: boolean;
  services: ServiceCheck[];
  lastCheckTime: string;
}

export interface DataCenterObservation {
  partitions: PartitionObservation[];
}

/**
 * Checks every partition through `BackendRegistry.connect` (which, unlike forPartition, works on
 * partitions that are not Ready yet). A partition whose credentials cannot be read reports every
 * service unreachable with that reason.
 */
export async function observeDataCenter(
  registry: BackendRegistry,
  dataCenter: DataCenter,
  nowMs: number,
  signal: AbortSignal,
): Promise<DataCenterObservation> {
  const partitions = await Promise.all(
    dataCenter.spec.partitions.map(async ({ environment }): Promise<PartitionObservation> => {
      let services: ServiceCheck[];
      try {
        const backends = await registry.connect(dataCenter, environment);
        const [openstack, ceph] = await Promise.all([checkOpenStack(backends.openstack.session, signal), checkCeph(backends.cephDashboard)]);
        services = [...openstack, ceph];
      } catch (error) {
        const message = `cannot connect: ${errorMessage(error)}`;
        services = PARTITION_SERVICES.map((service) => ({ service, reachable: false, message }));
      }
      return { environment, ready: services.every((service) => service.reachable), services, lastCheckTime: conditionTime(nowMs) };
    }),
  );
  return { partitions };
}
