/**
 * The AgencyTenant controller end to end: embedded API server, OpenStack simulator (a region per
 * data center, one shared Keystone) and Ceph simulator, through the generic reconcile loop.
 */
import type { AgencyTenant } from '../../src/api/v1alpha1/index.js';
import type { KubeObject } from '../../src/runtime/index.js';
import { DATACENTERS, NAMESPACES } from './support/harness.js';
import {
  condition,
  eventReasons,
  EVENTS,
  eventually,
  exampleTenant,
  getTenant,
  isReady,
  namespaceOf,
  ROLE_BINDINGS,
  snapshot,
  startTenantEnvironment,
  tenantGone,
  TENANTS,
  type TenantEnvironment,
} from './support/tenant.js';

import { jest } from '@jest/globals';

jest.setTimeout(60_000);

let env: TenantEnvironment;

beforeAll(async () => {
  env = await startTenantEnvironment();
});

afterAll(async () => {
  await env?.close();
});

async function createAndConverge(tenant: AgencyTenant & KubeObject): Promise<AgencyTenant & KubeObject> {
  await env.harness.client.create(TENANTS, tenant);
  return eventually(() => getTenant(env, tenant.metadata.name), isReady, `${tenant.metadata.name} Ready`);
}

async function backendWrites(): Promise<number> {
  const metric = await env.harness.metrics.getSingleMetric('statsmoln_backend_actions_total')?.get();
  return (metric?.values ?? []).filter((value) => value.labels.result === 'success' && value.labels.verb !== 'retain').reduce((sum, value) => sum + value.value, 0);
}

async function nudge(name: string, labels: Record<string, string>): Promise<void> {
  const current = await getTenant(env, name);
  await env.harness.client.update(TENANTS, { ...current, metadata: { ...current.metadata, labels } });
}

async function externalNetworkId(dataCenter: string): Promise<string> {
  const [network] = await env.harness.adminClients(dataCenter).network.listNetworks({ external: true });
  return network!.id;
}

