/**
 * The DataCenter controller end to end: the operator against the embedded API server and the
 * simulators checks every partition and gates the other controllers on the result.
 */
import { startCephSimulator, type CephSimulator } from '../../src/simulators/ceph/server.js';
import { dataCenterReadiness, versionDocumentUrl, versionFromDocument } from '../../src/controllers/datacenter/index.js';
import { DependencyNotReadyError } from '../../src/controllers/framework/index.js';
import { startOperator, type RunningOperator } from '../../src/operator/operator.js';
import type { DataCenter } from '../../src/api/v1alpha1/index.js';
import type { Condition, KubeObject } from '../../src/runtime/index.js';
import { SECRETS } from '../../src/operator/manifests.js';
import { DATACENTERS, OPERATOR_NAMESPACE, startHarness, type Harness } from './support/harness.js';
import { createCephSecret, createDataCenterObject, createOpenStackSecret, eventually } from '../operator/support/datacenters.js';

let h: Harness;
let operator: RunningOperator;
let spareCeph: CephSimulator;

const get = async (name: string) => (await h.client.get(DATACENTERS, undefined, name)) as unknown as DataCenter;
const ready = (dc: DataCenter): Condition | undefined => (dc.status?.conditions as Condition[] | undefined)?.find((c) => c.type === 'Ready');
const partition = (dc: DataCenter, environment: string) => dc.status?.partitions?.find((p) => p.environment === environment);

beforeAll(async () => {
  h = await startHarness({ dataCenters: ['sto-1', 'got-1', 'lul-1'] });
  spareCeph = await startCephSimulator({ rbdPools: ['agencies'], dashboardUser: h.ceph.dashboardUser, dashboardPassword: h.ceph.dashboardPassword });
  operator = await startOperator({
    client: h.client,
    operatorNamespace: OPERATOR_NAMESPACE,
    metricsAddress: false,
    logLevel: 'silent',
    dataCenterCheckIntervalMs: 300,
    backendTimeoutMs: 2_000,
  });
});

afterAll(async () => {
  await operator?.stop();
  await spareCeph?.close().catch(() => undefined);
  await h?.close();
});

