import { expectBackendError, type ContractContext } from './openstack.js';

export function registerCinderContract(ctx: ContractContext): void {
  describe('cinder', () => {
    const volumeType = () => ctx.target().facts.volumeType ?? 'standard';

    test('quota sets: update, usage, defaults, unknown key refused, reset', async () => {
      const { project } = await ctx.project();
      const cinder = ctx.admin().blockStorage;
      const defaults = await cinder.getDefaultQuotaSet(project.id);
      expect(defaults.volumes).toBeGreaterThan(0);
      const updated = await cinder.updateQuotaSet(project.id, { volumes: 2, gigabytes: 3, snapshots: 1 });
      expect(updated).toMatchObject({ volumes: 2, gigabytes: 3, snapshots: 1 });
      expect(await cinder.getQuotaSet(project.id)).toMatchObject({ id: project.id, volumes: 2, gigabytes: 3 });
      const usage = await cinder.getQuotaUsage(project.id);
      expect(usage.volumes).toMatchObject({ limit: 2, in_use: 0, reserved: 0 });
      expect(usage.gigabytes).toMatchObject({ limit: 3, in_use: 0 });
      expect(usage[`volumes_${volumeType()}`]).toMatchObject({ limit: -1, in_use: 0 });
      await expectBackendError(cinder.updateQuotaSet(project.id, { no_such_quota: 3 }), 'BadRequest');
      await cinder.deleteQuotaSet(project.id);
      expect((await cinder.getQuotaSet(project.id)).volumes).toBe(defaults.volumes);
    });

    test('a volume goes creating -> available, extends, is listed per project and by metadata, and is deleted', async () => {
      const { wait } = ctx.target();
      const { project, clients } = await ctx.project();
      const admin = ctx.admin().blockStorage;
      await admin.updateQuotaSet(project.id, { volumes: 1, gigabytes: 2 });
      const uid = ctx.name('uid');
      const name = ctx.name('vol');
      const created = await clients.blockStorage.createVolume({
        size: 1,
        name,
        volume_type: volumeType(),
        availability_zone: 'nova',
        metadata: { 'statsmoln.io/uid': uid },
      });
      ctx.cleanup(() => clients.blockStorage.deleteVolume(created.id, { cascade: true }));
      expect(created).toMatchObject({ name, size: 1, status: 'creating', metadata: { 'statsmoln.io/uid': uid } });

      const early = await expectBackendError(clients.blockStorage.extendVolume(created.id, 2), 'BadRequest').catch(async () => {
        // The volume may already be available on a fast backend; then extend is accepted. Wait for it.
        await clients.blockStorage.waitForVolumeAvailable(created.id, wait);
        return undefined;
      });
      if (early) expect(early.serviceMessage).toMatch(/status must be .*available.* to extend, currently creating/);

      let volume = await clients.blockStorage.waitForVolumeAvailable(created.id, wait);
      expect(volume).toMatchObject({ id: created.id, availability_zone: 'nova', volume_type: volumeType(), 'os-vol-tenant-attr:tenant_id': project.id });
      const usage = await admin.getQuotaUsage(project.id);
      expect(usage.volumes?.in_use).toBe(1);
      expect(usage.gigabytes?.in_use).toBe(volume.size);

      expect((await admin.listVolumes({ projectId: project.id })).map((v) => v.id)).toEqual([volume.id]);
      expect((await admin.listVolumes({ projectId: project.id, metadata: { 'statsmoln.io/uid': uid } })).map((v) => v.id)).toEqual([volume.id]);
      expect(await admin.listVolumes({ projectId: project.id, metadata: { 'statsmoln.io/uid': 'other' } })).toEqual([]);
      expect((await clients.blockStorage.listVolumes({ name })).map((v) => v.id)).toEqual([volume.id]);

      const second = await expectBackendError(clients.blockStorage.createVolume({ size: 1, name: ctx.name('vol'), volume_type: volumeType() }), 'OverQuota');
      expect(second.status).toBe(413);
      expect(second.serviceMessage).toMatch(/volumes/i);

      if (volume.size === 1) {
        await clients.blockStorage.extendVolume(volume.id, 2);
        volume = await clients.blockStorage.waitForVolumeAvailable(volume.id, wait);
        expect(volume.size).toBe(2);
      }
      expect((await admin.getQuotaUsage(project.id)).gigabytes?.in_use).toBe(2);
      const shrink = await expectBackendError(clients.blockStorage.extendVolume(volume.id, 1), 'BadRequest');
      expect(shrink.serviceMessage).toMatch(/greater than current size/);
      const over = await expectBackendError(clients.blockStorage.extendVolume(volume.id, 3), 'OverQuota');
      expect(over.status).toBe(413);
      expect(over.serviceMessage).toMatch(/gigabytes/);

      await clients.blockStorage.deleteVolume(volume.id);
      await clients.blockStorage.waitForVolumeGone(volume.id, wait);
      const gone = await expectBackendError(clients.blockStorage.getVolume(volume.id), 'NotFound');
      expect(gone.serviceMessage).toContain(volume.id);
      expect((await admin.getQuotaUsage(project.id)).volumes?.in_use).toBe(0);
    });

    test('volumes are listed across pages', async () => {
      const { wait } = ctx.target();
      const { project, clients } = await ctx.project();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const v = await clients.blockStorage.createVolume({ size: 1, name: ctx.name('page'), volume_type: volumeType() });
        ctx.cleanup(async () => {
          await clients.blockStorage.waitForVolumeAvailable(v.id, wait).catch(() => undefined);
          await clients.blockStorage.deleteVolume(v.id);
        });
        ids.push(v.id);
      }
      const paged = await ctx.admin().blockStorage.listVolumes({ projectId: project.id }, 2);
      expect(paged.map((v) => v.id).sort()).toEqual([...ids].sort());
      for (const id of ids) await clients.blockStorage.waitForVolumeAvailable(id, wait);
    });

    test('snapshots: create, list, block volume deletion, delete', async () => {
      const { wait } = ctx.target();
      const { project, clients } = await ctx.project();
      const bs = clients.blockStorage;
      const volume = await bs.createVolume({ size: 1, name: ctx.name('snapvol'), volume_type: volumeType() });
      ctx.cleanup(() => bs.deleteVolume(volume.id, { cascade: true }));
      await bs.waitForVolumeAvailable(volume.id, wait);
      const snap = await bs.createSnapshot({ volume_id: volume.id, name: ctx.name('snap'), metadata: { purpose: 'contract' } });
      expect(snap).toMatchObject({ volume_id: volume.id, size: 1 });
      const available = await bs.waitForSnapshotAvailable(snap.id, wait);
      expect(available.metadata).toEqual({ purpose: 'contract' });
      expect((await ctx.admin().blockStorage.listSnapshots({ projectId: project.id })).map((s) => s.id)).toEqual([snap.id]);
      expect((await bs.listSnapshots({ volumeId: volume.id })).map((s) => s.id)).toEqual([snap.id]);
      expect((await ctx.admin().blockStorage.getQuotaUsage(project.id)).snapshots?.in_use).toBe(1);
      const blocked = await expectBackendError(bs.deleteVolume(volume.id), 'BadRequest');
      expect(blocked.serviceMessage).toMatch(/snapshots/);
      await bs.deleteSnapshot(snap.id);
      await bs.waitForSnapshotGone(snap.id, wait);
      await expectBackendError(bs.getSnapshot(snap.id), 'NotFound');
      await bs.deleteVolume(volume.id);
      await bs.waitForVolumeGone(volume.id, wait);
    });

    test('volume types with encryption', async () => {
      const cinder = ctx.admin().blockStorage;
      const name = ctx.name('type');
      const type = await cinder.createVolumeType({ name, description: 'contract tier', extra_specs: { 'statsmoln:tier': 'flash' } });
      ctx.cleanup(() => cinder.deleteVolumeType(type.id));
      expect(type).toMatchObject({ name, description: 'contract tier', is_public: true, extra_specs: { 'statsmoln:tier': 'flash' } });
      expect((await cinder.listVolumeTypes()).map((t) => t.name)).toContain(name);
      expect((await cinder.getVolumeType(type.id)).name).toBe(name);
      await expectBackendError(cinder.createVolumeType({ name }), 'Conflict');

      expect(await cinder.getVolumeTypeEncryption(type.id)).toBeUndefined();
      const encryption = await cinder.createVolumeTypeEncryption(type.id, {
        provider: 'luks',
        cipher: 'aes-xts-plain64',
        key_size: 256,
        control_location: 'front-end',
      });
      expect(encryption).toMatchObject({ volume_type_id: type.id, provider: 'luks', cipher: 'aes-xts-plain64', key_size: 256, control_location: 'front-end' });
      const read = await cinder.getVolumeTypeEncryption(type.id);
      expect(read).toMatchObject({ provider: 'luks', encryption_id: encryption.encryption_id });
      await cinder.deleteVolumeTypeEncryption(type.id, read?.encryption_id as string);
      expect(await cinder.getVolumeTypeEncryption(type.id)).toBeUndefined();
      await cinder.deleteVolumeType(type.id);
      await expectBackendError(cinder.getVolumeType(type.id), 'NotFound');
    });

    test('an unknown volume type is NotFound', async () => {
      const { clients } = await ctx.project();
      const error = await expectBackendError(clients.blockStorage.createVolume({ size: 1, name: ctx.name('x'), volume_type: 'no-such-type' }), 'NotFound');
      expect(error.serviceMessage).toContain('no-such-type');
    });
  });
}
