/**
 * Child process of bench/operator-bench.ts: the embedded API server and the OpenStack and Ceph
 * simulators, filled with the benchmark's agencies, so that the operator under test has a process
 * (a core) of its own, as it has in production. Answers the parent over IPC:
 *   { type: 'counts' } -> { type: 'counts', counts: [openstack, ceph...], cpuMs, loopDelay, answers }
 *        request counters, CPU used so far, event-loop delay and mean answer times since the last reset
 *   { type: 'reset' }  -> { type: 'reset' }   counters, the event-loop histogram and answer times cleared
 * and sends { type: 'ready', url, token, caData, operatorNamespace, objects } once everything is applied and every
 * backend call takes the given latency.
 * Run by the parent: node --import tsx bench/operator-platform.ts <agencies> <latency ms> [without-tenants]
 */
import { startApiServer } from '../src/apiserver/index.js';
import { forEachBounded } from '../src/metering/collectors/bounded.js';
import { startSimulatedPlatform } from '../src/operator/local-platform.js';
import { applyObject, loadManifests } from '../src/operator/manifests.js';
import { KubeClient, kubeConfigForServer, type KubeObject } from '../src/runtime/index.js';
import { AnswerTimes, type AnswerTime } from './answer-time.js';
import { LoopDelayMonitor, type LoopDelay } from './loop-delay.js';

const AGENCIES = Number(process.argv[2] ?? 1000);
const LATENCY_MS = Number(process.argv[3] ?? 10);
/** `without-tenants`: the quotas and volumes only, so that they wait for tenants that never come (bench/waiting-bench.ts). */
const WITHOUT_TENANTS = process.argv[4] === 'without-tenants';
const OPERATOR_NAMESPACE = 'statsmoln-system';
const DATA_CENTERS = ['sto-1', 'gbg-1'];

export type PlatformMessage =
  | { type: 'ready'; url: string; token: string; caData: string | undefined; operatorNamespace: string; objects: number; setupMs: number }
  | { type: 'counts'; counts: Record<string, number>[]; cpuMs: number; loopDelay: LoopDelay; answers: Record<'api' | 'backends', AnswerTime> }
  | { type: 'reset' };

/** An agency's manifests: namespace, tenant in sto-1 and gbg-1 (production), a quota per data center, five volumes. */
function agency(index: number): KubeObject[] {
  const name = `agency-${String(index).padStart(4, '0')}`;
  const namespace = `agency-${name}`;
  const meta = (objectName: string) => ({ name: objectName, namespace });
  const quota = (dataCenter: string): KubeObject => ({
    apiVersion: 'statsmoln.io/v1alpha1',
    kind: 'ComputeQuota',
    metadata: meta(`${dataCenter}-production`),
    spec: { dataCenter, environment: 'production', cores: 64, ramGiB: 256, instances: 40, serverGroups: 5, floatingIps: 4 },
  });
  const volume = (volumeName: string, dataCenter: string, tier: string, sizeGiB: number, extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: 'statsmoln.io/v1alpha1',
    kind: 'StorageVolume',
    metadata: meta(volumeName),
    spec: { dataCenter, environment: 'production', sizeGiB, tier, ...extra },
  });
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { 'statsmoln.io/tenant': name } } },
    {
      apiVersion: 'statsmoln.io/v1alpha1',
      kind: 'AgencyTenant',
      metadata: { name },
      spec: {
        displayName: `Agency ${index}`,
        organisationNumber: '202100-5448',
        classification: { confidentiality: 1, integrity: 1, availability: 1 },
        environments: ['production'],
        placement: { dataCenters: DATA_CENTERS },
        identity: {
          oidc: { issuer: `https://login.${name}.example.se/realms/staff`, clientId: 'statsmoln' },
          roleBindings: [{ group: 'cloud-admins', role: 'admin' }, { group: 'developers', role: 'member' }],
        },
        network: {
          addressPlan: [
            { dataCenter: 'sto-1', environment: 'production', cidrs: ['10.20.0.0/20'] },
            { dataCenter: 'gbg-1', environment: 'production', cidrs: ['10.21.0.0/20'] },
          ],
        },
        billing: { reference: `REF-${index}`, priceListRef: { name: 'standard-2026' } },
      },
    },
    quota('sto-1'),
    quota('gbg-1'),
    volume('db', 'sto-1', 'flash', 100),
    volume('logs', 'sto-1', 'hdd', 200),
    volume('scratch', 'sto-1', 'flash', 50, { backend: 'rbd' }),
    volume('archive', 'gbg-1', 'hdd', 500),
    volume('replica', 'gbg-1', 'flash', 100),
  ];
}

const send = (message: PlatformMessage): void => {
  process.send?.(message);
};

const api = await startApiServer({ host: '127.0.0.1', port: 0 });
await api.registerCrdsFromDir('crds');
const client = new KubeClient({ kubeConfig: kubeConfigForServer(api.url, api.token, api.caData) });
const platformManifests = (await loadManifests(['examples/platform'])).map((entry) => entry.object);
// One router gateway per agency and region: a /16 holds them all (the default /24 about 250).
const platform = await startSimulatedPlatform(platformManifests.filter((object) => object.kind === 'DataCenter'), OPERATOR_NAMESPACE, { externalCidr: '100.64.0.0/16' });
const started = performance.now();
await applyObject(client, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: OPERATOR_NAMESPACE } });
for (const object of [...platform.secrets, ...platformManifests.filter((object) => object.kind === 'PriceList'), ...platform.dataCenters]) {
  await applyObject(client, object);
}
let objects = 0;
await forEachBounded(
  Array.from({ length: AGENCIES }, (_, index) => index),
  16,
  async (index) => {
    for (const object of agency(index)) {
      if (WITHOUT_TENANTS && object.kind === 'AgencyTenant') continue;
      await applyObject(client, object);
      if (object.kind !== 'Namespace') objects += 1;
    }
  },
);
const setupMs = performance.now() - started;
platform.openstack.faults.latency = { fixedMs: LATENCY_MS, jitterMs: 0 };
for (const ceph of platform.cephs) {
  ceph.dashboardFaults.latency = { fixedMs: LATENCY_MS };
  ceph.rgwFaults.latency = { fixedMs: LATENCY_MS };
}
const resetCounters = (): void => {
  platform.openstack.resetCounters();
  for (const ceph of platform.cephs) ceph.resetCounters();
};
resetCounters();
// A backend answer waits for whatever else this one loop is doing (API requests, watch fan-out).
const loopDelay = new LoopDelayMonitor();
const answers = new AnswerTimes(Number(new URL(api.url).port));

process.on('message', (message: { type?: string }) => {
  if (message.type === 'counts') {
    const cpu = process.cpuUsage();
    const counts = [platform.openstack.requestCounts(), ...platform.cephs.map((ceph) => ceph.requestCounts())];
    send({ type: 'counts', counts, cpuMs: (cpu.user + cpu.system) / 1000, loopDelay: loopDelay.read(), answers: answers.read() });
  }
  if (message.type === 'reset') {
    resetCounters();
    loopDelay.reset();
    answers.reset();
    send({ type: 'reset' });
  }
});
process.on('disconnect', () => {
  // A failure to stop is reported and fails the process, so that the parent's run does not hide it.
  platform
    .stop()
    .then(() => api.close())
    .then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('operator-platform: stopping the simulators or the API server failed:', error);
        process.exit(1);
      },
    );
});
send({ type: 'ready', url: api.url, token: api.token, caData: api.caData, operatorNamespace: OPERATOR_NAMESPACE, objects, setupMs });
