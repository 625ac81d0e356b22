import { ServiceClient } from '../../backends/openstack/service.js';
import type { KeystoneSession } from '../../backends/openstack/session.js';

export interface FloatingIp {
  id: string;
  project_id: string;
  floating_ip_address: string;
  floating_network_id: string;
  status: string;
}

const enc = encodeURIComponent;

/**
 * Neutron floating IPs (admin). The shared Neutron client has no floating-IP calls yet; this uses
 * the same session, so timeouts, typed errors, request ids and metrics are those of every call.
 */
export class FloatingIpClient extends ServiceClient {
  constructor(session: KeystoneSession) {
    super(session, 'network', 'neutron');
  }

  listForProject(projectId: string): Promise<FloatingIp[]> {
    return this.list<FloatingIp>('/v2.0/floatingips', 'floatingips', { project_id: projectId });
  }

  /** Allocates an address from an external network to a project (real-service tests, operators' tooling). */
  create(floatingNetworkId: string, projectId: string): Promise<FloatingIp> {
    return this.json({ method: 'POST', path: '/v2.0/floatingips', json: { floatingip: { floating_network_id: floatingNetworkId, project_id: projectId } } }, 'floatingip');
  }

  async delete(id: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/v2.0/floatingips/${enc(id)}` });
  }
}
