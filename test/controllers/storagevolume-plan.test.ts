/** The StorageVolume plan is a pure function: spec + observed backend volume -> exact actions. */
import type { StorageVolume } from '../../src/api/v1alpha1/index.js';
import { formatAction } from '../../src/controllers/framework/index.js';
import { planVolume, planVolumeDeletion, volumeStatus, type CinderQuota, type ObservedVolume, type VolumeObserved, type VolumeTarget } from '../../src/controllers/storagevolume/index.js';

const tier = { name: 'flash', cinderVolumeType: 'ssd', encryptedCinderVolumeType: 'ssd-luks', cephPool: 'flash-pool' };
const cinderTarget: VolumeTarget = { backend: 'cinder', scope: 'sto-1/production', projectId: 'p1', name: 'agency-a/db', volumeType: 'ssd-luks', availabilityZone: 'sto-1a', tier };
const rbdTarget: VolumeTarget = { backend: 'rbd', scope: 'sto-1/production', pool: 'flash-pool', namespace: 'agency-a', name: 'agency-a.db', tier };

const volume = (spec: Partial<StorageVolume['spec']> = {}): StorageVolume => ({
  apiVersion: 'statsmoln.io/v1alpha1',
  kind: 'StorageVolume',
  metadata: { name: 'db', namespace: 'agency-a', uid: 'u-1' },
  spec: { dataCenter: 'sto-1', environment: 'production', sizeGiB: 100, tier: 'flash', encrypted: true, ...spec },
});
const existing = (overrides: Partial<ObservedVolume> = {}): ObservedVolume => ({
  backendId: 'v-1',
  name: 'agency-a/db',
  sizeGiB: 100,
  state: 'available',
  ownerUid: 'u-1',
  imported: false,
  ...overrides,
});
const quota = (overrides: Partial<CinderQuota> = {}): CinderQuota => ({
  gigabytes: { limit: 1000, used: 100 },
  volumes: { limit: 10, used: 1 },
  snapshots: { limit: 10, used: 0 },
  ...overrides,
});
const lines = (actions: ReturnType<typeof planVolume>) => actions.flatMap(formatAction);

describe('planVolume', () => {
  const cases: Array<[string, StorageVolume, VolumeObserved, string[]]> = [
    [
      'cinder, missing: create with type and zone',
      volume(),
      { target: cinderTarget },
      ['+ create cinder volume agency-a/db (sto-1/production): missing', '    size: null -> 100', '    volume_type: null -> ssd-luks', '    availability_zone: null -> sto-1a'],
    ],
    ['cinder, present and right size: nothing', volume(), { target: cinderTarget, volume: existing() }, []],
    ['cinder, grown spec: extend', volume({ sizeGiB: 150 }), { target: cinderTarget, volume: existing() }, ['~ update cinder volume agency-a/db (sto-1/production): size grew', '    size: 100 -> 150']],
    ['cinder, larger than the spec (never shrink): nothing', volume({ sizeGiB: 50 }), { target: cinderTarget, volume: existing() }, []],
    [
      'cinder, imported without an owner: tag it',
      volume({ import: { id: 'v-1' } }),
      { target: cinderTarget, volume: existing({ ownerUid: undefined, imported: true, name: 'legacy' }) },
      ['~ update cinder volume legacy (sto-1/production): imported', '    metadata.statsmoln.io:uid: null -> u-1'],
    ],
    ['cinder, import not found yet: nothing (observe waits)', volume({ import: { filter: { name: 'x' } } }), { target: cinderTarget }, []],
    [
      'rbd, no namespace yet: namespace, then image',
      volume({ backend: 'rbd', encrypted: false }),
      { target: rbdTarget, namespaceExists: false },
      ['+ create rbd namespace flash-pool/agency-a (sto-1/production): missing', '+ create rbd image agency-a.db (sto-1/production): missing', '    size: null -> 100 GiB'],
    ],
    ['rbd, namespace exists: image only', volume({ backend: 'rbd', encrypted: false }), { target: rbdTarget, namespaceExists: true }, ['+ create rbd image agency-a.db (sto-1/production): missing', '    size: null -> 100 GiB']],
    [
      'rbd, grown: resize',
      volume({ backend: 'rbd', encrypted: false, sizeGiB: 120 }),
      { target: rbdTarget, namespaceExists: true, volume: existing({ name: 'agency-a.db', ownerUid: undefined }) },
      ['~ update rbd image agency-a.db (sto-1/production): size grew', '    size: 100 -> 120'],
    ],
    [
      'cinder, missing, quota too small: raise gigabytes to in-use plus the volume, then create',
      volume({ sizeGiB: 2048 }),
      { target: cinderTarget, quota: quota({ gigabytes: { limit: 1000, used: 300 } }) },
      [
        '~ update cinder quota p1 (sto-1/production): too little room for the volume',
        '    gigabytes: 1000 -> 2348',
        '+ create cinder volume agency-a/db (sto-1/production): missing',
        '    size: null -> 2048',
        '    volume_type: null -> ssd-luks',
        '    availability_zone: null -> sto-1a',
      ],
    ],
    [
      'cinder, missing, volume count at its limit: raise volumes only',
      volume(),
      { target: cinderTarget, quota: quota({ volumes: { limit: 10, used: 10 } }) },
      ['~ update cinder quota p1 (sto-1/production): too little room for the volume', '    volumes: 10 -> 11', '+ create cinder volume agency-a/db (sto-1/production): missing', '    size: null -> 100', '    volume_type: null -> ssd-luks', '    availability_zone: null -> sto-1a'],
    ],
    ['cinder, missing, unlimited quota: create only', volume({ sizeGiB: 5000 }), { target: cinderTarget, quota: quota({ gigabytes: { limit: -1, used: 9000 } }) }, ['+ create cinder volume agency-a/db (sto-1/production): missing', '    size: null -> 5000', '    volume_type: null -> ssd-luks', '    availability_zone: null -> sto-1a']],
    [
      'cinder, grown past the quota: raise by the growth only, then extend',
      volume({ sizeGiB: 900 }),
      { target: cinderTarget, volume: existing(), quota: quota({ gigabytes: { limit: 1000, used: 400 } }) },
      ['~ update cinder quota p1 (sto-1/production): too little room for the volume', '    gigabytes: 1000 -> 1200', '~ update cinder volume agency-a/db (sto-1/production): size grew', '    size: 100 -> 900'],
    ],
    ['cinder, grown within the quota: extend only', volume({ sizeGiB: 150 }), { target: cinderTarget, volume: existing(), quota: quota() }, ['~ update cinder volume agency-a/db (sto-1/production): size grew', '    size: 100 -> 150']],
    ['deleting with the tenant gone: nothing', volume(), {}, []],
  ];
  it.each(cases)('%s', (_name, spec, observed, expected) => {
    expect(lines(planVolume(spec, observed))).toEqual(expected);
  });

  it('plans deletionPolicy Snapshot on rbd like any other rbd volume: namespace and image, nothing refused', () => {
    const spec = volume({ backend: 'rbd', encrypted: false, deletionPolicy: 'Snapshot' });
    expect(lines(planVolume(spec, { target: rbdTarget, namespaceExists: false }))).toEqual([
      '+ create rbd namespace flash-pool/agency-a (sto-1/production): missing',
      '+ create rbd image agency-a.db (sto-1/production): missing',
      '    size: null -> 100 GiB',
    ]);
    expect(planVolume(spec, { target: rbdTarget, volume: existing({ backendId: 'flash-pool/agency-a/agency-a.db', name: 'agency-a.db' }) })).toEqual([]);
  });
});

