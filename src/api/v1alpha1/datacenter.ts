import { Type, type Static } from '@sinclair/typebox';
import {
  DnsLabel,
  Environment,
  StatusCommon,
  SecretKeyReference,
  Struct,
  type Resource,
} from './common.js';
import { ageColumn, readyColumn, type KindDefinition } from './kind.js';

export const StorageTier = Struct('A storage performance tier offered in this partition, at its own price.', {
  name: DnsLabel('Tier name as volumes and meters use it, for example hdd or flash.'),
  cinderVolumeType: Type.String({ description: 'Cinder volume type that provides this tier.', minLength: 1 }),
  encryptedCinderVolumeType: Type.Optional(
    Type.String({
      description: 'Cinder volume type with an encryption spec, used for volumes that require encryption.',
      minLength: 1,
    }),
  ),
  cephPool: Type.String({ description: 'Ceph pool backing this tier, used for raw RBD images.', minLength: 1 }),
});

export const OpenStackEndpoint = Struct('Where and how the operator reaches this partition’s OpenStack cloud.', {
  cloudsSecretRef: SecretKeyReference('Secret holding a clouds.yaml.', 'clouds.yaml'),
  cloud: Type.String({ description: 'Name of the cloud entry inside clouds.yaml.', minLength: 1 }),
  region: Type.String({ description: 'OpenStack region name.', minLength: 1 }),
  availabilityZone: Type.Optional(
    Type.String({ description: 'Availability zone for volumes and servers. Defaults to the cloud default.', minLength: 1 }),
  ),
});

export const CephEndpoint = Struct('Where and how the operator reaches this partition’s Ceph cluster.', {
  dashboardUrl: Type.String({ description: 'Base URL of the Ceph Manager dashboard REST API.', format: 'uri' }),
  credentialsSecretRef: SecretKeyReference(
    'Secret holding the dashboard user name (key username) and password (key password).',
    'password',
  ),
  rgwAdminUrl: Type.Optional(Type.String({ description: 'Base URL of the RADOS Gateway Admin Ops API.', format: 'uri' })),
  tenantPool: Type.String({
    description: 'RBD pool in which each agency gets its own RBD namespace for isolation.',
    minLength: 1,
  }),
});

export const Partition = Struct('One physically and logically separated environment of the data center.', {
  environment: Environment,
  openstack: OpenStackEndpoint,
  ceph: CephEndpoint,
  storageTiers: Type.Array(StorageTier, {
    description: 'Storage tiers offered in this partition.',
    minItems: 1,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['name'],
  }),
  externalNetwork: Type.String({
    description: 'Name of the Neutron external network agency routers use as gateway.',
    minLength: 1,
  }),
});

export const DataCenterSpec = Struct('Desired state of a data center site.', {
  displayName: Type.String({ description: 'Human-readable site name.', minLength: 1, maxLength: 128 }),
  country: Type.String({
    description: 'ISO 3166-1 alpha-2 country code of the site. Agencies keep data in SE unless they allow more.',
    pattern: '^[A-Z]{2}$',
  }),
  protectedSite: Type.Optional(
    Type.Boolean({
      description: 'Whether the site is a protected site (skyddsobjekt), required for confidentiality level 3.',
      default: false,
    }),
  ),
  partitions: Type.Array(Partition, {
    description: 'The environment partitions hosted at this site.',
    minItems: 1,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['environment'],
  }),
});
export type DataCenterSpec = Static<typeof DataCenterSpec>;
export type Partition = Static<typeof Partition>;
export type StorageTier = Static<typeof StorageTier>;

export const BackendServiceStatus = Struct('Reachability of one backend service.', {
  service: Type.String({ description: 'Service: keystone, compute, volumev3, network, ceph.' }),
  reachable: Type.Boolean({ description: 'Whether the last check succeeded.' }),
  version: Type.Optional(Type.String({ description: 'API version or microversion range reported by the service.' })),
  message: Type.Optional(Type.String({ description: 'Error from the last failed check.' })),
});

export const PartitionStatus = Struct('Observed state of one partition’s backends.', {
  environment: Environment,
  ready: Type.Boolean({ description: 'Whether every backend of the partition is reachable.' }),
  services: Type.Array(BackendServiceStatus, { description: 'One entry per backend service.' }),
  lastCheckTime: Type.String({ description: 'When the backends were last checked.', format: 'date-time' }),
});

export const DataCenterStatus = Struct('Observed state of the data center.', {
  ...StatusCommon,
  partitions: Type.Optional(
    Type.Array(PartitionStatus, {
      description: 'Backend reachability per partition.',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['environment'],
    }),
  ),
});
export type DataCenterStatus = Static<typeof DataCenterStatus>;

export type DataCenter = Resource<'DataCenter', DataCenterSpec, DataCenterStatus>;

export const dataCenterDefinition: KindDefinition = {
  kind: 'DataCenter',
  plural: 'datacenters',
  singular: 'datacenter',
  shortNames: ['dc'],
  scope: 'Cluster',
  description: 'A data center site of the state cloud and the OpenStack and Ceph backends of its environment partitions.',
  spec: DataCenterSpec,
  status: DataCenterStatus,
  printerColumns: [
    { name: 'Country', type: 'string', jsonPath: '.spec.country', description: 'Country of the site.' },
    { name: 'Protected', type: 'boolean', jsonPath: '.spec.protectedSite', description: 'Protected site.' },
    {
      name: 'Environments',
      type: 'string',
      jsonPath: '.spec.partitions[*].environment',
      description: 'Environment partitions.',
    },
    readyColumn,
    ageColumn,
  ],
};
