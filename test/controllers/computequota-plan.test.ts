/** The ComputeQuota plan is a pure function: spec + observed quota details -> exact actions. */
import type { ComputeQuota } from '../../src/api/v1alpha1/index.js';
import { belowUsage, planQuota, planQuotaDeletion, quotaStatus, type QuotaObserved } from '../../src/controllers/computequota/index.js';
import { formatAction } from '../../src/controllers/framework/index.js';

const quota = (spec: Partial<ComputeQuota['spec']> = {}): ComputeQuota => ({
  apiVersion: 'statsmoln.io/v1alpha1',
  kind: 'ComputeQuota',
  metadata: { name: 'q', namespace: 'agency-a', generation: 3 },
  spec: { dataCenter: 'sto-1', environment: 'production', cores: 8, ramGiB: 16, instances: 4, serverGroups: 2, floatingIps: 1, ...spec },
});

const detail = (limit: number, inUse = 0) => ({ limit, in_use: inUse, reserved: 0 });
const observed = (nova: Partial<Record<'cores' | 'ram' | 'instances' | 'server_groups', [number, number]>> = {}, floatingIp: [number, number] = [1, 0]): QuotaObserved => ({
  scope: 'sto-1/production',
  projectId: 'p1',
  nova: {
    cores: detail(...(nova.cores ?? [8, 0])),
    ram: detail(...(nova.ram ?? [16 * 1024, 0])),
    instances: detail(...(nova.instances ?? [4, 0])),
    server_groups: detail(...(nova.server_groups ?? [2, 0])),
  },
  floatingIp: { limit: floatingIp[0], used: floatingIp[1], reserved: 0 },
});

describe('planQuota', () => {
  const cases: Array<[string, ComputeQuota, QuotaObserved, string[]]> = [
    ['matching backends: nothing to do', quota(), observed(), []],
    [
      'defaults: one Nova update with every changed key, one Neutron update',
      quota(),
      observed({ cores: [20, 0], ram: [51200, 0], instances: [10, 0], server_groups: [10, 0] }, [50, 0]),
      [
        '~ update nova quota set p1 (sto-1/production): spec differs',
        '    cores: 20 -> 8',
        '    ram: 51200 -> 16384',
        '    instances: 10 -> 4',
        '    server_groups: 10 -> 2',
        '~ update neutron quota p1 (sto-1/production): spec differs',
        '    floatingip: 50 -> 1',
      ],
    ],
    ['ramGiB is converted to MiB', quota({ ramGiB: 3 }), observed(), ['~ update nova quota set p1 (sto-1/production): spec differs', '    ram: 16384 -> 3072']],
    [
      'a limit below use is forced, and said so',
      quota({ cores: 4 }),
      observed({ cores: [8, 6] }),
      ['~ update nova quota set p1 (sto-1/production): spec differs; below current use (forced)', '    cores: 8 -> 4'],
    ],
    ['only floating IPs differ: Neutron only', quota({ floatingIps: 5 }), observed(), ['~ update neutron quota p1 (sto-1/production): spec differs', '    floatingip: 1 -> 5']],
    ['nothing observed (deleting, tenant gone): nothing', quota(), { scope: 'sto-1/production' }, []],
  ];
  it.each(cases)('%s', (_name, spec, state, lines) => {
    expect(planQuota(spec, state).flatMap(formatAction)).toEqual(lines);
  });

  it('sends exactly the changed keys, with force only when needed', () => {
    const [nova] = planQuota(quota({ cores: 4, instances: 9 }), observed({ cores: [8, 6] }));
    expect(nova?.payload).toEqual({ service: 'nova', projectId: 'p1', update: { cores: 4, instances: 9 }, force: true });
    const [raise] = planQuota(quota({ cores: 16 }), observed({ cores: [8, 6] }));
    expect(raise?.payload).toEqual({ service: 'nova', projectId: 'p1', update: { cores: 16 }, force: false });
  });

  it('deletion retains the quota and writes nothing', () => {
    const actions = planQuotaDeletion(quota(), observed());
    expect(actions.map((action) => [action.verb, action.name])).toEqual([['retain', 'p1']]);
    expect(actions[0]?.reason).toContain('running servers are not cut off');
  });
});

describe('BelowUsage', () => {
  it('names every limit below use with its numbers', () => {
    expect(belowUsage(observed({ cores: [4, 6], ram: [2048, 3072], instances: [-1, 99] }, [1, 2]))).toEqual([
      'cores limit 4 is below 6 in use',
      'ram limit 2 GiB is below 3 GiB in use',
      'floatingIps limit 1 is below 2 in use',
    ]);
  });

  it('sets and clears the condition in status, with limits and use in GiB', () => {
    const below = quotaStatus(quota({ cores: 4 }), observed({ cores: [4, 6], ram: [16384, 1536] }), Date.UTC(2026, 0, 1));
    expect(below).toMatchObject({ projectId: 'p1', limits: { cores: 4, ramGiB: 16 }, inUse: { cores: 6, ramGiB: 2 } });
    expect(below.conditions).toEqual([
      { type: 'BelowUsage', status: 'True', reason: 'LimitBelowUsage', message: 'cores limit 4 is below 6 in use', observedGeneration: 3, lastTransitionTime: '2026-01-01T00:00:00Z' },
    ]);
    const withCondition = { ...quota(), status: { conditions: below.conditions as never } };
    expect(quotaStatus(withCondition, observed(), Date.UTC(2026, 0, 2)).conditions).toEqual([]);
  });
});