describe('the example agencies', () => {
  it('skatteverket converges to Ready in both sites with exactly its backend objects', async () => {
    const ready = await createAndConverge(exampleTenant('skatteverket'));
    const state = await snapshot(env, 'skatteverket');
    const uidTag = `statsmoln.io:uid=${ready.metadata.uid}`;
    expect(state.domains).toBe(1);
    expect(state.projects).toEqual({
      'skatteverket-production': [uidTag, 'statsmoln.io:environment=production', 'statsmoln.io:orgnr=202100-5448', 'statsmoln.io:tenant=skatteverket'].sort(),
      'skatteverket-test': [uidTag, 'statsmoln.io:environment=test', 'statsmoln.io:orgnr=202100-5448', 'statsmoln.io:tenant=skatteverket'].sort(),
      'skatteverket-development': [uidTag, 'statsmoln.io:environment=development', 'statsmoln.io:orgnr=202100-5448', 'statsmoln.io:tenant=skatteverket'].sort(),
    });
    expect(state.groups).toEqual(['skatteverket-admin', 'skatteverket-member', 'skatteverket-reader']);
    expect(state.assignments).toEqual(
      ['production', 'test', 'development']
        .flatMap((environment) => [
          `skatteverket-admin admin skatteverket-${environment}`,
          `skatteverket-member member skatteverket-${environment}`,
          `skatteverket-reader reader skatteverket-${environment}`,
        ])
        .sort(),
    );
    expect(state.identityProvider).toEqual({ remoteIds: ['https://login.skatteverket.se/realms/staff'], domainMatches: true });
    expect(state.protocol).toBe('openid->agency-skatteverket');
    expect(state.mappingGroups).toEqual(
      [
        { type: 'OIDC-groups', any_one_of: ['cloud-admins'] },
        { type: 'OIDC-groups', any_one_of: ['developers'] },
        { type: 'OIDC-groups', any_one_of: ['auditors'] },
      ]
        .map((remote) => JSON.stringify(remote))
        .sort(),
    );
    const sto = await externalNetworkId('sto-1');
    const gbg = await externalNetworkId('gbg-1');
    const net = (subnets: string[], gateway: string, baselineIngress: string[]) => ({
      networks: 1,
      subnets: [...subnets].sort(),
      routers: 1,
      gateway,
      interfaces: subnets.length,
      securityGroups: 1,
      baselineIngress: [...baselineIngress].sort(),
    });
    const productionIngress = ['IPv4 10.20.0.0/20', 'IPv6 fd20:5e::/64', 'IPv4 10.21.0.0/20', 'IPv6 fd20:5f::/64'];
    expect(state.networks).toEqual({
      'sto-1/production': net(['10.20.0.0/20', 'fd20:5e::/64'], sto, productionIngress),
      'sto-1/test': net(['10.20.16.0/22'], sto, ['IPv4 10.20.16.0/22', 'IPv4 10.21.16.0/22']),
      'sto-1/development': net(['10.20.20.0/22'], sto, ['IPv4 10.20.20.0/22', 'IPv4 10.21.20.0/22']),
      'gbg-1/production': net(['10.21.0.0/20', 'fd20:5f::/64'], gbg, productionIngress),
      'gbg-1/test': net(['10.21.16.0/22'], gbg, ['IPv4 10.20.16.0/22', 'IPv4 10.21.16.0/22']),
      'gbg-1/development': net(['10.21.20.0/22'], gbg, ['IPv4 10.20.20.0/22', 'IPv4 10.21.20.0/22']),
    });
    expect(state.rbdNamespace).toBe(true);

    // Status lists every backend id per placement, the ones the backends hold.
    const placements = ready.status?.placements ?? [];
    expect(placements.map((entry) => `${entry.dataCenter}/${entry.environment}:${entry.ready}`)).toEqual([
      'sto-1/production:true',
      'sto-1/test:true',
      'sto-1/development:true',
      'gbg-1/production:true',
      'gbg-1/test:true',
      'gbg-1/development:true',
    ]);
    const [network] = await env.harness.adminClients('gbg-1').network.listNetworks({ name: 'skatteverket-production' });
    const gbgProduction = placements.find((entry) => entry.dataCenter === 'gbg-1' && entry.environment === 'production');
    expect(gbgProduction).toMatchObject({ networkId: network!.id, cephNamespace: 'agencies/agency-skatteverket', mappingId: 'agency-skatteverket', identityProviderId: 'agency-skatteverket' });
    expect(gbgProduction?.subnetIds).toHaveLength(2);
    expect(ready.status?.namespace).toBe('agency-skatteverket');

    // Kubernetes side: the namespace, labelled and owned, and one RoleBinding per group.
    const namespace = await namespaceOf(env, 'agency-skatteverket');
    expect(namespace?.metadata?.labels).toMatchObject({ 'statsmoln.io/tenant': 'skatteverket' });
    expect(namespace?.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'AgencyTenant', name: 'skatteverket', uid: ready.metadata.uid })]);
    const bindings = await env.harness.client.list<KubeObject & { roleRef: { name: string }; subjects: Array<{ kind: string; name: string }> }>(ROLE_BINDINGS, { namespace: 'agency-skatteverket' });
    expect(bindings.items.map((binding) => `${binding.subjects[0]?.kind}:${binding.subjects[0]?.name}->${binding.roleRef.name}`).sort()).toEqual(
      ['Group:auditors->view', 'Group:cloud-admins->admin', 'Group:developers->edit'],
    );

    // One "Created" event per reconcile lists what it created, not one event per backend object.
    const events = await env.harness.client.list<KubeObject & { reason?: string; note?: string; regarding?: { name?: string } }>(EVENTS, {});
    const created = events.items.filter((event) => event.regarding?.name === 'skatteverket' && event.reason === 'Created');
    const listed = created.reduce((sum, event) => sum + Number(/^(\d+) actions: /.exec(event.note ?? '')?.[1] ?? 1), 0);
    const metric = await env.harness.metrics.getSingleMetric('statsmoln_backend_actions_total')?.get();
    const creates = (metric?.values ?? []).filter((value) => value.labels.kind === 'AgencyTenant' && value.labels.verb === 'create' && value.labels.result === 'success').reduce((sum, value) => sum + value.value, 0);
    expect(creates).toBeGreaterThan(30);
    expect(listed).toBe(creates);
    expect(created.length).toBeLessThan(creates / 5);
  });

  it('polisen (classified, groups in the roles claim) and bolagsverket converge to Ready', async () => {
    const [polisen, bolagsverket] = await Promise.all([createAndConverge(exampleTenant('polisen')), createAndConverge(exampleTenant('bolagsverket'))]);
    expect(condition(polisen, 'Ready')).toMatchObject({ status: 'True', reason: 'Reconciled' });
    const police = await snapshot(env, 'polisen');
    expect(Object.keys(police.projects).sort()).toEqual(['polisen-classified', 'polisen-development']);
    expect(police.groups).toEqual(['polisen-admin', 'polisen-member']);
    expect(police.mappingGroups).toEqual([JSON.stringify({ type: 'OIDC-roles', any_one_of: ['plattform'] }), JSON.stringify({ type: 'OIDC-roles', any_one_of: ['utveckling'] })].sort());
    expect(Object.keys(police.networks).sort()).toEqual(['sto-1/classified', 'sto-1/development']);
    expect(police.networks['sto-1/classified']?.baselineIngress).toEqual(['IPv4 10.20.0.0/20']);

    const bv = await snapshot(env, 'bolagsverket');
    expect(bv.assignments).toEqual(['bolagsverket-admin admin bolagsverket-production', 'bolagsverket-admin admin bolagsverket-test']);
    expect(bv.networks['lla-1/production']).toMatchObject({ subnets: ['192.168.10.0/24'], interfaces: 1, gateway: await externalNetworkId('lla-1') });
    expect(bolagsverket.status?.placements?.map((entry) => entry.ready)).toEqual([true, true]);
  });

  it('a resync of converged tenants makes no backend write', async () => {
    const before = await backendWrites();
    expect(before).toBeGreaterThan(50); // the three agencies' creations were counted
    await nudge('bolagsverket', { resync: '1' });
    await eventually(() => getTenant(env, 'bolagsverket'), (tenant) => isReady(tenant) && tenant.metadata.labels?.resync === '1', 'resynced');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await backendWrites()).toBe(before);
  });
});

