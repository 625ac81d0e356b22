import { FakeClock } from '../../src/runtime/clock.js';

describe('FakeClock', () => {
  it('fires timers in due order only when advanced, and cancels', async () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    clock.setTimer(() => fired.push('b@20'), 20);
    clock.setTimer(() => fired.push('a@10'), 10);
    const cancelled = clock.setTimer(() => fired.push('never'), 15);
    cancelled.cancel();
    await clock.advance(9);
    expect(fired).toEqual([]);
    await clock.advance(11);
    expect(fired).toEqual(['a@10', 'b@20']);
    expect(clock.now()).toBe(20);
  });

  it('runs timers scheduled by async code woken inside the same advance', async () => {
    const clock = new FakeClock(0);
    const wakeTimes: number[] = [];
    const loop = async (): Promise<void> => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(100);
        wakeTimes.push(clock.now());
      }
    };
    const done = loop();
    await clock.advance(300);
    await done;
    expect(wakeTimes).toEqual([100, 200, 300]);
  });

  it('sleep resolves early on abort', async () => {
    const clock = new FakeClock(0);
    const controller = new AbortController();
    const slept = clock.sleep(1000, controller.signal);
    controller.abort();
    await slept;
    expect(clock.pendingTimers()).toBe(0);
  });
});
