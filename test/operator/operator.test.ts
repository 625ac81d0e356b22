/**
 * startOperator: the DataCenter controller plus any actuator registered through
 * actuatorRegistration, leader election, and the metrics server.
 */
import { computeQuotaDefinition, type ComputeQuota, type DataCenter } from '../../src/api/v1alpha1/index.js';
import { resourceTypeOf } from '../../src/controllers/framework/index.js';
import { startOperator, type RunningOperator } from '../../src/operator/operator.js';
import { actuatorRegistration } from '../../src/operator/registration.js';
import type { Condition, KubeObject } from '../../src/runtime/index.js';
import { DATACENTERS, NAMESPACES, OPERATOR_NAMESPACE, startHarness, type Harness } from '../controllers/support/harness.js';
import { createCephSecret, createDataCenterObject, createOpenStackSecret, eventually } from './support/datacenters.js';
import { MemoryQuotaBackend, memoryQuotaActuatorFactory } from './support/memory-quota.js';

const QUOTAS = resourceTypeOf(computeQuotaDefinition);
let h: Harness;
let operator: RunningOperator;
const backend = new MemoryQuotaBackend();

const ready = (object: { status?: unknown }): Condition | undefined =>
  ((object.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).find((c) => c.type === 'Ready');
const getQuota = async (name: string) => (await h.client.get(QUOTAS, 'agency-a', name)) as unknown as ComputeQuota;

function quota(name: string, environment: 'production' | 'development', cores: number): KubeObject {
  return {
    apiVersion: 'statsmoln.io/v1alpha1',
    kind: 'ComputeQuota',
    metadata: { name, namespace: 'agency-a' },
    spec: { dataCenter: 'dc1', environment, cores, ramGiB: 64, instances: 10, serverGroups: 2, floatingIps: 1 },
  };
}

beforeAll(async () => {
  h = await startHarness({ dataCenters: ['dc1'] });
  await h.client.create(NAMESPACES, { metadata: { name: 'agency-a' } });
  await createOpenStackSecret(h, 'dc1-openstack', 'dc1');
  await createCephSecret(h, 'dc1-ceph');
  operator = await startOperator({
    client: h.client,
    operatorNamespace: OPERATOR_NAMESPACE,
    metricsAddress: { host: '127.0.0.1', port: 0 },
    leaderElection: { leaseName: 'statsmoln-test' },
    logLevel: 'silent',
    concurrency: 3,
    dataCenterCheckIntervalMs: 500,
    registrations: [actuatorRegistration(memoryQuotaActuatorFactory(backend))],
  });
});

afterAll(async () => {
  await operator?.stop();
  await h?.close();
});

describe('startOperator', () => {
  it('runs the DataCenter controller and a registered actuator, gated on partition readiness', async () => {
    expect(operator.kinds).toEqual(['DataCenter', 'ComputeQuota']);
    await createDataCenterObject(h, 'dc1', [
      { environment: 'production', cloudsSecret: 'dc1-openstack', cephSecret: 'dc1-ceph' },
      { environment: 'development', cloudsSecret: 'dc1-openstack', cephSecret: 'absent-ceph' },
    ]);
    await h.client.create(QUOTAS, quota('prod', 'production', 16));
    await h.client.create(QUOTAS, quota('dev', 'development', 8));

    const prod = await eventually(() => getQuota('prod'), (object) => ready(object)?.status === 'True', 'prod quota Ready');
    expect(prod.status).toMatchObject({ limits: { cores: 16 } });
    expect(prod.metadata.finalizers).toEqual(['statsmoln.io/cleanup']);
    const dev = await eventually(() => getQuota('dev'), (object) => ready(object)?.reason === 'PartitionNotReady', 'dev quota waiting');
    expect(ready(dev)?.message).toContain('partition dc1/development is not Ready');
    expect(backend.writes).toEqual(['create agency-a/prod']);

    const dc = (await h.client.get(DATACENTERS, undefined, 'dc1')) as unknown as DataCenter;
    expect(ready(dc)?.message).toContain('development (');
  });

  it('holds the leader Lease in the operator namespace and serves metrics of every controller', async () => {
    const lease = await h.client.get<KubeObject & { spec?: { holderIdentity?: string } }>(
      { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', namespaced: true },
      OPERATOR_NAMESPACE,
      'statsmoln-test',
    );
    expect(lease.spec?.holderIdentity).toBe(operator.manager.identity);
    expect(operator.serverUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const text = await (await fetch(`${operator.serverUrl}/metrics`)).text();
    expect(text).toContain('controller_runtime_max_concurrent_reconciles{controller="datacenter"} 3');
    expect(text).toContain('controller_runtime_max_concurrent_reconciles{controller="computequota"} 3');
    expect(text).toMatch(/statsmoln_backend_actions_total\{kind="ComputeQuota",verb="create",result="success"\} 1/);
    expect((await fetch(`${operator.serverUrl}/readyz`)).status).toBe(200);
  });
});
