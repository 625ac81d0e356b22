import { storageVolumeDefinition, type StorageVolume } from '../../api/v1alpha1/index.js';
import type { Actuator } from '../framework/index.js';
import { tenantAndDataCenters } from '../computequota/project.js';
import { VolumeApplier } from './apply.js';
import { observeVolume, type VolumeControllerDeps } from './observe.js';
import { planVolume, planVolumeDeletion } from './plan.js';
import { volumeDeletionStatus, volumeStatus } from './status.js';
import type { VolumeObserved, VolumePayload } from './types.js';

export type { VolumeControllerDeps } from './observe.js';
export { planVolume, planVolumeDeletion } from './plan.js';
export { volumeStatus } from './status.js';
export { allObjects, objectsOfTenant } from '../computequota/project.js';
export { METADATA_FINAL_COPY_OF, rbdFinalCopyNames } from './apply.js';
export type { CinderQuota, QuotaHeadroom, VolumeObserved, VolumePayload, VolumeTarget, ObservedVolume } from './types.js';

/** StorageVolume: a Cinder volume in the agency's project, or a raw RBD image in its RBD namespace. */
export function createStorageVolumeActuator(deps: VolumeControllerDeps): Actuator<StorageVolume, VolumeObserved, VolumePayload> {
  const applier = new VolumeApplier(deps);
  const now = deps.now ?? Date.now;
  return {
    definition: storageVolumeDefinition,
    related: (volume) => tenantAndDataCenters(deps.informers, volume),
    observe: (volume) => observeVolume(deps, volume),
    plan: planVolume,
    planDeletion: planVolumeDeletion,
    apply: (action, volume, observed) => applier.apply(action, volume, observed),
    status: volumeStatus,
    deletionStatus: (volume, observed, applied) => volumeDeletionStatus(volume, observed, applied, applier.outcomes, now()),
  };
}
