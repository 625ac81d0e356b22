/** The AgencyTenant plan is pure: (spec, observed) -> exact ordered actions, without any server. */
import type { AgencyTenant } from '../../src/api/v1alpha1/index.js';
import type { Network, Router, SecurityGroup, Subnet } from '../../src/backends/openstack/index.js';
import {
  BASELINE_RULE_DESCRIPTION,
  mappingRules,
  planTenant,
  planTenantDeletion,
  projectTags,
  roleBindingName,
  tenantStatus,
  type PlacementObserved,
  type TenantAction,
  type TenantObserved,
} from '../../src/controllers/agencytenant/index.js';

const UID = 'u-1';
const UID_TAG = `statsmoln.io:uid=${UID}`;

function tenant(spec: Partial<AgencyTenant['spec']> = {}, extra: Partial<AgencyTenant> = {}): AgencyTenant {
  return {
    apiVersion: 'statsmoln.io/v1alpha1',
    kind: 'AgencyTenant',
    metadata: { name: 'a', uid: UID, generation: 1 },
    spec: {
      displayName: 'A',
      organisationNumber: '202100-5489',
      classification: { confidentiality: 1, integrity: 1, availability: 1 },
      environments: ['production'],
      placement: { dataCenters: ['dc1'] },
      identity: { oidc: { issuer: 'https://idp.a.se', clientId: 'c' }, roleBindings: [{ group: 'ops', role: 'admin' }] },
      network: { addressPlan: [{ dataCenter: 'dc1', environment: 'production', cidrs: ['10.0.0.0/24'] }] },
      billing: { reference: 'R', priceListRef: { name: 'p' } },
      ...spec,
    },
    ...extra,
  } as AgencyTenant;
}

const clients = () => ({ keystone: new Map(), placement: new Map(), ceph: new Map() });

function emptyPlacement(dataCenter: string, environment: 'production' | 'test', desired = true): PlacementObserved {
  return { dataCenter, environment, desired, keystone: 'k', ceph: 'c', ...(desired ? { externalNetworkId: 'ext' } : {}), subnets: [], interfaces: [], ownedPorts: [] };
}

/** Nothing exists yet. */
function nothing(): TenantObserved {
  return {
    roleBindings: [],
    keystones: [{ key: 'k', dataCenters: ['dc1'], groups: {}, projects: {}, assignments: [], operatorAccess: [], roleIds: { admin: 'r-admin', member: 'r-member', reader: 'r-reader' } }],
    placements: [emptyPlacement('dc1', 'production')],
    cephs: [{ key: 'c', pool: 'agencies', namespace: 'agency-a', exists: false, images: 0 }],
    retained: [],
    clients: clients(),
  };
}

function convergedPlacement(dataCenter: string, environment: 'production' | 'test', cidr: string, desired = true): PlacementObserved {
  const id = `${dataCenter}-${environment}`;
  return {
    ...emptyPlacement(dataCenter, environment, desired),
    network: { id: `net-${id}`, name: `a-${environment}`, tags: [UID_TAG], description: '' } as unknown as Network,
    subnets: [{ id: `sub-${id}`, name: `a-${environment}-0`, cidr, tags: [UID_TAG] } as unknown as Subnet],
    router: { id: `router-${id}`, name: `a-${environment}`, tags: [UID_TAG], external_gateway_info: { network_id: 'ext' } } as unknown as Router,
    interfaces: [{ subnetId: `sub-${id}`, portId: `port-${id}` }],
    securityGroup: {
      id: `sg-${id}`,
      name: `a-${environment}-baseline`,
      tags: [UID_TAG],
      security_group_rules: [{ id: `rule-${id}`, direction: 'ingress', ethertype: 'IPv4', protocol: null, remote_ip_prefix: cidr, description: BASELINE_RULE_DESCRIPTION }],
    } as unknown as SecurityGroup,
  };
}

/** Everything the small tenant asks for exists. */
function converged(object = tenant()): TenantObserved {
  return {
    namespace: { labels: { 'statsmoln.io/tenant': 'a', 'app.kubernetes.io/managed-by': 'statsmoln' }, ownedByTenant: true, terminating: false },
    roleBindings: [{ name: roleBindingName('admin', 'ops'), clusterRole: 'admin', groups: ['ops'] }],
    keystones: [
      {
        key: 'k',
        dataCenters: ['dc1'],
        domain: { id: 'd1', name: 'agency-a', enabled: true },
        groups: { admin: { id: 'g-admin', name: 'a-admin', domain_id: 'd1' } },
        projects: { production: { id: 'p-prod', name: 'a-production', domain_id: 'd1', enabled: true, tags: projectTags(object, 'production') } },
        assignments: [{ projectId: 'p-prod', groupId: 'g-admin', roleId: 'r-admin' }],
        operatorAccess: ['p-prod'],
        roleIds: { admin: 'r-admin', member: 'r-member', reader: 'r-reader' },
        identityProvider: { id: 'agency-a', domain_id: 'd1', enabled: true, remote_ids: ['https://idp.a.se'] },
        mapping: { id: 'agency-a', rules: mappingRules(object, 'd1') },
        protocol: { id: 'openid', mapping_id: 'agency-a' },
      },
    ],
    placements: [convergedPlacement('dc1', 'production', '10.0.0.0/24')],
    cephs: [{ key: 'c', pool: 'agencies', namespace: 'agency-a', exists: true, images: 0 }],
    retained: [],
    clients: clients(),
  };
}

