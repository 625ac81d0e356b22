import { FakeClock } from '../../src/runtime/clock.js';
import { EventRecorder } from '../../src/runtime/events.js';
import { silentLogger } from '../../src/runtime/logger.js';
import type { KubeObject } from '../../src/runtime/types.js';

describe('EventRecorder series cache', () => {
  it('keeps the 4,096 most recently used series: older ones start a new Event, recent ones continue', async () => {
    let creates = 0;
    let patches = 0;
    const client = {
      create: async <T extends KubeObject>(_type: unknown, object: T): Promise<T> => {
        creates += 1;
        return object;
      },
      patch: async <T extends KubeObject>(): Promise<T> => {
        patches += 1;
        return {} as T;
      },
    };
    const recorder = new EventRecorder({
      client: client as unknown as ConstructorParameters<typeof EventRecorder>[0]['client'],
      clock: new FakeClock(Date.parse('2026-11-23T12:00:00Z')),
      logger: silentLogger(),
      controller: 'statsmoln.io/operator',
      instance: 'test',
    });
    const object = (index: number): KubeObject => ({ apiVersion: 'v1', kind: 'Thing', metadata: { name: `thing-${index}`, namespace: 'ns', uid: `uid-${index}` } });
    const record = (index: number) => recorder.record(object(index), 'Normal', 'Created', 'Create', 'made');

    for (let index = 0; index <= 4096; index++) await record(index); // 4,097 series: thing-0 is dropped
    expect({ creates, patches }).toEqual({ creates: 4097, patches: 0 });
    await record(1); // still cached: continues its series, and becomes the most recently used
    expect({ creates, patches }).toEqual({ creates: 4097, patches: 1 });
    await record(0); // dropped: a new Event, which drops thing-2 (now the least recently used)
    expect({ creates, patches }).toEqual({ creates: 4098, patches: 1 });
    await record(2);
    expect({ creates, patches }).toEqual({ creates: 4099, patches: 1 });
    await record(1);
    expect({ creates, patches }).toEqual({ creates: 4099, patches: 2 });
  });
});
