/**
 * The OpenStack contract suite against real Zed services brought up by test/real/openstack/up.sh.
 * STATSMOLN_OPENSTACK_CLOUDS names the clouds.yaml (cloud `statsmoln-real`); the env file next to it
 * (or STATSMOLN_OPENSTACK_ENV) gives the image, flavor, external network and volume types.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Registry } from 'prom-client';
import { OpenStackClients } from '../../src/backends/openstack/index.js';
import { OpenStackSimulator } from '../../src/simulators/openstack/index.js';
import { recordFidelity } from '../contract/openstack-fidelity.js';
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

describe('OpenStack simulator fidelity against real services', () => {
  test('the simulator returns the same fields and the same errors as real OpenStack', async () => {
    const env = readEnvFile(envPath);
    const facts = {
      imageId: env.STATSMOLN_OS_IMAGE_ID ?? '',
      flavorName: env.STATSMOLN_OS_FLAVOR_NAME ?? '',
      volumeType: env.STATSMOLN_OS_VOLUME_TYPE ?? '',
      externalNetworkName: env.STATSMOLN_OS_EXTERNAL_NETWORK_NAME ?? '',
    };
    // Each target gets the same sequence of names, so that messages quoting them compare equal.
    const namer = (target: string) => {
      let n = 0;
      return (s: string) => `fid${process.pid}${target}-${s}-${++n}`;
    };
    const real = OpenStackClients.fromCloudsYaml(readFileSync(cloudsPath, 'utf8'), 'statsmoln-real', { registry: new Registry() });
    const sim = new OpenStackSimulator({ transitionMs: 20 });
    await sim.start();
    const simulated = OpenStackClients.fromCloudsYaml(sim.cloudsYaml('sim'), 'sim', { registry: new Registry() });
    try {
      const fromReal = await recordFidelity(real, facts, namer(''));
      const simFacts = sim.facts();
      const fromSim = await recordFidelity(
        simulated,
        {
          imageId: simFacts.imageId as string,
          flavorName: simFacts.flavorName as string,
          volumeType: simFacts.volumeType as string,
          externalNetworkName: simFacts.externalNetworkName as string,
        },
        namer(''),
      );
      expect(fromSim.shapes).toEqual(fromReal.shapes);
      expect(fromSim.errors).toEqual(fromReal.errors);
    } finally {
      real.close();
      simulated.close();
      await sim.stop();
    }
  });
});