const lines = (actions: TenantAction[]) => actions.map((action) => `${action.verb} ${action.resource} ${action.name} @${action.scope}`);

describe('planTenant', () => {
  it('creates everything outside-in when nothing exists', () => {
    expect(lines(planTenant(tenant(), nothing()))).toEqual([
      'create namespace agency-a @kubernetes',
      `create rolebinding ${roleBindingName('admin', 'ops')} @agency-a`,
      'create keystone domain agency-a @dc1 identity',
      'create keystone group a-admin @dc1 identity',
      'create keystone project a-production @dc1 identity',
      'create keystone role assignment a-admin admin on a-production @dc1 identity',
      'create keystone role assignment operator member on a-production @dc1 identity',
      'create identity provider agency-a @dc1 identity',
      'create federation mapping agency-a @dc1 identity',
      'create federation protocol agency-a/openid @dc1 identity',
      'create neutron network a-production @dc1/production',
      'create neutron subnet a-production-0 @dc1/production',
      'create neutron router a-production @dc1/production',
      'create router interface a-production:10.0.0.0/24 @dc1/production',
      'create security group a-production-baseline @dc1/production',
      'create security group rule a-production-baseline: ingress from 10.0.0.0/24 @dc1/production',
      'create rbd namespace agency-a @agencies',
    ]);
  });

  it('plans nothing when the backends match the spec, and the status says ready with every id', () => {
    const observed = converged();
    expect(planTenant(tenant(), observed)).toEqual([]);
    expect(tenantStatus(tenant(), observed, [])).toEqual({
      namespace: 'agency-a',
      placements: [
        {
          dataCenter: 'dc1',
          environment: 'production',
          domainId: 'd1',
          projectId: 'p-prod',
          identityProviderId: 'agency-a',
          mappingId: 'agency-a',
          networkId: 'net-dc1-production',
          subnetIds: ['sub-dc1-production'],
          routerId: 'router-dc1-production',
          securityGroupId: 'sg-dc1-production',
          cephNamespace: 'agencies/agency-a',
          ready: true,
        },
      ],
    });
  });

  it('repairs drift: a lost subnet, its interface, a baseline rule, a router gateway, a disabled domain', () => {
    const observed = converged();
    const placement = observed.placements[0]!;
    placement.subnets = [];
    placement.interfaces = [];
    placement.securityGroup!.security_group_rules = [];
    placement.router = { ...placement.router!, external_gateway_info: null };
    observed.keystones[0]!.domain!.enabled = false;
    const actions = planTenant(tenant(), observed);
    expect(lines(actions)).toEqual([
      'update keystone domain agency-a @dc1 identity',
      'create neutron subnet a-production-0 @dc1/production',
      'update neutron router a-production @dc1/production',
      'create router interface a-production:10.0.0.0/24 @dc1/production',
      'create security group rule a-production-baseline: ingress from 10.0.0.0/24 @dc1/production',
    ]);
    expect(actions[2]?.changes).toEqual([{ field: 'external_gateway_info.network_id', from: null, to: 'ext' }]);
    expect(tenantStatus(tenant(), observed, actions).placements).toEqual([expect.objectContaining({ ready: false })]);
  });

  it('follows a changed role binding: new group and grant, stale grant revoked, stale group and RoleBinding removed, mapping updated', () => {
    const changed = tenant({ identity: { oidc: { issuer: 'https://idp.a.se', clientId: 'c' }, roleBindings: [{ group: 'ops', role: 'reader' }] } });
    expect(lines(planTenant(changed, converged()))).toEqual([
      `create rolebinding ${roleBindingName('reader', 'ops')} @agency-a`,
      `delete rolebinding ${roleBindingName('admin', 'ops')} @agency-a`,
      'create keystone group a-reader @dc1 identity',
      'create keystone role assignment a-reader reader on a-production @dc1 identity',
      'delete keystone role assignment g-admin r-admin on p-prod @dc1 identity',
      'update federation mapping agency-a @dc1 identity',
      'delete keystone group a-admin @dc1 identity',
    ]);
  });

  it('records a removed placement under Retain and touches nothing', () => {
    const observed = converged();
    observed.retained = [{ dataCenter: 'dc2', environment: 'production' }];
    const actions = planTenant(tenant(), observed);
    expect(lines(actions)).toEqual(['retain placement dc2/production @dc2/production']);
    expect(actions[0]?.reason).toBe('deletionPolicy Retain: backend objects left in place');
  });

  it('removes a placement under Delete inside-out, keeping the Keystone project another data center still uses', () => {
    const object = tenant({ deletionPolicy: 'Delete' });
    const observed = converged(object);
    const removed = convergedPlacement('dc2', 'production', '10.1.0.0/24', false);
    removed.ownedPorts = [{ id: 'port-x', name: 'vip' } as never];
    observed.placements.push(removed);
    observed.keystones[0]!.dataCenters = ['dc1', 'dc2'];
    expect(lines(planTenant(object, observed))).toEqual([
      'delete router interface a-production:10.1.0.0/24 @dc2/production',
      'delete neutron router a-production @dc2/production',
      'delete neutron port vip @dc2/production',
      'delete neutron subnet a-production-0 @dc2/production',
      'delete security group a-production-baseline @dc2/production',
      'delete neutron network a-production @dc2/production',
    ]);
  });

  it('removes an environment under Delete: its networks, then grants, then the project', () => {
    const object = tenant({ deletionPolicy: 'Delete' });
    const observed = converged(object);
    const keystone = observed.keystones[0]!;
    keystone.projects.test = { id: 'p-test', name: 'a-test', domain_id: 'd1', enabled: true, tags: projectTags(object, 'test') };
    keystone.assignments.push({ projectId: 'p-test', groupId: 'g-admin', roleId: 'r-admin' });
    observed.placements.push(convergedPlacement('dc1', 'test', '10.2.0.0/24', false));
    expect(lines(planTenant(object, observed)).filter((line) => !line.includes('@dc1/test'))).toEqual([
      'delete keystone role assignment g-admin r-admin on a-test @dc1 identity',
      'delete keystone project a-test @dc1 identity',
    ]);
  });
});

