import { Type, type Static } from '@sinclair/typebox';
import {
  Classification,
  DataCenterName,
  Environment,
  LocalObjectReference,
  ManagementPolicy,
  StatusCommon,
  Struct,
  type Resource,
} from './common.js';
import { ageColumn, readyColumn, type KindDefinition } from './kind.js';

export const AddressPlanEntry = Struct('The address ranges an agency uses in one data center and environment.', {
  dataCenter: DataCenterName,
  environment: Environment,
  cidrs: Type.Array(Type.String({ description: 'An IPv4 or IPv6 network in CIDR notation.', minLength: 1 }), {
    description: 'One subnet is created per CIDR.',
    minItems: 1,
    'x-kubernetes-list-type': 'set',
  }),
});
export type AddressPlanEntry = Static<typeof AddressPlanEntry>;

export const RoleBinding = Struct('Grants an agency group a role in every project of the agency.', {
  group: Type.String({ description: 'Group name as the identity provider sends it in the groups claim.', minLength: 1 }),
  role: Type.Union([Type.Literal('admin'), Type.Literal('member'), Type.Literal('reader')], {
    description: 'Keystone role given to the group; also selects the Kubernetes ClusterRole in the agency namespace.',
  }),
});

export const AgencyTenantSpec = Struct(
  'Desired state of one agency: identity, placement, networks and billing.',
  {
    displayName: Type.String({ description: 'The agency’s name.', minLength: 1, maxLength: 256 }),
    organisationNumber: Type.String({
      description: 'Swedish organisation number, NNNNNN-NNNN, with a valid check digit.',
      pattern: '^[0-9]{6}-[0-9]{4}$',
    }),
    classification: Classification,
    environments: Type.Array(Environment, {
      description: 'Environments the agency uses in every placed data center.',
      minItems: 1,
      'x-kubernetes-list-type': 'set',
    }),
    placement: Struct('Where the agency’s resources live.', {
      dataCenters: Type.Array(DataCenterName, {
        description: 'Data centers the agency is placed in. Two or more survive the loss of a site.',
        minItems: 1,
        maxItems: 10,
        'x-kubernetes-list-type': 'set',
      }),
    }),
    dataResidency: Type.Optional(
      Struct('Where the agency’s data may be kept.', {
        allowOutsideSweden: Type.Boolean({
          description: 'Allow placement in data centers outside Sweden. False unless the agency decided otherwise.',
          default: false,
        }),
      }),
    ),
    identity: Struct('How the agency’s staff log in: federation with the agency’s own identity provider.', {
      oidc: Struct('OpenID Connect identity provider of the agency.', {
        issuer: Type.String({ description: 'Issuer URL of the identity provider.', format: 'uri', pattern: '^https://' }),
        clientId: Type.String({ description: 'OAuth client id registered for the state cloud.', minLength: 1 }),
        groupsClaim: Type.Optional(
          Type.String({ description: 'Claim that carries group names. Defaults to groups.', default: 'groups', minLength: 1 }),
        ),
      }),
      roleBindings: Type.Array(RoleBinding, {
        description: 'Group to role bindings applied in every project and in the agency namespace.',
        minItems: 1,
      }),
    }),
    network: Struct('The agency’s own IP address plan, independent of every other agency.', {
      addressPlan: Type.Array(AddressPlanEntry, {
        description: 'Address ranges per data center and environment. Ranges of one agency must not overlap.',
        minItems: 1,
      }),
      allowPublicRanges: Type.Optional(
        Type.Boolean({
          description: 'Allow ranges outside the private address space (RFC 1918, RFC 4193).',
          default: false,
        }),
      ),
    }),
    billing: Struct('Billing of the agency’s usage.', {
      reference: Type.String({ description: 'The agency’s invoice reference.', minLength: 1, maxLength: 128 }),
      priceListRef: LocalObjectReference('PriceList applied to the agency’s usage.'),
    }),
    deletionPolicy: Type.Optional(
      Type.Union([Type.Literal('Retain'), Type.Literal('Delete')], {
        description:
          'What happens to backend resources when the tenant, or one of its data centers or environments, is removed: Retain (default) leaves them, Delete removes them.',
        default: 'Retain',
      }),
    ),
    managementPolicy: Type.Optional(ManagementPolicy),
  },
);
export type AgencyTenantSpec = Static<typeof AgencyTenantSpec>;

