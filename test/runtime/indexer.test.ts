import { Indexer, NAMESPACE_INDEX, labelIndexName } from '../../src/runtime/indexer.js';
import { matchesSelector, parseLabelSelector } from '../../src/runtime/selector.js';
import type { KubeObject } from '../../src/runtime/types.js';

function vol(namespace: string, name: string, labels: Record<string, string>, dataCenter: string): KubeObject {
  return { metadata: { namespace, name, labels, resourceVersion: '1' }, spec: { dataCenter } };
}

describe('label selectors', () => {
  it('parses equality and set-based terms', () => {
    const selector = parseLabelSelector('tier=flash,env!=dev,dc in (sto1, got1),!paused,owner');
    expect(matchesSelector(selector, { tier: 'flash', env: 'prod', dc: 'sto1', owner: 'x' })).toBe(true);
    expect(matchesSelector(selector, { tier: 'flash', env: 'dev', dc: 'sto1', owner: 'x' })).toBe(false);
    expect(matchesSelector(selector, { tier: 'flash', env: 'prod', dc: 'mmx1', owner: 'x' })).toBe(false);
    expect(matchesSelector(selector, { tier: 'flash', dc: 'got1', owner: 'x', paused: 'true' })).toBe(false);
    expect(matchesSelector(selector, { tier: 'flash', dc: 'got1' })).toBe(false);
    expect(matchesSelector(parseLabelSelector(''), undefined)).toBe(true);
    expect(() => parseLabelSelector('a=b=c')).toThrow(/unable to parse requirement: invalid label value "b=c"/);
  });
});

describe('Indexer', () => {
  it('indexes by namespace, label and custom functions, and keeps indexes right on update and delete', () => {
    const store = new Indexer<KubeObject>();
    store.addLabelIndex('statsmoln.io/tier');
    store.addIndex('byDataCenter', (obj) => [String((obj.spec as { dataCenter: string }).dataCenter)]);
    store.upsert(vol('agency-a', 'v1', { 'statsmoln.io/tier': 'hdd' }, 'sto1'));
    store.upsert(vol('agency-a', 'v2', { 'statsmoln.io/tier': 'flash' }, 'got1'));
    store.upsert(vol('agency-b', 'v1', { 'statsmoln.io/tier': 'flash' }, 'sto1'));
    expect(store.indexKeys(NAMESPACE_INDEX, 'agency-a').sort()).toEqual(['agency-a/v1', 'agency-a/v2']);
    expect(store.indexKeys(labelIndexName('statsmoln.io/tier'), 'flash').sort()).toEqual(['agency-a/v2', 'agency-b/v1']);
    expect(store.indexKeys('byDataCenter', 'sto1').sort()).toEqual(['agency-a/v1', 'agency-b/v1']);

    store.upsert(vol('agency-a', 'v1', { 'statsmoln.io/tier': 'flash' }, 'got1'));
    expect(store.indexKeys('byDataCenter', 'sto1')).toEqual(['agency-b/v1']);
    expect(store.indexKeys(labelIndexName('statsmoln.io/tier'), 'hdd')).toEqual([]);

    store.remove('agency-b/v1');
    expect(store.indexKeys('byDataCenter', 'sto1')).toEqual([]);
    expect(store.select({ namespace: 'agency-a', labelSelector: 'statsmoln.io/tier=flash' }).length).toBe(2);
    expect(store.select({ labelSelector: 'statsmoln.io/tier=hdd' })).toEqual([]);
    expect(() => store.indexKeys('nope', 'x')).toThrow(/no index/);
  });

  it('indexes objects already present when an index is added later', () => {
    const store = new Indexer<KubeObject>();
    store.upsert(vol('ns', 'a', { app: 'x' }, 'sto1'));
    store.addLabelIndex('app');
    expect(store.indexKeys(labelIndexName('app'), 'x')).toEqual(['ns/a']);
  });
});

describe('label selectors shared with the API server', () => {
  it('rejects malformed keys and values as labels.Parse does', () => {
    expect(() => parseLabelSelector('-a=b')).toThrow(/invalid label key "-a"/);
    expect(() => parseLabelSelector(`a=${'x'.repeat(64)}`)).toThrow(/invalid label value/);
    expect(() => parseLabelSelector('a in (b, c=d)')).toThrow(/invalid label value "c=d"/);
    expect(parseLabelSelector('a in (b, c), !d, e!=f')).toEqual([
      { op: 'in', key: 'a', values: ['b', 'c'] },
      { op: 'notexists', key: 'd' },
      { op: 'notin', key: 'e', values: ['f'] },
    ]);
  });
});
