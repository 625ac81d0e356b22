import type { StorageVolume } from '../../api/v1alpha1/index.js';
import type { OpenStackClients, Volume, WaitOptions } from '../../backends/openstack/index.js';
import { parseImageSpec, type CephDashboardClient, type RbdImage } from '../../backends/ceph/index.js';
import { confirmCinderAbsent, confirmRbdAbsent } from './apply.js';
import { findCinderFinalCopy, findRbdFinalCopy } from './final-copy.js';
import { DependencyNotReadyError, InvalidConfigurationError, METADATA_UID_KEY, names, type PartitionBackends } from '../framework/index.js';
import type { ControllerDeps } from '../computequota/deps.js';
import { findTenant, tenantNameOf, tenantProject, TENANT_RETRY_MS } from '../computequota/project.js';
import { getRbdImageOrUndefined, getVolumeOrUndefined, VolumeFailedError } from './clients.js';
import { GIB, type CinderQuota, type ObservedVolume, type QuotaHeadroom, type VolumeObserved, type VolumeTarget } from './types.js';

export interface VolumeControllerDeps extends ControllerDeps {
  /** How long and how often to poll Cinder for a volume or snapshot to settle. */
  wait?: WaitOptions;
}

const TRANSITIONAL = new Set(['creating', 'extending', 'downloading', 'uploading', 'attaching', 'detaching', 'retyping', 'maintenance']);

export const backendOf = (volume: StorageVolume): 'cinder' | 'rbd' => volume.spec.backend ?? 'cinder';

/** Where the volume lives: project, volume type and zone for Cinder; pool and namespace for RBD. */
export function resolveTarget(deps: ControllerDeps, volume: StorageVolume, backends: PartitionBackends): VolumeTarget {
  const { spec } = volume;
  const scope = `${spec.dataCenter}/${spec.environment}`;
  const tier = backends.partition.storageTiers.find((candidate) => candidate.name === spec.tier);
  if (!tier) throw new InvalidConfigurationError(`tier "${spec.tier}" is not offered in ${scope}`);
  const namespace = volume.metadata.namespace ?? '';
  if (backendOf(volume) === 'rbd') {
    const tenantName = tenantNameOf(volume);
    if (!findTenant(deps.informers, tenantName)) throw new DependencyNotReadyError(`AgencyTenant "${tenantName}" does not exist`, 'TenantNotReady', TENANT_RETRY_MS);
    return { backend: 'rbd', scope, pool: tier.cephPool, namespace: names.rbdNamespace(tenantName), name: names.rbdImage(namespace, volume.metadata.name), tier };
  }
  const { projectId } = tenantProject(deps.informers, volume, spec.dataCenter, spec.environment);
  const volumeType = spec.encrypted ? tier.encryptedCinderVolumeType : tier.cinderVolumeType;
  if (!volumeType) throw new InvalidConfigurationError(`tier "${tier.name}" in ${scope} has no encrypted volume type`);
  const availabilityZone = backends.partition.openstack.availabilityZone;
  return {
    backend: 'cinder',
    scope,
    projectId,
    name: names.cinderVolume(namespace, volume.metadata.name),
    volumeType,
    ...(availabilityZone ? { availabilityZone } : {}),
    tier,
  };
}

export function fromCinder(volume: Volume, imported: boolean): ObservedVolume {
  const ownerUid = volume.metadata[METADATA_UID_KEY];
  return {
    backendId: volume.id,
    name: volume.name ?? '',
    sizeGiB: volume.size,
    state: volume.status,
    ...(ownerUid ? { ownerUid } : {}),
    volumeType: volume.volume_type,
    imported,
  };
}

export function fromRbd(image: RbdImage, imported: boolean): ObservedVolume {
  return {
    backendId: `${image.pool}/${image.namespace ? `${image.namespace}/` : ''}${image.name}`,
    name: image.name,
    sizeGiB: Math.floor(image.sizeBytes / GIB),
    state: 'available',
    ...(image.usedBytes !== null ? { usedBytes: image.usedBytes } : {}),
    imported,
  };
}

