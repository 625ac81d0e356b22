/**
 * Benchmark of the embedded API server (issue 3 targets on this machine):
 *   - list 10,000 custom resources over HTTPS: target < 300 ms
 *   - one write fanned out to 50 watchers: write-to-all-watchers p99 < 20 ms
 * Run: npx tsx bench/apiserver-bench.ts
 */
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startApiServer, type ApiServer } from '../src/apiserver/index.js';
import { percentile } from './percentile.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../test/apiserver/fixtures');
const OBJECTS = 10_000;
const LIST_RUNS = 15;
const WATCHERS = 50;
const WRITES = 200;

function send(server: ApiServer, method: string, path: string, body?: unknown): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' };
    if (text !== undefined) headers['Content-Length'] = String(Buffer.byteLength(text));
    const req = request(new URL(path, server.url), { method, headers, ca: server.caData }, resolve);
    req.on('error', reject);
    if (text !== undefined) req.write(text);
    req.end();
  });
}

async function readJson(response: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
}

const server = await startApiServer({ port: 0, historySize: 100_000 });
await server.registerCrdsFromDir(FIXTURES);
const widgets = server.core.resource('test.statsmoln.io', 'v1alpha1', 'widgets');

const seedStart = performance.now();
for (let i = 0; i < OBJECTS; i++) {
  server.core.create(widgets, 'default', {
    metadata: { name: `w-${String(i).padStart(5, '0')}`, labels: { app: 'bench', shard: String(i % 10) } },
    spec: { sizeGiB: 1 + (i % 1000), tier: 'ssd', tags: ['a', 'b'] },
  }, {});
}
console.log(`seeded ${OBJECTS} widgets in ${(performance.now() - seedStart).toFixed(0)} ms (in-process creates with validation)`);

// List 10,000 objects: full HTTPS round trip, body read and JSON parsed by the client.
const listTimes: number[] = [];
for (let run = 0; run < LIST_RUNS; run++) {
  const start = performance.now();
  const body = await readJson(await send(server, 'GET', '/apis/test.statsmoln.io/v1alpha1/namespaces/default/widgets'));
  listTimes.push(performance.now() - start);
  if ((body.items as unknown[]).length !== OBJECTS) throw new Error(`expected ${OBJECTS} items`);
}
const selectorTimes: number[] = [];
for (let run = 0; run < LIST_RUNS; run++) {
  const start = performance.now();
  const body = await readJson(await send(server, 'GET', '/apis/test.statsmoln.io/v1alpha1/namespaces/default/widgets?labelSelector=shard%3D3'));
  selectorTimes.push(performance.now() - start);
  if ((body.items as unknown[]).length !== OBJECTS / 10) throw new Error('selector mismatch');
}
console.log(`list ${OBJECTS} objects over HTTPS: median ${percentile(listTimes, 50).toFixed(1)} ms, p99 ${percentile(listTimes, 99).toFixed(1)} ms, max ${Math.max(...listTimes).toFixed(1)} ms (target < 300 ms)`);
console.log(`list with labelSelector (1,000 of ${OBJECTS}): median ${percentile(selectorTimes, 50).toFixed(1)} ms, p99 ${percentile(selectorTimes, 99).toFixed(1)} ms`);

// Fan one write out to 50 watchers.
const received = new Map<string, number>();
let expectedName = '';
let pending = 0;
let resolveAll: (() => void) | undefined;
const streams: IncomingMessage[] = [];
for (let w = 0; w < WATCHERS; w++) {
  const rv = server.core.store.resourceVersion;
  const response = await send(server, 'GET', `/apis/test.statsmoln.io/v1alpha1/namespaces/fanout/widgets?watch=true&resourceVersion=${rv}`);
  streams.push(response);
  let buffer = '';
  response.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf('\n');
      const event = JSON.parse(line) as { object: { metadata: { name: string } } };
      if (event.object.metadata.name === expectedName && --pending === 0) {
        received.set(expectedName, performance.now());
        resolveAll?.();
      }
    }
  });
}
await send(server, 'POST', '/api/v1/namespaces', { metadata: { name: 'fanout' } }).then(readJson);
const fanout: number[] = [];
for (let i = 0; i < WRITES; i++) {
  expectedName = `f-${i}`;
  pending = WATCHERS;
  const allSeen = new Promise<void>((resolve) => {
    resolveAll = resolve;
  });
  const start = performance.now();
  const response = await send(server, 'POST', '/apis/test.statsmoln.io/v1alpha1/namespaces/fanout/widgets', { metadata: { name: expectedName }, spec: { sizeGiB: 1 } });
  void readJson(response);
  await allSeen;
  fanout.push((received.get(expectedName) as number) - start);
}
console.log(`one write to ${WATCHERS} watchers (HTTPS POST until the last watcher has parsed the event), ${WRITES} writes: median ${percentile(fanout, 50).toFixed(2)} ms, p99 ${percentile(fanout, 99).toFixed(2)} ms, max ${Math.max(...fanout).toFixed(2)} ms (target p99 < 20 ms)`);

for (const stream of streams) stream.destroy();
await server.close();
