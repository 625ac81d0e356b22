/**
 * What local mode starts, for tests that run the operator themselves: the embedded API server, the
 * simulators of the example DataCenters, the operator namespace with the Secrets they reference, and
 * every example (but examples/invalid/) applied in dependency order.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { startApiServer, type ApiServer } from '../../../src/apiserver/index.js';
import { APPLY_ORDER } from '../../../src/operator/local-mode.js';
import { startSimulatedPlatform, type SimulatedPlatform } from '../../../src/operator/local-platform.js';
import { applyObject, loadManifests } from '../../../src/operator/manifests.js';
import { DEFAULT_OPERATOR_NAMESPACE } from '../../../src/operator/operator.js';
import { KubeClient, kubeConfigForServer } from '../../../src/runtime/index.js';

export interface ExamplesPlatform {
  /** A temporary directory, removed by close(). */
  directory: string;
  api: ApiServer;
  client: KubeClient;
  platform: SimulatedPlatform;
  /** The example DataCenters' names, one simulated region each. */
  regions: string[];
  /** A kubeconfig file for the API server, for an operator in another process. */
  kubeconfig: string;
  close(): Promise<void>;
}

export async function startExamplesPlatform(prefix: string): Promise<ExamplesPlatform> {
  const directory = await mkdtemp(join(tmpdir(), prefix));
  const api = await startApiServer({ host: '127.0.0.1', port: 0 });
  await api.registerCrdsFromDir('crds');
  const kubeconfig = await api.writeKubeconfig(join(directory, 'kubeconfig'));
  const client = new KubeClient({ kubeConfig: kubeConfigForServer(api.url, api.token, api.caData) });
  const examples = resolve('examples');
  const manifests = (await loadManifests([examples], (file) => relative(examples, resolve(file)).split(sep)[0] !== 'invalid')).map((entry) => entry.object);
  const dataCenters = manifests.filter((object) => object.kind === 'DataCenter');
  const platform = await startSimulatedPlatform(dataCenters, DEFAULT_OPERATOR_NAMESPACE);
  await applyObject(client, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: DEFAULT_OPERATOR_NAMESPACE } });
  for (const secret of platform.secrets) await applyObject(client, secret);
  const ordered = [...manifests.filter((object) => object.kind !== 'DataCenter'), ...platform.dataCenters].sort(
    (a, b) => APPLY_ORDER.indexOf(a.kind ?? '') - APPLY_ORDER.indexOf(b.kind ?? ''),
  );
  for (const object of ordered) await applyObject(client, object);
  return {
    directory,
    api,
    client,
    platform,
    regions: dataCenters.map((object) => object.metadata?.name ?? ''),
    kubeconfig,
    async close() {
      await platform.stop();
      await api.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