/**
 * Reads the backend volume: the imported one (by id: missing is terminal; by filter: none waits,
 * several is terminal), or the one an earlier attempt created, by deterministic name and owner uid.
 * A volume in a transitional state is waited for, so that plans are made on settled state.
 */
export async function observeVolume(deps: VolumeControllerDeps, volume: StorageVolume): Promise<VolumeObserved> {
  const deleting = Boolean(volume.metadata.deletionTimestamp);
  let backends: PartitionBackends;
  let target: VolumeTarget;
  try {
    backends = await deps.registry.forPartition(volume.spec.dataCenter, volume.spec.environment);
    target = resolveTarget(deps, volume, backends);
  } catch (error) {
    // A volume whose tenant is already gone must not keep its finalizer forever; its receipt says so.
    if (deleting && error instanceof DependencyNotReadyError && error.reason === 'TenantNotReady') return {};
    throw error;
  }
  try {
    const found =
      target.backend === 'cinder' ? await observeCinder(deps, volume, backends.openstack, target) : await observeRbd(volume, backends.cephDashboard, target);
    const recorded = volume.status?.backendId;
    if (deleting && !found.volume && recorded && (volume.spec.deletionPolicy ?? 'Retain') !== 'Retain') {
      const now = (deps.now ?? Date.now)();
      const confirmedGone =
        target.backend === 'cinder'
          ? await confirmCinderAbsent(backends.openstack, recorded, now)
          : await confirmRbdAbsent(backends.cephDashboard, parseImageSpec(recorded), now);
      if (confirmedGone && volume.spec.deletionPolicy === 'Snapshot') {
        const finalCopy =
          target.backend === 'cinder'
            ? await findCinderFinalCopy(backends.openstack, target.projectId, recorded)
            : await findRbdFinalCopy(backends.cephDashboard, parseImageSpec(recorded));
        if (finalCopy) confirmedGone.snapshotId = finalCopy;
      }
      return { target, ...found, ...(confirmedGone ? { confirmedGone } : {}) };
    }
    return { target, ...found };
  } catch (error) {
    if (deleting && error instanceof DependencyNotReadyError && error.reason === 'ImportNotFound') return { target };
    throw error;
  }
}

async function observeCinder(
  deps: VolumeControllerDeps,
  object: StorageVolume,
  admin: OpenStackClients,
  target: Extract<VolumeTarget, { backend: 'cinder' }>,
): Promise<Pick<VolumeObserved, 'volume' | 'quota'>> {
  const uid = object.metadata.uid ?? '';
  const importSpec = object.spec.import;
  let found: Volume | undefined;
  if (importSpec?.id) {
    found = await getVolumeOrUndefined(admin, importSpec.id);
    if (!found || found['os-vol-tenant-attr:tenant_id'] !== target.projectId) {
      throw new InvalidConfigurationError(`import.id: Cinder volume ${importSpec.id} does not exist in project ${target.projectId}`);
    }
  } else if (importSpec?.filter) {
    const matches = await admin.blockStorage.listVolumes({ projectId: target.projectId, name: importSpec.filter.name });
    if (matches.length === 0) {
      throw new DependencyNotReadyError(`import.filter: no Cinder volume named "${importSpec.filter.name}" in project ${target.projectId} yet`, 'ImportNotFound');
    }
    if (matches.length > 1) {
      throw new InvalidConfigurationError(
        `import.filter: ${matches.length} Cinder volumes are named "${importSpec.filter.name}" (${matches.map((match) => match.id).join(', ')}); import by id instead`,
      );
    }
    found = matches[0];
  } else {
    const named = await admin.blockStorage.listVolumes({ projectId: target.projectId, name: target.name });
    const foreign = named.find((candidate) => candidate.metadata[METADATA_UID_KEY] !== uid);
    if (foreign) {
      throw new InvalidConfigurationError(
        `Cinder volume ${foreign.id} "${target.name}" is owned by another object (${METADATA_UID_KEY}=${foreign.metadata[METADATA_UID_KEY] ?? 'unset'}); not touching it`,
      );
    }
    found = named.sort((a, b) => a.created_at.localeCompare(b.created_at))[0];
  }
  if (found) {
    const owner = found.metadata[METADATA_UID_KEY];
    if (owner && owner !== uid) {
      throw new InvalidConfigurationError(`Cinder volume ${found.id} is owned by another object (${METADATA_UID_KEY}=${owner}); not touching it`);
    }
    found = await settle(deps, admin, found);
  }
  const observed = found ? { volume: fromCinder(found, importSpec !== undefined) } : {};
  return mayNeedQuota(object, observed.volume) ? { ...observed, quota: await observeQuota(admin, target.projectId) } : observed;
}

