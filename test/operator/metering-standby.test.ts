/**
 * Metering with two operator replicas: only the leader sweeps and collects; when it stops, the
 * standby wins the Lease and its collector takes over.
 */
import { jest } from '@jest/globals';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agencyTenantDefinition } from '../../src/api/v1alpha1/index.js';
import { resourceTypeOf } from '../../src/controllers/framework/index.js';
import { startOperator, type RunningOperator } from '../../src/operator/operator.js';
import type { KubeObject } from '../../src/runtime/index.js';
import { OPERATOR_NAMESPACE, startHarness, type Harness } from '../controllers/support/harness.js';
import { eventually } from '../support/eventually.js';

jest.setTimeout(60_000);

const TENANTS = resourceTypeOf(agencyTenantDefinition);
let h: Harness;
let directory: string;
const running: RunningOperator[] = [];

const until = (check: () => Promise<boolean>, what: string): Promise<boolean> => eventually(check, (done) => done, what, 20_000, 50);

async function replica(name: string): Promise<RunningOperator> {
  const operator = await startOperator({
    client: h.client,
    operatorNamespace: OPERATOR_NAMESPACE,
    metricsAddress: false,
    leaderElection: { leaseName: 'metering-standby', identity: name },
    logLevel: 'silent',
    registrations: [],
    metering: {
      directory: join(directory, name),
      source: '/statsmoln/test',
      sinks: [{ kind: 'file', path: join(directory, name, 'usage.jsonl') }],
      sampleIntervalMs: 200,
      collectIntervalMs: 60_000,
    },
  });
  running.push(operator);
  return operator;
}

/** Sweeps a replica has stored, and the volumes its lifecycle events say started. */
async function sweepsOf(name: string): Promise<number> {
  const files = await readdir(join(directory, name, 'samples')).catch(() => [] as string[]);
  let lines = 0;
  for (const file of files) lines += (await readFile(join(directory, name, 'samples', file), 'utf8')).split('\n').filter(Boolean).length;
  return lines;
}
async function startedVolumes(name: string): Promise<string[]> {
  const text = await readFile(join(directory, name, 'usage.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { type: string; data: { action?: string; resource?: string } })
    .filter((event) => event.type === 'io.statsmoln.lifecycle.v1' && event.data.action === 'started')
    .map((event) => event.data.resource ?? '');
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'statsmoln-standby-'));
  h = await startHarness({ dataCenters: ['dc1'] });
  await h.createDataCenter('dc1', ['production']);
});

afterAll(async () => {
  for (const operator of running) await operator.stop();
  await h?.close();
  await rm(directory, { recursive: true, force: true });
});

test('only the leader meters; after it stops, the standby takes over the sweeps', async () => {
  const admin = h.adminClients('dc1');
  const project = await admin.identity.createProject({ name: 'standby-production', domain_id: 'default' });
  const [role] = await admin.identity.listRoles({ name: 'admin' });
  await admin.identity.grantRole({ projectId: project.id }, { userId: (await admin.session.token()).userId }, role!.id);
  const volume = await admin.forProject(project.id).blockStorage.createVolume({ name: 'data', size: 5, volume_type: 'standard' });
  const created = await h.client.create<KubeObject>(TENANTS, {
    apiVersion: 'statsmoln.io/v1alpha1',
    kind: 'AgencyTenant',
    metadata: { name: 'standby' },
    spec: {
      displayName: 'standby',
      organisationNumber: '202100-5448',
      classification: { confidentiality: 1, integrity: 1, availability: 1 },
      environments: ['production'],
      placement: { dataCenters: ['dc1'] },
      identity: { oidc: { issuer: 'https://login.example.se/realms/staff', clientId: 'statsmoln' }, roleBindings: [{ group: 'admins', role: 'admin' }] },
      network: { addressPlan: [{ dataCenter: 'dc1', environment: 'production', cidrs: ['10.20.0.0/20'] }] },
      billing: { reference: 'REF-1', priceListRef: { name: 'standard-2026' } },
    },
  });
  await h.client.updateStatus(TENANTS, { ...created, status: { placements: [{ dataCenter: 'dc1', environment: 'production', projectId: project.id, ready: true }] } });

  const a = await replica('a');
  await until(async () => a.manager.isLeader(), 'a leads');
  const b = await replica('b');
  await until(async () => (await startedVolumes('a')).includes(volume.id), 'a meters the volume');
  await until(async () => (await sweepsOf('a')) >= 3, 'a sweeps on');
  expect(b.manager.isLeader()).toBe(false);
  expect(await sweepsOf('b')).toBe(0);
  expect(await startedVolumes('b')).toEqual([]);

  await a.stop(); // releases the Lease
  await until(async () => b.manager.isLeader(), 'b takes the Lease');
  await until(async () => (await startedVolumes('b')).includes(volume.id), 'b meters the volume');
  const sweptByA = await sweepsOf('a');
  await until(async () => (await sweepsOf('b')) >= 3, 'b sweeps on');
  expect(await sweepsOf('a')).toBe(sweptByA);
});
