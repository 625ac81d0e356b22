/**
 * Read-only probes of one partition's backends: a Keystone token and catalog, the version document
 * of every OpenStack service, and Ceph's health through the dashboard. Nothing here writes.
 */
import { BackendError, identityBase, type KeystoneSession, type Token } from '../../backends/openstack/index.js';
import type { CephDashboardClient } from '../../backends/ceph/index.js';
import { errorMessage } from '../framework/index.js';

/** The service names the DataCenter status reports, in this order. */
export const PARTITION_SERVICES = ['keystone', 'compute', 'volumev3', 'network', 'ceph'] as const;
export type PartitionService = (typeof PARTITION_SERVICES)[number];

export interface ServiceCheck {
  service: PartitionService;
  reachable: boolean;
  version?: string;
  message?: string;
}

interface VersionEntry {
  id?: unknown;
  version?: unknown;
  status?: unknown;
}

/** The OpenStack services checked from the catalog: our status name, catalog type, metrics name. */
const OPENSTACK_SERVICES: ReadonlyArray<{ service: PartitionService; catalogType: string; metricsName: string }> = [
  { service: 'compute', catalogType: 'compute', metricsName: 'nova' },
  { service: 'volumev3', catalogType: 'block-storage', metricsName: 'cinder' },
  { service: 'network', catalogType: 'network', metricsName: 'neutron' },
];

/**
 * The version a version document states: `{version: {...}}` (Keystone /v3, Nova /v2.1) or
 * `{versions: [...]}` (Cinder /v3/, Neutron /). Prefers the maximum microversion over the id.
 */
export function versionFromDocument(body: unknown): string | undefined {
  const doc = body as { version?: VersionEntry; versions?: VersionEntry[] | { values?: VersionEntry[] } } | null;
  if (!doc || typeof doc !== 'object') return undefined;
  const describe = (entry: VersionEntry | undefined): string | undefined => {
    if (!entry) return undefined;
    const id = typeof entry.id === 'string' ? entry.id : undefined;
    const max = typeof entry.version === 'string' && entry.version !== '' ? entry.version : undefined;
    if (id && max) return `${id} (microversion ${max})`;
    return id ?? max;
  };
  if (doc.version) return describe(doc.version);
  const list = Array.isArray(doc.versions) ? doc.versions : (doc.versions?.values ?? []);
  const current = list.find((entry) => entry.status === 'CURRENT' || entry.status === 'stable') ?? list[0];
  return describe(current);
}

/** Cinder's catalog URL ends in the project id (`.../v3/<project>`); its version document is `.../v3/`. */
export function versionDocumentUrl(endpoint: string, catalogType: string, projectId: string | undefined): string {
  let url = endpoint.replace(/\/+$/, '');
  if (catalogType === 'block-storage' && projectId && url.endsWith(`/${projectId}`)) url = url.slice(0, -projectId.length - 1);
  return `${url}/`;
}

async function getVersion(session: KeystoneSession, metricsName: string, url: string, token: Token, signal: AbortSignal): Promise<Omit<ServiceCheck, 'service'>> {
  try {
    const response = await session.http(metricsName).request({ method: 'GET', url, headers: { 'x-auth-token': token.value }, signal });
    return { reachable: true, ...optional('version', versionFromDocument(response.body)) };
  } catch (error) {
    if (error instanceof BackendError && error.status === 404) {
      // The service answered (routing, authentication) but serves no version document there.
      return { reachable: true, message: `no version document at ${new URL(url).pathname} (HTTP 404)` };
    }
    return { reachable: false, message: errorMessage(error) };
  }
}

/** Keystone (token and catalog, version) then each OpenStack service's version document. */
export async function checkOpenStack(session: KeystoneSession, signal: AbortSignal): Promise<ServiceCheck[]> {
  let token: Token;
  try {
    token = await session.token();
  } catch (error) {
    const message = `keystone authentication failed: ${errorMessage(error)}`;
    return [
      { service: 'keystone', reachable: false, message },
      ...OPENSTACK_SERVICES.map(({ service }) => ({ service, reachable: false, message: 'no token from keystone' })),
    ];
  }
  const keystone = await getVersion(session, 'keystone', identityBase(session.config.auth.authUrl), token, signal);
  const checks: ServiceCheck[] = [
    { service: 'keystone', ...keystone, ...(keystone.reachable && token.catalog.length === 0 ? { reachable: false, message: 'token has an empty service catalog' } : {}) },
  ];
  for (const { service, catalogType, metricsName } of OPENSTACK_SERVICES) {
    let endpoint: string;
    try {
      endpoint = await session.endpoint(catalogType);
    } catch (error) {
      checks.push({ service, reachable: false, message: errorMessage(error) });
      continue;
    }
    checks.push({ service, ...(await getVersion(session, metricsName, versionDocumentUrl(endpoint, catalogType, token.projectId), token, signal)) });
  }
  return checks;
}

/** Ceph: the dashboard's version (from /api/summary) and a live health read (/api/health/full). */
export async function checkCeph(dashboard: CephDashboardClient): Promise<ServiceCheck> {
  try {
    const version = await dashboard.version();
    await dashboard.clusterUsage();
    return { service: 'ceph', reachable: true, version: `${version.major}.${version.minor}.${version.patch} ${version.release}` };
  } catch (error) {
    return { service: 'ceph', reachable: false, message: errorMessage(error) };
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}
