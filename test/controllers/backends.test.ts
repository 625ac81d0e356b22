import { BackendRegistry, DependencyNotReadyError } from '../../src/controllers/framework/index.js';
import { SharedInformer, silentLogger, RealClock } from '../../src/runtime/index.js';
import type { KubeClient, KubeObject, ResourceType } from '../../src/runtime/index.js';
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

  describe('with a Secret informer', () => {
    /** The harness client, counting the Secret GETs made through it. */
    function countingClient(): { client: KubeClient; secretGets: () => number } {
      let gets = 0;
      const client = new Proxy(harness.client, {
        get(target, property) {
          if (property === 'get') {
            return (type: ResourceType, ...rest: [string | undefined, string]) => {
              if (type.resource === 'secrets') gets += 1;
              return target.get(type, ...rest);
            };
          }
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
      return { client, secretGets: () => gets };
    }

    it('reads credentials from the cache, not the server, and still sees a rotation', async () => {
      const secrets = new SharedInformer<KubeObject>({ client: harness.client, type: SECRETS, namespace: OPERATOR_NAMESPACE, clock: new RealClock(), logger: silentLogger() });
      void secrets.run(scope.signal);
      await secrets.waitForSync();
      const { client, secretGets } = countingClient();
      const registry = new BackendRegistry({ client, operatorNamespace: OPERATOR_NAMESPACE, dataCenters: informer, secrets, timeoutMs: 10_000 });
      try {
        const before = await registry.forPartition('dc1', 'production');
        expect(await registry.forPartition('dc1', 'production')).toBe(before);
        expect(secretGets()).toBe(0);

        const secret = await harness.client.get<KubeObject>(SECRETS, OPERATOR_NAMESPACE, 'dc1-ceph');
        const rotated = await harness.client.update(SECRETS, { ...secret, metadata: { ...secret.metadata, labels: { rotated: 'again' } } });
        for (let attempt = 0; secrets.store.get(`${OPERATOR_NAMESPACE}/dc1-ceph`)?.metadata?.resourceVersion !== rotated.metadata?.resourceVersion; attempt += 1) {
          if (attempt > 200) throw new Error('the Secret informer never saw the rotation');
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        expect(await registry.forPartition('dc1', 'production')).not.toBe(before);
        expect(secretGets()).toBe(0);
      } finally {
        registry.close();
      }
    });

    it('reads a Secret the cache does not hold yet from the server', async () => {
      const unsynced = new SharedInformer<KubeObject>({ client: harness.client, type: SECRETS, namespace: OPERATOR_NAMESPACE, clock: new RealClock(), logger: silentLogger() });
      const { client, secretGets } = countingClient();
      const registry = new BackendRegistry({ client, operatorNamespace: OPERATOR_NAMESPACE, dataCenters: informer, secrets: unsynced, timeoutMs: 10_000 });
      try {
        const backends = await registry.forPartition('dc1', 'production');
        expect(backends.partition.environment).toBe('production');
        expect(secretGets()).toBe(2);
      } finally {
        registry.close();
      }
    });
  });
});
