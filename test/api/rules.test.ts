import { validateObject, validateObjects, type Issue } from '../../src/api/validation/index.js';

const dataCenter = (name: string, environments: string[], extra: Record<string, unknown> = {}) => ({
  apiVersion: 'statsmoln.io/v1alpha1',
  kind: 'DataCenter',
  metadata: { name },
  spec: {
    displayName: name,
    country: 'SE',
    protectedSite: false,
    ...extra,
    partitions: environments.map((environment) => ({
      environment,
      openstack: { cloudsSecretRef: { name: 'os' }, cloud: 'c', region: 'r' },
      ceph: { dashboardUrl: 'https://ceph.example:8443', credentialsSecretRef: { name: 'ceph' }, tenantPool: 'agencies' },
      externalNetwork: 'ext',
      storageTiers: [{ name: 'hdd', cinderVolumeType: 'hdd', cephPool: 'hdd' }],
    })),
  },
});

const tenant = (spec: Record<string, unknown> = {}) => ({
  apiVersion: 'statsmoln.io/v1alpha1',
  kind: 'AgencyTenant',
  metadata: { name: 'a' },
  spec: {
    displayName: 'A',
    organisationNumber: '202100-5448',
    classification: { confidentiality: 1, integrity: 1, availability: 1 },
    environments: ['production'],
    placement: { dataCenters: ['dc1'] },
    identity: { oidc: { issuer: 'https://idp.example', clientId: 'x' }, roleBindings: [{ group: 'g', role: 'admin' }] },
    network: { addressPlan: [{ dataCenter: 'dc1', environment: 'production', cidrs: ['10.0.0.0/24'] }] },
    billing: { reference: 'r', priceListRef: { name: 'p' } },
    ...spec,
  },
});

const volume = (spec: Record<string, unknown> = {}) => ({
  apiVersion: 'statsmoln.io/v1alpha1',
  kind: 'StorageVolume',
  metadata: { name: 'v', namespace: 'agency-a' },
  spec: { dataCenter: 'dc1', environment: 'production', sizeGiB: 10, tier: 'hdd', ...spec },
});

const rulesOf = (issues: Issue[] | undefined) => (issues ?? []).map((issue) => `${issue.severity}:${issue.rule}`);

describe('schema validation', () => {
  it('accepts a minimal valid tenant', () => {
    expect(validateObject(tenant()).issues).toEqual([]);
  });

  it('points at unknown fields, missing fields, bad enums and bounds', () => {
    const { issues } = validateObject(volume({ sizeGiB: 0, tier: 'HDD', colour: 'blue', environment: 'prod' }));
    expect(issues.map((issue) => [issue.path.join('.'), issue.rule])).toEqual(
      expect.arrayContaining([
        ['spec.colour', 'schema.unknown-field'],
        ['spec.sizeGiB', 'schema.bounds'],
        ['spec.tier', 'schema.pattern'],
        ['spec.environment', 'schema.enum'],
      ]),
    );
    const missing = validateObject({ ...volume(), spec: { dataCenter: 'dc1' } }).issues;
    expect(missing.map((issue) => issue.path.join('.'))).toEqual(
      expect.arrayContaining(['spec.environment', 'spec.sizeGiB', 'spec.tier']),
    );
  });

  it('rejects duplicate keys of list-type maps and sets as kube-apiserver does', () => {
    const duplicated = dataCenter('dc1', ['production', 'production']);
    const { issues } = validateObject(duplicated);
    expect(issues).toContainEqual(expect.objectContaining({ rule: 'schema.duplicate', path: ['spec', 'partitions', 1, 'environment'] }));
    const twice = validateObject(tenant({ environments: ['test', 'test'] })).issues;
    expect(twice).toContainEqual(expect.objectContaining({ rule: 'schema.duplicate', path: ['spec', 'environments', 1] }));
  });

  it('refuses a namespace on cluster-scoped kinds and a wrong apiVersion', () => {
    const { issues } = validateObject({ ...tenant(), apiVersion: 'statsmoln.io/v1', metadata: { name: 'a', namespace: 'x' } });
    expect(rulesOf(issues)).toEqual(['error:schema.apiVersion', 'error:schema.namespace']);
  });
});

describe('tenant rules', () => {
  it('requires an address plan entry for every placement, and none outside it', () => {
    const { issues } = validateObject(
      tenant({
        environments: ['production', 'test'],
        network: { addressPlan: [{ dataCenter: 'dc2', environment: 'production', cidrs: ['10.0.0.0/24'] }] },
      }),
    );
    expect(rulesOf(issues)).toEqual([
      'error:network.outside-placement',
      'error:network.missing-entry',
      'error:network.missing-entry',
    ]);
  });

  it('allows overlaps between agencies but not within one', () => {
    const other = { ...tenant(), metadata: { name: 'b' } };
    const issues = validateObjects([tenant(), other]);
    expect(issues.flat().filter((issue) => issue.rule === 'network.overlap')).toEqual([]);
    const inner = validateObject(
      tenant({ network: { addressPlan: [{ dataCenter: 'dc1', environment: 'production', cidrs: ['10.0.0.0/16', '10.0.3.0/24'] }] } }),
    );
    expect(rulesOf(inner.issues)).toEqual(['error:network.overlap']);
  });

  it('names the field and the canonical form for an IPv4 network in shorthand', () => {
    const plan = [{ dataCenter: 'dc1', environment: 'production', cidrs: ['10.0.0.0/24', '10.1/16'] }];
    const { issues } = validateObject(tenant({ network: { addressPlan: plan } }));
    expect(issues).toEqual([
      expect.objectContaining({
        rule: 'network.cidr',
        path: ['spec', 'network', 'addressPlan', 0, 'cidrs', 1],
        message: expect.stringContaining('"10.1/16" is not written canonically'),
      }),
    ]);
  });

  it('allows public ranges only when asked to', () => {
    const plan = [{ dataCenter: 'dc1', environment: 'production', cidrs: ['2001:db8::/48'] }];
    expect(rulesOf(validateObject(tenant({ network: { addressPlan: plan } })).issues)).toEqual(['error:network.public-range']);
    expect(validateObject(tenant({ network: { addressPlan: plan, allowPublicRanges: true } })).issues).toEqual([]);
  });

  it('requires two data centers for availability 2', () => {
    const { issues } = validateObject(tenant({ classification: { confidentiality: 0, integrity: 0, availability: 2 } }));
    expect(rulesOf(issues)).toEqual(['error:classification.availability-placement']);
  });
});

