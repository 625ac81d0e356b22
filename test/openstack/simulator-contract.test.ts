import { OpenStackSimulator } from '../../src/simulators/openstack/index.js';
import { openstackContract } from '../contract/openstack.js';

describe('OpenStack contract against the simulator', () => {
  openstackContract(async () => {
    const sim = new OpenStackSimulator({ regions: ['RegionOne', 'RegionTwo'], transitionMs: 30 });
    await sim.start();
    return {
      name: 'simulator',
      cloudsYaml: sim.cloudsYaml('statsmoln-sim'),
      cloudName: 'statsmoln-sim',
      facts: sim.facts(),
      wait: { timeoutMs: 5000, intervalMs: 10 },
      advanceClock: (ms) => sim.clock.advance(ms),
      now: () => sim.clock.now(),
      close: () => sim.stop(),
    };
  });
});
