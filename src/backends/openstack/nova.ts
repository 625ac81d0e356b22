import { ServiceClient, waitFor, type WaitOptions } from './service.js';
import type { KeystoneSession } from './session.js';
import { BackendError } from '../http/index.js';

/** The compute microversion the client speaks (Zed supports up to 2.93). */
export const NOVA_MICROVERSION = '2.79';

/** Nova quota resources at microversion 2.57 and later. */
export interface NovaQuotaSet {
  cores: number;
  instances: number;
  ram: number;
  key_pairs: number;
  metadata_items: number;
  server_groups: number;
  server_group_members: number;
}
export type NovaQuotaUpdate = Partial<NovaQuotaSet>;
export interface QuotaDetail {
  limit: number;
  in_use: number;
  reserved: number;
}
export type NovaQuotaDetail = Record<keyof NovaQuotaSet, QuotaDetail>;

export interface NovaAbsoluteLimits {
  maxTotalCores: number;
  maxTotalInstances: number;
  maxTotalRAMSize: number;
  maxServerMeta: number;
  maxServerGroups: number;
  maxServerGroupMembers: number;
  maxTotalKeypairs: number;
  totalCoresUsed: number;
  totalInstancesUsed: number;
  totalRAMUsed: number;
  totalServerGroupsUsed: number;
}

export interface ServerUsage {
  instance_id: string;
  name: string;
  hours: number;
  vcpus: number;
  memory_mb: number;
  local_gb: number;
  flavor: string;
  state: string;
  started_at: string;
  ended_at: string | null;
  tenant_id: string;
  uptime: number;
}
export interface TenantUsage {
  tenant_id: string;
  start: string;
  stop: string;
  total_hours: number;
  total_vcpus_usage: number;
  total_memory_mb_usage: number;
  total_local_gb_usage: number;
  server_usages: ServerUsage[];
}

export interface Flavor {
  id: string;
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
  'OS-FLV-EXT-DATA:ephemeral': number;
  'os-flavor-access:is_public': boolean;
}

export interface ServerGroup {
  id: string;
  name: string;
  policy: string;
  members: string[];
  project_id: string;
  user_id: string;
}

export interface Server {
  id: string;
  name: string;
  status: string;
  tenant_id: string;
  user_id: string;
  flavor: { vcpus: number; ram: number; disk: number; original_name: string };
  metadata: Record<string, string>;
  created: string;
  'OS-SRV-USG:launched_at': string | null;
  'OS-EXT-STS:task_state': string | null;
  'OS-EXT-STS:vm_state': string;
}

export interface CreateServer {
  name: string;
  flavorRef: string;
  imageRef: string;
  /** `none` boots without a network; a list attaches ports on those networks. */
  networks: 'none' | 'auto' | { uuid: string }[];
  metadata?: Record<string, string>;
}

/** Formats a time as nova's simple tenant usage expects (`YYYY-MM-DDTHH:MM:SS`, UTC). */
export function novaTime(date: Date): string {
  return date.toISOString().slice(0, 19);
}

const enc = encodeURIComponent;

/** Nova v2.1: quota sets, limits, simple tenant usage, flavors, server groups, servers. */
export class ComputeClient extends ServiceClient {
  constructor(session: KeystoneSession) {
    super(session, 'compute', 'nova', {
      'openstack-api-version': `compute ${NOVA_MICROVERSION}`,
      'x-openstack-nova-api-version': NOVA_MICROVERSION,
    });
  }

