import type { NeutronQuotaDetail, QuotaDetail } from '../../backends/openstack/index.js';

/** The quota keys statsmoln manages, in backend units (ram in MiB). */
export interface NovaManaged {
  cores: number;
  ram: number;
  instances: number;
  server_groups: number;
}
export type NovaKey = keyof NovaManaged;
export const NOVA_KEYS: readonly NovaKey[] = ['cores', 'ram', 'instances', 'server_groups'];

/** What observe read: the project, and (unless the object is being deleted) the quota details. */
export interface QuotaObserved {
  scope: string;
  projectId?: string;
  nova?: Record<NovaKey, QuotaDetail>;
  floatingIp?: NeutronQuotaDetail;
}

export type QuotaPayload =
  | { service: 'nova'; projectId: string; update: Partial<NovaManaged>; force: boolean }
  | { service: 'neutron'; projectId: string; update: { floatingip: number } }
  | { service: 'none'; projectId?: string };
