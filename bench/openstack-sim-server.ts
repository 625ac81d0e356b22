/** Child process for the benchmark: runs the simulator on its own core and reports its URL over IPC. */
import { OpenStackSimulator } from '../src/simulators/openstack/index.js';

const options = JSON.parse(process.argv[2] ?? '{}') as { fixedMs: number; jitterMs: number };
const sim = new OpenStackSimulator({ regions: ['RegionOne'], transitionMs: 50, seed: 1 });
sim.faults.latency = { fixedMs: options.fixedMs, jitterMs: options.jitterMs };
await sim.start();
process.send?.({ url: sim.url, cloudsYaml: sim.cloudsYaml('bench') });
process.on('message', (msg: unknown) => {
  if (msg === 'counts') {
    const cpu = process.cpuUsage();
    process.send?.({ total: sim.totalRequests(), cpuSeconds: (cpu.user + cpu.system) / 1e6 });
  }
  if (msg === 'stop') void sim.stop().then(() => process.exit(0));
});