describe('drift', () => {
  it('re-creates a deleted subnet and a removed baseline rule on resync, and reports the drift', async () => {
    const expected = await snapshot(env, 'skatteverket');
    const network = env.harness.adminClients('sto-1').network;
    const [router] = await network.listRouters({ name: 'skatteverket-production' });
    const [net] = await network.listNetworks({ name: 'skatteverket-production' });
    const v6 = (await network.listSubnets({ networkId: net!.id })).find((subnet) => subnet.ip_version === 6)!;
    await network.removeRouterInterface(router!.id, v6.id);
    await network.deleteSubnet(v6.id);
    const [group] = await network.listSecurityGroups({ name: 'skatteverket-test-baseline' });
    const rule = group!.security_group_rules.find((entry) => entry.remote_ip_prefix === '10.21.16.0/22')!;
    await network.deleteSecurityGroupRule(rule.id);
    expect((await snapshot(env, 'skatteverket')).networks['sto-1/production']?.subnets).toEqual(['10.20.0.0/20']);

    await nudge('skatteverket', { resync: 'drift' });
    await eventually(() => snapshot(env, 'skatteverket'), (state) => JSON.stringify(state) === JSON.stringify(expected), 'drift corrected');
    expect(await eventReasons(env, 'skatteverket')).toContain('DriftDetected');
  });
});

function twoSites(name: string, deletionPolicy: 'Retain' | 'Delete'): AgencyTenant & KubeObject {
  return exampleTenant('skatteverket', name, (spec) => {
    spec.deletionPolicy = deletionPolicy;
    spec.classification.availability = 1; // availability 2 needs two sites: these tests drop one
  });
}

