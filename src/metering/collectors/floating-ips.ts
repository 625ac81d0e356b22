import { ServiceClient } from '../../backends/openstack/service.js';
import type { KeystoneSession } from '../../backends/openstack/session.js';

export interface FloatingIp {
  id: string;
  project_id: string;
  floating_ip_address: string;
  status: string;
}

/**
 * Neutron floating IPs of one project (admin). The shared Neutron client has no floating-IP
 * calls yet; this reads them through the same session, timeouts, errors and metrics.
 */
export class FloatingIpReader extends ServiceClient {
  constructor(session: KeystoneSession) {
    super(session, 'network', 'neutron');
  }

  listForProject(projectId: string): Promise<FloatingIp[]> {
    return this.list<FloatingIp>('/v2.0/floatingips', 'floatingips', { project_id: projectId });
  }
}