  getQuotaSet(projectId: string): Promise<NovaQuotaSet & { id: string }> {
    return this.json({ method: 'GET', path: `/os-quota-sets/${enc(projectId)}` }, 'quota_set');
  }
  getQuotaDetail(projectId: string): Promise<NovaQuotaDetail & { id: string }> {
    return this.json({ method: 'GET', path: `/os-quota-sets/${enc(projectId)}/detail` }, 'quota_set');
  }
  getDefaultQuotaSet(projectId: string): Promise<NovaQuotaSet & { id: string }> {
    return this.json({ method: 'GET', path: `/os-quota-sets/${enc(projectId)}/defaults` }, 'quota_set');
  }
  /** Sets limits; Nova refuses (400) a limit below what is in use unless `force`. */
  updateQuotaSet(projectId: string, update: NovaQuotaUpdate, force = false): Promise<NovaQuotaSet> {
    return this.json(
      { method: 'PUT', path: `/os-quota-sets/${enc(projectId)}`, json: { quota_set: { ...update, ...(force ? { force: true } : {}) } } },
      'quota_set',
    );
  }
  /** Resets a project's quotas to the defaults. */
  async deleteQuotaSet(projectId: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/os-quota-sets/${enc(projectId)}` });
  }

  async getLimits(projectId?: string): Promise<NovaAbsoluteLimits> {
    const limits = await this.json<{ absolute: NovaAbsoluteLimits }>(
      { method: 'GET', path: '/limits', query: { tenant_id: projectId } },
      'limits',
    );
    return limits.absolute;
  }

  /**
   * Usage of a project in [start, end). Nova answers `{}` for a project without usage; this returns
   * zero totals then. Pages (`tenant_usage_links`) are followed and merged.
   */
  async getTenantUsage(projectId: string, start: Date, end: Date): Promise<TenantUsage> {
    const total: TenantUsage = {
      tenant_id: projectId,
      start: novaTime(start),
      stop: novaTime(end),
      total_hours: 0,
      total_vcpus_usage: 0,
      total_memory_mb_usage: 0,
      total_local_gb_usage: 0,
      server_usages: [],
    };
    let next: string | undefined = `/os-simple-tenant-usage/${enc(projectId)}`;
    let query: Record<string, string> | undefined = { start: novaTime(start), end: novaTime(end) };
    const seen = new Set<string>();
    while (next !== undefined) {
      const res = await this.call({ method: 'GET', path: next, ...(query ? { query } : {}) });
      const body = res.body as { tenant_usage?: Partial<TenantUsage>; tenant_usage_links?: { rel: string; href: string }[] };
      const page = body.tenant_usage ?? {};
      total.total_hours += page.total_hours ?? 0;
      total.total_vcpus_usage += page.total_vcpus_usage ?? 0;
      total.total_memory_mb_usage += page.total_memory_mb_usage ?? 0;
      total.total_local_gb_usage += page.total_local_gb_usage ?? 0;
      total.server_usages.push(...(page.server_usages ?? []));
      const href = body.tenant_usage_links?.find((l) => l.rel === 'next')?.href;
      if (!href || seen.has(href) || (page.server_usages ?? []).length === 0) break;
      seen.add(href);
      next = href;
      query = undefined;
    }
    return total;
  }

  listFlavors(pageSize?: number): Promise<Flavor[]> {
    return this.list('/flavors/detail', 'flavors', { is_public: 'None' }, pageSize);
  }
  getFlavor(id: string): Promise<Flavor> {
    return this.json({ method: 'GET', path: `/flavors/${enc(id)}` }, 'flavor');
  }
  async findFlavor(name: string): Promise<Flavor | undefined> {
    return (await this.listFlavors()).find((f) => f.name === name);
  }
  createFlavor(flavor: { name: string; vcpus: number; ram: number; disk: number; id?: string; 'os-flavor-access:is_public'?: boolean }): Promise<Flavor> {
    return this.json({ method: 'POST', path: '/flavors', json: { flavor } }, 'flavor');
  }
  async deleteFlavor(id: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/flavors/${enc(id)}` });
  }

  /** Server groups of one project (admin lists across projects and filters). */
  async listServerGroups(projectId?: string): Promise<ServerGroup[]> {
    const all = await this.list<ServerGroup>('/os-server-groups', 'server_groups', projectId ? { all_projects: 'True' } : {});
    return projectId ? all.filter((g) => g.project_id === projectId) : all;
  }
  createServerGroup(name: string, policy: 'affinity' | 'anti-affinity' | 'soft-affinity' | 'soft-anti-affinity'): Promise<ServerGroup> {
    return this.json({ method: 'POST', path: '/os-server-groups', json: { server_group: { name, policy } } }, 'server_group');
  }
  getServerGroup(id: string): Promise<ServerGroup> {
    return this.json({ method: 'GET', path: `/os-server-groups/${enc(id)}` }, 'server_group');
  }
  async deleteServerGroup(id: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/os-server-groups/${enc(id)}` });
  }

  /** Servers of a project (admin, all tenants filtered by project), following pages. */
  listServers(filter: { projectId?: string; name?: string } = {}, pageSize?: number): Promise<Server[]> {
    return this.list(
      '/servers/detail',
      'servers',
      {
        ...(filter.projectId ? { all_tenants: '1', project_id: filter.projectId } : {}),
        ...(filter.name ? { name: `^${filter.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$` } : {}),
      },
      pageSize,
    );
  }
  getServer(id: string): Promise<Server> {
    return this.json({ method: 'GET', path: `/servers/${enc(id)}` }, 'server');
  }
  /** Creates a server in the session's project; returns its id (Nova answers 202 before it exists). */
  async createServer(server: CreateServer): Promise<string> {
    const created = await this.json<{ id: string }>({ method: 'POST', path: '/servers', json: { server } }, 'server');
    return created.id;
  }
  async deleteServer(id: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/servers/${enc(id)}` });
  }
  /** Polls until the server is ACTIVE; ERROR fails at once. */
  waitForServerActive(id: string, options?: WaitOptions): Promise<Server> {
    return waitFor(
      `server ${id} ACTIVE`,
      async () => {
        const s = await this.getServer(id);
        if (s.status === 'ERROR') throw new Error(`server ${id} went to ERROR`);
        return s;
      },
      (s) => s.status === 'ACTIVE',
      (s) => s.status,
      options,
    );
  }
  async waitForServerGone(id: string, options?: WaitOptions): Promise<void> {
    await waitFor(`server ${id} deleted`, () => this.getServerOrUndefined(id), (s) => s === undefined, (s) => s?.status ?? 'gone', options);
  }
  private async getServerOrUndefined(id: string): Promise<Server | undefined> {
    try {
      // Real Nova shows status DELETED for a moment before the server 404s: only the 404 is gone.
      return await this.getServer(id);
    } catch (error) {
      if (error instanceof BackendError && error.kind === 'NotFound') return undefined;
      throw error;
    }
  }
}