describe('planVolumeDeletion', () => {
  const cases: Array<[string, StorageVolume, VolumeObserved, string[]]> = [
    ['Retain (default)', volume(), { target: cinderTarget, volume: existing() }, ['retain: deletionPolicy Retain']],
    ['Delete', volume({ deletionPolicy: 'Delete' }), { target: cinderTarget, volume: existing() }, ['delete: deletionPolicy Delete']],
    ['Snapshot on cinder', volume({ deletionPolicy: 'Snapshot' }), { target: cinderTarget, volume: existing() }, ['snapshot: deletionPolicy Snapshot: final copy, then delete']],
    ['Snapshot on rbd', volume({ backend: 'rbd', deletionPolicy: 'Snapshot' }), { target: rbdTarget, volume: existing() }, ['snapshot: deletionPolicy Snapshot: final copy, then delete']],
    [
      'Snapshot on cinder with a full quota: room for the snapshot and the final copy first',
      volume({ deletionPolicy: 'Snapshot' }),
      { target: cinderTarget, volume: existing(), quota: quota({ gigabytes: { limit: 1000, used: 950 }, snapshots: { limit: 10, used: 10 } }) },
      ['update: too little room for the volume', 'snapshot: deletionPolicy Snapshot: final copy, then delete'],
    ],
    ['nothing there', volume({ deletionPolicy: 'Delete' }), { target: cinderTarget }, []],
  ];
  it.each(cases)('%s', (_name, spec, observed, expected) => {
    expect(planVolumeDeletion(spec, observed).map((action) => `${action.verb}: ${action.reason ?? ''}`)).toEqual(expected);
  });

  it('Snapshot on rbd is one snapshot-then-delete action on the image, with no Cinder quota step', () => {
    const actions = planVolumeDeletion(volume({ backend: 'rbd', encrypted: false, deletionPolicy: 'Snapshot' }), {
      target: rbdTarget,
      volume: existing({ backendId: 'flash-pool/agency-a/agency-a.db', name: 'agency-a.db' }),
      quota: quota({ gigabytes: { limit: 1000, used: 1000 }, volumes: { limit: 10, used: 10 }, snapshots: { limit: 10, used: 10 } }),
    });
    expect(actions).toEqual([
      {
        verb: 'snapshot',
        resource: 'rbd image',
        scope: 'sto-1/production',
        name: 'agency-a.db',
        reason: 'deletionPolicy Snapshot: final copy, then delete',
        payload: { op: 'snapshot-then-delete' },
      },
    ]);
  });

  it('raises gigabytes by twice the size (snapshot and copy), volumes and snapshots by one', () => {
    const [raise] = planVolumeDeletion(volume({ deletionPolicy: 'Snapshot' }), {
      target: cinderTarget,
      volume: existing(),
      quota: quota({ gigabytes: { limit: 1000, used: 950 }, volumes: { limit: 10, used: 10 }, snapshots: { limit: 10, used: 10 } }),
    });
    expect(raise?.payload).toEqual({ op: 'raise-quota', update: { gigabytes: 1150, volumes: 11, snapshots: 11 } });
  });
});

describe('volumeStatus', () => {
  it('reports phase, id and size; usedBytes only when Ceph reports it', () => {
    expect(volumeStatus(volume(), { target: cinderTarget, volume: existing() })).toEqual({ phase: 'Available', backendId: 'v-1', sizeGiB: 100, usedBytes: undefined });
    expect(volumeStatus(volume({ sizeGiB: 200 }), { target: cinderTarget, volume: existing() }).phase).toBe('Extending');
    expect(volumeStatus(volume(), { target: rbdTarget, volume: existing({ usedBytes: 4096 }) }).usedBytes).toBe(4096);
    expect(volumeStatus(volume(), { target: cinderTarget }).phase).toBe('Pending');
  });
});
