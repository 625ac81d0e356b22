/**
 * deploy/ against the operator it deploys. The whole operator (every controller, leader election,
 * metering) converges the examples against the embedded API server and the simulators, then every
 * object is deleted:
 * - each Kubernetes request it made on the way is checked against the RBAC rules in deploy/, as the
 *   API server's RBAC authorizer would check it: the ServiceAccount gets what the operator uses;
 * - the alert rules and the Grafana dashboard in deploy/monitoring/ name only metrics, labels and
 *   label values the operator serves.
 */
import { jest } from '@jest/globals';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { join } from 'node:path';
import { findKind } from '../../src/api/v1alpha1/index.js';
import { CLUSTER_ROLE } from '../../src/controllers/agencytenant/desired.js';
import { ROLE_BINDINGS } from '../../src/controllers/agencytenant/observe.js';
import { resourceTypeOf } from '../../src/controllers/framework/index.js';
import { defaultRegistrations } from '../../src/operator/controllers.js';
import { progressRows } from '../../src/operator/local-mode.js';
import { applyObject } from '../../src/operator/manifests.js';
import { DEFAULT_OPERATOR_NAMESPACE, startOperator, type RunningOperator } from '../../src/operator/operator.js';
import { KubeClient, kubeConfigForServer, type KubeObject, type ResourceType } from '../../src/runtime/index.js';
import { eventually } from '../operator/support/datacenters.js';
import { startExamplesPlatform, type ExamplesPlatform } from '../operator/support/examples.js';
import { deployManifests, grafanaDashboard, prometheusRule, readYamlDocuments, type DashboardPanel } from './support/manifests.js';
import { promqlReferences } from './support/promql.js';
import { allows, describeRequest, grantsOf, requestAttributes, type RequestAttributes } from './support/rbac.js';

jest.setTimeout(180_000);

const OPERATOR_USER_AGENT = 'statsmoln-operator-under-rbac-test';
const SERVICE_ACCOUNT = { namespace: DEFAULT_OPERATOR_NAMESPACE, name: 'statsmoln-operator' };
const PROBE_TENANT = 'rbac-probe';

let examples: ExamplesPlatform;
let operator: RunningOperator | undefined;
const requests: RequestAttributes[] = [];
const unparsed: string[] = [];
const bindings: KubeObject[] = [];
/** What the operator's /metrics served once the examples had converged: label names, and every series' labels. */
const served = new Map<string, { labelNames: string[]; series: Array<Partial<Record<string, string | number>>> }>();
const record = (message: unknown): void => {
  const request = (message as { request: ClientRequest }).request;
  if (request.getHeader('user-agent') !== OPERATOR_USER_AGENT) return;
  const attributes = requestAttributes(request.method, request.path);
  if (attributes) requests.push(attributes);
  else unparsed.push(`${request.method} ${request.path}`);
};

beforeAll(async () => {
  examples = await startExamplesPlatform('statsmoln-rbac-');
  const { api, client, directory } = examples;

  subscribe('http.client.request.start', record);
  operator = await startOperator({
    client: new KubeClient({ kubeConfig: kubeConfigForServer(api.url, api.token, api.caData), userAgent: OPERATOR_USER_AGENT }),
    operatorNamespace: DEFAULT_OPERATOR_NAMESPACE,
    leaderElection: {},
    metricsAddress: false,
    logLevel: 'silent',
    dataCenterCheckIntervalMs: 500,
    registrations: defaultRegistrations(),
    metering: {
      directory: join(directory, 'metering'),
      source: '/statsmoln/rbac-test',
      sinks: [{ kind: 'file', path: join(directory, 'usage.jsonl') }],
      sampleIntervalMs: 500,
      collectIntervalMs: 1_000,
    },
  });
  const kinds: ResourceType[] = operator.kinds.map((kind) => resourceTypeOf(findKind(kind)!));
  const objectsOf = async (): Promise<KubeObject[]> =>
    (await Promise.all(kinds.map(async (type) => (await client.list(type)).items.map((item) => ({ ...item, kind: type.kind }))))).flat();
  const allReady = async (): Promise<boolean> => progressRows(await objectsOf()).allReady;
  await eventually(allReady, (ready) => ready, 'every example Ready', 90_000);

  // A tenant whose namespace the operator creates, whose role bindings then shrink (one binding
  // deleted), and whose Delete policy later removes the namespace.
  const tenants = kinds.find((type) => type.kind === 'AgencyTenant')!;
  const probe = (roleBindings: Array<{ group: string; role: string }>): KubeObject => ({
    apiVersion: 'statsmoln.io/v1alpha1',
    kind: 'AgencyTenant',
    metadata: { name: PROBE_TENANT },
    spec: {
      displayName: 'RBAC probe',
      organisationNumber: '202100-5489',
      classification: { confidentiality: 1, integrity: 1, availability: 1 },
      environments: ['production'],
      placement: { dataCenters: ['lla-1'] },
      identity: { oidc: { issuer: 'https://sso.probe.example.se', clientId: 'statsmoln' }, roleBindings },
      network: { addressPlan: [{ dataCenter: 'lla-1', environment: 'production', cidrs: ['192.168.30.0/24'] }] },
      billing: { reference: 'PROBE', priceListRef: { name: 'standard-2026' } },
      deletionPolicy: 'Delete',
    },
  });
  await applyObject(client, probe([{ group: 'drift', role: 'admin' }, { group: 'granskare', role: 'reader' }]));
  await eventually(allReady, (ready) => ready, 'the probe tenant Ready', 90_000);
  bindings.push(...(await client.list(ROLE_BINDINGS)).items);
  await applyObject(client, probe([{ group: 'drift', role: 'admin' }]));
  await eventually(
    async () => (await allReady()) && (await client.list(ROLE_BINDINGS, { namespace: `agency-${PROBE_TENANT}` })).items.length === 1,
    (done) => done,
    'the probe tenant Ready with one binding',
    90_000,
  );

  const labelNamesOf = new Map(
    operator.metrics.registry.getMetricsAsArray().map((metric) => [metric.name, [...((metric as { labelNames?: readonly string[] }).labelNames ?? [])]]),
  );
  for (const metric of await operator.metrics.registry.getMetricsAsJSON()) {
    served.set(metric.name, { labelNames: labelNamesOf.get(metric.name) ?? [], series: metric.values.map((value) => value.labels) });
  }

  // Then every agency object goes, under its deletion policy: finalizers, receipts, RBAC, namespace.
  const agencyKinds = kinds.filter((type) => type.namespaced || type === tenants);
  for (const type of agencyKinds) {
    for (const item of (await client.list(type)).items) await client.delete(type, item.metadata?.namespace, item.metadata?.name ?? '');
  }
  await eventually(
    async () => (await Promise.all(agencyKinds.map(async (type) => (await client.list(type)).items.length))).every((count) => count === 0),
    (done) => done,
    'every agency object deleted',
    90_000,
  );
  await operator.stop();
  operator = undefined;
  unsubscribe('http.client.request.start', record);
});

