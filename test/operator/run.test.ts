/**
 * `statsmoln run`: settings from flags and STATSMOLN_* variables, and the command as a process
 * against the embedded API server through KUBECONFIG, stopped by SIGTERM. The process runs the
 * bundle the image ships (scripts/bundle.ts), so that bundling cannot break what the image runs.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataCenter } from '../../src/api/v1alpha1/index.js';
import { bundle, CLI_ENTRY } from '../../scripts/bundle.js';
import { parseAddress, parseDuration, resolveRunConfig } from '../../src/operator/config.js';
import type { Condition, KubeObject } from '../../src/runtime/index.js';
import { DATACENTERS, OPERATOR_NAMESPACE, startHarness, type Harness } from '../controllers/support/harness.js';
import { createCephSecret, createDataCenterObject, createOpenStackSecret, eventually } from './support/datacenters.js';

describe('run settings', () => {
  it('uses defaults when nothing is given', () => {
    expect(resolveRunConfig({}, {})).toEqual({
      operatorNamespace: 'statsmoln-system',
      concurrency: 2,
      resyncPeriodMs: 600_000,
      dataCenterCheckIntervalMs: 60_000,
      backendTimeoutMs: 30_000,
      backendConcurrency: 32,
      metricsAddress: { host: '0.0.0.0', port: 8080 },
      logLevel: 'info',
    });
  });

  it('reads STATSMOLN_* variables, and flags win over them', () => {
    const env = {
      STATSMOLN_CONCURRENCY: '8',
      STATSMOLN_RESYNC_PERIOD: '1h',
      STATSMOLN_LEADER_ELECT: 'true',
      STATSMOLN_LEASE_NAME: 'ops',
      STATSMOLN_METRICS_ADDRESS: '127.0.0.1:9090',
      STATSMOLN_LOG_LEVEL: 'debug',
      STATSMOLN_OPERATOR_NAMESPACE: 'platform',
      STATSMOLN_BACKEND_CONCURRENCY: '12',
    };
    expect(resolveRunConfig({}, env)).toMatchObject({
      concurrency: 8,
      resyncPeriodMs: 3_600_000,
      leaderElection: { namespace: 'platform', leaseName: 'ops' },
      metricsAddress: { host: '127.0.0.1', port: 9090 },
      logLevel: 'debug',
      operatorNamespace: 'platform',
      backendConcurrency: 12,
    });
    expect(resolveRunConfig({ concurrency: '3', metricsAddress: '0', leaderElectionNamespace: 'leases' }, env)).toMatchObject({
      concurrency: 3,
      metricsAddress: false,
      leaderElection: { namespace: 'leases', leaseName: 'ops' },
    });
  });

  it.each([
    [{ concurrency: '0' }, 'concurrency: must be a positive integer, not "0"'],
    [{ backendConcurrency: '1.5' }, 'backend concurrency: must be a positive integer, not "1.5"'],
    [{ logLevel: 'loud' }, 'log level: "loud" is not one of'],
    [{ resyncPeriod: '10 minutes' }, 'resync period: invalid duration "10 minutes"'],
    [{ metricsAddress: 'localhost' }, 'metrics address: invalid "localhost"'],
    [{ meteringSink: 'file:/x' }, 'metering sink: given without a metering directory'],
    [{ meteringDir: '/m' }, 'metering sink: none given'],
    [{ meteringDir: '/m', meteringSink: 'kafka:broker' }, 'metering sink 1 (kafka): unknown kind "kafka"'],
    [{ meteringDir: '/m', meteringSink: 'file:/x,http:' }, 'metering sink 2 (http): missing target'],
    [{ meteringDir: '/m', meteringSink: 'nats:http://user:secret@host' }, 'metering sink 1 (nats): scheme must be nats: or tls:'],
    [{ meteringDir: '/m', meteringSink: 'file:/x', sampleInterval: 'often' }, 'sample interval: invalid duration "often"'],
  ])('refuses %j', (flags, message) => {
    expect(() => resolveRunConfig(flags, {})).toThrow(message);
  });

  it('turns metering on with a directory and sinks, from flags or STATSMOLN_METERING_*', () => {
    expect(resolveRunConfig({ meteringDir: '/var/lib/statsmoln', meteringSink: 'file:/var/lib/statsmoln/usage.jsonl' }, {}).metering).toEqual({
      directory: '/var/lib/statsmoln',
      source: '/statsmoln/statsmoln-system',
      sinks: [{ kind: 'file', path: '/var/lib/statsmoln/usage.jsonl' }],
      sampleIntervalMs: 60_000,
      collectIntervalMs: 300_000,
    });
    const env = { STATSMOLN_METERING_DIR: '/m', STATSMOLN_METERING_SINK: 'http:https://billing.internal/events,nats:nats://127.0.0.1:4222', STATSMOLN_COLLECT_INTERVAL: '1m' };
    expect(resolveRunConfig({}, env).metering).toMatchObject({
      sinks: [
        { kind: 'http', url: 'https://billing.internal/events' },
        { kind: 'nats', servers: 'nats://127.0.0.1:4222' },
      ],
      collectIntervalMs: 60_000,
    });
  });

  it('never echoes a sink URL (it may carry credentials) in an error', () => {
    expect(() => resolveRunConfig({ meteringDir: '/m', meteringSink: 'http:ftp://user:hunter2@host/x' }, {})).toThrow(/^(?!.*hunter2).*scheme must be http: or https:/);
  });

  it('parses durations and addresses', () => {
    expect(parseDuration('1m30s', 'x')).toBe(90_000);
    expect(parseDuration('250ms', 'x')).toBe(250);
    expect(parseDuration('0', 'x')).toBe(0);
    expect(parseAddress(':0')).toEqual({ host: '0.0.0.0', port: 0 });
    expect(parseAddress('[::1]:8080')).toEqual({ host: '::1', port: 8080 });
  });
});

describe('statsmoln run', () => {
  let h: Harness;
  let dir: string;

  beforeAll(async () => {
    h = await startHarness({ dataCenters: ['dc1'] });
    dir = await mkdtemp(join(tmpdir(), 'statsmoln-run-'));
    await bundle(CLI_ENTRY, join(dir, 'statsmoln.mjs'));
  });

  afterAll(async () => {
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the operator, as the image bundles it, from KUBECONFIG until SIGTERM, then exits 0', async () => {
    const kubeconfig = await h.api.writeKubeconfig(join(dir, 'kubeconfig'));
    await createOpenStackSecret(h, 'dc1-openstack', 'dc1');
    await createCephSecret(h, 'dc1-ceph');
    await createDataCenterObject(h, 'dc1', [{ environment: 'production', cloudsSecret: 'dc1-openstack', cephSecret: 'dc1-ceph' }]);
    const child = spawn(process.execPath, [join(dir, 'statsmoln.mjs'), 'run', '--metrics-address', '127.0.0.1:0', '--leader-elect'], {
      env: { ...process.env, KUBECONFIG: kubeconfig, STATSMOLN_LOG_LEVEL: 'warn', STATSMOLN_OPERATOR_NAMESPACE: OPERATOR_NAMESPACE, STATSMOLN_LEASE_NAME: 'run-test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const dc = await eventually(
        async () => (await h.client.get(DATACENTERS, undefined, 'dc1')) as unknown as DataCenter,
        (object) => (object.status?.conditions as Condition[] | undefined)?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
        'dc1 Ready from the run process',
        60_000,
      );
      expect(dc.status?.partitions?.[0]?.services).toHaveLength(5);
      const lease = await h.client.get<KubeObject & { spec?: { holderIdentity?: string } }>(
        { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', namespaced: true },
        OPERATOR_NAMESPACE,
        'run-test',
      );
      expect(lease.spec?.holderIdentity).toBeTruthy();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(output).not.toContain(h.ceph.dashboardPassword);
  }, 90_000);
});
