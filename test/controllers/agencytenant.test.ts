/**
 * The AgencyTenant controller end to end: embedded API server, OpenStack simulator (a region per
 * data center, one shared Keystone) and Ceph simulator, through the generic reconcile loop.
 */
import type { AgencyTenant } from '../../src/api/v1alpha1/index.js';
import type { KubeObject } from '../../src/runtime/index.js';
import { NAMESPACES } from './support/harness.js';
import {
  condition,
  eventReasons,
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