afterAll(async () => {
  unsubscribe('http.client.request.start', record);
  await operator?.stop();
  await examples?.close();
});

describe('deploy/ RBAC', () => {
  it('allows every Kubernetes request the operator made, converging the examples and deleting them', async () => {
    expect(unparsed).toEqual([]);
    const grants = grantsOf(deployManifests(), SERVICE_ACCOUNT);
    const refused = [...new Set(requests.filter((request) => !allows(grants, request)).map(describeRequest))].sort();
    expect(refused).toEqual([]);
  });

  it('went through every kind of request the rules are there for', () => {
    const made = new Set(requests.map((request) => `${request.verb} ${request.apiGroup}/${request.subresource === '' ? request.resource : `${request.resource}/${request.subresource}`}`));
    for (const expected of [
      'watch statsmoln.io/agencytenants',
      'update statsmoln.io/agencytenants',
      'update statsmoln.io/storagevolumes/status',
      'update statsmoln.io/datacenters/status',
      'list /secrets',
      'watch /secrets',
      'create /namespaces',
      'update /namespaces',
      'delete /namespaces',
      'create rbac.authorization.k8s.io/rolebindings',
      'delete rbac.authorization.k8s.io/rolebindings',
      'create coordination.k8s.io/leases',
      'update coordination.k8s.io/leases',
      'create events.k8s.io/events',
    ]) {
      expect(made).toContain(expected);
    }
  });

  it('reads Secrets and holds the Lease in the operator namespace only', () => {
    const elsewhere = requests.filter((request) => ['secrets', 'leases'].includes(request.resource) && request.namespace !== DEFAULT_OPERATOR_NAMESPACE);
    expect(elsewhere.map(describeRequest)).toEqual([]);
    const cluster = grantsOf(
      readYamlDocuments('deploy/20-rbac.yaml').filter((object) => object.kind !== 'RoleBinding'),
      SERVICE_ACCOUNT,
    );
    expect(allows(cluster, { verb: 'get', apiGroup: '', resource: 'secrets', subresource: '', namespace: 'agency-polisen', name: 'x' })).toBe(false);
  });

  it('lets the operator bind exactly the ClusterRoles its role bindings refer to', async () => {
    const grants = grantsOf(deployManifests(), SERVICE_ACCOUNT);
    const bind = (name: string, namespace: string): RequestAttributes => ({ verb: 'bind', apiGroup: 'rbac.authorization.k8s.io', resource: 'clusterroles', subresource: '', namespace, name });
    const referenced = bindings.map((binding) => ({ name: (binding as { roleRef?: { name?: string } }).roleRef?.name ?? '', namespace: binding.metadata?.namespace ?? '' }));
    expect(referenced.length).toBeGreaterThanOrEqual(2);
    for (const { name, namespace } of referenced) expect(allows(grants, bind(name, namespace))).toBe(true);
    for (const clusterRole of Object.values(CLUSTER_ROLE)) expect(allows(grants, bind(clusterRole, 'agency-x'))).toBe(true);
    expect(allows(grants, bind('cluster-admin', 'agency-x'))).toBe(false);
  });
});

