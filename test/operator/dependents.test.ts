import { dependentsOfTenant } from '../../src/operator/dependents.js';
import { RealClock, SharedInformer, silentLogger, type KubeObject, type ListWatchClient, type ResourceType } from '../../src/runtime/index.js';

const TYPE: ResourceType = { group: 'statsmoln.io', version: 'v1alpha1', resource: 'things', kind: 'Thing', namespaced: true };

/** An informer whose cache the test fills by hand (it never lists or watches). */
function cacheOnly(): SharedInformer<KubeObject> {
  return new SharedInformer<KubeObject>({ client: {} as ListWatchClient, type: TYPE, clock: new RealClock(), logger: silentLogger() });
}

function tenant(status: Record<string, unknown>, metadata: Partial<KubeObject['metadata']> = {}): KubeObject {
  return { apiVersion: 'statsmoln.io/v1alpha1', kind: 'AgencyTenant', metadata: { name: 'a', generation: 1, ...metadata }, status };
}

describe('dependentsOfTenant', () => {
  const dependents = cacheOnly();
  dependents.store.upsert({ apiVersion: 'v1', kind: 'Thing', metadata: { name: 'q', namespace: 'agency-a' } });
  dependents.store.upsert({ apiVersion: 'v1', kind: 'Thing', metadata: { name: 'v', namespace: 'agency-a' } });
  dependents.store.upsert({ apiVersion: 'v1', kind: 'Thing', metadata: { name: 'other', namespace: 'agency-b' } });

  it('wakes the namespace when what dependents read changes, and nobody for progress or finalizer writes', () => {
    const tenants = cacheOnly();
    const map = dependentsOfTenant(dependents, tenants);
    const reconciling = tenant({ conditions: [{ type: 'Ready', status: 'False', reason: 'Reconciling' }] });
    tenants.store.upsert(reconciling);
    expect([...map(reconciling)].sort()).toEqual(['agency-a/q', 'agency-a/v']);

    // A finalizer and a new progress message: the same readiness, no placements yet.
    const progress = tenant({ conditions: [{ type: 'Ready', status: 'False', reason: 'Reconciling', message: 'step 2' }] }, { finalizers: ['statsmoln.io/finalizer'] });
    tenants.store.upsert(progress);
    expect(map(reconciling)).toEqual([]);
    expect(map(progress)).toEqual([]);

    const withProject = tenant({ conditions: [{ type: 'Ready', status: 'False' }], placements: [{ dataCenter: 'dc1', environment: 'production', projectId: 'p1' }] });
    tenants.store.upsert(withProject);
    expect(map(progress)).toEqual([]);
    expect([...map(withProject)].sort()).toEqual(['agency-a/q', 'agency-a/v']);

    const ready = tenant({ conditions: [{ type: 'Ready', status: 'True' }], placements: [{ dataCenter: 'dc1', environment: 'production', projectId: 'p1' }] });
    tenants.store.upsert(ready);
    expect(map(ready)).toHaveLength(2);
    const specChange = { ...ready, metadata: { ...ready.metadata, generation: 2 } };
    tenants.store.upsert(specChange);
    expect(map(specChange)).toHaveLength(2);
  });

  it('wakes the namespace when the tenant is gone from the cache', () => {
    const tenants = cacheOnly();
    const map = dependentsOfTenant(dependents, tenants);
    const ready = tenant({ conditions: [{ type: 'Ready', status: 'True' }] });
    tenants.store.upsert(ready);
    expect(map(ready)).toHaveLength(2);
    expect(map(ready)).toEqual([]);
    tenants.store.remove('a');
    expect([...map(ready)].sort()).toEqual(['agency-a/q', 'agency-a/v']);
  });
});