/** Changes the spec and waits until the status shows exactly the placements of the new spec, Ready. */
async function updateSpec(name: string, change: (spec: AgencyTenant['spec']) => void): Promise<AgencyTenant & KubeObject> {
  const current = await getTenant(env, name);
  change(current.spec);
  await env.harness.client.update(TENANTS, current);
  const generation = (current.metadata.generation ?? 0) + 1;
  const wanted = current.spec.placement.dataCenters.flatMap((dataCenter) => current.spec.environments.map((environment) => `${dataCenter}/${environment}`));
  return eventually(
    () => getTenant(env, name),
    (tenant) =>
      isReady(tenant) &&
      tenant.metadata.generation === generation &&
      JSON.stringify(tenant.status?.placements?.map((entry) => `${entry.dataCenter}/${entry.environment}`)) === JSON.stringify(wanted),
    `${name} Ready at generation ${generation}`,
  );
}

const withoutGbg = (spec: AgencyTenant['spec']) => {
  spec.placement.dataCenters = ['sto-1'];
  spec.network.addressPlan = spec.network.addressPlan.filter((entry) => entry.dataCenter !== 'gbg-1');
};

describe('removing a data center or an environment from the placement', () => {
  it('under Retain leaves the backend objects, records it, and drops the placement from status', async () => {
    await createAndConverge(twoSites('keep-site', 'Retain'));
    const before = await snapshot(env, 'keep-site');
    const after = await updateSpec('keep-site', withoutGbg);
    expect(after.status?.placements?.map((entry) => `${entry.dataCenter}/${entry.environment}`)).toEqual(['sto-1/production', 'sto-1/test', 'sto-1/development']);
    const after_ = await snapshot(env, 'keep-site');
    // Everything stays; only the sto-1 baseline groups stop admitting the ranges the spec dropped.
    const { networks: beforeNetworks, ...beforeIdentity } = before;
    const { networks: afterNetworks, ...afterIdentity } = after_;
    expect(afterIdentity).toEqual(beforeIdentity);
    for (const key of ['gbg-1/production', 'gbg-1/test', 'gbg-1/development']) expect(afterNetworks[key]).toEqual(beforeNetworks[key]);
    expect(afterNetworks['sto-1/test']).toEqual({ ...beforeNetworks['sto-1/test'], baselineIngress: ['IPv4 10.20.16.0/22'] });
    expect(await eventReasons(env, 'keep-site')).toContain('Retained');
  });

  it('under Delete removes the site’s networks (Keystone stays: sto-1 shares it), then an environment’s project too', async () => {
    await createAndConverge(twoSites('drop-site', 'Delete'));
    const before = await snapshot(env, 'drop-site');
    expect(Object.keys(before.networks)).toHaveLength(6);
    await updateSpec('drop-site', withoutGbg);
    const afterSite = await snapshot(env, 'drop-site');
    expect(Object.keys(afterSite.networks).sort()).toEqual(['sto-1/development', 'sto-1/production', 'sto-1/test']);
    expect(afterSite.projects).toEqual(before.projects);
    expect(afterSite.identityProvider).toEqual(before.identityProvider);
    expect(afterSite.rbdNamespace).toBe(true);
    // The sto-1 baseline groups no longer admit the gbg-1 ranges.
    expect(afterSite.networks['sto-1/test']?.baselineIngress).toEqual(['IPv4 10.20.16.0/22']);

    const afterEnvironment = await updateSpec('drop-site', (spec) => {
      spec.environments = ['production', 'test'];
      spec.network.addressPlan = spec.network.addressPlan.filter((entry) => entry.environment !== 'development');
    });
    const state = await snapshot(env, 'drop-site');
    expect(Object.keys(state.projects).sort()).toEqual(['drop-site-production', 'drop-site-test']);
    expect(state.assignments.filter((entry) => entry.endsWith('development'))).toEqual([]);
    expect(Object.keys(state.networks).sort()).toEqual(['sto-1/production', 'sto-1/test']);
    expect(afterEnvironment.status?.placements?.map((entry) => entry.environment)).toEqual(['production', 'test']);
  });
});

