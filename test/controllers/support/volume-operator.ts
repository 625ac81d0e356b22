/**
 * A minimal operator for the quota and volume tests: a Manager with the shared informers and the
 * ComputeQuota and StorageVolume controllers on the generic reconcile loop. Stopping it mid-work
 * and starting another is how the tests model an operator crash.
 */
import { Registry } from 'prom-client';
import {
  agencyTenantDefinition,
  computeQuotaDefinition,
  dataCenterDefinition,
  priceListDefinition,
  slaDefinition,
  storageVolumeDefinition,
  type ComputeQuota,
  type StorageVolume,
} from '../../../src/api/v1alpha1/index.js';
import { allObjects, createComputeQuotaActuator, objectsOfTenant, type OperatorInformers } from '../../../src/controllers/computequota/index.js';
import { createStorageVolumeActuator } from '../../../src/controllers/storagevolume/index.js';
import { ControllerMetrics, resourceReconciler, resourceTypeOf } from '../../../src/controllers/framework/index.js';
import { Manager, RuntimeMetrics, type Condition, type KubeObject } from '../../../src/runtime/index.js';
import type { Harness } from './harness.js';
import { eventually } from '../../support/eventually.js';

export const QUOTAS = resourceTypeOf(computeQuotaDefinition);
export const VOLUMES = resourceTypeOf(storageVolumeDefinition);

export interface VolumeOperator {
  manager: Manager;
  informers: OperatorInformers;
  metrics: Registry;
  stop(): Promise<void>;
}

/** Only the API client and a backend registry are needed, so that the real-services test can use it too. */
export type OperatorEnvironment = Pick<Harness, 'client' | 'backendRegistry'>;

export async function startVolumeOperator(h: OperatorEnvironment, wait = { timeoutMs: 10_000, intervalMs: 10 }): Promise<VolumeOperator> {
  const metrics = new Registry();
  const manager = new Manager({ client: h.client, server: false, metrics: new RuntimeMetrics({ registry: metrics }) });
  const informers: OperatorInformers = {
    dataCenters: manager.informer(resourceTypeOf(dataCenterDefinition)),
    tenants: manager.informer(resourceTypeOf(agencyTenantDefinition)),
    priceLists: manager.informer(resourceTypeOf(priceListDefinition)),
    quotas: manager.informer(QUOTAS),
    volumes: manager.informer(VOLUMES),
    slas: manager.informer(resourceTypeOf(slaDefinition)),
  };
  const registry = h.backendRegistry(informers.dataCenters);
  const controllerMetrics = new ControllerMetrics(metrics);
  const context = { client: h.client, events: manager.events, clock: manager.clock };
  const deps = { registry, informers };
  manager
    .addController({
      name: 'computequota',
      type: QUOTAS,
      reconcile: resourceReconciler({ actuator: createComputeQuotaActuator(deps), informer: informers.quotas, type: QUOTAS, context, metrics: controllerMetrics }),
    })
    .watches(informers.tenants, objectsOfTenant(informers.quotas))
    .watches(informers.dataCenters, allObjects(informers.quotas));
  manager
    .addController({
      name: 'storagevolume',
      type: VOLUMES,
      reconcile: resourceReconciler({
        actuator: createStorageVolumeActuator({ ...deps, wait }),
        informer: informers.volumes,
        type: VOLUMES,
        context,
        metrics: controllerMetrics,
      }),
    })
    .watches(informers.tenants, objectsOfTenant(informers.volumes))
    .watches(informers.dataCenters, allObjects(informers.volumes));
  await manager.start();
  return { manager, informers, metrics, stop: async () => { await manager.stop(); } };
}

export function quota(namespace: string, name: string, spec: Partial<ComputeQuota['spec']> = {}): KubeObject {
  return {
    apiVersion: 'statsmoln.io/v1alpha1',
    kind: 'ComputeQuota',
    metadata: { name, namespace },
    spec: { dataCenter: 'sto-1', environment: 'production', cores: 512, ramGiB: 2048, instances: 200, serverGroups: 20, floatingIps: 16, ...spec },
  };
}

export function storageVolume(namespace: string, name: string, spec: Partial<StorageVolume['spec']> = {}, annotations: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'statsmoln.io/v1alpha1',
    kind: 'StorageVolume',
    metadata: { name, namespace, annotations },
    spec: { dataCenter: 'sto-1', environment: 'production', sizeGiB: 100, tier: 'flash', ...spec },
  };
}

export function conditionOf(object: KubeObject, type: string): Condition | undefined {
  return ((object.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).find((entry) => entry.type === type);
}

export const isReady = (object: KubeObject): boolean =>
  conditionOf(object, 'Ready')?.status === 'True' && (object.status as { observedGeneration?: number }).observedGeneration === object.metadata?.generation;

export { eventually };

/** Simulator request counts whose key contains every given fragment, summed. */
export function countRequests(h: Harness, ...fragments: string[]): number {
  return Object.entries(h.openstack.requestCounts())
    .filter(([key]) => fragments.every((fragment) => key.includes(fragment)))
    .reduce((sum, [, count]) => sum + count, 0);
}
