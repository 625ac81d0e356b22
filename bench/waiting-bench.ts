/**
 * The waiting phase of a GitOps sync, alone: the operator bench's quotas and volumes applied without
 * their tenants, so that every one of them finds no project and reports that it waits
 * (`Reconciling`, reason `TenantNotReady`). In the operator bench this phase shares the first seconds
 * with the tenants, which are the critical path, and slows them down.
 *
 * Runs twice (100 and 400 agencies: 700 and 2,800 objects) and prints, for each, the time until
 * every object reports that it waits, operator and platform CPU and the Kubernetes requests; then
 * the cost per waiting object from the difference of the two, so that what the operator spends
 * once at start-up (informer lists, schema compilation, DataCenter checks) drops out. No target:
 * the figures show what one waiting object costs in the two processes.
 *
 * Run: npx tsx bench/waiting-bench.ts
 */
import { pino } from 'pino';
import type { KubeObject } from '../src/runtime/index.js';
import { kubeRequestsByMethod, kubeWritesOf, Platform, startBenchOperator } from './platform-process.js';

const SIZES = [100, 400];

interface Measurement {
  objects: number;
  wallMs: number;
  operatorCpuMs: number;
  platformCpuMs: number;
  requests: Map<string, number>;
}

function waitsForTenant(object: KubeObject): boolean {
  const conditions = (object.status as { conditions?: Array<{ type?: string; reason?: string }> } | undefined)?.conditions ?? [];
  return conditions.some((condition) => condition.type === 'Ready' && condition.reason === 'TenantNotReady');
}

async function measure(agencies: number): Promise<Measurement> {
  const { platform, ready } = await Platform.start(agencies, 10, { withoutTenants: true });
  const logDestination = pino.destination({ dest: '/dev/null', sync: false });
  const platformBefore = (await platform.snapshot()).cpuMs;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const operator = await startBenchOperator(ready, { concurrency: 16, backendConcurrency: 16, resyncPeriodMs: 0, logDestination });
  try {
    const deadline = started + 5 * 60_000;
    for (;;) {
      const objects = [...operator.informers.quotas.store.list(), ...operator.informers.volumes.store.list()];
      if (objects.length === ready.objects && objects.every(waitsForTenant)) break;
      if (performance.now() > deadline) throw new Error(`timed out: not every one of ${ready.objects} objects reports TenantNotReady`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const platformMs = (await platform.snapshot()).cpuMs - platformBefore;
    return { objects: ready.objects, wallMs, operatorCpuMs: (cpu.user + cpu.system) / 1000, platformCpuMs: platformMs, requests: await kubeRequestsByMethod(operator) };
  } finally {
    await operator.stop();
    logDestination.end();
    await platform.stop();
  }
}

const seconds = (milliseconds: number): string => (milliseconds / 1000).toFixed(2);
console.log('waiting bench: quotas and volumes applied without their tenants, until each reports TenantNotReady');
const runs: Measurement[] = [];
for (const agencies of SIZES) {
  const run = await measure(agencies);
  runs.push(run);
  const requests = [...run.requests].map(([method, value]) => `${method} ${value}`).join(', ');
  console.log(
    `  ${run.objects} objects: all waiting after ${seconds(run.wallMs)} s; operator CPU ${seconds(run.operatorCpuMs)} s, platform CPU ${seconds(run.platformCpuMs)} s; Kubernetes requests ${requests}`,
  );
}
const [small, large] = runs as [Measurement, Measurement];
const extra = large.objects - small.objects;
console.log(
  `  per waiting object (the difference of the two runs): operator CPU ${((large.operatorCpuMs - small.operatorCpuMs) / extra).toFixed(2)} ms,` +
    ` platform CPU ${((large.platformCpuMs - small.platformCpuMs) / extra).toFixed(2)} ms, Kubernetes writes ${((kubeWritesOf(large.requests) - kubeWritesOf(small.requests)) / extra).toFixed(2)}`,
);
