/**
 * The OpenStack contract suite against real Zed services brought up by test/real/openstack/up.sh.
 * STATSMOLN_OPENSTACK_CLOUDS names the clouds.yaml (cloud `statsmoln-real`); the env file next to it
 * (or STATSMOLN_OPENSTACK_ENV) gives the image, flavor, external network and volume types.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openstackContract } from '../contract/openstack.js';

const cloudsPath = process.env.STATSMOLN_OPENSTACK_CLOUDS ?? '/tmp/statsmoln-real/openstack/clouds.yaml';
const envPath = process.env.STATSMOLN_OPENSTACK_ENV ?? join(dirname(cloudsPath), 'env');

function readEnvFile(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined) out[m[1]] = (m[2] ?? '').replace(/^"(.*)"$/, '$1');
  }
  return out;
}

describe('OpenStack contract against real services', () => {
  openstackContract(async () => {
    const env = readEnvFile(envPath);
    const optional = (key: string) => (env[key] ? env[key] : undefined);
    return {
      name: 'real',
      cloudsYaml: readFileSync(cloudsPath, 'utf8'),
      cloudName: 'statsmoln-real',
      facts: {
        ...(optional('STATSMOLN_OS_IMAGE_ID') ? { imageId: optional('STATSMOLN_OS_IMAGE_ID') } : {}),
        ...(optional('STATSMOLN_OS_FLAVOR_NAME') ? { flavorName: optional('STATSMOLN_OS_FLAVOR_NAME') } : {}),
        ...(optional('STATSMOLN_OS_EXTERNAL_NETWORK_NAME') ? { externalNetworkName: optional('STATSMOLN_OS_EXTERNAL_NETWORK_NAME') } : {}),
        ...(optional('STATSMOLN_OS_VOLUME_TYPE') ? { volumeType: optional('STATSMOLN_OS_VOLUME_TYPE') } : {}),
      },
      wait: { timeoutMs: 180_000, intervalMs: 1000 },
      close: async () => undefined,
    };
  });
});
