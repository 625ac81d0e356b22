/**
 * The generic reconcile loop, end to end through the embedded API server and the runtime, with a
 * small actuator over an in-memory backend: what every statsmoln controller inherits.
 */
import { Registry } from 'prom-client';
import { startApiServer, type ApiServer } from '../../src/apiserver/index.js';
import { storageVolumeDefinition, type StorageVolume } from '../../src/api/v1alpha1/index.js';
import {
  ControllerMetrics,
  FINALIZER,
  resourceReconciler,
  resourceTypeOf,
  type Action,
  type Actuator,
} from '../../src/controllers/framework/index.js';
import { KubeClient, Manager, RuntimeMetrics, kubeConfigForServer, type Condition, type KubeObject } from '../../src/runtime/index.js';
import { eventually } from '../support/eventually.js';

interface BackendVolume {
  sizeGiB: number;
}
type Payload = { sizeGiB: number };

/** A backend that records writes and can be told to fail. */
class MemoryBackend {
  readonly volumes = new Map<string, BackendVolume>();
  writes: string[] = [];
  failNext: Error | undefined;

  write(entry: string, change: () => void): void {
    if (this.failNext) {
      const failure = this.failNext;
      this.failNext = undefined;
      throw failure;
    }
    this.writes.push(entry);
    change();
  }
}

const backend = new MemoryBackend();
const keyOf = (volume: StorageVolume) => `${volume.metadata.namespace}/${volume.metadata.name}`;

const actuator: Actuator<StorageVolume, BackendVolume | undefined, Payload> = {
  definition: storageVolumeDefinition,
  related: () => [],
  observe: async (volume) => backend.volumes.get(keyOf(volume)),
  plan(volume, observed): Array<Action<Payload>> {
    const base = { resource: 'memory volume', scope: `${volume.spec.dataCenter}/${volume.spec.environment}`, name: keyOf(volume) };
    if (!observed) return [{ ...base, verb: 'create', payload: { sizeGiB: volume.spec.sizeGiB } }];
    if (observed.sizeGiB !== volume.spec.sizeGiB) {
      return [{ ...base, verb: 'update', changes: [{ field: 'sizeGiB', from: observed.sizeGiB, to: volume.spec.sizeGiB }], payload: { sizeGiB: volume.spec.sizeGiB } }];
    }
    return [];
  },
  planDeletion(volume, observed) {
    if (!observed || volume.spec.deletionPolicy !== 'Delete') return [];
    return [{ verb: 'delete', resource: 'memory volume', scope: volume.spec.dataCenter, name: keyOf(volume), payload: { sizeGiB: 0 } }];
  },
  async apply(action, volume) {
    const key = keyOf(volume);
    backend.write(`${action.verb} ${key}`, () => {
      if (action.verb === 'delete') backend.volumes.delete(key);
      else backend.volumes.set(key, { sizeGiB: action.payload.sizeGiB });
    });
  },
  status: (_volume, observed) => (observed ? { phase: 'Available', sizeGiB: observed.sizeGiB } : { phase: 'Pending' }),
  deletionStatus: (_volume, observed, applied) =>
    applied.length > 0 && observed ? { phase: 'Deleting' } : {},
};

const type = resourceTypeOf(storageVolumeDefinition);
let server: ApiServer;
let client: KubeClient;
let manager: Manager;
let events: KubeObject[] = [];
const metricsRegistry = new Registry();

function volume(name: string, spec: Partial<StorageVolume['spec']> = {}, annotations: Record<string, string> = {}): StorageVolume & KubeObject {
  return {
    apiVersion: 'statsmoln.io/v1alpha1',
    kind: 'StorageVolume',
    metadata: { name, namespace: 'agency-a', annotations },
    spec: { dataCenter: 'dc1', environment: 'production', sizeGiB: 10, tier: 'hdd', ...spec },
  };
}

const get = (name: string) => client.get<StorageVolume & KubeObject>(type, 'agency-a', name);
const condition = (object: StorageVolume, conditionType: string): Condition | undefined =>
  (object.status?.conditions as Condition[] | undefined)?.find((entry) => entry.type === conditionType);

beforeAll(async () => {
  server = await startApiServer({ host: '127.0.0.1', port: 0 });
  await server.registerCrdsFromDir('crds');
  const kubeConfig = kubeConfigForServer(server.url, server.token, server.caData);
  client = new KubeClient({ kubeConfig });
  await client.create({ group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false }, { metadata: { name: 'agency-a' } });
  manager = new Manager({ client, server: false, metrics: new RuntimeMetrics({ registry: metricsRegistry }) });
  const informer = manager.informer(type);
  manager.addController({
    name: 'storagevolume',
    type,
    reconcile: resourceReconciler({
      actuator,
      informer,
      type,
      context: { client, events: manager.events, clock: manager.clock },
      metrics: new ControllerMetrics(metricsRegistry),
    }),
  });
  await manager.start();
});

afterAll(async () => {
  await manager?.stop();
  await server?.close();
});

beforeEach(() => {
  backend.writes = [];
  events = [];
});

async function listEvents(): Promise<KubeObject[]> {
  const list = await client.list({ group: 'events.k8s.io', version: 'v1', resource: 'events', kind: 'Event', namespaced: true }, { namespace: 'agency-a' });
  events = list.items;
  return events;
}

