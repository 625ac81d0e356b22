/**
 * Local mode end to end: the embedded API server in a temporary data directory, simulators for the
 * example DataCenters, the examples applied, the operator converging; stopped cleanly and resumed.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatProgressTable, progressRows, startLocalMode, type LocalMode, type LocalProgress } from '../../src/operator/local-mode.js';
import { runLocalMode } from '../../src/operator/local-cli.js';
import type { KubeObject } from '../../src/runtime/index.js';

let dir: string;
let local: LocalMode | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'statsmoln-local-'));
});

afterAll(async () => {
  await local?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('local mode', () => {
  it('brings every example (DataCenters, tenants, quotas, volumes) to Ready, reports progress, stops cleanly, and resumes from the data directory', async () => {
    const seen: LocalProgress[] = [];
    local = await startLocalMode({ dataDir: dir, port: 0, logLevel: 'warn', onProgress: (progress) => seen.push(progress), pollIntervalMs: 100, meteringSampleIntervalMs: 500 });
    const done = await local.ready;
    expect(done.allReady).toBe(true);
    expect(done.rows.map((row) => `${row.kind} ${row.name} ${row.ready}`)).toEqual([
      'DataCenter gbg-1 True',
      'DataCenter lla-1 True',
      'DataCenter sto-1 True',
      'AgencyTenant bolagsverket True',
      'AgencyTenant polisen True',
      'AgencyTenant skatteverket True',
      'ComputeQuota lla-1-production True',
      'ComputeQuota sto-1-classified True',
      'ComputeQuota gbg-1-production True',
      'ComputeQuota sto-1-production True',
      'ComputeQuota sto-1-test True',
      'StorageVolume exports True',
      'StorageVolume register True',
      'StorageVolume utredning True',
      'StorageVolume utveckling-scratch True',
      // 10 TiB and 2 TiB: past Cinder's default 1000 GiB quota, which the operator raised to fit
      'StorageVolume arkiv True',
      'StorageVolume deklarationer-db True',
      'StorageVolume test-db True',
    ]);
    expect(seen.at(-1)).toEqual(done);
    expect(local.applied.filter((entry) => entry.kind === 'DataCenter').map((entry) => entry.result)).toEqual(['created', 'created', 'created']);
    expect(local.applied.some((entry) => entry.kind === 'AgencyTenant')).toBe(true);
    expect(local.applied.some((entry) => entry.name.includes('invalid'))).toBe(false);
    expect(await readFile(local.kubeconfigPath, 'utf8')).toContain(local.apiUrl);
    expect(await (await fetch(local.metricsUrl)).text()).toContain('controller_runtime_reconcile_total');
    // Metering runs too: every example volume appears as a started lifecycle event in the file sink.
    const started = async (): Promise<string[]> => {
      const text = await readFile(local!.usageEventsPath, 'utf8').catch(() => '');
      const events = text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as { type: string; data: { action: string; tenant: string; resourceKind: string } });
      return events.filter((event) => event.type === 'io.statsmoln.lifecycle.v1' && event.data.action === 'started').map((event) => `${event.data.tenant} ${event.data.resourceKind}`);
    };
    for (let attempt = 0; attempt < 200 && (await started()).length < 7; attempt++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await started()).sort()).toEqual([
      'bolagsverket rbd-image',
      'bolagsverket volume',
      'polisen volume',
      'polisen volume',
      'skatteverket volume',
      'skatteverket volume',
      'skatteverket volume',
    ]);
    // the example files name hosts that do not exist here: the DataCenters were rewritten in memory
    expect(await readFile('examples/platform/datacenters.yaml', 'utf8')).toContain('https://ceph-sto-1.production.statsmoln.internal:8443');
    const dcs = local.operator.informers.dataCenters.store.list() as Array<KubeObject & { spec?: { partitions?: Array<{ ceph: { dashboardUrl: string } }> } }>;
    // one Ceph simulator per Ceph cluster the examples name: every partition of the examples has its own
    const partitionUrls = dcs.flatMap((dc) => (dc.spec?.partitions ?? []).map((partition) => partition.ceph.dashboardUrl));
    const simulatorUrls = local.platform.cephs.map((ceph) => ceph.dashboardUrl);
    expect(partitionUrls.length).toBe(simulatorUrls.length);
    expect([...partitionUrls].sort()).toEqual([...simulatorUrls].sort());
    await local.stop();
    local = undefined;

    const resumed = await startLocalMode({ dataDir: dir, port: 0, logLevel: 'warn', pollIntervalMs: 100 });
    local = resumed;
    const namespaces = resumed.applied.filter((entry) => entry.kind === 'Namespace' || entry.kind === 'AgencyTenant');
    expect(namespaces.every((entry) => entry.result === 'unchanged')).toBe(true);
    expect((await resumed.ready).allReady).toBe(true);
    await resumed.stop();
    local = undefined;
  }, 120_000);

  it('formats the progress table', () => {
    const progress = progressRows([
      { kind: 'DataCenter', metadata: { name: 'sto-1', generation: 2 }, status: { observedGeneration: 2, conditions: [{ type: 'Ready', status: 'True', reason: 'BackendsReachable', message: '', lastTransitionTime: '' }] } },
      { kind: 'DataCenter', metadata: { name: 'got-1', generation: 2 }, status: { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True', reason: 'BackendsReachable', message: '', lastTransitionTime: '' }] } },
    ] as KubeObject[]);
    expect(progress.allReady).toBe(false);
    expect(formatProgressTable(progress)).toBe(
      ['KIND        NAME   READY    REASON', 'DataCenter  got-1  Unknown  BackendsReachable', 'DataCenter  sto-1  True     BackendsReachable'].join('\n'),
    );
  });
});

describe('runLocalMode (what `statsmoln local` runs)', () => {
  it('prints the table, then the KUBECONFIG line and the metrics URL, and stops when told', async () => {
    const cliDir = await mkdtemp(join(tmpdir(), 'statsmoln-local-cli-'));
    let text = '';
    let release!: () => void;
    const until = new Promise<void>((resolve) => (release = resolve));
    const out = {
      write(chunk: string) {
        text += chunk;
        if (text.includes('export KUBECONFIG=')) release();
        return true;
      },
    };
    try {
      await runLocalMode({ dataDir: cliDir, host: '127.0.0.1', port: 0, crds: 'crds' }, out, until);
      expect(text).toMatch(/KIND\s+NAME\s+READY\s+REASON/);
      expect(text).toMatch(/DataCenter\s+sto-1\s+True\s+BackendsReachable/);
      expect(text).toContain(`export KUBECONFIG=${join(cliDir, 'kubeconfig')}`);
      expect(text).toMatch(/# metrics: http:\/\/127\.0\.0\.1:\d+\/metrics/);
      expect(text.trimEnd().endsWith('# shutting down')).toBe(true);
    } finally {
      await rm(cliDir, { recursive: true, force: true });
    }
  }, 60_000);
});
