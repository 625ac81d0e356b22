/**
 * `statsmoln plan`: observe + plan of every registered actuator for the cluster's objects or for
 * manifests, never apply; shown with the DataCenter (no actions) and a test actuator.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeQuotaDefinition, dataCenterDefinition } from '../../src/api/v1alpha1/index.js';
import { resourceTypeOf } from '../../src/controllers/framework/index.js';
import { computePlan, formatPlan, planJson } from '../../src/operator/plan.js';
import { actuatorRegistration } from '../../src/operator/registration.js';
import type { KubeObject } from '../../src/runtime/index.js';
import { NAMESPACES, OPERATOR_NAMESPACE, startHarness, type Harness } from '../controllers/support/harness.js';
import { MemoryQuotaBackend, memoryQuotaActuatorFactory } from './support/memory-quota.js';

const QUOTAS = resourceTypeOf(computeQuotaDefinition);
const EVENTS = { group: 'events.k8s.io', version: 'v1', resource: 'events', kind: 'Event', namespaced: true };
let h: Harness;
const backend = new MemoryQuotaBackend();
const registrations = [actuatorRegistration(memoryQuotaActuatorFactory(backend))];

function quota(name: string, environment: string, cores: number): KubeObject {
  return {
    apiVersion: 'statsmoln.io/v1alpha1',
    kind: 'ComputeQuota',
    metadata: { name, namespace: 'agency-a' },
    spec: { dataCenter: 'dc1', environment, cores, ramGiB: 64, instances: 10, serverGroups: 2, floatingIps: 1 },
  };
}

beforeAll(async () => {
  h = await startHarness({ dataCenters: ['dc1'] });
  await h.createDataCenter('dc1', ['production']);
  await h.client.create(NAMESPACES, { metadata: { name: 'agency-a' } });
  await h.client.create(QUOTAS, quota('synced', 'production', 8));
  await h.client.create(QUOTAS, quota('grow', 'production', 16));
  backend.quotas.set('agency-a/synced', { cores: 8 });
  backend.quotas.set('agency-a/grow', { cores: 8 });
});

afterAll(async () => {
  await h?.close();
});

describe('statsmoln plan', () => {
  it("plans the cluster's objects: the DataCenter has no actions, drift shows as an update; nothing is written", async () => {
    const before = (await h.client.list(QUOTAS)).items.map((item) => item.metadata?.resourceVersion);
    const plans = await computePlan({ client: h.client, operatorNamespace: OPERATOR_NAMESPACE, registrations });
    expect(plans.map((plan) => [plan.kind, plan.name, plan.actions.length, plan.error])).toEqual([
      ['DataCenter', 'dc1', 0, undefined],
      ['ComputeQuota', 'grow', 1, undefined],
      ['ComputeQuota', 'synced', 0, undefined],
    ]);
    expect(formatPlan(plans)).toBe(
      [
        '  DataCenter dc1: no changes',
        '~ ComputeQuota agency-a/grow: 1 to update',
        '    ~ update memory quota agency-a/grow (dc1/production): drift',
        '        cores: 8 -> 16',
        '  ComputeQuota agency-a/synced: no changes',
        '',
        'Plan: 1 to update over 3 objects',
      ].join('\n'),
    );
    expect(backend.writes).toEqual([]);
    expect(backend.quotas.get('agency-a/grow')).toEqual({ cores: 8 });
    expect((await h.client.list(QUOTAS)).items.map((item) => item.metadata?.resourceVersion)).toEqual(before);
    expect((await h.client.list(EVENTS, {})).items).toEqual([]);
  });

  it('plans manifests over the cluster: a new object is a create, an unready partition cannot be planned, JSON has no payloads', async () => {
    const plans = await computePlan({
      client: h.client,
      operatorNamespace: OPERATOR_NAMESPACE,
      registrations,
      manifests: [quota('new', 'production', 4), quota('grow', 'production', 32), quota('elsewhere', 'test', 4), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } }],
    });
    expect(plans.map((plan) => [plan.name, plan.actions.map((action) => action.verb), plan.error])).toEqual([
      ['new', ['create'], undefined],
      ['grow', ['update'], undefined],
      ['elsewhere', [], 'partition dc1/test is not Ready'],
    ]);
    expect(plans[1]?.actions[0]?.changes).toEqual([{ field: 'cores', from: 8, to: 32 }]);
    expect(formatPlan(plans)).toContain('! ComputeQuota agency-a/elsewhere: cannot plan: partition dc1/test is not Ready');
    expect(formatPlan(plans).split('\n').at(-1)).toBe('Plan: 1 to create, 1 to update over 3 objects; 1 could not be planned');
    const json = planJson(plans) as { objects: Array<{ actions: Array<Record<string, unknown>> }>; summary: unknown };
    expect(json.summary).toEqual({ objects: 3, actions: 2, failed: 1 });
    expect(json.objects[0]?.actions[0]).toEqual({ verb: 'create', resource: 'memory quota', scope: 'dc1/production', name: 'agency-a/new', reason: 'missing' });
    expect(await h.client.list(QUOTAS).then((list) => list.items.map((item) => item.metadata?.name).sort())).toEqual(['grow', 'synced']);
    expect(backend.writes).toEqual([]);
  });

  it('reports invalid manifests without observing them', async () => {
    // on an unready partition: observing would have said PartitionNotReady
    const [plan] = await computePlan({ client: h.client, operatorNamespace: OPERATOR_NAMESPACE, registrations, manifests: [quota('bad', 'test', -1)] });
    expect(plan?.error).toBe('invalid: spec.cores: Invalid value: -1: must be greater than or equal to 0');
  });

  it('runs as a command with -f and --output json against KUBECONFIG', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'statsmoln-plan-'));
    try {
      const kubeconfig = await h.api.writeKubeconfig(join(dir, 'kubeconfig'));
      const dataCenter = await h.client.get(resourceTypeOf(dataCenterDefinition), undefined, 'dc1');
      const manifest = join(dir, 'dc.yaml');
      await writeFile(manifest, JSON.stringify({ apiVersion: 'statsmoln.io/v1alpha1', kind: 'DataCenter', metadata: { name: 'dc1' }, spec: (dataCenter as { spec?: unknown }).spec }));
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'plan', '-f', manifest, '--output', 'json', '--operator-namespace', OPERATOR_NAMESPACE], {
        env: { ...process.env, KUBECONFIG: kubeconfig },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(stdout)).toEqual({ objects: [{ kind: 'DataCenter', name: 'dc1', actions: [] }], summary: { objects: 1, actions: 0, failed: 0 } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
