import type { StorageVolume } from '../../api/v1alpha1/index.js';
import type { OpenStackClients } from '../../backends/openstack/index.js';
import { formatImageSpec, type CephDashboardClient, type ImageSpec } from '../../backends/ceph/index.js';
import { METADATA_UID_KEY, TAG_PREFIX, names, type Action } from '../framework/index.js';
import { getRbdImageOrUndefined, inProject, isCephNotFound, isOpenStackNotFound } from './clients.js';
import type { VolumeControllerDeps } from './observe.js';
import { GIB, type DeletionOutcome, type VolumeObserved, type VolumePayload, type VolumeTarget } from './types.js';

/** Metadata key on the final copy that a Snapshot deletion keeps: the id of the deleted volume. */
export const METADATA_FINAL_COPY_OF = `${TAG_PREFIX}final-copy-of`;

/** Name prefix of the snapshot a Snapshot deletion takes of an RBD image. */
export const RBD_FINAL_SNAPSHOT_PREFIX = 'final-';

/**
 * The images a Snapshot deletion of the RBD image `imageName` makes from its snapshot
 * `final-<time>`: the final copy `<imageName>.final-<time>`, and the name it is copied under
 * until the copy is complete. The compact time has upper-case letters, which a Kubernetes object
 * name cannot have, so neither can ever be the image of another StorageVolume.
 */
export function rbdFinalCopyNames(imageName: string, snapshotName: string): { final: string; partial: string } {
  const final = `${imageName}.${snapshotName}`;
  return { final, partial: `${final}.partial` };
}

