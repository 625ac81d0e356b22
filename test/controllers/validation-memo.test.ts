import { describe, expect, it } from '@jest/globals';
import { validateCached } from '../../src/controllers/framework/validation-memo.js';

function volume(resourceVersion: string, spec: Record<string, unknown>, status?: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'statsmoln.io/v1alpha1',
    kind: 'StorageVolume',
    metadata: { name: 'data', namespace: 'agency-a', uid: 'uid-1', resourceVersion, generation: 1 },
    spec: { dataCenter: 'dc1', environment: 'production', sizeGiB: 10, tier: 'hdd', ...spec },
    ...(status ? { status } : {}),
  };
}

describe('validateCached', () => {
  it('reuses the result for a new version that differs only in status and resourceVersion', () => {
    const first = validateCached(volume('1', { backend: 'rbd' }));
    const statusWritten = validateCached(volume('2', { backend: 'rbd' }, { phase: 'Available' }));
    expect(first.issues).toEqual([]);
    expect(statusWritten).toBe(first);
  });

  it('checks again when the spec or metadata changes, under the same uid', () => {
    const valid = validateCached(volume('3', { backend: 'rbd' }));
    const invalid = validateCached(volume('4', { backend: 'rbd', encrypted: true }));
    expect(valid.issues).toEqual([]);
    expect(invalid.issues.map((issue) => issue.message)).toEqual([expect.stringContaining('raw RBD images are not encrypted')]);
    const moved = volume('5', { backend: 'rbd' });
    (moved.metadata as Record<string, unknown>).namespace = 'default';
    expect(validateCached(moved).issues.map((issue) => issue.path.join('.'))).toEqual(['metadata.namespace']);
  });

  it('keeps other objects apart: a second uid is checked on its own', () => {
    const other = volume('1', { backend: 'rbd', encrypted: true });
    (other.metadata as Record<string, unknown>).uid = 'uid-2';
    expect(validateCached(other).issues).toHaveLength(1);
    expect(validateCached(volume('6', { backend: 'rbd' })).issues).toEqual([]);
  });
});
