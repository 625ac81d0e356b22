/**
 * Runtime benchmark (issue 4): 10,000 objects and a no-op reconciler.
 *
 * Three processes so each figure is the runtime's own: the embedded API server filled with the
 * objects (bench/runtime-apiserver.ts, under tsx), and the measured Manager
 * (bench/runtime-worker.ts) bundled as the image bundles statsmoln and run by plain node, as in
 * production.
 *
 * Prints: time until every key is reconciled once (from manager start, including the initial
 * list), reconciles/s, steady-state RSS, and p50/p99 enqueue-to-start (time a key waits in the
 * work queue) and write-to-reconcile latency under a steady 200 changes/s.
 * Targets: >= 2,000 reconciles/s, RSS <= 150 MB, p99 <= 50 ms.
 *
 *   npx tsx bench/runtime-bench.ts [--objects 10000] [--rate 200] [--seconds 20] [--workers 4]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { bundle } from '../scripts/bundle.js';

function flag(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

const OBJECTS = flag('objects', 10_000);
const RATE = flag('rate', 200);
const SECONDS = flag('seconds', 20);
const WORKERS = flag('workers', 4);

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = 'dist/bench-runtime';

console.log('bundling the worker as the image bundles statsmoln (scripts/bundle.ts) ...');
const workerBundle = `${outDir}/runtime-worker.mjs`;
await bundle('bench/runtime-worker.ts', workerBundle, root);

const server = spawn(process.execPath, ['--import', 'tsx', 'bench/runtime-apiserver.ts', String(OBJECTS), String(RATE), String(SECONDS)], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
});
try {
  const [line] = (await once(createInterface({ input: server.stdout }), 'line')) as [string];
  const { url, token, caData } = JSON.parse(line) as { url: string; token: string; caData?: string };
  const worker = spawn(
    process.execPath,
    [workerBundle, url, token, String(OBJECTS), String(RATE), String(SECONDS), String(WORKERS), caData ?? ''],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  createInterface({ input: worker.stdout }).on('line', (text) => {
    if (text === 'LOAD') server.kill('SIGUSR2');
    else console.log(text);
  });
  const [code] = (await once(worker, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`worker exited with ${code}`);
} finally {
  server.kill('SIGTERM');
}
