/**
 * Throughput and latency of the Ceph dashboard client against the simulator: RBD image create and
 * get with 64 concurrent clients (each logged in on its own). Run: npx tsx bench/ceph-sim-bench.ts
 * Options (env): CLIENTS (64), OPS_PER_CLIENT (40); CEPH_TARGET=real measures the real Ceph that
 * test/real/ceph/up.sh started instead (and removes what it created).
 */
import { readFileSync } from 'node:fs';
import { CephDashboardClient } from '../src/backends/ceph/dashboard.js';
import { startCephSimulator } from '../src/simulators/ceph/server.js';
import { percentile } from './percentile.js';

const clients = Number(process.env['CLIENTS'] ?? 64);
const opsPerClient = Number(process.env['OPS_PER_CLIENT'] ?? 40);

async function phase(name: string, workers: CephDashboardClient[], op: (client: CephDashboardClient, worker: number, i: number) => Promise<void>): Promise<void> {
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    workers.map(async (client, worker) => {
      for (let i = 0; i < opsPerClient; i++) {
        const t0 = performance.now();
        await op(client, worker, i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${name.padEnd(14)} ${String(latencies.length).padStart(6)} ops  ${(latencies.length / seconds).toFixed(0).padStart(6)} req/s  ` +
      `p50 ${percentile(latencies, 50).toFixed(2)} ms  p99 ${percentile(latencies, 99).toFixed(2)} ms`,
  );
}

const real = process.env['CEPH_TARGET'] === 'real';
const sim = real ? undefined : await startCephSimulator();
const endpoint = real ? realEndpoint() : { url: sim?.dashboardUrl ?? '', username: sim?.dashboardUser ?? '', password: sim?.dashboardPassword ?? '' };
const prefix = real ? `bench${Date.now().toString(36)}` : 'agency';

function realEndpoint(): { url: string; username: string; password: string } {
  const env = Object.fromEntries(
    readFileSync(`${process.env['STATSMOLN_REAL_DIR'] ?? '/tmp/statsmoln-real'}/ceph/env`, 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  ) as Record<string, string>;
  return { url: env['CEPH_DASHBOARD_URL'] ?? '', username: env['CEPH_DASHBOARD_USER'] ?? '', password: env['CEPH_DASHBOARD_PASSWORD'] ?? '' };
}

const workers = Array.from({ length: clients }, () => new CephDashboardClient(endpoint));
try {
  await Promise.all(workers.map((client) => client.authenticate()));
  for (let worker = 0; worker < clients; worker++) await workers[0]?.createNamespace('rbd', `${prefix}-${worker}`);
  console.log(`Ceph ${real ? 'real (16.2 pacific, 1 memstore OSD)' : 'simulator'}, ${clients} concurrent clients, ${opsPerClient} operations each (node ${process.version})`);
  await phase('image create', workers, (client, worker, i) =>
    client.createImage({ pool: 'rbd', namespace: `${prefix}-${worker}`, name: `vol-${i}`, sizeBytes: 1024 ** 3 }),
  );
  await phase('image get', workers, async (client, worker, i) => {
    await client.getImage({ pool: 'rbd', namespace: `${prefix}-${worker}`, name: `vol-${i}` });
  });
} finally {
  if (real) {
    const cleaner = workers[0];
    for (let worker = 0; worker < clients && cleaner; worker++) {
      for (let i = 0; i < opsPerClient; i++) await cleaner.deleteImage({ pool: 'rbd', namespace: `${prefix}-${worker}`, name: `vol-${i}` }).catch(() => undefined);
      await cleaner.deleteNamespace('rbd', `${prefix}-${worker}`).catch(() => undefined);
    }
  }
  await sim?.close();
}
