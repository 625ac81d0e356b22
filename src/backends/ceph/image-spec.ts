/** An RBD image address: pool, optional RADOS namespace, image name. */
export interface ImageSpec {
  pool: string;
  /** Empty string or undefined for the pool's default namespace. */
  namespace?: string;
  name: string;
}

/** `pool/namespace/name`, or `pool/name` in the default namespace (the form `rbd` and the dashboard use). */
export function formatImageSpec(spec: ImageSpec): string {
  return spec.namespace ? `${spec.pool}/${spec.namespace}/${spec.name}` : `${spec.pool}/${spec.name}`;
}

/** Parses `pool/name` or `pool/namespace/name` as the dashboard does (split from the right). */
export function parseImageSpec(text: string): ImageSpec {
  const parts = text.split('/');
  if (parts.length === 2 && parts[0] && parts[1]) return { pool: parts[0], namespace: '', name: parts[1] };
  if (parts.length === 3 && parts[0] && parts[2]) return { pool: parts[0], namespace: parts[1] ?? '', name: parts[2] };
  throw new Error(`invalid RBD image spec ${JSON.stringify(text)}: expected pool/name or pool/namespace/name`);
}

/** Names Ceph accepts for pools, namespaces and images in this project: no slash, no @, not empty. */
export function assertRbdName(kind: string, name: string): void {
  if (!name || name.includes('/') || name.includes('@') || name.length > 250) {
    throw new Error(`invalid ${kind} name ${JSON.stringify(name)}: must be 1-250 characters without "/" or "@"`);
  }
}