describe('planTenantDeletion', () => {
  const deleting = (policy: 'Retain' | 'Delete') => tenant({ deletionPolicy: policy }, { metadata: { name: 'a', uid: UID, generation: 1, deletionTimestamp: '2026-11-22T00:00:00Z' } as AgencyTenant['metadata'] });

  it('under Retain orphans the namespace and records every placement', () => {
    const observed = converged();
    observed.placements = [];
    observed.keystones = [];
    observed.cephs = [];
    observed.retained = [{ dataCenter: 'dc1', environment: 'production' }];
    expect(lines(planTenantDeletion(deleting('Retain'), observed))).toEqual(['update namespace agency-a @kubernetes', 'retain placement dc1/production @dc1/production']);
  });

  it('under Delete deletes the namespace first and nothing else while it exists', () => {
    expect(lines(planTenantDeletion(deleting('Delete'), converged()))).toEqual(['delete namespace agency-a @kubernetes']);
  });

  it('under Delete, once the namespace is gone, removes everything in dependency order', () => {
    const observed = converged();
    delete observed.namespace;
    observed.placements[0]!.desired = false;
    expect(lines(planTenantDeletion(deleting('Delete'), observed))).toEqual([
      'delete router interface a-production:10.0.0.0/24 @dc1/production',
      'delete neutron router a-production @dc1/production',
      'delete neutron subnet a-production-0 @dc1/production',
      'delete security group a-production-baseline @dc1/production',
      'delete neutron network a-production @dc1/production',
      'delete keystone role assignment g-admin r-admin on a-production @dc1 identity',
      'delete keystone group a-admin @dc1 identity',
      'delete federation protocol agency-a/openid @dc1 identity',
      'delete identity provider agency-a @dc1 identity',
      'delete federation mapping agency-a @dc1 identity',
      'delete keystone project a-production @dc1 identity',
      'delete keystone domain agency-a @dc1 identity',
      'delete rbd namespace agency-a @agencies',
    ]);
  });

  it('never deletes an RBD namespace that still holds images: it reports them', () => {
    const observed = converged();
    delete observed.namespace;
    observed.placements[0]!.desired = false;
    observed.cephs[0]!.images = 2;
    const last = planTenantDeletion(deleting('Delete'), observed).at(-1);
    expect(last).toMatchObject({ verb: 'retain', resource: 'rbd namespace', name: 'agency-a' });
    expect(last?.reason).toContain('holds 2 image(s)');
  });
});