describe('deleting a tenant', () => {
  it('under Retain removes the finalizer and leaves the namespace (orphaned) and every backend object', async () => {
    await createAndConverge(exampleTenant('bolagsverket', 'keep-all'));
    const before = await snapshot(env, 'keep-all');
    await env.harness.client.delete(TENANTS, undefined, 'keep-all');
    await eventually(() => tenantGone(env, 'keep-all'), Boolean, 'tenant gone');
    const namespace = await namespaceOf(env, 'agency-keep-all');
    expect(namespace?.metadata?.ownerReferences ?? []).toEqual([]);
    expect(namespace?.metadata?.deletionTimestamp).toBeUndefined();
    expect(await snapshot(env, 'keep-all')).toEqual(before);
  });

  it('under Delete deletes the namespace, waits for it, then every backend object in both sites', async () => {
    await createAndConverge(twoSites('drop-all', 'Delete'));
    await env.harness.client.delete(TENANTS, undefined, 'drop-all');
    await eventually(() => tenantGone(env, 'drop-all'), Boolean, 'tenant gone');
    expect(await namespaceOf(env, 'agency-drop-all')).toBeUndefined();
    expect(await snapshot(env, 'drop-all')).toEqual({ domains: 0, projects: {}, groups: [], assignments: [], networks: {}, rbdNamespace: false });
  });
});

describe('agency data in Ceph', () => {
  it('under Delete keeps an RBD namespace that still holds images, and says so', async () => {
    await createAndConverge(exampleTenant('bolagsverket', 'has-data', (spec) => (spec.deletionPolicy = 'Delete')));
    await env.ceph.createImage({ pool: 'agencies', namespace: 'agency-has-data', name: 'volume-1', sizeBytes: 1 << 20 });
    await env.harness.client.delete(TENANTS, undefined, 'has-data');
    await eventually(() => tenantGone(env, 'has-data'), Boolean, 'tenant gone');
    const state = await snapshot(env, 'has-data');
    expect(state).toEqual({ domains: 0, projects: {}, groups: [], assignments: [], networks: {}, rbdNamespace: true });
    expect(await env.ceph.listNamespaces('agencies')).toContainEqual({ namespace: 'agency-has-data', numImages: 1 });
    expect(await eventReasons(env, 'has-data')).toContain('Retained');
  });
});

describe('a crash in the middle of a convergence', () => {
  it('leaves no duplicate: a fresh reconcile adopts what the first half created', async () => {
    const paused = exampleTenant('skatteverket', 'crashy');
    paused.metadata.annotations = { 'statsmoln.io/paused': 'true' };
    await env.harness.client.create(TENANTS, paused);
    const tenant = await eventually(() => getTenant(env, 'crashy'), (object) => condition(object, 'Paused')?.status === 'True', 'paused');
    const ctx = env.context();
    const observed = await env.actuator.observe(tenant, ctx);
    const plan = env.actuator.plan(tenant, observed);
    expect(plan.length).toBeGreaterThan(60);
    const firstHalf = plan.slice(0, Math.floor(plan.length / 2));
    for (const action of firstHalf) await env.actuator.apply(action, tenant, observed, ctx);
    // The "crashed" operator recorded nothing; the next one starts from the backends alone.
    const resumed = env.actuator.plan(tenant, await env.actuator.observe(tenant, ctx));
    expect(resumed.map((action) => `${action.verb} ${action.resource} ${action.name} ${action.scope}`)).toEqual(
      plan.slice(firstHalf.length).map((action) => `${action.verb} ${action.resource} ${action.name} ${action.scope}`),
    );

    const current = await getTenant(env, 'crashy');
    await env.harness.client.update(TENANTS, { ...current, metadata: { ...current.metadata, annotations: {} } });
    await eventually(() => getTenant(env, 'crashy'), isReady, 'crashy Ready');
    const state = await snapshot(env, 'crashy');
    expect(state.domains).toBe(1);
    expect(Object.keys(state.projects)).toHaveLength(3);
    expect(state.groups).toEqual(['crashy-admin', 'crashy-member', 'crashy-reader']);
    expect(state.assignments).toHaveLength(9);
    expect(Object.values(state.networks).map((entry) => [entry.networks, entry.routers, entry.securityGroups])).toEqual(Array(6).fill([1, 1, 1]));
    expect(state.networks['sto-1/production']).toMatchObject({ subnets: ['10.20.0.0/20', 'fd20:5e::/64'], interfaces: 2 });
  });
});