describe('DataCenter controller', () => {
  it('reports every backend of every partition and Ready when all are reachable', async () => {
    await createOpenStackSecret(h, 'sto-1-openstack', 'sto-1');
    await createCephSecret(h, 'sto-1-ceph');
    await createDataCenterObject(h, 'sto-1', [
      { environment: 'production', cloudsSecret: 'sto-1-openstack', cephSecret: 'sto-1-ceph' },
      { environment: 'test', cloudsSecret: 'sto-1-openstack', cephSecret: 'sto-1-ceph' },
    ]);
    const dc = await eventually(() => get('sto-1'), (object) => ready(object)?.status === 'True', 'sto-1 Ready');
    expect(ready(dc)).toMatchObject({ reason: 'BackendsReachable', message: 'all partitions ready: production, test', observedGeneration: 1 });
    for (const environment of ['production', 'test']) {
      const entry = partition(dc, environment);
      expect(entry?.ready).toBe(true);
      expect(entry?.services.map((service) => service.service)).toEqual(['keystone', 'compute', 'volumev3', 'network', 'ceph']);
      expect(entry?.services.every((service) => service.reachable)).toBe(true);
      expect(entry?.services.find((service) => service.service === 'keystone')?.version).toBe('v3.14');
      expect(entry?.services.find((service) => service.service === 'ceph')?.version).toBe('16.2.15 pacific');
      // The simulator serves the version documents real Zed serves (measured: Nova 2.93, Cinder 3.70).
      expect(entry?.services.find((service) => service.service === 'compute')).toMatchObject({ version: 'v2.1 (microversion 2.93)' });
      expect(entry?.services.find((service) => service.service === 'volumev3')).toMatchObject({ version: 'v3.0 (microversion 3.70)' });
      expect(entry?.services.find((service) => service.service === 'network')).toMatchObject({ version: 'v2.0' });
      expect(entry?.services.some((service) => service.message !== undefined)).toBe(false);
      expect(Date.parse(entry?.lastCheckTime ?? '')).not.toBeNaN();
    }
    const text = JSON.stringify(dc.status);
    expect(text).not.toContain(h.ceph.dashboardPassword);
    expect(text).not.toContain(h.openstack.adminPassword);
    // status.partitions now opens the partition to the other controllers
    await expect(operator.registry.forPartition('sto-1', 'production')).resolves.toMatchObject({ partition: { environment: 'production' } });
  });

  it('marks a partition whose Secret is missing not ready, names it, and gates other controllers', async () => {
    await createOpenStackSecret(h, 'got-1-openstack', 'got-1');
    await createCephSecret(h, 'got-1-ceph');
    await createDataCenterObject(h, 'got-1', [
      { environment: 'production', cloudsSecret: 'got-1-openstack', cephSecret: 'got-1-ceph' },
      { environment: 'development', cloudsSecret: 'got-1-openstack', cephSecret: 'got-1-ceph-missing' },
    ]);
    const dc = await eventually(() => get('got-1'), (object) => ready(object)?.reason === 'PartitionNotReady', 'got-1 not Ready');
    expect(ready(dc)?.status).toBe('False');
    expect(ready(dc)?.message).toContain('partitions not ready: development (');
    expect(ready(dc)?.message).toContain(`Secret "got-1-ceph-missing" does not exist in namespace ${OPERATOR_NAMESPACE}`);
    expect(ready(dc)?.message).not.toContain('production (');
    expect(partition(dc, 'production')?.ready).toBe(true);
    expect(partition(dc, 'development')).toMatchObject({ ready: false });
    await eventually(async () => operator.informers.dataCenters.store.get('got-1'), (cached) => (cached?.status as DataCenter['status'])?.partitions?.length === 2, 'cache');
    await expect(operator.registry.forPartition('got-1', 'production')).resolves.toBeDefined();
    const refusal = await operator.registry.forPartition('got-1', 'development').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(DependencyNotReadyError);
    expect((refusal as DependencyNotReadyError).reason).toBe('PartitionNotReady');

    await createCephSecret(h, 'got-1-ceph-missing');
    await eventually(() => get('got-1'), (object) => ready(object)?.status === 'True', 'got-1 Ready once the Secret exists');
  });

  it('turns a partition not ready when its Ceph stops, with the error in the status', async () => {
    await createOpenStackSecret(h, 'lul-1-openstack', 'lul-1');
    await createCephSecret(h, 'lul-1-ceph');
    await createDataCenterObject(h, 'lul-1', [
      { environment: 'production', cloudsSecret: 'lul-1-openstack', cephSecret: 'lul-1-ceph' },
      { environment: 'test', cloudsSecret: 'lul-1-openstack', cephSecret: 'lul-1-ceph', cephUrl: spareCeph.dashboardUrl },
    ]);
    await eventually(() => get('lul-1'), (object) => ready(object)?.status === 'True', 'lul-1 Ready');
    await spareCeph.close();
    const dc = await eventually(() => get('lul-1'), (object) => ready(object)?.reason === 'PartitionNotReady', 'lul-1 not Ready after Ceph stopped');
    const ceph = partition(dc, 'test')?.services.find((service) => service.service === 'ceph');
    expect(ceph?.reachable).toBe(false);
    expect(ceph?.message).toBeTruthy();
    expect(partition(dc, 'test')?.services.filter((service) => service.service !== 'ceph').every((service) => service.reachable)).toBe(true);
    expect(partition(dc, 'production')?.ready).toBe(true);
    expect(ready(dc)?.message).toMatch(/^partitions not ready: test \(ceph: /);
    const events = await h.client.list({ group: 'events.k8s.io', version: 'v1', resource: 'events', kind: 'Event', namespaced: true }, {});
    expect(events.items.map((event) => (event as { reason?: string }).reason)).toContain('PartitionNotReady');
  });
});

describe('DataCenter controller with a ten-minute check interval', () => {
  let h2: Harness;
  let operator2: RunningOperator;
  beforeAll(async () => {
    h2 = await startHarness({ dataCenters: ['sto-1'] });
    operator2 = await startOperator({ client: h2.client, operatorNamespace: OPERATOR_NAMESPACE, metricsAddress: false, logLevel: 'silent', dataCenterCheckIntervalMs: 10 * 60_000 });
  });
  afterAll(async () => {
    await operator2?.stop();
    await h2?.close();
  });
  const get2 = async (name: string) => (await h2.client.get(DATACENTERS, undefined, name)) as unknown as DataCenter;

  it('checks again at once when a referenced Secret appears or changes, not after the interval', async () => {
    await createOpenStackSecret(h2, 'sto-1-openstack', 'sto-1');
    await createDataCenterObject(h2, 'sto-1', [{ environment: 'production', cloudsSecret: 'sto-1-openstack', cephSecret: 'sto-1-ceph' }]);
    const waiting = await eventually(() => get2('sto-1'), (object) => ready(object)?.reason === 'PartitionNotReady', 'not Ready without its Ceph Secret', 5_000);
    expect(ready(waiting)?.message).toContain('Secret "sto-1-ceph" does not exist');

    await createCephSecret(h2, 'sto-1-ceph');
    await eventually(() => get2('sto-1'), (object) => ready(object)?.status === 'True', 'Ready once the Secret exists', 5_000);

    // A rotated password that the dashboard refuses shows at once too.
    const secret = await h2.client.get<KubeObject & { data: Record<string, string> }>(SECRETS, OPERATOR_NAMESPACE, 'sto-1-ceph');
    await h2.client.update(SECRETS, { ...secret, data: { ...secret.data, password: Buffer.from('not-the-password').toString('base64') } });
    const refused = await eventually(() => get2('sto-1'), (object) => ready(object)?.reason === 'PartitionNotReady', 'not Ready with a refused password', 5_000);
    expect(partition(refused, 'production')?.services.find((service) => service.service === 'ceph')?.reachable).toBe(false);
  });
});

describe('DataCenter checks (pure)', () => {
  it.each([
    [{ version: { id: 'v3.14', status: 'stable' } }, 'v3.14'],
    [{ version: { id: 'v2.1', version: '2.93', min_version: '2.1', status: 'CURRENT' } }, 'v2.1 (microversion 2.93)'],
    [{ versions: [{ id: 'v3.0', version: '3.70', status: 'CURRENT' }] }, 'v3.0 (microversion 3.70)'],
    [{ versions: [{ id: 'v2.0', status: 'CURRENT' }] }, 'v2.0'],
    [{ versions: { values: [{ id: 'v3.14', status: 'stable' }] } }, 'v3.14'],
    [{ unrelated: true }, undefined],
    ['not json', undefined],
  ])('reads the version from %j', (body, expected) => {
    expect(versionFromDocument(body)).toBe(expected);
  });

  it('strips the project id from the Cinder endpoint and nothing else', () => {
    expect(versionDocumentUrl('http://h:8776/v3/abc123', 'block-storage', 'abc123')).toBe('http://h:8776/v3/');
    expect(versionDocumentUrl('http://h:8774/v2.1/', 'compute', 'abc123')).toBe('http://h:8774/v2.1/');
    expect(versionDocumentUrl('http://h:9696', 'network', 'abc123')).toBe('http://h:9696/');
  });

  it('is Ready only when every partition is, naming each failing one', () => {
    const ok = { environment: 'production' as const, ready: true, services: [{ service: 'ceph' as const, reachable: true }], lastCheckTime: '2026-01-01T00:00:00Z' };
    expect(dataCenterReadiness({ partitions: [ok] })).toEqual({ state: 'ready', reason: 'BackendsReachable', message: 'all partitions ready: production' });
    const bad = { environment: 'test' as const, ready: false, services: [{ service: 'ceph' as const, reachable: false, message: 'ECONNREFUSED' }, { service: 'keystone' as const, reachable: false }], lastCheckTime: '2026-01-01T00:00:00Z' };
    expect(dataCenterReadiness({ partitions: [ok, bad] })).toEqual({
      state: 'reconciling',
      reason: 'PartitionNotReady',
      message: 'partitions not ready: test (ceph: ECONNREFUSED; keystone: unreachable)',
    });
  });
});
