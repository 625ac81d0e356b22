/**
 * Child process for bench/runtime-bench.ts: runs the embedded API server and fills it with the
 * benchmark's objects, so neither the server's memory nor the setup traffic is counted in the
 * runtime's RSS. Prints {url, token} once the objects exist.
 */
import { startApiServer } from '../src/apiserver/index.js';
import { KubeClient, kubeConfigForServer } from '../src/runtime/client.js';
import type { ResourceType } from '../src/runtime/types.js';

const objects = Number(process.argv[2] ?? 10_000);
const rate = Number(process.argv[3] ?? 200);
const seconds = Number(process.argv[4] ?? 20);
const GADGETS: ResourceType = { group: 'bench.statsmoln.io', version: 'v1', resource: 'gadgets', kind: 'Gadget', namespaced: true };

const server = await startApiServer({ host: '127.0.0.1', port: 0, historySize: 50_000 });
const client = new KubeClient({ kubeConfig: kubeConfigForServer(server.url, server.token, server.caData) });
await client.create(
  { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false },
  {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'gadgets.bench.statsmoln.io' },
    spec: {
      group: 'bench.statsmoln.io',
      scope: 'Namespaced',
      names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } },
        },
      ],
    },
  },
);
await client.create({ group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false }, {
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: 'bench' },
});
const started = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: 32 }, async () => {
    while (next < objects) {
      const i = next++;
      await client.create(GADGETS, {
        apiVersion: 'bench.statsmoln.io/v1',
        kind: 'Gadget',
        metadata: { name: `g-${i}`, namespace: 'bench' },
        spec: { seq: 0 },
      });
    }
  }),
);
process.stderr.write(`setup: created ${objects} objects in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
process.stdout.write(`${JSON.stringify({ url: server.url, token: server.token, caData: server.caData })}\n`);

/** On SIGUSR2: `rate` changes per second for `seconds`, each stamped with its send time. */
process.on('SIGUSR2', () => {
  const writer = new KubeClient({ kubeConfig: kubeConfigForServer(server.url, server.token, server.caData) });
  let seq = 0;
  let inFlight = 0;
  let skipped = 0;
  let carry = 0;
  const ticker = setInterval(() => {
    carry += rate / 100;
    while (carry >= 1) {
      carry -= 1;
      if (inFlight > 64) {
        skipped++;
        continue;
      }
      inFlight++;
      const name = `g-${Math.floor(Math.random() * objects)}`;
      writer
        .patch(GADGETS, 'bench', name, { spec: { seq: ++seq, sentAt: Date.now() } })
        .catch((error: unknown) => process.stderr.write(`write failed: ${(error as Error).message}\n`))
        .finally(() => inFlight--);
    }
  }, 10);
  setTimeout(() => {
    clearInterval(ticker);
    process.stderr.write(`writer: ${seq} changes in ${seconds} s (${(seq / seconds).toFixed(0)}/s, ${skipped} skipped by back-pressure)\n`);
  }, seconds * 1000);
});
process.on('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
