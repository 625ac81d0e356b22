import type { Partition, StorageTier } from '../../api/v1alpha1/index.js';
import type { PartitionBackends } from '../../controllers/framework/backends.js';
import { names } from '../../controllers/framework/naming.js';
import { BackendError as CephBackendError } from '../../backends/ceph/errors.js';
import { Exact, formatDecimal } from '../decimal.js';
import { BYTES_PER_GIB } from '../integrate.js';
import { NETWORK_METERS, storageMeter } from '../meters.js';
import type { SampledLevel } from './sample-store.js';

export interface SweepTarget {
  tenant: string;
  projectId: string;
  backends: PartitionBackends;
  /** Read floating IPs from Neutron (off for clouds that bill them elsewhere). */
  floatingIps: boolean;
}

export interface SweepResult {
  levels: SampledLevel[];
  /** Launched Nova servers of the project, sorted. */
  servers: string[];
  /** Things that could not be metered, for the log (volume of an unknown type, image without usage). */
  skipped: string[];
}

/** The tier a Cinder volume type belongs to; the first tier listing it wins. */
export function tierOfVolumeType(tiers: readonly StorageTier[], volumeType: string): string | undefined {
  return tiers.find((tier) => tier.cinderVolumeType === volumeType || tier.encryptedCinderVolumeType === volumeType)?.name;
}

/** Ceph pools to look at and the tier each stands for; the first tier naming a pool wins. */
export function tiersByPool(partition: Partition): Map<string, string> {
  const pools = new Map<string, string>();
  for (const tier of partition.storageTiers) if (!pools.has(tier.cephPool)) pools.set(tier.cephPool, tier.name);
  return pools;
}

const FLOATING_IP_METER = NETWORK_METERS[0];
const UNBILLED_VOLUME_STATUSES = new Set(['error', 'deleting', 'error_deleting', 'deleted']);

/** Bytes as GiB; exact, since 2^30 divides a power of ten. */
function gib(bytes: number): string {
  return formatDecimal(new Exact(bytes).div(BYTES_PER_GIB));
}

/**
 * One complete look at a placement's billable levels: Cinder volume sizes (GiB, provisioned),
 * RBD image sizes (provisioned) and bytes stored (used), as exact GiB, in the agency's namespace of each
 * tier's pool, floating IPs (1 each), and the launched servers (for lifecycle events only). Resource
 * keys: volume id, `pool/namespace/image`, IP id.
 * Throws when any part fails: a partial sweep would read as resources having gone away.
 */
export async function sweepPlacement(target: SweepTarget): Promise<SweepResult> {
  const { partition, openstack, cephDashboard } = target.backends;
  const levels: SampledLevel[] = [];
  const skipped: string[] = [];

  for (const volume of await openstack.blockStorage.listVolumes({ projectId: target.projectId })) {
    // Billing stops when deletion is asked for; a volume that failed to create holds no storage.
    if (UNBILLED_VOLUME_STATUSES.has(volume.status)) continue;
    const tier = tierOfVolumeType(partition.storageTiers, volume.volume_type);
    if (!tier) {
      skipped.push(`cinder volume ${volume.id}: volume type ${volume.volume_type} is no tier of ${partition.environment}`);
      continue;
    }
    levels.push({ meter: storageMeter(tier, 'provisioned'), resource: volume.id, value: String(volume.size) });
  }

  const namespace = names.rbdNamespace(target.tenant);
  for (const [pool, tier] of tiersByPool(partition)) {
    let images;
    try {
      images = await cephDashboard.listAllImages(pool, namespace);
    } catch (error) {
      if (error instanceof CephBackendError && error.name === 'NotFoundError') continue; // no namespace yet
      throw error;
    }
    for (const image of images) {
      if (image.namespace !== namespace) continue;
      const resource = `${image.pool}/${image.namespace}/${image.name}`;
      levels.push({ meter: storageMeter(tier, 'provisioned'), resource, value: gib(image.sizeBytes) });
      if (image.usedBytes === null) skipped.push(`rbd image ${resource}: no usage (fast-diff off)`);
      else levels.push({ meter: storageMeter(tier, 'used'), resource, value: gib(image.usedBytes) });
    }
  }

  if (target.floatingIps) {
    for (const ip of await openstack.network.listFloatingIps({ projectId: target.projectId })) {
      levels.push({ meter: FLOATING_IP_METER, resource: ip.id, value: '1' });
    }
  }
  // Nova bills a server from its launch; one still building has not started.
  const servers = (await openstack.compute.listServers({ projectId: target.projectId }))
    .filter((server) => server['OS-SRV-USG:launched_at'] !== null)
    .map((server) => server.id)
    .sort();
  return { levels, servers, skipped };
}
