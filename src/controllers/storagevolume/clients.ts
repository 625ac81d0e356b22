import type { CephDashboardClient, ImageSpec, RbdImage } from '../../backends/ceph/index.js';
import { BackendError, type OpenStackClients, type Volume } from '../../backends/openstack/index.js';
import { DependencyNotReadyError } from '../framework/index.js';

const scoped = new WeakMap<OpenStackClients, Map<string, OpenStackClients>>();

/**
 * The partition's credentials acting in the agency's project, cached per project so that the
 * project-scoped token is reused; a new admin client (rotated Secret) starts a new cache.
 */
export function projectClients(admin: OpenStackClients, projectId: string): OpenStackClients {
  let perProject = scoped.get(admin);
  if (!perProject) {
    perProject = new Map();
    scoped.set(admin, perProject);
  }
  let clients = perProject.get(projectId);
  if (!clients) {
    clients = admin.forProject(projectId);
    perProject.set(projectId, clients);
  }
  return clients;
}

/**
 * Runs a write in the agency's project. Keystone refuses a project-scoped token until the
 * operator's user has a role there (the AgencyTenant controller grants it): that is a wait, not a failure.
 */
export async function inProject<T>(admin: OpenStackClients, projectId: string, write: (clients: OpenStackClients) => Promise<T>): Promise<T> {
  try {
    return await write(projectClients(admin, projectId));
  } catch (error) {
    if (error instanceof BackendError && error.kind === 'Unauthorized') {
      throw new DependencyNotReadyError(
        `the operator's user cannot act in project ${projectId} yet (no role assignment there): ${error.serviceMessage}`,
        'ProjectAccessNotReady',
      );
    }
    throw error;
  }
}

export function isOpenStackNotFound(error: unknown): error is BackendError {
  return error instanceof BackendError && error.kind === 'NotFound';
}

export function isCephNotFound(error: unknown): boolean {
  return error instanceof Error && error.name === 'NotFoundError';
}

export async function getVolumeOrUndefined(clients: OpenStackClients, id: string): Promise<Volume | undefined> {
  try {
    return await clients.blockStorage.getVolume(id);
  } catch (error) {
    if (isOpenStackNotFound(error)) return undefined;
    throw error;
  }
}

/** The RBD image, or undefined when the dashboard answers 404. */
export async function getRbdImageOrUndefined(dashboard: CephDashboardClient, spec: ImageSpec, options: { omitUsage?: boolean } = {}): Promise<RbdImage | undefined> {
  try {
    return await dashboard.getImage(spec, options);
  } catch (error) {
    if (isCephNotFound(error)) return undefined;
    throw error;
  }
}

/** A volume Cinder has put in an error state: retrying will not help, an SRE or the agency must act. */
export class VolumeFailedError extends Error {
  readonly transient = false;
  constructor(message: string) {
    super(message);
    this.name = 'VolumeFailedError';
  }
}
