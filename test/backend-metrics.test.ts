/** The Ceph and OpenStack clients share one set of backend metrics, in whichever order they load. */
import { register } from 'prom-client';
import { backendRequestsTotal } from '../src/backends/ceph/metrics.js';
import { backendMetrics } from '../src/backends/http/metrics.js';

describe('backend request metrics', () => {
  it('are the same series for Ceph and the shared HTTP layer, registered once', () => {
    const ceph = backendRequestsTotal();
    expect(backendMetrics().requests).toBe(ceph);
    expect(register.getSingleMetric('statsmoln_backend_requests_total')).toBe(ceph);
  });
});
