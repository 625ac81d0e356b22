import { CephDashboardClient } from '../../src/backends/ceph/dashboard.js';
import { RgwAdminClient } from '../../src/backends/ceph/rgw.js';
import { startCephSimulator } from '../../src/simulators/ceph/server.js';
import { cephContract } from '../contract/ceph.js';

cephContract('simulator', async () => {
  // A short listing cache keeps the test fast while still exercising the eventual consistency.
  const sim = await startCephSimulator({ imageListCacheTtlMs: 500, seed: 7 });
  const dashboard = (password: string): CephDashboardClient =>
    new CephDashboardClient({ url: sim.dashboardUrl, username: sim.dashboardUser, password, timeoutMs: 5_000, retries: 0 });
  const rgw = (secretKey: string): RgwAdminClient =>
    new RgwAdminClient({ url: sim.rgwUrl, accessKey: sim.rgwAccessKey, secretKey, timeoutMs: 5_000, retries: 0 });
  return {
    dashboard: dashboard(sim.dashboardPassword),
    dashboardWithWrongPassword: dashboard('wrong-password'),
    rgw: rgw(sim.rgwSecretKey),
    rgwWithWrongSecret: rgw('wrong-secret'),
    rgwUrl: sim.rgwUrl,
    pool: 'rbd',
    prefix: 'sim',
    listingLagMs: 500,
    writeImage: async (spec, bytes) => sim.writeImage(spec, 0, bytes),
    rbdDuUsedBytes: async (spec) => sim.rbdDuUsedBytes(spec),
    close: () => sim.close(),
  };
});