describe('cross-document rules', () => {
  const priceList = {
    apiVersion: 'statsmoln.io/v1alpha1',
    kind: 'PriceList',
    metadata: { name: 'p' },
    spec: {
      effectiveFrom: '2026-01-01',
      prices: [
        'compute.vcpu.hours',
        'compute.ram.gib-hours',
        'compute.instance.hours',
        'network.floatingip.hours',
        'storage.hdd.provisioned.gib-hours',
        'storage.hdd.used.gib-hours',
      ].map((meter) => ({ meter, unitPrice: '1' })),
    },
  };

  it('accepts a coherent set', () => {
    expect(validateObjects([dataCenter('dc1', ['production']), priceList, tenant(), volume()]).flat()).toEqual([]);
  });

  it('requires data centers to host the environments and, for data outside Sweden, consent', () => {
    const issues = validateObjects([dataCenter('dc1', ['test'], { country: 'NO' }), priceList, tenant()]);
    expect(rulesOf(issues[2])).toEqual(['error:tenant.environment-hosted', 'error:tenant.data-residency']);
    const allowed = validateObjects([dataCenter('dc1', ['production'], { country: 'NO' }), priceList, tenant({ dataResidency: { allowOutsideSweden: true } })]);
    expect(allowed.flat()).toEqual([]);
  });

  it('requires encrypted volumes from confidentiality 2, on a tier with an encrypted type', () => {
    const secret = tenant({ classification: { confidentiality: 2, integrity: 1, availability: 1 } });
    const issues = validateObjects([dataCenter('dc1', ['production']), priceList, secret, volume(), { ...volume({ encrypted: true }), metadata: { name: 'w', namespace: 'agency-a' } }]);
    expect(rulesOf(issues[3])).toEqual(['error:classification.encryption']);
    expect(rulesOf(issues[4])).toEqual(['error:volume.encrypted-tier']);
  });

  it('checks the replication target against placement and tiers', () => {
    const issues = validateObjects([dataCenter('dc1', ['production']), priceList, tenant(), volume({ replication: { dataCenter: 'dc9' } })]);
    expect(rulesOf(issues[3])).toEqual(['error:placement.replication']);
  });

  it('warns, rather than fails, about references to kinds the set does not carry', () => {
    const issues = validateObjects([tenant()]);
    expect(rulesOf(issues[0])).toEqual(['warning:tenant.datacenter', 'warning:tenant.pricelist']);
  });

  it('rejects the same object twice', () => {
    const issues = validateObjects([priceList, priceList]);
    expect(rulesOf(issues[1])).toContain('error:set.duplicate-object');
  });

  it('requires an SLA over two sites in the namespace of a tenant with availability 2', () => {
    const sites = [dataCenter('dc1', ['production']), dataCenter('dc2', ['production'])];
    const available = tenant({
      classification: { confidentiality: 1, integrity: 1, availability: 2 },
      placement: { dataCenters: ['dc1', 'dc2'] },
      network: { addressPlan: ['dc1', 'dc2'].map((dataCenter, site) => ({ dataCenter, environment: 'production', cidrs: [`10.${site}.0.0/24`] })) },
    });
    const sla = (namespace: string, minDataCenters: number) => ({
      apiVersion: 'statsmoln.io/v1alpha1',
      kind: 'SLA',
      metadata: { name: `sla-${minDataCenters}`, namespace },
      spec: { services: ['storage'], availabilityTarget: '99.9', rpoMinutes: 15, rtoMinutes: 60, minDataCenters },
    });
    const spanning = validateObjects([...sites, priceList, available, volume(), sla('agency-a', 2)]);
    expect(spanning.flat()).toEqual([]);
    const oneSite = validateObjects([...sites, priceList, available, volume(), sla('agency-a', 1), sla('agency-b', 2)]);
    expect(rulesOf(oneSite[3])).toEqual(['error:classification.availability-sla']);
    const namespaceAbsent = validateObjects([...sites, priceList, available]);
    expect(rulesOf(namespaceAbsent[3])).toEqual(['warning:classification.availability-sla']);
  });

  it('allows at most ten data centers', () => {
    const sites = Array.from({ length: 11 }, (_, index) => dataCenter(`dc${index}`, ['production']));
    const issues = validateObjects(sites);
    expect(issues.map(rulesOf)).toEqual([...Array.from({ length: 10 }, () => []), ['error:datacenter.count']]);
  });
});
