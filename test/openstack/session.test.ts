import { Registry } from 'prom-client';
import { OpenStackClients } from '../../src/backends/openstack/index.js';
import { selectEndpoint } from '../../src/backends/openstack/session.js';
import { OpenStackSimulator, SimClock } from '../../src/simulators/openstack/index.js';

describe('Keystone session', () => {
  let sim: OpenStackSimulator;
  const clock = new SimClock(Date.parse('2026-01-01T00:00:00Z'));
  beforeAll(async () => {
    sim = new OpenStackSimulator({ clock, tokenLifetimeMs: 60 * 60_000 });
    await sim.start();
  });
  afterAll(() => sim.stop());

  const authCount = () => sim.totalRequests((k) => k.startsWith('keystone POST /v3/auth/tokens 201'));

  test('caches the token and refreshes it only within the margin before expiry', async () => {
    const clients = OpenStackClients.fromCloudsYaml(sim.cloudsYaml('c'), 'c', {
      clock: () => clock.now(),
      refreshBeforeMs: 5 * 60_000,
      registry: new Registry(),
    });
    try {
      sim.resetCounters();
      const first = await clients.session.token();
      await clients.identity.listDomains();
      await clients.identity.listDomains();
      expect(authCount()).toBe(1);
      clock.advance(54 * 60_000);
      expect((await clients.session.token()).value).toBe(first.value);
      clock.advance(2 * 60_000); // 4 minutes before expiry: refresh
      const second = await clients.session.token();
      expect(second.value).not.toBe(first.value);
      expect(authCount()).toBe(2);
    } finally {
      clients.close();
    }
  });

  test('concurrent callers share one authentication', async () => {
    const clients = OpenStackClients.fromCloudsYaml(sim.cloudsYaml('c'), 'c', { clock: () => clock.now(), registry: new Registry() });
    try {
      sim.resetCounters();
      await Promise.all(Array.from({ length: 10 }, () => clients.identity.listDomains()));
      expect(authCount()).toBe(1);
    } finally {
      clients.close();
    }
  });

  test('re-authenticates once on 401, and a second 401 is returned as Unauthorized', async () => {
    const clients = OpenStackClients.fromCloudsYaml(sim.cloudsYaml('c'), 'c', { clock: () => clock.now(), registry: new Registry() });
    try {
      await clients.identity.listDomains();
      sim.keystone.revokeAllTokens();
      sim.resetCounters();
      await clients.identity.listDomains();
      expect(authCount()).toBe(1);
      // Wrong password now: re-authentication itself fails.
      const wrong = OpenStackClients.fromCloudsYaml(sim.cloudsYaml('c').replace(sim.adminPassword, 'not-the-password'), 'c', {
        registry: new Registry(),
      });
      await expect(wrong.identity.listDomains()).rejects.toMatchObject({ kind: 'Unauthorized', status: 401 });
      wrong.close();
    } finally {
      clients.close();
    }
  });

  test('no credential or token reaches the request log or an error', async () => {
    const lines: string[] = [];
    const logger = { debug: (fields: Record<string, unknown>, message: string) => void lines.push(`${message} ${JSON.stringify(fields)}`) };
    const clients = OpenStackClients.fromCloudsYaml(sim.cloudsYaml('c'), 'c', { clock: () => clock.now(), registry: new Registry(), logger });
    const wrong = OpenStackClients.fromCloudsYaml(sim.cloudsYaml('c').replace(sim.adminPassword, 'Wrong-Pass-Word-1'), 'c', { registry: new Registry(), logger });
    try {
      const token = await clients.session.token();
      await clients.compute.getLimits();
      await clients.network.getNetwork('missing').catch(() => undefined);
      const error = await wrong.identity.listDomains().catch((e: unknown) => e);
      const everything = lines.join('\n') + String(error) + JSON.stringify(error);
      expect(lines.length).toBeGreaterThanOrEqual(4);
      expect(lines.some((l) => l.includes('"requestId":"req-'))).toBe(true);
      for (const secret of [sim.adminPassword, 'Wrong-Pass-Word-1', token.value]) expect(everything).not.toContain(secret);
    } finally {
      clients.close();
      wrong.close();
    }
  });

  test('endpoint selection by type alias, interface and region', () => {
    const catalog = [
      {
        type: 'volumev3',
        endpoints: [
          { interface: 'public', region_id: 'A', url: 'http://a-pub/v3/p/' },
          { interface: 'internal', region_id: 'A', url: 'http://a-int/v3/p' },
          { interface: 'public', region_id: 'B', url: 'http://b-pub/v3/p' },
        ],
      },
    ];
    expect(selectEndpoint(catalog, 'block-storage', 'public', 'A')).toBe('http://a-pub/v3/p');
    expect(selectEndpoint(catalog, 'block-storage', 'internal', 'A')).toBe('http://a-int/v3/p');
    expect(selectEndpoint(catalog, 'block-storage', 'public', 'B')).toBe('http://b-pub/v3/p');
    expect(() => selectEndpoint(catalog, 'block-storage', 'admin', 'A')).toThrow(/no admin endpoint for service type block-storage in region A/);
    expect(() => selectEndpoint(catalog, 'compute', 'public', 'A')).toThrow(/compute/);
  });
});