describe('the generic reconcile loop', () => {
  it('adds the finalizer, creates the backend object, and reports Ready with observedGeneration', async () => {
    await client.create(type, volume('create-me'));
    const ready = await eventually(() => get('create-me'), (object) => condition(object, 'Ready')?.status === 'True', 'Ready');
    expect(ready.metadata.finalizers).toEqual([FINALIZER]);
    expect(ready.status).toMatchObject({ phase: 'Available', sizeGiB: 10, observedGeneration: 1 });
    expect(condition(ready, 'Ready')).toMatchObject({ reason: 'Reconciled', observedGeneration: 1 });
    expect(backend.writes).toEqual(['create agency-a/create-me']);
    const recorded = await listEvents();
    const created = recorded.filter((event) => event.reason === 'Created' && (event.regarding as { name?: string } | undefined)?.name === 'create-me');
    expect(created).toHaveLength(1);
    expect(created[0]?.note).toMatch(/^\+ create /);
  });

  it('applies a spec change and corrects drift on the next reconcile, with an event', async () => {
    await client.create(type, volume('grow'));
    await eventually(() => get('grow'), (object) => condition(object, 'Ready')?.status === 'True', 'Ready');
    const current = await get('grow');
    await client.update(type, { ...current, spec: { ...current.spec, sizeGiB: 20 } });
    await eventually(() => get('grow'), (object) => object.status?.sizeGiB === 20 && object.status.observedGeneration === 2, 'grown');
    backend.volumes.set('agency-a/grow', { sizeGiB: 5 }); // someone changed it behind our back
    const touched = await get('grow');
    await client.update(type, { ...touched, metadata: { ...touched.metadata, labels: { nudge: '1' } } }); // a resync
    await eventually(async () => backend.volumes.get('agency-a/grow'), (entry) => entry?.sizeGiB === 20, 'drift corrected');
    const reasons = (await listEvents()).map((event) => event.reason);
    expect(reasons).toContain('DriftDetected');
    expect(await metricsRegistry.getSingleMetricAsString('statsmoln_drift_detected_total')).toContain('kind="StorageVolume"} 1');
  });

  it('parks invalid configuration as Stalled without touching the backend', async () => {
    await client.create(type, volume('invalid', { backend: 'rbd', encrypted: true }));
    const stalled = await eventually(() => get('invalid'), (object) => condition(object, 'Stalled')?.status === 'True', 'Stalled');
    expect(condition(stalled, 'Stalled')).toMatchObject({ reason: 'InvalidConfiguration' });
    expect(condition(stalled, 'Stalled')?.message).toContain('spec.encrypted: raw RBD images are not encrypted');
    expect(condition(stalled, 'Ready')?.status).toBe('False');
    expect(backend.writes).toEqual([]);
    expect(stalled.metadata.finalizers ?? []).toEqual([]);
  });

  it('makes no backend write while paused, and says so', async () => {
    await client.create(type, volume('paused', {}, { 'statsmoln.io/paused': 'true' }));
    const paused = await eventually(() => get('paused'), (object) => condition(object, 'Paused')?.status === 'True', 'Paused');
    expect(backend.writes).toEqual([]);
    expect(backend.volumes.has('agency-a/paused')).toBe(false);
    await client.update(type, { ...paused, metadata: { ...paused.metadata, annotations: {} } });
    await eventually(() => get('paused'), (object) => condition(object, 'Ready')?.status === 'True' && !condition(object, 'Paused'), 'unpaused and Ready');
    expect(backend.writes).toEqual(['create agency-a/paused']);
  });

  it('only reports under managementPolicy Observe', async () => {
    await client.create(type, volume('observed', { managementPolicy: 'Observe' }));
    const observed = await eventually(() => get('observed'), (object) => condition(object, 'Stalled')?.status === 'True', 'Stalled');
    expect(condition(observed, 'Stalled')).toMatchObject({ reason: 'ObservedDifference', message: 'managementPolicy Observe: 1 to create needed; not acting' });
    expect(backend.writes).toEqual([]);
  });

  it('retries a transient backend error with backoff and then converges', async () => {
    backend.failNext = Object.assign(new Error('Unavailable 503 from cinder POST /volumes'), { transient: true });
    await client.create(type, volume('flaky'));
    await eventually(() => get('flaky'), (object) => condition(object, 'Ready')?.status === 'True', 'Ready after retry');
    expect(backend.writes).toEqual(['create agency-a/flaky']);
  });

  it('follows the deletion policy and removes the finalizer last, even when paused', async () => {
    await client.create(type, volume('keep'));
    await client.create(type, volume('drop', { deletionPolicy: 'Delete' }, {}));
    await eventually(() => get('drop'), (object) => condition(object, 'Ready')?.status === 'True', 'Ready');
    await eventually(() => get('keep'), (object) => condition(object, 'Ready')?.status === 'True', 'Ready');
    const drop = await get('drop');
    await client.update(type, { ...drop, metadata: { ...drop.metadata, annotations: { 'statsmoln.io/paused': 'true' } } });
    backend.writes = [];
    await client.delete(type, 'agency-a', 'keep');
    await client.delete(type, 'agency-a', 'drop');
    await eventually(async () => (await client.list(type, { namespace: 'agency-a' })).items.map((item) => item.metadata?.name), (names) => !names.includes('keep') && !names.includes('drop'), 'both gone');
    expect(backend.volumes.has('agency-a/keep')).toBe(true);
    expect(backend.volumes.has('agency-a/drop')).toBe(false);
    expect(backend.writes).toEqual(['delete agency-a/drop']);
  });
});