/** Compact UTC time for backend names: 20260102T030405Z. */
export function compactTime(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

export class VolumeApplier {
  /** Outcomes of deletion actions, read back by deletionStatus. */
  readonly outcomes = new WeakMap<object, DeletionOutcome>();

  constructor(private readonly deps: VolumeControllerDeps) {}

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  async apply(action: Action<VolumePayload>, volume: StorageVolume, observed: VolumeObserved): Promise<void> {
    const { target } = observed;
    const { payload } = action;
    if (!target || payload.op === 'retain') return;
    const backends = await this.deps.registry.forPartition(volume.spec.dataCenter, volume.spec.environment);
    if (payload.op === 'raise-quota') {
      if (target.backend !== 'cinder') throw new Error('an RBD image has no Cinder quota to raise');
      await backends.openstack.blockStorage.updateQuotaSet(target.projectId, payload.update);
      return;
    }
    if (target.backend === 'rbd') {
      await this.applyRbd(action, backends.cephDashboard, target, observed);
      return;
    }
    await inProject(backends.openstack, target.projectId, (clients) => this.applyCinder(action, volume, observed, target, clients));
  }

  private async applyCinder(
    action: Action<VolumePayload>,
    volume: StorageVolume,
    observed: VolumeObserved,
    target: Extract<VolumeTarget, { backend: 'cinder' }>,
    clients: OpenStackClients,
  ): Promise<void> {
    const cinder = clients.blockStorage;
    const { payload } = action;
    const uid = volume.metadata.uid ?? '';
    const current = observed.volume;
    switch (payload.op) {
      case 'create': {
        const created = await cinder.createVolume({
          name: target.name,
          size: payload.sizeGiB,
          volume_type: target.volumeType,
          ...(target.availabilityZone ? { availability_zone: target.availabilityZone } : {}),
          description: `StorageVolume ${target.name} (statsmoln)`,
          metadata: { [METADATA_UID_KEY]: uid },
        });
        await cinder.waitForVolumeAvailable(created.id, this.deps.wait);
        return;
      }
      case 'extend':
        if (!current) throw new Error(`cannot extend ${target.name}: it was not observed`);
        await cinder.extendVolume(current.backendId, payload.sizeGiB);
        await cinder.waitForVolumeAvailable(current.backendId, this.deps.wait);
        return;
      case 'tag-owner':
        if (!current) throw new Error(`cannot tag ${target.name}: it was not observed`);
        await cinder.updateVolumeMetadata(current.backendId, { [METADATA_UID_KEY]: uid });
        return;
      case 'delete':
        if (!current) return;
        await cinder.deleteVolume(current.backendId);
        this.outcomes.set(action, await this.confirmCinderGone(clients, current.backendId));
        return;
      case 'snapshot-then-delete':
        if (!current) return;
        this.outcomes.set(action, await this.finalCopyThenDelete(clients, volume, target, current.backendId, current.sizeGiB));
        return;
      case 'create-namespace':
        throw new Error('a Cinder volume has no RBD namespace to create');
      case 'raise-quota':
        throw new Error('the Cinder quota is raised with the admin credentials, not in the project');
    }
  }

  /**
   * Cinder refuses to delete a volume that has snapshots, and a cascading delete takes them with it:
   * a Cinder snapshot cannot outlive its volume. So the snapshot is restored into a final copy
   * (a volume named `<name>@final-<time>` with the owner's uid and the original's id in metadata),
   * and then the original is deleted with its snapshot. Each step finds what an earlier attempt made.
   */
  private async finalCopyThenDelete(
    clients: OpenStackClients,
    volume: StorageVolume,
    target: Extract<VolumeTarget, { backend: 'cinder' }>,
    volumeId: string,
    sizeGiB: number,
  ): Promise<DeletionOutcome> {
    const cinder = clients.blockStorage;
    const uid = volume.metadata.uid ?? '';
    const prefix = names.snapshotBeforeDelete(target.name, '');
    const finalName = names.snapshotBeforeDelete(target.name, compactTime(this.now()));
    const snapshots = await cinder.listSnapshots({ volumeId });
    let snapshot = snapshots.find((candidate) => candidate.name?.startsWith(prefix));
    snapshot ??= await cinder.createSnapshot({ volume_id: volumeId, name: finalName, force: true, metadata: { [METADATA_UID_KEY]: uid } });
    snapshot = await cinder.waitForSnapshotAvailable(snapshot.id, this.deps.wait);
    const copies = await cinder.listVolumes({ metadata: { [METADATA_FINAL_COPY_OF]: volumeId } });
    let copy = copies[0];
    copy ??= await cinder.createVolume({
      name: snapshot.name ?? finalName,
      size: sizeGiB,
      volume_type: target.volumeType,
      snapshot_id: snapshot.id,
      description: `final copy of ${target.name} (${volumeId}) before deletion`,
      metadata: { [METADATA_UID_KEY]: uid, [METADATA_FINAL_COPY_OF]: volumeId },
    });
    copy = await cinder.waitForVolumeAvailable(copy.id, this.deps.wait);
    await cinder.deleteVolume(volumeId, { cascade: true });
    const gone = await this.confirmCinderGone(clients, volumeId);
    return {
      ...gone,
      snapshotId: copy.id,
      confirmation: `snapshot ${snapshot.id} restored to final copy ${copy.id} "${copy.name ?? ''}" (available), then ${gone.confirmation}`,
    };
  }

  private async confirmCinderGone(clients: OpenStackClients, volumeId: string): Promise<DeletionOutcome> {
    await clients.blockStorage.waitForVolumeGone(volumeId, this.deps.wait);
    const gone = await confirmCinderAbsent(clients, volumeId, this.now());
    if (!gone) throw new Error(`Cinder volume ${volumeId} still exists after deletion`);
    return gone;
  }

  private async applyRbd(
    action: Action<VolumePayload>,
    dashboard: CephDashboardClient,
    target: Extract<VolumeTarget, { backend: 'rbd' }>,
    observed: VolumeObserved,
  ): Promise<void> {
    const { payload } = action;
    const spec: ImageSpec = { pool: target.pool, namespace: target.namespace, name: observed.volume?.name ?? target.name };
    switch (payload.op) {
      case 'create-namespace':
        await dashboard.ensureNamespace(target.pool, target.namespace);
        return;
      case 'create':
        await dashboard.createImage({ ...spec, sizeBytes: payload.sizeGiB * GIB });
        return;
      case 'extend':
        await dashboard.resizeImage(spec, payload.sizeGiB * GIB);
        return;
      case 'delete': {
        await dashboard.deleteImage(spec);
        this.outcomes.set(action, await this.confirmRbdGone(dashboard, spec));
        return;
      }
      case 'snapshot-then-delete':
        if (!observed.volume) return;
        this.outcomes.set(action, await this.finalRbdCopyThenDelete(dashboard, spec));
        return;
      case 'tag-owner':
      case 'raise-quota':
        throw new Error(`${payload.op} is not an RBD action`);
    }
  }

  /**
   * The dashboard deletes an image together with its snapshots, so, as for Cinder, the snapshot is
   * kept as a final copy: snapshot `final-<time>`, copied (as of the snapshot) to
   * `<image>.final-<time>.partial`, renamed to `<image>.final-<time>` once the copy is complete, and
   * only then is the original deleted and its absence confirmed. Each step finds what an earlier
   * attempt made: the snapshot by its prefix, the final image by the name derived from the snapshot.
   * A partial image is a copy that was cut short, unless the dashboard is still running it as a
   * task: that one is waited for; a torn one is deleted and copied again.
   */
  private async finalRbdCopyThenDelete(dashboard: CephDashboardClient, spec: ImageSpec): Promise<DeletionOutcome> {
    const original = await dashboard.getImage(spec, { omitUsage: true });
    let snapshotName = original.snapshots.find((snapshot) => snapshot.name.startsWith(RBD_FINAL_SNAPSHOT_PREFIX))?.name;
    if (snapshotName === undefined) {
      snapshotName = `${RBD_FINAL_SNAPSHOT_PREFIX}${compactTime(this.now())}`;
      await dashboard.createSnapshot(spec, snapshotName);
    }
    const { final, partial } = rbdFinalCopyNames(spec.name, snapshotName);
    const finalSpec: ImageSpec = { ...spec, name: final };
    const partialSpec: ImageSpec = { ...spec, name: partial };
    let copy = await getRbdImageOrUndefined(dashboard, finalSpec, { omitUsage: true });
    if (!copy) {
      let complete = false;
      if (await getRbdImageOrUndefined(dashboard, partialSpec, { omitUsage: true })) {
        complete = (await dashboard.awaitRunningCopy(spec, partialSpec)).state === 'succeeded';
        if (!complete) await dashboard.deleteImage(partialSpec);
      }
      if (!complete) await dashboard.copyImage(spec, partialSpec, { snapshot: snapshotName });
      await dashboard.renameImage(partialSpec, final);
      copy = await dashboard.getImage(finalSpec, { omitUsage: true });
    }
    await dashboard.deleteImage(spec);
    const gone = await this.confirmRbdGone(dashboard, spec);
    return {
      ...gone,
      snapshotId: formatImageSpec(finalSpec),
      confirmation: `snapshot ${formatImageSpec(spec)}@${snapshotName} copied to final image ${formatImageSpec(finalSpec)} (id ${copy.id}), then ${gone.confirmation}`,
    };
  }

  private async confirmRbdGone(dashboard: CephDashboardClient, spec: ImageSpec): Promise<DeletionOutcome> {
    const gone = await confirmRbdAbsent(dashboard, spec, this.now());
    if (!gone) throw new Error(`RBD image ${spec.pool}/${spec.namespace ?? ''}/${spec.name} still exists after deletion`);
    return gone;
  }
}

/** A read-back that answers 404, as the receipt's confirmation; undefined while the volume exists. */
export async function confirmCinderAbsent(clients: OpenStackClients, volumeId: string, nowMs: number): Promise<DeletionOutcome | undefined> {
  try {
    await clients.blockStorage.getVolume(volumeId);
    return undefined;
  } catch (error) {
    if (!isOpenStackNotFound(error)) throw error;
    return {
      time: new Date(nowMs).toISOString(),
      confirmation: `volume ${volumeId} deleted; GET /volumes/${volumeId} answered ${error.status ?? 404}${error.requestId ? ` [${error.requestId}]` : ''}`,
    };
  }
}

export async function confirmRbdAbsent(dashboard: CephDashboardClient, spec: ImageSpec, nowMs: number): Promise<DeletionOutcome | undefined> {
  try {
    await dashboard.getImage(spec, { omitUsage: true });
    return undefined;
  } catch (error) {
    if (!isCephNotFound(error)) throw error;
    const requestId = (error as { requestId?: string }).requestId;
    return {
      time: new Date(nowMs).toISOString(),
      confirmation: `image ${spec.pool}/${spec.namespace ?? ''}/${spec.name} deleted; GET answered 404${requestId ? ` [${requestId}]` : ''}`,
    };
  }
}
