/**
 * Crash safety end to end: `statsmoln run` in its own process converges the examples against the
 * simulators and is killed with SIGKILL (no drain, no lease release, requests cut mid-flight)
 * twice in the middle of it; a third process finishes. Every backend object is then compared,
 * without ids, with what one uninterrupted run of the same examples leaves: no duplicate, no
 * orphan, nothing missing; and every backend id in the status exists.
 */
import { jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { agencyTenantDefinition, computeQuotaDefinition, storageVolumeDefinition, type AgencyTenant, type StorageVolume } from '../../src/api/v1alpha1/index.js';
import { resourceTypeOf } from '../../src/controllers/framework/index.js';
import { progressRows } from '../../src/operator/local-mode.js';
import type { SimulatedPlatform } from '../../src/operator/local-platform.js';
import type { KubeObject } from '../../src/runtime/index.js';
import type { CinderSim } from '../../src/simulators/openstack/index.js';
import { startExamplesPlatform, type ExamplesPlatform } from './support/examples.js';
import { platformInventory, repeated } from './support/inventory.js';

jest.setTimeout(240_000);

const KINDS = [resourceTypeOf(agencyTenantDefinition), resourceTypeOf(computeQuotaDefinition), resourceTypeOf(storageVolumeDefinition)];

type Run = ExamplesPlatform;

/** The embedded API server, the simulators of the example DataCenters, and the examples applied (as local mode does). */
const prepare = (): Promise<Run> => startExamplesPlatform('statsmoln-crash-');

const children = new Set<ChildProcess>();

function startOperatorProcess(run: Run): ChildProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'run', '--metrics-address', '0', '--check-interval', '1s', '--concurrency', '2', '--log-level', 'warn'],
    { env: { ...process.env, KUBECONFIG: run.kubeconfig }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  children.add(child);
  return child;
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill(signal);
  await exited;
}

/** OpenStack writes so far (token requests are not writes). */
function writes(platform: SimulatedPlatform): number {
  return Object.entries(platform.openstack.requestCounts())
    .filter(([key]) => /^\S+ (POST|PUT|PATCH|DELETE) /.test(key) && !key.includes('/auth/tokens'))
    .reduce((sum, [, count]) => sum + count, 0);
}

async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 20));
  }
}

/** `uid -> Kind/namespace/name` of every tenant, quota and volume. */
async function owners(run: Run): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const type of KINDS) {
    for (const item of (await run.client.list(type)).items) found.set(item.metadata?.uid ?? '', `${type.kind}/${item.metadata?.namespace ?? ''}/${item.metadata?.name ?? ''}`);
  }
  return found;
}

async function everythingReady(run: Run): Promise<boolean> {
  const objects = (await Promise.all(KINDS.map(async (type) => (await run.client.list(type)).items.map((item) => ({ ...item, kind: type.kind }))))).flat();
  return objects.length === 15 && progressRows(objects).allReady;
}

const runs: Run[] = [];
afterAll(async () => {
  // A failed wait leaves its operator running; it must not outlive the test.
  for (const child of children) await stop(child, 'SIGKILL');
  for (const run of runs) await run.close();
});

test('SIGKILL twice mid-convergence, then a restart: the same backend objects as an uninterrupted run, each once', async () => {
  const clean = await prepare();
  runs.push(clean);
  const uninterrupted = startOperatorProcess(clean);
  await until(() => everythingReady(clean), 'the uninterrupted run Ready');
  await stop(uninterrupted, 'SIGTERM');
  const expected = platformInventory(clean.platform, clean.regions, await owners(clean));
  const totalWrites = writes(clean.platform);

  const crashed = await prepare();
  runs.push(crashed);
  // Early (tenants part-way: projects, networks) and late (quotas and volumes part-way).
  const killPoints = [Math.round(totalWrites * 0.15), Math.round(totalWrites * 0.6)];
  for (const point of killPoints) {
    const child = startOperatorProcess(crashed);
    await until(() => writes(crashed.platform) >= point, `${point} backend writes`);
    await stop(child, 'SIGKILL');
    expect(await everythingReady(crashed)).toBe(false);
  }
  const last = startOperatorProcess(crashed);
  await until(() => everythingReady(crashed), 'Ready after the restarts');
  await stop(last, 'SIGTERM');

  const actual = platformInventory(crashed.platform, crashed.regions, await owners(crashed));
  expect(repeated(actual)).toEqual([]);
  expect(actual).toEqual(expected);

  // Every backend id in the status names an object that exists.
  const tenants = (await crashed.client.list<AgencyTenant & KubeObject>(KINDS[0]!)).items;
  for (const tenant of tenants) {
    for (const placement of tenant.status?.placements ?? []) expect(crashed.platform.openstack.keystone.projects.has(placement.projectId ?? '')).toBe(true);
  }
  const volumes = (await crashed.client.list<StorageVolume & KubeObject>(KINDS[2]!)).items;
  for (const volume of volumes) {
    const id = volume.status?.backendId ?? '';
    if (volume.spec.backend === 'rbd') {
      const [pool, namespace, image] = id.split('/');
      expect(crashed.platform.cephs.some((ceph) => ceph.cluster.pools.get(pool ?? '')?.namespaces.get(namespace ?? '')?.has(image ?? ''))).toBe(true);
    } else {
      expect((crashed.platform.openstack.services.get(`${volume.spec.dataCenter}/volume`) as CinderSim).volumes.has(id)).toBe(true);
    }
  }
  console.log(`crash convergence: killed at ${killPoints.join(' and ')} of ${totalWrites} writes; ${actual.length} backend objects, as the uninterrupted run`);
});
