/** statsmoln_resources and the quota gauges, read from the informer caches at scrape time. */
import { Registry } from 'prom-client';
import type { OperatorInformers } from '../../src/operator/informers.js';
import { conditionStatus, registerResourceMetrics } from '../../src/operator/resource-metrics.js';
import type { KubeObject, SharedInformer } from '../../src/runtime/index.js';

const cache = (objects: KubeObject[]): SharedInformer<KubeObject> => ({ store: { list: () => objects } }) as unknown as SharedInformer<KubeObject>;
const condition = (type: string, status: string) => ({ type, status, reason: 'R', message: '', lastTransitionTime: '2026-11-24T00:00:00Z' });

function object(kind: string, name: string, generation: number, status?: Record<string, unknown>, namespace?: string, spec?: Record<string, unknown>): KubeObject {
  return { apiVersion: 'statsmoln.io/v1alpha1', kind, metadata: { name, generation, ...(namespace ? { namespace } : {}) }, ...(spec ? { spec } : {}), ...(status ? { status } : {}) };
}

const quotas = [
  object('ComputeQuota', 'sto-1-production', 2, {
    observedGeneration: 2,
    conditions: [condition('Ready', 'True'), condition('Reconciling', 'False'), condition('Stalled', 'False')],
    limits: { cores: 64, ramGiB: 256, instances: 40, serverGroups: 5, floatingIps: 4 },
    inUse: { cores: 12, ramGiB: 48, instances: 3 },
  }, 'agency-skatteverket', { dataCenter: 'sto-1', environment: 'production' }),
  // Written for an older generation: every condition reads Unknown.
  object('ComputeQuota', 'gbg-1-production', 3, { observedGeneration: 2, conditions: [condition('Ready', 'True')], limits: { cores: 8 } }, 'agency-skatteverket', { dataCenter: 'gbg-1', environment: 'production' }),
  object('ComputeQuota', 'lla-1-test', 1, undefined, 'agency-bolagsverket', { dataCenter: 'lla-1', environment: 'test' }),
  object('ComputeQuota', 'stray', 1, { observedGeneration: 1, limits: { cores: 1 } }, 'default', { dataCenter: 'sto-1', environment: 'test' }),
];
const volumes = [object('StorageVolume', 'db', 1, { observedGeneration: 1, conditions: [condition('Ready', 'False'), condition('Stalled', 'True')] }, 'agency-polisen')];
const informers = { dataCenters: cache([]), tenants: cache([]), priceLists: cache([]), quotas: cache(quotas), volumes: cache(volumes), slas: cache([]) } as unknown as OperatorInformers;

async function series(registry: Registry, name: string): Promise<Record<string, number>> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`${name} is not registered`);
  return Object.fromEntries((await metric.get()).values.map((value) => [Object.values(value.labels).join(' '), value.value]));
}

describe('resource metrics', () => {
  it('counts the objects of each reconciled kind by condition and status, zeros included', async () => {
    const registry = new Registry();
    registerResourceMetrics(informers, ['ComputeQuota', 'StorageVolume', 'DataCenter'], registry);
    const resources = await series(registry, 'statsmoln_resources');
    expect(resources).toMatchObject({
      'ComputeQuota Ready True': 1,
      'ComputeQuota Ready False': 0,
      'ComputeQuota Ready Unknown': 3,
      'ComputeQuota Stalled False': 1,
      'StorageVolume Ready False': 1,
      'StorageVolume Stalled True': 1,
      'StorageVolume Reconciling Unknown': 1,
      'DataCenter Ready Unknown': 0,
    });
    expect(Object.keys(resources)).toHaveLength(3 * 3 * 3);
    expect(Object.keys(resources).some((key) => key.startsWith('PriceList'))).toBe(false);
  });

  it("exports each quota's limits and use per tenant, data center, environment and resource, from agency namespaces only", async () => {
    const registry = new Registry();
    registerResourceMetrics(informers, ['ComputeQuota'], registry);
    expect(await series(registry, 'statsmoln_quota_limit')).toEqual({
      'skatteverket sto-1 production cores': 64,
      'skatteverket sto-1 production ramGiB': 256,
      'skatteverket sto-1 production instances': 40,
      'skatteverket sto-1 production serverGroups': 5,
      'skatteverket sto-1 production floatingIps': 4,
      'skatteverket gbg-1 production cores': 8,
    });
    expect(await series(registry, 'statsmoln_quota_in_use')).toEqual({
      'skatteverket sto-1 production cores': 12,
      'skatteverket sto-1 production ramGiB': 48,
      'skatteverket sto-1 production instances': 3,
    });
  });

  it('follows the caches: a quota gone from the cache is gone from the next scrape', async () => {
    const live = [...quotas];
    const registry = new Registry();
    registerResourceMetrics({ ...informers, quotas: cache(live) }, ['ComputeQuota'], registry);
    expect(Object.keys(await series(registry, 'statsmoln_quota_limit'))).toHaveLength(6);
    live.splice(0, 1);
    expect(await series(registry, 'statsmoln_quota_limit')).toEqual({ 'skatteverket gbg-1 production cores': 8 });
  });

  it('refuses a kind without an informer', () => {
    expect(() => registerResourceMetrics(informers, ['Widget'], new Registry())).toThrow('no informer for kind Widget');
  });

  it('reads a condition as Unknown unless it was written for the current generation', () => {
    expect(conditionStatus(quotas[0]!, 'Ready')).toBe('True');
    expect(conditionStatus(quotas[1]!, 'Ready')).toBe('Unknown');
    expect(conditionStatus(quotas[2]!, 'Ready')).toBe('Unknown');
  });
});
