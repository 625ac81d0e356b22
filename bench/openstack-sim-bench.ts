/**
 * Simulator throughput: quota updates (Nova PUT os-quota-sets) and volume creates (Cinder POST
 * volumes) through the project's typed clients at 64 concurrent clients. The simulator runs in a
 * child process so that server and clients each have a core. Target: >= 5,000 requests/s with no
 * injected latency.
 *
 *   npx tsx bench/openstack-sim-bench.ts [--seconds 5] [--concurrency 64] [--latency-ms 0] [--jitter-ms 0]
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { OpenStackClients } from '../src/backends/openstack/index.js';
import { percentile } from './percentile.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v)) throw new Error(`--${name} needs a number`);
  return v;
}

const seconds = arg('seconds', 5);
const concurrency = arg('concurrency', 64);
const fixedMs = arg('latency-ms', 0);
const jitterMs = arg('jitter-ms', 0);

async function run(name: string, op: (worker: number, i: number) => Promise<unknown>): Promise<void> {
  const latencies: number[] = [];
  let errors = 0;
  const warmupEnd = performance.now() + 500;
  const end = warmupEnd + seconds * 1000;
  let measuredStart = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; performance.now() < end; i++) {
        const t0 = performance.now();
        try {
          await op(worker, i);
        } catch {
          errors++;
        }
        const t1 = performance.now();
        if (t0 >= warmupEnd) {
          if (measuredStart === 0) measuredStart = t0;
          latencies.push(t1 - t0);
        }
      }
    }),
  );
  const elapsed = (performance.now() - (measuredStart || warmupEnd)) / 1000;
  const rps = latencies.length / elapsed;
  console.log(
    `${name.padEnd(16)} ${String(latencies.length).padStart(7)} requests  ${rps.toFixed(0).padStart(6)} req/s  ` +
      `p50 ${percentile(latencies, 50).toFixed(2)} ms  p99 ${percentile(latencies, 99).toFixed(2)} ms  errors ${errors}  ` +
      `(target >= 5000 req/s: ${rps >= 5000 ? 'met' : 'NOT met'})`,
  );
}

const server = fork(fileURLToPath(new URL('./openstack-sim-server.ts', import.meta.url)), [JSON.stringify({ fixedMs, jitterMs })], {
  execArgv: ['--import', 'tsx'],
});
const ready = await new Promise<{ url: string; cloudsYaml: string }>((resolve, reject) => {
  server.once('message', (m) => resolve(m as { url: string; cloudsYaml: string }));
  server.once('error', reject);
});

const clients = OpenStackClients.fromCloudsYaml(ready.cloudsYaml, 'bench', { registry: new Registry(), timeoutMs: 10_000 });
const admin = await clients.session.token();
const adminProject = admin.projectId as string;
const projects: string[] = [];
for (let i = 0; i < concurrency; i++) {
  projects.push((await clients.identity.createProject({ name: `bench-${i}`, domain_id: 'default' })).id);
}
await clients.blockStorage.updateQuotaSet(adminProject, { volumes: -1, gigabytes: -1 });

console.log(`simulator ${ready.url}; ${concurrency} concurrent clients; ${seconds} s per run; latency ${fixedMs} ms + jitter ${jitterMs} ms`);
await run('quota updates', (w, i) => clients.compute.updateQuotaSet(projects[w] as string, { cores: 10 + (i % 50), instances: 5 }));
await run('volume creates', (w, i) => clients.blockStorage.createVolume({ size: 1, name: `bench-${w}-${i}` }));

server.send('counts');
const counts = await new Promise<{ total: number; cpuSeconds: number }>((resolve) =>
  server.once('message', (m) => resolve(m as { total: number; cpuSeconds: number })),
);
const clientCpu = process.cpuUsage();
console.log(
  `simulator counted ${counts.total} requests; CPU seconds: simulator ${counts.cpuSeconds.toFixed(1)}, clients ${((clientCpu.user + clientCpu.system) / 1e6).toFixed(1)}`,
);
clients.close();
server.send('stop');
