import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CephDashboardClient } from '../../src/backends/ceph/dashboard.js';
import { formatImageSpec } from '../../src/backends/ceph/image-spec.js';
import { RgwAdminClient } from '../../src/backends/ceph/rgw.js';
import { cephContract } from '../contract/ceph.js';

/**
 * The Ceph contract against a real single-node Ceph brought up by test/real/ceph/up.sh, whose
 * endpoints and credentials are in $STATSMOLN_REAL_DIR/ceph/env (default /tmp/statsmoln-real).
 */

const run = promisify(execFile);
const stateDir = join(process.env['STATSMOLN_REAL_DIR'] ?? '/tmp/statsmoln-real', 'ceph');

function readEnv(): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(join(stateDir, 'env'), 'utf8');
  } catch {
    throw new Error(`no real Ceph: ${join(stateDir, 'env')} is missing; run test/real/ceph/up.sh first`);
  }
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

function required(env: Record<string, string>, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} missing from ${join(stateDir, 'env')}`);
  return value;
}

cephContract(
  'real Ceph',
  async () => {
    const env = readEnv();
    const conf = required(env, 'CEPH_CONF');
    const dashboard = (password: string): CephDashboardClient =>
      new CephDashboardClient({ url: required(env, 'CEPH_DASHBOARD_URL'), username: required(env, 'CEPH_DASHBOARD_USER'), password, timeoutMs: 30_000 });
    const rgw = (secretKey: string): RgwAdminClient =>
      new RgwAdminClient({ url: required(env, 'CEPH_RGW_URL'), accessKey: required(env, 'CEPH_RGW_ACCESS_KEY'), secretKey, timeoutMs: 30_000 });
    return {
      dashboard: dashboard(required(env, 'CEPH_DASHBOARD_PASSWORD')),
      dashboardWithWrongPassword: dashboard('wrong-password'),
      rgw: rgw(required(env, 'CEPH_RGW_SECRET_KEY')),
      rgwWithWrongSecret: rgw('wrong-secret'),
      rgwUrl: required(env, 'CEPH_RGW_URL'),
      pool: env['CEPH_RBD_POOL'] ?? 'rbd',
      prefix: `c${Date.now().toString(36)}`,
      listingLagMs: 30_000,
      async writeImage(spec, bytes) {
        await run('rbd', ['--conf', conf, 'bench', '--io-type', 'write', '--io-size', '4096', '--io-threads', '1', '--io-pattern', 'seq', '--io-total', String(bytes), formatImageSpec(spec)]);
      },
      async rbdDuUsedBytes(spec) {
        const { stdout } = await run('rbd', ['--conf', conf, 'du', '--format', 'json', formatImageSpec(spec)]);
        // With snapshots, rbd du lists a row per snapshot before the image's own row (the one without `snapshot`).
        const report = JSON.parse(stdout) as { images: { name: string; snapshot?: string; used_size: number }[] };
        const image = report.images.find((entry) => entry.name === spec.name && entry.snapshot === undefined);
        if (!image) throw new Error(`rbd du reported no image ${formatImageSpec(spec)}`);
        return image.used_size;
      },
      close: async () => undefined,
    };
  },
  120_000,
);
