import {
  CONDITION_READY,
  CONDITION_RECONCILING,
  CONDITION_STALLED,
  conditionTime,
  findCondition,
  setCondition,
  setReadiness,
} from '../../src/runtime/conditions.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const T1 = T0 + 60_000;

describe('setCondition', () => {
  it('sets lastTransitionTime only when the status changes', () => {
    const first = setCondition([], { type: 'Ready', status: 'False', reason: 'Provisioning', observedGeneration: 1 }, T0);
    expect(first.changed).toBe(true);
    expect(first.conditions[0]?.lastTransitionTime).toBe('2026-01-01T12:00:00Z');
    const sameStatus = setCondition(first.conditions, { type: 'Ready', status: 'False', reason: 'WaitingForQuota', message: 'x', observedGeneration: 2 }, T1);
    expect(sameStatus.changed).toBe(true);
    expect(sameStatus.conditions[0]).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'WaitingForQuota',
      message: 'x',
      observedGeneration: 2,
      lastTransitionTime: '2026-01-01T12:00:00Z',
    });
    const flipped = setCondition(sameStatus.conditions, { type: 'Ready', status: 'True', reason: 'Provisioned', observedGeneration: 2 }, T1);
    expect(flipped.conditions[0]?.lastTransitionTime).toBe(conditionTime(T1));
    const noop = setCondition(flipped.conditions, { type: 'Ready', status: 'True', reason: 'Provisioned', observedGeneration: 2 }, T1 + 5000);
    expect(noop.changed).toBe(false);
    expect(first.conditions[0]?.reason).toBe('Provisioning'); // inputs are never mutated
  });

  it('rejects reasons that are not CamelCase identifiers', () => {
    expect(() => setCondition([], { type: 'Ready', status: 'True', reason: 'not ok' }, T0)).toThrow(/invalid condition reason/);
    expect(() => setCondition([], { type: 'Ready', status: 'True', reason: '' }, T0)).toThrow();
  });
});

describe('setReadiness (kstatus)', () => {
  it('reconciling and stalled are exclusive; ready clears both', () => {
    const reconciling = setReadiness([], { state: 'reconciling', reason: 'Progressing', message: 'creating volume' }, 3, T0);
    expect(reconciling.conditions.map((c) => [c.type, c.status])).toEqual([
      [CONDITION_READY, 'False'],
      [CONDITION_RECONCILING, 'True'],
    ]);
    const stalled = setReadiness(reconciling.conditions, { state: 'stalled', reason: 'InvalidConfiguration' }, 3, T1);
    expect(findCondition(stalled.conditions, CONDITION_RECONCILING)).toBeUndefined();
    expect(findCondition(stalled.conditions, CONDITION_STALLED)?.status).toBe('True');
    // Ready stayed False: its transition time is still T0.
    expect(findCondition(stalled.conditions, CONDITION_READY)?.lastTransitionTime).toBe(conditionTime(T0));
    const ready = setReadiness(stalled.conditions, { state: 'ready', reason: 'Succeeded' }, 4, T1);
    expect(ready.conditions).toEqual([
      { type: 'Ready', status: 'True', reason: 'Succeeded', message: '', observedGeneration: 4, lastTransitionTime: conditionTime(T1) },
    ]);
    expect(setReadiness(ready.conditions, { state: 'ready', reason: 'Succeeded' }, 4, T1 + 1000).changed).toBe(false);
  });
});
