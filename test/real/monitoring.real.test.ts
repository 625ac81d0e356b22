/**
 * deploy/monitoring/ through the real Prometheus tooling (promtool from Debian's prometheus package,
 * test/real/prometheus/install.sh): the alert rules and every dashboard query parse as PromQL, and
 * the alerts fire, or stay silent, on synthetic series as intended, with two replicas scraped.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { dashboardQueries, grafanaDashboard, prometheusRule } from '../deploy/support/manifests.js';

let directory: string;
let rulesFile: string;

beforeAll(async () => {
  execFileSync('bash', [join(import.meta.dirname, 'prometheus', 'install.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  directory = await mkdtemp(join(tmpdir(), 'statsmoln-promtool-'));
  rulesFile = join(directory, 'rules.yaml');
  await writeFile(rulesFile, stringify({ groups: (prometheusRule().spec as { groups: unknown[] }).groups }));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { cwd: directory, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('deploy/monitoring/ with promtool', () => {
  it('parses every alert rule', () => {
    const { status, output } = promtool('check', 'rules', rulesFile);
    expect(output).toContain('SUCCESS: 12 rules found');
    expect(status).toBe(0);
  });

  it("parses every query of the Grafana dashboard (as recording rules, promtool's PromQL check)", async () => {
    const queries = dashboardQueries(grafanaDashboard().dashboard);
    expect(queries.length).toBeGreaterThanOrEqual(10);
    const file = join(directory, 'dashboard-queries.yaml');
    await writeFile(file, stringify({ groups: [{ name: 'dashboard', rules: queries.map((expr, index) => ({ record: `dashboard:query_${index}`, expr })) }] }));
    const { status, output } = promtool('check', 'rules', file);
    expect(output).toContain(`SUCCESS: ${queries.length} rules found`);
    expect(status).toBe(0);
  });

  it('fires each alert when it should and not before, counting two replicas once', async () => {
    const replicas = (series: string, values: string) => ['statsmoln-operator-0', 'statsmoln-operator-1'].map((pod) => ({ series: series.replace('}', `, pod="${pod}"}`), values }));
    /** promtool's expectation of one alert at `at`: these labels, and these annotations as rendered. */
    const firing = (at: string, alertname: string, labels: Record<string, string>, summary: string, description: string) => ({
      eval_time: at,
      alertname,
      exp_alerts: [{ exp_labels: labels, exp_annotations: { summary, description } }],
    });
    const silent = (at: string, alertname: string) => ({ eval_time: at, alertname, exp_alerts: [] });
    const tests = {
      rule_files: [rulesFile],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            ...replicas('statsmoln_resources{kind="StorageVolume", condition="Stalled", status="True"}', '0x5 2x40'),
            ...replicas('statsmoln_resources{kind="ComputeQuota", condition="Stalled", status="True"}', '0x45'),
            { series: 'leader_election_master_status{name="statsmoln-operator", pod="statsmoln-operator-0"}', values: '1x10 0x20' },
            { series: 'leader_election_master_status{name="statsmoln-operator", pod="statsmoln-operator-1"}', values: '0x30' },
            ...replicas('statsmoln_quota_in_use{tenant="polisen", data_center="sto-1", environment="classified", resource="cores"}', '70x30'),
            ...replicas('statsmoln_quota_limit{tenant="polisen", data_center="sto-1", environment="classified", resource="cores"}', '64x30'),
            ...replicas('statsmoln_quota_in_use{tenant="polisen", data_center="sto-1", environment="classified", resource="instances"}', '3x30'),
            ...replicas('statsmoln_quota_limit{tenant="polisen", data_center="sto-1", environment="classified", resource="instances"}', '10x30'),
            { series: 'statsmoln_outbox_oldest_undelivered_age_seconds{sink="http", pod="statsmoln-operator-0"}', values: '0+60x90' },
            { series: 'statsmoln_backend_requests_total{service="nova", method="GET", code="200"}', values: '0+90x30' },
            { series: 'statsmoln_backend_requests_total{service="nova", method="GET", code="503"}', values: '0+10x30' },
            { series: 'statsmoln_backend_requests_total{service="cinder", method="GET", code="200"}', values: '0+100x30' },
            { series: 'up{job="statsmoln-operator", pod="statsmoln-operator-0"}', values: '1x10 0x20' },
          ],
          alert_rule_test: [
            silent('15m', 'StatsmolnObjectsStalled'),
            firing('25m', 'StatsmolnObjectsStalled', { severity: 'warning', kind: 'StorageVolume' }, '2 StorageVolume objects are Stalled.', 'A Stalled object has a terminal error (invalid configuration, or a backend refusal that retrying cannot fix); its Ready condition says why. kubectl get storagevolume -A shows which.'),
            silent('14m', 'StatsmolnNoLeader'),
            firing('17m', 'StatsmolnNoLeader', { severity: 'critical' }, 'No statsmoln operator replica holds the leader Lease.', 'The replicas run but none leads, so no controller and no usage collector runs.'),
            silent('10m', 'StatsmolnQuotaBelowUse'),
            firing('20m', 'StatsmolnQuotaBelowUse', { severity: 'info', tenant: 'polisen', data_center: 'sto-1', environment: 'classified', resource: 'cores' }, 'polisen uses more cores in sto-1/classified than its quota allows.', 'The quota was lowered below current use; nothing new can start until use falls under it.'),
            silent('65m', 'StatsmolnUsageUndelivered'),
            firing('75m', 'StatsmolnUsageUndelivered', { severity: 'critical', sink: 'http' }, 'Usage events have waited over an hour for the http sink.', "Billing does not see them until they are delivered; statsmoln_sink_failures_total says why deliveries fail."),
            firing('20m', 'StatsmolnBackendErrors', { severity: 'warning', service: 'nova' }, 'More than 5 % of nova requests fail.', "Server errors, timeouts or refused connections; the DataCenter status shows which partition's services are unreachable."),
            silent('14m', 'StatsmolnOperatorDown'),
            // absent() of a comparison carries no labels of the selector.
            firing('17m', 'StatsmolnOperatorDown', { severity: 'critical' }, 'No statsmoln operator replica is being scraped.', "Nothing reconciles agencies' tenants, quotas and volumes, and no usage is metered, while no replica runs."),
          ],
        },
      ],
    };
    const file = join(directory, 'alerts.test.yaml');
    await writeFile(file, stringify(tests));
    const { status, output } = promtool('test', 'rules', file);
    expect(output).toContain('SUCCESS');
    expect(status).toBe(0);
  });
});
