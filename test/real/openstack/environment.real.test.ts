/**
 * Checks the contract of test/real/openstack/up.sh with the real-services suites: clouds.yaml and
 * env exist and are complete, the admin can get a token, and every catalog endpoint is on
 * 127.0.0.1 and answers. Runs after up.sh (jest.real.config.js).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const stateDir =
  process.env['STATSMOLN_OPENSTACK_DIR'] ??
  join(process.env['STATSMOLN_REAL_DIR'] ?? '/tmp/statsmoln-real', 'openstack');

const requiredEnvKeys = [
  'OS_CLOUD',
  'OS_CLIENT_CONFIG_FILE',
  'STATSMOLN_OS_AUTH_URL',
  'STATSMOLN_OS_REGION',
  'STATSMOLN_OS_IMAGE_ID',
  'STATSMOLN_OS_FLAVOR_NAME',
  'STATSMOLN_OS_EXTERNAL_NETWORK_NAME',
  'STATSMOLN_OS_EXTERNAL_NETWORK_ID',
  'STATSMOLN_OS_VOLUME_TYPE',
  'STATSMOLN_OS_ENCRYPTED_VOLUME_TYPE',
] as const;

interface CloudAuth {
  auth_url: string;
  username: string;
  password: string;
  project_name: string;
  user_domain_name: string;
  project_domain_name: string;
}
interface Cloud {
  auth: CloudAuth;
  region_name: string;
  interface: string;
}
interface CatalogEndpoint {
  interface: string;
  region: string;
  url: string;
}
interface CatalogEntry {
  type: string;
  endpoints: CatalogEndpoint[];
}

function readEnvFile(): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of readFileSync(join(stateDir, 'env'), 'utf8').split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) values.set(line.slice(0, at), line.slice(at + 1));
  }
  return values;
}

function readCloud(): Cloud {
  const doc = parse(readFileSync(join(stateDir, 'clouds.yaml'), 'utf8')) as {
    clouds: Record<string, Cloud>;
  };
  const cloud = doc.clouds['statsmoln-real'];
  if (cloud === undefined) throw new Error('clouds.yaml has no cloud statsmoln-real');
  return cloud;
}

async function issueToken(cloud: Cloud): Promise<{ token: string; catalog: CatalogEntry[] }> {
  const response = await fetch(`${cloud.auth.auth_url}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    signal: AbortSignal.timeout(30_000),
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: {
            user: {
              name: cloud.auth.username,
              password: cloud.auth.password,
              domain: { name: cloud.auth.user_domain_name },
            },
          },
        },
        scope: {
          project: {
            name: cloud.auth.project_name,
            domain: { name: cloud.auth.project_domain_name },
          },
        },
      },
    }),
  });
  expect(response.status).toBe(201);
  const token = response.headers.get('x-subject-token');
  if (token === null) throw new Error('no X-Subject-Token in the token response');
  const body = (await response.json()) as { token: { catalog: CatalogEntry[] } };
  return { token, catalog: body.token.catalog };
}

describe('real OpenStack environment written by up.sh', () => {
  test('env names every value the suites need', () => {
    const env = readEnvFile();
    for (const key of requiredEnvKeys) {
      expect(env.get(key) ?? '').not.toBe('');
    }
    expect(env.get('OS_CLOUD')).toBe('statsmoln-real');
  });

  test('clouds.yaml describes the admin on loopback', () => {
    const cloud = readCloud();
    expect(cloud.auth.auth_url).toBe('http://127.0.0.1:5000/v3');
    expect(cloud.auth.project_name).toBe('admin');
    expect(cloud.region_name).toBe('RegionOne');
    expect(cloud.interface).toBe('public');
  });

  test('every catalog endpoint is on 127.0.0.1 and answers', async () => {
    const { token, catalog } = await issueToken(readCloud());
    const types = catalog.map((entry) => entry.type).sort();
    expect(types).toEqual(['compute', 'identity', 'image', 'network', 'placement', 'volumev3']);
    for (const entry of catalog) {
      const publicEndpoint = entry.endpoints.find(
        (endpoint) => endpoint.interface === 'public' && endpoint.region === 'RegionOne',
      );
      if (publicEndpoint === undefined) throw new Error(`${entry.type}: no public endpoint`);
      const url = new URL(publicEndpoint.url);
      expect(url.hostname).toBe('127.0.0.1');
      const response = await fetch(publicEndpoint.url, {
        headers: { 'x-auth-token': token },
        signal: AbortSignal.timeout(30_000),
      });
      expect(response.status).toBeLessThan(500);
    }
  });
});
