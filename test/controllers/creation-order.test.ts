import type { ComputeQuota } from '../../src/api/v1alpha1/index.js';
import { creationOrder } from '../../src/controllers/framework/index.js';

const quota = (name: string, created: string, ready: boolean): ComputeQuota =>
  ({
    apiVersion: 'statsmoln.io/v1alpha1',
    kind: 'ComputeQuota',
    metadata: { name, namespace: 'agency-skatteverket', creationTimestamp: created },
    spec: { dataCenter: 'sto-1', environment: 'production', cores: 1, ramGiB: 1, instances: 1, serverGroups: 1, floatingIps: 0 },
    ...(ready ? { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Reconciled', message: '', lastTransitionTime: created }] } } : {}),
  }) as ComputeQuota;

const order = (...items: ComputeQuota[]) => [...items].sort(creationOrder).map((item) => item.metadata.name);

describe('creationOrder (which of two conflicting objects the cross-document rules flag)', () => {
  it('puts the older object first, whatever the names', () => {
    expect(order(quota('b-first', '2026-11-22T10:00:00Z', false), quota('a-second', '2026-11-22T10:00:01Z', false))).toEqual(['b-first', 'a-second']);
  });

  it('within one second, keeps the Ready object ahead of a newcomer that sorts before it by name', () => {
    expect(order(quota('duplicate', '2026-11-22T10:00:00Z', false), quota('sto-1-production', '2026-11-22T10:00:00Z', true))).toEqual(['sto-1-production', 'duplicate']);
  });

  it('within one second and neither Ready, falls back to the name so every reconcile agrees', () => {
    expect(order(quota('b', '2026-11-22T10:00:00Z', false), quota('a', '2026-11-22T10:00:00Z', false))).toEqual(['a', 'b']);
  });
});
