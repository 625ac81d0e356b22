/** Starts the embedded API server for runtime tests, with a CRD whose generation tracks its spec. */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { startApiServer } from '../../../src/apiserver/index.js';
import type { ApiServer, ApiServerOptions } from '../../../src/apiserver/index.js';
import { KubeClient, kubeConfigForServer } from '../../../src/runtime/client.js';
import type { RuntimeMetrics } from '../../../src/runtime/metrics.js';
import type { KubeObject, ResourceType } from '../../../src/runtime/types.js';

export const GADGETS: ResourceType = {
  group: 'runtime.test.statsmoln.io',
  version: 'v1',
  resource: 'gadgets',
  kind: 'Gadget',
  namespaced: true,
};

const CRDS: ResourceType = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  resource: 'customresourcedefinitions',
  kind: 'CustomResourceDefinition',
  namespaced: false,
};

const NAMESPACES: ResourceType = { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false };

export interface TestApi {
  server: ApiServer;
  /** A client straight to the server (test setup and assertions). */
  client: KubeClient;
  clientFor(url: string, metrics?: RuntimeMetrics): KubeClient;
  close(): Promise<void>;
}

export async function startTestApi(options: ApiServerOptions = {}): Promise<TestApi> {
  const server = await startApiServer({ host: '127.0.0.1', port: 0, ...options });
  const clientFor = (url: string, metrics?: RuntimeMetrics): KubeClient =>
    new KubeClient({ kubeConfig: kubeConfigForServer(url, server.token, server.caData), metrics, timeoutMs: 5000 });
  const client = clientFor(server.url);
  await client.create(CRDS, {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${GADGETS.resource}.${GADGETS.group}` },
    spec: {
      group: GADGETS.group,
      scope: 'Namespaced',
      names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
            },
          },
        },
      ],
    },
  });
  for (const name of ['ns', 'operator']) {
    await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  return { server, client, clientFor, close: () => server.close() };
}

export function gadget(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: `${GADGETS.group}/${GADGETS.version}`, kind: 'Gadget', metadata: { name, namespace: 'ns' }, spec };
}

export { eventuallyDefined as eventually } from '../../support/eventually.js';

/**
 * A TCP proxy in front of the API server that can cut every connection (a dropped watch) and
 * refuse new ones for a while (an outage), without touching the server.
 */
export class DropProxy {
  private readonly sockets = new Set<net.Socket>();
  private readonly server: net.Server;
  private refusing = false;
  private protocol = 'http:';
  url = '';

  private constructor(target: string) {
    const { hostname, port } = new URL(target);
    this.protocol = new URL(target).protocol;
    this.server = net.createServer((client) => {
      if (this.refusing) {
        client.destroy();
        return;
      }
      const upstream = net.connect(Number(port), hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  static async start(target: string): Promise<DropProxy> {
    const proxy = new DropProxy(target);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', () => resolve()));
    proxy.url = `${proxy.protocol}//127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
    return proxy;
  }

  /** Cuts every open connection; with `refuse`, new ones are refused until resume(). */
  drop(refuse = false): void {
    this.refusing = refuse;
    for (const socket of this.sockets) socket.destroy();
  }

  resume(): void {
    this.refusing = false;
  }

  async close(): Promise<void> {
    this.drop(true);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
