import { DependencyNotReadyError } from '../../src/controllers/framework/index.js';
import { SharedInformer, silentLogger, RealClock } from '../../src/runtime/index.js';
import type { KubeObject } from '../../src/runtime/index.js';
import { DATACENTERS, OPERATOR_NAMESPACE, SECRETS, startHarness, type Harness } from './support/harness.js';

let harness: Harness;
let informer: SharedInformer<KubeObject>;
const scope = new AbortController();

beforeAll(async () => {
  harness = await startHarness({ dataCenters: ['dc1', 'dc2'] });
  await harness.createDataCenter('dc1', ['production', 'test']);
  informer = new SharedInformer<KubeObject>({ client: harness.client, type: DATACENTERS, clock: new RealClock(), logger: silentLogger() });
  void informer.run(scope.signal);
  await informer.waitForSync();
});

afterAll(async () => {
  scope.abort();
  await harness?.close();
});

describe('the backend registry', () => {
  it('connects to a Ready partition with the credentials from the operator namespace', async () => {
    const registry = harness.backendRegistry(informer);
    const backends = await registry.forPartition('dc1', 'production');
    expect(backends.partition.environment).toBe('production');
    const project = await backends.openstack.identity.listProjects({ name: 'admin' });
    expect(project.map((entry) => entry.name)).toEqual(['admin']);
    expect(await registry.forPartition('dc1', 'production')).toBe(backends); // cached
  });

  it('waits, with a reason, for a data center that does not exist or a partition that is not Ready', async () => {
    const registry = harness.backendRegistry(informer);
    await expect(registry.forPartition('dc9', 'production')).rejects.toMatchObject({ reason: 'DataCenterNotFound' });
    await expect(registry.forPartition('dc1', 'development')).rejects.toBeInstanceOf(DependencyNotReadyError);
  });

  it('rebuilds the clients when a Secret changes', async () => {
    const registry = harness.backendRegistry(informer);
    const before = await registry.forPartition('dc1', 'test');
    const secret = await harness.client.get<KubeObject & { data: Record<string, string> }>(SECRETS, OPERATOR_NAMESPACE, 'dc1-ceph');
    await harness.client.update(SECRETS, { ...secret, metadata: { ...secret.metadata, labels: { rotated: 'yes' } } });
    const after = await registry.forPartition('dc1', 'test');
    expect(after).not.toBe(before);
  });
});
