import { Type, type Static } from '@sinclair/typebox';
import {
  DataCenterName,
  DnsLabel,
  Environment,
  ManagementPolicy,
  StatusCommon,
  Struct,
  immutable,
  type Resource,
} from './common.js';
import { ageColumn, readyColumn, type KindDefinition } from './kind.js';

export const VolumeImport = Struct(
  'Adopt an existing backend volume instead of creating one: by id, or by a filter that must match exactly one.',
  {
    id: Type.Optional(Type.String({ description: 'Backend id of the volume or RBD image name.', minLength: 1 })),
    filter: Type.Optional(
      Struct('Find the volume by name.', {
        name: Type.String({ description: 'Backend name of the volume.', minLength: 1 }),
      }),
    ),
  },
  {
    rules: [
      { rule: 'has(self.id) != has(self.filter)', message: 'exactly one of id and filter must be set' },
    ],
  },
);

export const Replication = Struct('Replication of the volume to another data center.', {
  dataCenter: DataCenterName,
  mode: Type.Optional(
    Type.Union([Type.Literal('snapshot')], {
      description: 'Replication mode: snapshot-based mirroring at the schedule interval.',
      default: 'snapshot',
    }),
  ),
  intervalMinutes: Type.Optional(
    Type.Integer({ description: 'Minutes between replicated snapshots.', minimum: 1, maximum: 1440, default: 60 }),
  ),
});

export const StorageVolumeSpec = Struct(
  'Desired state of one block storage volume.',
  {
    dataCenter: DataCenterName,
    environment: Environment,
    sizeGiB: Type.Integer({ description: 'Size in GiB. Can only grow.', minimum: 1, maximum: 1_048_576 }),
    tier: DnsLabel('Storage tier offered by the partition, for example hdd or flash.'),
    encrypted: Type.Optional(
      Type.Boolean({ description: 'Encrypt at rest. Required for confidentiality 2 and above.', default: false }),
    ),
    backend: Type.Optional(
      Type.Union([Type.Literal('cinder'), Type.Literal('rbd')], {
        description: 'cinder (default): a Cinder volume; rbd: a raw RBD image in the agency’s RBD namespace.',
        default: 'cinder',
      }),
    ),
    replication: Type.Optional(Replication),
    deletionPolicy: Type.Optional(
      Type.Union([Type.Literal('Retain'), Type.Literal('Delete'), Type.Literal('Snapshot')], {
        description:
          'On deletion: Retain (default) leaves the backend volume; Snapshot keeps a final copy made from a snapshot (a Cinder volume, or the RBD image <image>.final-<time>), then deletes it; Delete deletes it.',
        default: 'Retain',
      }),
    ),
    managementPolicy: Type.Optional(ManagementPolicy),
    import: Type.Optional(VolumeImport),
  },
  {
    rules: [
      { rule: 'self.sizeGiB >= oldSelf.sizeGiB', message: 'sizeGiB can only grow', fieldPath: '.sizeGiB' },
      immutable('dataCenter'),
      immutable('environment'),
      immutable('tier'),
      {
        rule: 'self.backend == oldSelf.backend',
        message: 'backend is immutable',
        fieldPath: '.backend',
      },
      {
        rule: 'self.encrypted == oldSelf.encrypted',
        message: 'encrypted is immutable',
        fieldPath: '.encrypted',
      },
      {
        rule: '!has(self.replication) || self.replication.dataCenter != self.dataCenter',
        message: 'replication.dataCenter must differ from dataCenter',
        fieldPath: '.replication.dataCenter',
      },
    ],
  },
);
export type StorageVolumeSpec = Static<typeof StorageVolumeSpec>;

export const DeletionReceipt = Struct('Proof of what happened to the backend data when the volume was deleted.', {
  action: Type.Union([Type.Literal('Retained'), Type.Literal('Deleted'), Type.Literal('SnapshotThenDeleted')], {
    description: 'What the deletion policy did.',
  }),
  backendId: Type.String({ description: 'Backend id of the volume.' }),
  snapshotId: Type.Optional(Type.String({ description: 'The final copy kept by deletionPolicy Snapshot: its Cinder volume id, or its RBD image as pool/namespace/image.' })),
  time: Type.String({ description: 'When the backend confirmed.', format: 'date-time' }),
  confirmation: Type.String({ description: 'The backend’s confirmation, for example a 404 on read-back.' }),
});

export const StorageVolumeStatus = Struct('Observed state of the volume.', {
  ...StatusCommon,
  phase: Type.Optional(
    Type.Union(
      ['Pending', 'Creating', 'Available', 'Extending', 'Deleting', 'Retained', 'Failed'].map((phase) =>
        Type.Literal(phase),
      ),
      { description: 'Lifecycle phase.' },
    ),
  ),
  backendId: Type.Optional(Type.String({ description: 'Cinder volume id, or pool/namespace/image for RBD.' })),
  sizeGiB: Type.Optional(Type.Integer({ description: 'Provisioned size the backend reports.' })),
  usedBytes: Type.Optional(Type.Integer({ description: 'Bytes actually stored, as Ceph reports them.', format: 'int64' })),
  replication: Type.Optional(
    Struct('Replication state.', {
      state: Type.String({ description: 'Replication state: NotReplicated while statsmoln does not implement spec.replication.' }),
      message: Type.Optional(Type.String({ description: 'Why the volume is in this state, in words.' })),
      lastSyncTime: Type.Optional(Type.String({ description: 'Last replicated snapshot.', format: 'date-time' })),
    }),
  ),
  deletionReceipt: Type.Optional(DeletionReceipt),
});
export type StorageVolumeStatus = Static<typeof StorageVolumeStatus>;

export type StorageVolume = Resource<'StorageVolume', StorageVolumeSpec, StorageVolumeStatus>;

export const storageVolumeDefinition: KindDefinition = {
  kind: 'StorageVolume',
  plural: 'storagevolumes',
  singular: 'storagevolume',
  shortNames: ['sv', 'vol'],
  scope: 'Namespaced',
  description: 'A block storage volume of an agency: a Cinder volume or a raw RBD image.',
  spec: StorageVolumeSpec,
  status: StorageVolumeStatus,
  printerColumns: [
    { name: 'Size-GiB', type: 'integer', jsonPath: '.spec.sizeGiB', description: 'Requested size.' },
    { name: 'Tier', type: 'string', jsonPath: '.spec.tier', description: 'Storage tier.' },
    { name: 'DataCenter', type: 'string', jsonPath: '.spec.dataCenter', description: 'Data center.' },
    { name: 'Env', type: 'string', jsonPath: '.spec.environment', description: 'Environment.', priority: 1 },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Lifecycle phase.' },
    { name: 'Replication', type: 'string', jsonPath: '.status.replication.state', description: 'Replication state, when spec.replication is set.', priority: 1 },
    readyColumn,
    ageColumn,
  ],
};
