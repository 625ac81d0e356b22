import { Writable } from 'node:stream';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../../src/runtime/finalizers.js';
import { createLogger, redactText } from '../../src/runtime/logger.js';
import { mapByLabel, mapNamespaceToPrimaries, mapToOwner } from '../../src/runtime/mappers.js';
import { Indexer } from '../../src/runtime/indexer.js';
import { controllerOf, isOwnedBy, setOwnerReference } from '../../src/runtime/ownerrefs.js';
import type { KubeObject } from '../../src/runtime/types.js';

const owner: KubeObject = {
  apiVersion: 'statsmoln.io/v1alpha1',
  kind: 'StorageVolume',
  metadata: { name: 'db', namespace: 'agency-a', uid: 'uid-1' },
};

describe('finalizers', () => {
  it('adds once and removes', () => {
    const obj: KubeObject = { metadata: { name: 'x' } };
    expect(addFinalizer(obj, 'statsmoln.io/cleanup')).toBe(true);
    expect(addFinalizer(obj, 'statsmoln.io/cleanup')).toBe(false);
    expect(obj.metadata?.finalizers).toEqual(['statsmoln.io/cleanup']);
    expect(hasFinalizer(obj, 'statsmoln.io/cleanup')).toBe(true);
    expect(removeFinalizer(obj, 'statsmoln.io/cleanup')).toBe(true);
    expect(removeFinalizer(obj, 'statsmoln.io/cleanup')).toBe(false);
    expect(obj.metadata?.finalizers).toEqual([]);
  });
});

describe('owner references', () => {
  it('sets a controller reference, refuses a second controller and cross-namespace owners', () => {
    const child: KubeObject = { metadata: { name: 'db-secret', namespace: 'agency-a' } };
    expect(setOwnerReference(child, owner)).toBe(true);
    expect(setOwnerReference(child, owner)).toBe(false);
    expect(controllerOf(child)).toMatchObject({ kind: 'StorageVolume', name: 'db', uid: 'uid-1', controller: true, blockOwnerDeletion: true });
    expect(isOwnedBy(child, owner)).toBe(true);
    const other = { ...owner, metadata: { ...owner.metadata, name: 'other', uid: 'uid-2' } };
    expect(() => setOwnerReference(child, other)).toThrow(/already has controller/);
    const elsewhere: KubeObject = { metadata: { name: 'x', namespace: 'agency-b' } };
    expect(() => setOwnerReference(elsewhere, owner)).toThrow(/cross-namespace/);
  });
});

describe('secondary-watch mappers', () => {
  it('map owned objects, tenant namespaces and namespaces to primary keys', () => {
    const child: KubeObject = { metadata: { name: 'c', namespace: 'agency-a' } };
    setOwnerReference(child, owner);
    expect(mapToOwner('StorageVolume', 'statsmoln.io')(child)).toEqual(['agency-a/db']);
    expect(mapToOwner('ComputeQuota', 'statsmoln.io')(child)).toEqual([]);
    const namespace: KubeObject = { metadata: { name: 'agency-a', labels: { 'statsmoln.io/tenant': 'agency-a-tenant' } } };
    expect(mapByLabel('statsmoln.io/tenant')(namespace)).toEqual(['agency-a-tenant']);
    const primaries = new Indexer<KubeObject>();
    primaries.upsert({ metadata: { name: 'q1', namespace: 'agency-a' } });
    primaries.upsert({ metadata: { name: 'q2', namespace: 'agency-b' } });
    expect(mapNamespaceToPrimaries(primaries)(namespace)).toEqual(['agency-a/q1']);
  });
});

describe('logger', () => {
  it('redacts secrets and Secret data', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const logger = createLogger({ destination: sink });
    logger.info(
      { password: 'hunter2', credentials: { token: 'tok-123', user: 'svc' }, object: { data: { key: 'c2VjcmV0' } } },
      'connecting',
    );
    logger.flush();
    await new Promise((r) => setImmediate(r));
    const text = lines.join('');
    expect(text).toContain('"user":"svc"');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('tok-123');
    expect(text).not.toContain('c2VjcmV0');
    expect(text).toContain('[REDACTED]');
  });
});

describe('redactText', () => {
  it('scrubs credential-looking values from error messages', () => {
    expect(redactText('auth failed: password=hunter2 user=svc')).toBe('auth failed: password=[REDACTED] user=svc');
    expect(redactText('header Authorization: Bearer eyJhbGciOi.x.y was rejected')).toBe('header Authorization: [REDACTED] was rejected');
    expect(redactText('{"token": "s3cr3t", "id": 4}')).toBe('{"token": "[REDACTED]", "id": 4}');
    expect(redactText('got Bearer abc.def from proxy')).toBe('got Bearer [REDACTED] from proxy');
    expect(redactText('volume vol-1 not found')).toBe('volume vol-1 not found');
  });
});