describe('deploy/monitoring/', () => {
  // Labels Prometheus adds to every scraped series (job, instance, and the ServiceMonitor's).
  const TARGET_LABELS = ['job', 'instance', 'namespace', 'pod', 'service', 'endpoint'];
  const rules = (): Array<{ alert: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }> => {
    const rule = prometheusRule();
    expect(rule).toMatchObject({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { namespace: DEFAULT_OPERATOR_NAMESPACE } });
    return ((rule.spec as { groups: Array<{ rules: ReturnType<typeof rules> }> }).groups ?? []).flatMap((group) => group.rules);
  };
  const metricOf = (name: string) => served.get(name) ?? served.get(name.replace(/_(bucket|sum|count)$/, ''));

  /** Why `expr` could not show what it means to: metrics the operator does not serve, labels they lack, values they never take. */
  const servedProblems = (where: string, expr: string): string[] => {
    const references = promqlReferences(expr);
    if (references.metrics.length === 0) return [`${where}: names no metric`];
    const problems: string[] = [];
    const labelNames = new Set(TARGET_LABELS);
    for (const name of references.metrics) {
      if (name === 'up') continue;
      const metric = metricOf(name);
      if (!metric) problems.push(`${where}: the operator serves no metric ${name}`);
      for (const label of metric?.labelNames ?? []) labelNames.add(label);
      if (name.endsWith('_bucket')) labelNames.add('le');
    }
    for (const label of references.labels) if (!labelNames.has(label)) problems.push(`${where}: no metric in it has a label ${label}`);
    for (const { metric, label, value } of references.equalities) {
      const series = metricOf(metric)?.series ?? [];
      if (metric !== 'up' && !series.some((labels) => labels[label] === value)) problems.push(`${where}: ${metric} has no series with ${label}="${value}"`);
    }
    return problems;
  };

  it('alerts on metrics the operator serves, by labels they carry, with values they take', () => {
    expect(served.size).toBeGreaterThan(30);
    expect(rules().flatMap(({ alert, expr }) => servedProblems(alert, expr))).toEqual([]);
  });

  it('draws a Grafana dashboard of metrics the operator serves, panels side by side without overlap', () => {
    const { configMap, dashboard } = grafanaDashboard();
    expect(configMap).toMatchObject({ kind: 'ConfigMap', metadata: { namespace: DEFAULT_OPERATOR_NAMESPACE, labels: { grafana_dashboard: '1' } } });
    expect(dashboard.uid).toBe('statsmoln-operator');
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource' }));
    const { panels } = dashboard;
    expect(new Set(panels.map((panel) => panel.id)).size).toBe(panels.length);
    const graphs = panels.filter((panel) => panel.type !== 'row');
    expect(graphs.length).toBeGreaterThanOrEqual(10);
    const overlaps = (a: DashboardPanel['gridPos'], b: DashboardPanel['gridPos']): boolean => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
    for (const [index, panel] of panels.entries()) {
      expect(`${panel.title}: ${panel.gridPos.x + panel.gridPos.w <= 24}`).toBe(`${panel.title}: true`);
      for (const other of panels.slice(index + 1)) expect(overlaps(panel.gridPos, other.gridPos) ? `${panel.title} overlaps ${other.title}` : '').toBe('');
    }
    expect(graphs.flatMap((panel) => (panel.targets ?? []).flatMap((target) => servedProblems(`panel "${panel.title}"`, target.expr)))).toEqual([]);
  });

  it('gives every alert a severity, a summary and a description', () => {
    for (const { alert, labels, annotations } of rules()) {
      expect(`${alert} ${labels?.severity}`).toMatch(/ (critical|warning|info)$/);
      expect(annotations?.summary && annotations.description ? alert : `${alert} without summary or description`).toBe(alert);
    }
  });

  it('scrapes the Service that serves /metrics', () => {
    const [monitor] = readYamlDocuments('deploy/monitoring/servicemonitor.yaml');
    const service = readYamlDocuments('deploy/30-operator.yaml').find((object) => object.kind === 'Service') as { metadata: { labels: Record<string, string> }; spec: { ports: Array<{ name: string }> } };
    const spec = monitor?.spec as { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string; path: string }> };
    expect(service.metadata.labels).toMatchObject(spec.selector.matchLabels);
    expect(spec.endpoints).toEqual([expect.objectContaining({ port: service.spec.ports[0]?.name, path: '/metrics' })]);
    // The rules' job label is the Service's name, as the Prometheus Operator sets it.
    expect(rules().find((rule) => rule.alert === 'StatsmolnOperatorDown')?.expr).toContain(`job="${(service as unknown as { metadata: { name: string } }).metadata.name}"`);
  });
});
