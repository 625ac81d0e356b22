/**
 * The measured process of bench/runtime-bench.ts: a Manager with a no-op reconciler over the
 * benchmark objects. Runs compiled (plain node, like production) so its RSS is the runtime's,
 * not a TypeScript loader's.  Arguments: url token objects rate seconds workers.
 */
import { KubeClient, kubeConfigForServer } from '../src/runtime/client.js';
import { silentLogger } from '../src/runtime/logger.js';
import { Manager } from '../src/runtime/manager.js';
import { RuntimeMetrics } from '../src/runtime/metrics.js';
import { Result } from '../src/runtime/result.js';
import type { ResourceType } from '../src/runtime/types.js';
import { percentile } from './percentile.js';

const [url, token, objectsArg, rateArg, secondsArg, workersArg, caArg] = process.argv.slice(2) as [string, string, string, string, string, string, string | undefined];
const CA_DATA = caArg || undefined;
const OBJECTS = Number(objectsArg);
const RATE = Number(rateArg);
const SECONDS = Number(secondsArg);
const WORKERS = Number(workersArg);

const GADGETS: ResourceType = { group: 'bench.statsmoln.io', version: 'v1', resource: 'gadgets', kind: 'Gadget', namespaced: true };

const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

async function run(url: string, token: string): Promise<void> {
  const metrics = new RuntimeMetrics();
  const manager = new Manager({
    client: new KubeClient({ kubeConfig: kubeConfigForServer(url, token, CA_DATA), metrics }),
    metrics,
    logger: silentLogger(),
    server: false,
  });
  const reconciledOnce = new Set<string>();
  let allReconciled: () => void = () => {};
  const initialDone = new Promise<void>((resolve) => (allReconciled = resolve));
  let measuring = false;
  const queueWaits: number[] = [];
  const writeToStart: number[] = [];
  const seen = new Set<number>();
  const informer = manager.informer(GADGETS);
  manager.addController({
    name: 'bench',
    type: GADGETS,
    maxConcurrentReconciles: WORKERS,
    reconcile: async ({ key, queuedMs }) => {
      if (reconciledOnce.size < OBJECTS) {
        reconciledOnce.add(key);
        if (reconciledOnce.size === OBJECTS) allReconciled();
      }
      if (measuring) {
        queueWaits.push(queuedMs);
        const spec = informer.store.get(key)?.spec as { seq?: number; sentAt?: number } | undefined;
        if (spec?.seq !== undefined && spec.sentAt !== undefined && !seen.has(spec.seq)) {
          seen.add(spec.seq);
          writeToStart.push(Date.now() - spec.sentAt);
        }
      }
      return Result.done();
    },
  });

  const rssBefore = process.memoryUsage().rss;
  console.log(`rss: ${mb(rssBefore)} MB after loading the runtime (node + @kubernetes/client-node + prom-client + pino)`);
  const t0 = performance.now();
  await manager.start();
  await initialDone;
  const initialSeconds = (performance.now() - t0) / 1000;
  console.log(`initial: ${OBJECTS} keys reconciled once in ${initialSeconds.toFixed(2)} s (list + watch + queue), ${(OBJECTS / initialSeconds).toFixed(0)} reconciles/s, ${WORKERS} workers`);
  console.log(`rss: ${mb(process.memoryUsage().rss)} MB after the initial round (+${mb(process.memoryUsage().rss - rssBefore)} MB for ${OBJECTS} cached objects, queue and informer)`);

  // Steady state: the API server process now writes RATE changes/s for SECONDS.
  measuring = true;
  console.log('LOAD');
  const rssSamples: number[] = [];
  const sampler = setInterval(() => rssSamples.push(process.memoryUsage().rss), 500);
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  clearInterval(sampler);
  await new Promise((resolve) => setTimeout(resolve, 500));
  measuring = false;
  await manager.stop();

  const steady = rssSamples.slice(Math.floor(rssSamples.length / 2));
  console.log(`steady: ${queueWaits.length} reconciles in ${SECONDS} s under ${RATE} changes/s`);
  console.log(`enqueue-to-start: p50 ${percentile(queueWaits, 50).toFixed(2)} ms, p99 ${percentile(queueWaits, 99).toFixed(2)} ms, max ${percentile(queueWaits, 100).toFixed(2)} ms`);
  console.log(`write-to-reconcile (API write -> watch -> queue -> start, ms clock): p50 ${percentile(writeToStart, 50).toFixed(1)} ms, p99 ${percentile(writeToStart, 99).toFixed(1)} ms`);
  console.log(`rss steady state: max ${mb(Math.max(...steady))} MB, mean ${mb(steady.reduce((a, b) => a + b, 0) / steady.length)} MB (heap used ${mb(process.memoryUsage().heapUsed)} MB)`);
  const pass = OBJECTS / initialSeconds >= 2000 && Math.max(...steady) <= 150 * 1024 * 1024 && percentile(queueWaits, 99) <= 50;
  console.log(`targets (>= 2000 reconciles/s, RSS <= 150 MB, p99 <= 50 ms): ${pass ? 'met' : 'NOT met'}`);
}

await run(url, token);
process.exit(0);