describe('managementPolicy Observe', () => {
  it('reports what is missing and creates nothing', async () => {
    await env.harness.client.create(TENANTS, exampleTenant('bolagsverket', 'watcher', (spec) => (spec.managementPolicy = 'Observe')));
    const stalled = await eventually(() => getTenant(env, 'watcher'), (tenant) => condition(tenant, 'Stalled')?.status === 'True', 'Stalled');
    expect(condition(stalled, 'Stalled')).toMatchObject({ reason: 'ObservedDifference' });
    expect(condition(stalled, 'Stalled')?.message).toMatch(/^managementPolicy Observe: \d+ to create needed; not acting$/);
    expect(await namespaceOf(env, 'agency-watcher')).toBeUndefined();
    expect(await snapshot(env, 'watcher')).toEqual({ domains: 0, projects: {}, groups: [], assignments: [], networks: {}, rbdNamespace: false });
  });

  it('imports a converged tenant as Ready with its backend ids', async () => {
    const managed = await getTenant(env, 'bolagsverket');
    const ids = managed.status?.placements;
    await env.harness.client.update(TENANTS, { ...managed, spec: { ...managed.spec, managementPolicy: 'Observe' } });
    const observed = await eventually(() => getTenant(env, 'bolagsverket'), (tenant) => isReady(tenant) && condition(tenant, 'Ready')?.reason === 'Observed', 'Observed');
    expect(observed.status?.placements).toEqual(ids);
  });
});

describe('what the controller refuses or waits for', () => {
  it('never adopts a backend object with its name but no ownership marker', async () => {
    await env.harness.adminClients('sto-1').identity.createDomain({ name: 'agency-intruder', description: 'someone else’s' });
    await env.harness.client.create(TENANTS, exampleTenant('bolagsverket', 'intruder'));
    const stalled = await eventually(() => getTenant(env, 'intruder'), (tenant) => condition(tenant, 'Stalled')?.status === 'True', 'Stalled');
    expect(condition(stalled, 'Stalled')).toMatchObject({ reason: 'InvalidConfiguration' });
    expect(condition(stalled, 'Stalled')?.message).toContain('keystone domain agency-intruder exists and is owned by another object');
    expect((await snapshot(env, 'intruder')).networks).toEqual({});
  });

  it('waits with a reason while a placed partition is not Ready, then converges', async () => {
    type DataCenterObject = KubeObject & { status: { partitions: Array<{ environment: string; ready: boolean }> } };
    const setReady = async (ready: boolean) => {
      const fresh = await env.harness.client.get<DataCenterObject>(DATACENTERS, undefined, 'lla-1');
      fresh.status.partitions = fresh.status.partitions.map((partition) => (partition.environment === 'test' ? { ...partition, ready } : partition));
      await env.harness.client.updateStatus(DATACENTERS, fresh);
    };
    await setReady(false);
    await env.harness.client.create(TENANTS, exampleTenant('bolagsverket', 'patient'));
    const waiting = await eventually(() => getTenant(env, 'patient'), (tenant) => condition(tenant, 'Reconciling')?.reason === 'PartitionNotReady', 'waiting');
    expect(condition(waiting, 'Ready')?.status).toBe('False');
    expect(condition(waiting, 'Reconciling')?.message).toContain('partition lla-1/test is not Ready');
    await setReady(true);
    await eventually(() => getTenant(env, 'patient'), isReady, 'patient Ready', 30_000);
  });
});

describe('the namespace', () => {
  it('gets its label and owner back when someone strips them', async () => {
    const namespace = (await namespaceOf(env, 'agency-polisen'))!;
    await env.harness.client.update(NAMESPACES, { ...namespace, metadata: { ...namespace.metadata, labels: {}, ownerReferences: [] } });
    await nudge('polisen', { resync: 'namespace' });
    const fixed = await eventually(() => namespaceOf(env, 'agency-polisen'), (object) => object?.metadata?.labels?.['statsmoln.io/tenant'] === 'polisen', 'label restored');
    expect(fixed?.metadata?.ownerReferences).toHaveLength(1);
  });
});