/** Whether the plan may consume quota: a create, an extend, or a Snapshot deletion's final copy. */
function mayNeedQuota(object: StorageVolume, volume: ObservedVolume | undefined): boolean {
  if (object.metadata.deletionTimestamp) return volume !== undefined && object.spec.deletionPolicy === 'Snapshot';
  if (!volume) return object.spec.import === undefined;
  return volume.sizeGiB < object.spec.sizeGiB;
}

async function observeQuota(admin: OpenStackClients, projectId: string): Promise<CinderQuota> {
  const usage = await admin.blockStorage.getQuotaUsage(projectId);
  const headroom = (key: keyof CinderQuota): QuotaHeadroom => {
    const entry = usage[key];
    if (!entry) throw new Error(`Cinder quota set of project ${projectId} has no "${key}"`);
    return { limit: entry.limit, used: entry.in_use + entry.reserved };
  };
  return { gigabytes: headroom('gigabytes'), volumes: headroom('volumes'), snapshots: headroom('snapshots') };
}

async function settle(deps: VolumeControllerDeps, admin: OpenStackClients, volume: Volume): Promise<Volume | undefined> {
  if (volume.status.startsWith('error')) {
    throw new VolumeFailedError(`Cinder volume ${volume.id} is in state ${volume.status}; Cinder cannot recover it by retrying`);
  }
  if (volume.status === 'deleting') {
    await admin.blockStorage.waitForVolumeGone(volume.id, deps.wait);
    return undefined;
  }
  if (TRANSITIONAL.has(volume.status)) return admin.blockStorage.waitForVolumeAvailable(volume.id, deps.wait);
  return volume;
}

async function observeRbd(
  object: StorageVolume,
  dashboard: CephDashboardClient,
  target: Extract<VolumeTarget, { backend: 'rbd' }>,
): Promise<Pick<VolumeObserved, 'volume' | 'namespaceExists'>> {
  const importSpec = object.spec.import;
  const imageName = importSpec?.id ?? importSpec?.filter?.name ?? target.name;
  // An image found by name proves its namespace exists; only a missing one needs the namespace
  // listing, which the dashboard builds by listing every namespace's images.
  const image = await getRbdImageOrUndefined(dashboard, { pool: target.pool, namespace: target.namespace, name: imageName });
  const namespaceExists = image !== undefined || (await dashboard.listNamespaces(target.pool)).some((entry) => entry.namespace === target.namespace);
  if (!image && importSpec?.id) {
    throw new InvalidConfigurationError(`import.id: RBD image ${target.pool}/${target.namespace}/${importSpec.id} does not exist`);
  }
  if (!image && importSpec?.filter) {
    throw new DependencyNotReadyError(`import.filter: no RBD image "${imageName}" in ${target.pool}/${target.namespace} yet`, 'ImportNotFound');
  }
  return { namespaceExists, ...(image ? { volume: fromRbd(image, importSpec !== undefined) } : {}) };
}
