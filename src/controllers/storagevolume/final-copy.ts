import { formatImageSpec, type CephDashboardClient, type ImageSpec } from '../../backends/ceph/index.js';
import type { OpenStackClients } from '../../backends/openstack/index.js';
import { METADATA_FINAL_COPY_OF, RBD_FINAL_SNAPSHOT_PREFIX, rbdFinalCopyNames } from './apply.js';

/**
 * The final copy an earlier Snapshot deletion made before it deleted the original, found again
 * when that attempt died between the delete and its receipt (the receipt then names the copy).
 * Cinder: the volume whose metadata names the original. RBD: the image `<original>.final-<time>`
 * in the same namespace; the dashboard caches image names for up to 30 s, so a copy renamed
 * moments before may not be listed yet, and the receipt then has no copy.
 */
export async function findCinderFinalCopy(admin: OpenStackClients, projectId: string, originalId: string): Promise<string | undefined> {
  const copies = await admin.blockStorage.listVolumes({ projectId, metadata: { [METADATA_FINAL_COPY_OF]: originalId } });
  return copies.sort((a, b) => a.created_at.localeCompare(b.created_at))[0]?.id;
}

export async function findRbdFinalCopy(dashboard: CephDashboardClient, original: ImageSpec): Promise<string | undefined> {
  // The names of a copy whose snapshot name is just the prefix: every final copy starts with the
  // first, and a partial one ends like the second.
  const { final: prefix, partial } = rbdFinalCopyNames(original.name, RBD_FINAL_SNAPSHOT_PREFIX);
  const partialSuffix = partial.slice(prefix.length);
  const images = await dashboard.listAllImages(original.pool, original.namespace ?? '');
  const finals = images
    .map((image) => image.name)
    .filter((name) => name.startsWith(prefix) && !name.endsWith(partialSuffix))
    .sort();
  const latest = finals[finals.length - 1];
  return latest === undefined ? undefined : formatImageSpec({ ...original, name: latest });
}