export const PlacementStatus = Struct('Backend ids of the agency in one data center and environment.', {
  dataCenter: DataCenterName,
  environment: Environment,
  domainId: Type.Optional(Type.String({ description: 'Keystone domain id.' })),
  projectId: Type.Optional(Type.String({ description: 'Keystone project id.' })),
  identityProviderId: Type.Optional(Type.String({ description: 'Keystone federation identity provider id.' })),
  mappingId: Type.Optional(Type.String({ description: 'Keystone federation mapping id.' })),
  networkId: Type.Optional(Type.String({ description: 'Neutron network id.' })),
  subnetIds: Type.Optional(
    Type.Array(Type.String({ description: 'Neutron subnet id.' }), { description: 'Neutron subnet ids, one per CIDR.' }),
  ),
  routerId: Type.Optional(Type.String({ description: 'Neutron router id.' })),
  securityGroupId: Type.Optional(Type.String({ description: 'Baseline Neutron security group id.' })),
  cephNamespace: Type.Optional(Type.String({ description: 'Ceph RBD namespace, as pool/namespace.' })),
  ready: Type.Boolean({ description: 'Whether everything in this placement matches the spec.' }),
});
export type PlacementStatus = Static<typeof PlacementStatus>;

export const MeteringWatermark = Struct('Usage of one meter in one placement has been collected up to this time.', {
  dataCenter: DataCenterName,
  environment: Environment,
  meter: Type.String({ description: 'Meter name, for example compute.vcpu.hours.', minLength: 1 }),
  collectedThrough: Type.String({
    description: 'End of the last whole UTC hour whose usage events are in the outbox.',
    format: 'date-time',
  }),
});
export type MeteringWatermark = Static<typeof MeteringWatermark>;

export const AgencyTenantStatus = Struct('Observed state of the agency.', {
  ...StatusCommon,
  namespace: Type.Optional(Type.String({ description: 'The agency’s Kubernetes namespace.' })),
  placements: Type.Optional(Type.Array(PlacementStatus, { description: 'Backend ids per data center and environment.' })),
  metering: Type.Optional(
    Struct('How far usage has been collected, so that after downtime every missed hour is collected once.', {
      watermarks: Type.Array(MeteringWatermark, {
        description: 'One watermark per data center, environment and meter.',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['dataCenter', 'environment', 'meter'],
      }),
    }),
  ),
});
export type AgencyTenantStatus = Static<typeof AgencyTenantStatus>;

export type AgencyTenant = Resource<'AgencyTenant', AgencyTenantSpec, AgencyTenantStatus>;

export const agencyTenantDefinition: KindDefinition = {
  kind: 'AgencyTenant',
  plural: 'agencytenants',
  singular: 'agencytenant',
  shortNames: ['at', 'tenant'],
  scope: 'Cluster',
  description:
    'A government agency using the state cloud: its namespace, identity federation, projects, networks and Ceph isolation in every placed data center and environment.',
  spec: AgencyTenantSpec,
  status: AgencyTenantStatus,
  printerColumns: [
    { name: 'OrgNr', type: 'string', jsonPath: '.spec.organisationNumber', description: 'Organisation number.' },
    { name: 'Environments', type: 'string', jsonPath: '.spec.environments', description: 'Environments used.' },
    { name: 'DataCenters', type: 'string', jsonPath: '.spec.placement.dataCenters', description: 'Placement.' },
    readyColumn,
    ageColumn,
  ],
};
