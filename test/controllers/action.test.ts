import { describe, expect, it } from '@jest/globals';
import { describeActions, groupByVerb, type Action } from '../../src/controllers/framework/index.js';

const action = (verb: Action['verb'], name: string): Action => ({ verb, resource: 'neutron network', scope: 'sto-1/production', name, reason: 'missing', payload: {} });

describe('describeActions', () => {
  it('gives one action as its plan line, without a count', () => {
    expect(describeActions([action('create', 'skv-production')], 1024)).toBe('+ create neutron network skv-production (sto-1/production): missing');
  });

  it('lists several actions with their count, in order', () => {
    const note = describeActions([action('create', 'a'), action('create', 'b')], 1024);
    expect(note).toBe('2 actions: + create neutron network a (sto-1/production): missing; + create neutron network b (sto-1/production): missing');
  });

  it('keeps whole lines within the byte limit and counts the rest', () => {
    const actions = Array.from({ length: 40 }, (_, index) => action('create', `network-${String(index).padStart(2, '0')}`));
    const note = describeActions(actions, 1024);
    expect(Buffer.byteLength(note, 'utf8')).toBeLessThanOrEqual(1024);
    const shown = note.match(/\+ create/g)?.length ?? 0;
    expect(shown).toBeGreaterThan(5);
    expect(note).toMatch(new RegExp(`^40 actions: .*network-${String(shown - 1).padStart(2, '0')} \\(sto-1/production\\): missing; \\.\\.\\. and ${40 - shown} more$`));
  });
});

describe('groupByVerb', () => {
  it('groups by verb in the order verbs first occur', () => {
    const groups = groupByVerb([action('update', 'u1'), action('create', 'c1'), action('update', 'u2')]);
    expect([...groups.keys()]).toEqual(['update', 'create']);
    expect(groups.get('update')?.map((entry) => entry.name)).toEqual(['u1', 'u2']);
  });
});
