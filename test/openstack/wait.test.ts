import { describe, expect, it } from '@jest/globals';
import { waitFor, WaitTimeoutError } from '../../src/backends/openstack/service.js';

/** A fake clock: sleeping advances it, so the pauses and the deadline are exact. */
function fakeTime(): { now: () => number; sleep: (ms: number) => Promise<void>; pauses: number[] } {
  let time = 0;
  const pauses: number[] = [];
  return {
    now: () => time,
    sleep: async (ms) => {
      pauses.push(ms);
      time += ms;
    },
    pauses,
  };
}

describe('waitFor', () => {
  it('polls soon after the start and then half as often each time, up to the interval', async () => {
    const time = fakeTime();
    const states = ['creating', 'creating', 'creating', 'creating', 'creating', 'creating', 'creating', 'available'];
    let reads = 0;
    const state = await waitFor('volume v available', async () => states[reads++]!, (value) => value === 'available', (value) => value, {
      ...time,
      intervalMs: 400,
    });
    expect(state).toBe('available');
    expect(time.pauses).toEqual([25, 50, 100, 200, 400, 400, 400]);
  });

  it('takes the first pause as given, and times out with the last state', async () => {
    const time = fakeTime();
    const waiting = waitFor('volume v available', async () => 'creating', () => false, (value) => value, {
      ...time,
      initialIntervalMs: 1000,
      intervalMs: 1000,
      timeoutMs: 3000,
    });
    await expect(waiting).rejects.toThrow(new WaitTimeoutError('volume v available', 'creating'));
    expect(time.pauses).toEqual([1000, 1000, 1000]);
  });
});
