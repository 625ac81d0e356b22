/**
 * The image and deploy/ agree with each other and with `statsmoln run`: the Dockerfile lints clean
 * and starts the bundled CLI as the user the pod runs as; the StatefulSet's settings are ones
 * `statsmoln run` accepts, its probes and Service reach the metrics port, two replicas elect a
 * leader, and everything written lands on a mounted volume (the root filesystem is read-only).
 */
import { existsSync, readFileSync } from 'node:fs';
import { validate } from 'dockerfile-utils';
import { CLI_BUNDLE, CLI_ENTRY } from '../../scripts/bundle.js';
import { resolveRunConfig } from '../../src/operator/config.js';
import { DEFAULT_OPERATOR_NAMESPACE } from '../../src/operator/operator.js';
import { deployManifests } from './support/manifests.js';
import { allows, grantsOf, requestAttributes, ruleAllows, type RequestAttributes } from './support/rbac.js';
import { fieldProblems, modelTypeOf } from './support/schema.js';

interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: Array<{ name: string; value?: string }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  livenessProbe?: { httpGet?: { path?: string; port?: string | number } };
  readinessProbe?: { httpGet?: { path?: string; port?: string | number } };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}
interface Manifest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: {
    replicas?: number;
    selector?: Record<string, unknown> & { matchLabels?: Record<string, string> };
    template?: {
      metadata?: { labels?: Record<string, string> };
      spec?: { serviceAccountName?: string; securityContext?: { runAsUser?: number; runAsNonRoot?: boolean }; containers?: Container[] };
    };
    ports?: Array<{ name?: string; port?: number; targetPort?: string | number }>;
  };
  subjects?: Array<{ kind?: string; name?: string; namespace?: string }>;
}

const manifests = deployManifests() as Manifest[];
const dockerfile = readFileSync('Dockerfile', 'utf8');
const operatorSet = manifests.find((object) => object.kind === 'StatefulSet' && object.metadata?.name === 'statsmoln-operator');
const pod = operatorSet?.spec?.template?.spec;
const container = pod?.containers?.find((entry) => entry.name === 'operator');
const env = Object.fromEntries((container?.env ?? []).map((entry) => [entry.name, entry.value]));

describe('Dockerfile', () => {
  it('lints without a diagnostic, warnings included', () => {
    expect(validate(dockerfile).map((diagnostic) => `line ${diagnostic.range.start.line + 1}: ${diagnostic.message}`)).toEqual([]);
  });

  it('starts the bundle that `npm run bundle` makes from the CLI, as the user the pod runs as', () => {
    const packageJson = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    expect(packageJson.scripts.bundle).toBe('tsx scripts/bundle.ts');
    expect(/^RUN npm run bundle$/m.test(dockerfile)).toBe(true);
    const entry = /^ENTRYPOINT \["node", "([^"]+)"\]$/m.exec(dockerfile)?.[1];
    expect(entry).toBe(CLI_BUNDLE);
    expect(existsSync(CLI_ENTRY)).toBe(true);
    expect(dockerfile).toContain(`COPY --from=build /app/${CLI_BUNDLE} /app/${CLI_BUNDLE}.LICENSES.txt ./dist/`);
    expect(/^CMD \["run"\]$/m.test(dockerfile)).toBe(true);
    const user = /^USER (\d+):(\d+)$/m.exec(dockerfile);
    expect(Number(user?.[1])).toBe(pod?.securityContext?.runAsUser);
    expect(pod?.securityContext?.runAsNonRoot).toBe(true);
  });

  it('copies only what exists, and the context leaves local builds and dependencies out', () => {
    for (const [, sources] of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const source of sources!.split(' ')) expect(existsSync(source)).toBe(true);
    }
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']));
  });
});

describe('deploy/', () => {
  it('spells every field as the Kubernetes API defines it', () => {
    const problems = manifests.flatMap((object) => fieldProblems(object, modelTypeOf(object)).map((problem) => `${object.kind}/${object.metadata?.name} ${problem}`));
    expect(problems).toEqual([]);
  });

  it('names its files in the order kubectl must create them: namespace, ServiceAccount, RBAC, workload', () => {
    const order = ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'StatefulSet', 'Service'];
    const kinds = manifests.map((object) => object.kind ?? '');
    expect([...kinds].sort((a, b) => order.indexOf(a) - order.indexOf(b))).toEqual(kinds);
  });

  it('puts every namespaced object in the operator namespace', () => {
    const namespaced = manifests.filter((object) => !['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(object.kind ?? ''));
    expect(namespaced.length).toBeGreaterThan(0);
    for (const object of namespaced) expect(`${object.kind}/${object.metadata?.name} in ${object.metadata?.namespace}`).toBe(`${object.kind}/${object.metadata?.name} in ${DEFAULT_OPERATOR_NAMESPACE}`);
    expect(manifests.some((object) => object.kind === 'Namespace' && object.metadata?.name === DEFAULT_OPERATOR_NAMESPACE)).toBe(true);
  });

  it('runs `statsmoln run` with settings it accepts, electing a leader among the replicas', () => {
    expect(container?.args).toEqual(['run']);
    const config = resolveRunConfig({}, env);
    expect(config.operatorNamespace).toBe(DEFAULT_OPERATOR_NAMESPACE);
    expect(operatorSet?.spec?.replicas).toBeGreaterThan(1);
    expect(config.leaderElection).toEqual({ namespace: DEFAULT_OPERATOR_NAMESPACE, leaseName: 'statsmoln-operator' });
    expect(config.metering).toBeDefined();
  });

  it('probes /healthz and /readyz and serves /metrics on the port the operator listens on', () => {
    const address = resolveRunConfig({}, env).metricsAddress;
    const metricsPort = container?.ports?.find((port) => port.name === 'metrics')?.containerPort;
    expect(address && address.port).toBe(metricsPort);
    expect(container?.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(container?.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    const service = manifests.find((object) => object.kind === 'Service' && object.metadata?.name === 'statsmoln-operator');
    expect(service?.spec?.ports?.[0]?.targetPort).toBe('metrics');
    expect(service?.spec?.selector).toEqual(operatorSet?.spec?.selector?.matchLabels);
    expect(operatorSet?.spec?.template?.metadata?.labels).toMatchObject(operatorSet?.spec?.selector?.matchLabels ?? { missing: true });
  });

  it('writes only to mounted volumes: the root filesystem is read-only', () => {
    expect(container?.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    const mounts = (container?.volumeMounts ?? []).map((mount) => mount.mountPath);
    const mounted = (path: string): boolean => mounts.some((mount) => path === mount || path.startsWith(`${mount}/`));
    const metering = resolveRunConfig({}, env).metering!;
    expect(mounted(metering.directory)).toBe(true);
    for (const sink of metering.sinks) if (sink.kind === 'file') expect(mounted(sink.path)).toBe(true);
    expect(mounted('/tmp')).toBe(true);
  });

  it('binds the RBAC to the ServiceAccount the pod runs as', () => {
    const account = manifests.find((object) => object.kind === 'ServiceAccount');
    expect(pod?.serviceAccountName).toBe(account?.metadata?.name);
    const bindings = manifests.filter((object) => object.kind === 'ClusterRoleBinding' || object.kind === 'RoleBinding');
    expect(bindings.length).toBe(2);
    for (const binding of bindings) expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: account?.metadata?.name, namespace: DEFAULT_OPERATOR_NAMESPACE }]);
  });
});

describe('RBAC evaluation (test/deploy/support/rbac.ts)', () => {
  const request = (method: string, path: string): RequestAttributes => requestAttributes(method, path)!;

  it('reads verb, group, resource, subresource, namespace and name from a request', () => {
    expect(request('GET', '/apis/statsmoln.io/v1alpha1/agencytenants?watch=true&resourceVersion=5')).toEqual({ verb: 'watch', apiGroup: 'statsmoln.io', resource: 'agencytenants', subresource: '', namespace: '', name: '' });
    expect(request('PUT', '/apis/statsmoln.io/v1alpha1/namespaces/a/storagevolumes/db/status')).toEqual({ verb: 'update', apiGroup: 'statsmoln.io', resource: 'storagevolumes', subresource: 'status', namespace: 'a', name: 'db' });
    expect(request('GET', '/api/v1/namespaces/statsmoln-system/secrets')).toMatchObject({ verb: 'list', apiGroup: '', resource: 'secrets', namespace: 'statsmoln-system' });
    expect(request('DELETE', '/api/v1/namespaces/agency-a')).toMatchObject({ verb: 'delete', resource: 'namespaces', namespace: 'agency-a', name: 'agency-a' });
    expect(requestAttributes('GET', '/version')).toBeUndefined();
  });

  it('matches rules as the RBAC authorizer does', () => {
    const rule = { apiGroups: ['statsmoln.io'], resources: ['storagevolumes'], verbs: ['get', 'update'] };
    expect(ruleAllows(rule, request('PUT', '/apis/statsmoln.io/v1alpha1/namespaces/a/storagevolumes/db'))).toBe(true);
    // A subresource needs a rule of its own.
    expect(ruleAllows(rule, request('PUT', '/apis/statsmoln.io/v1alpha1/namespaces/a/storagevolumes/db/status'))).toBe(false);
    expect(ruleAllows({ ...rule, resources: ['*/status'] }, request('PUT', '/apis/statsmoln.io/v1alpha1/namespaces/a/storagevolumes/db/status'))).toBe(true);
    expect(ruleAllows(rule, request('DELETE', '/apis/statsmoln.io/v1alpha1/namespaces/a/storagevolumes/db'))).toBe(false);
    expect(ruleAllows({ ...rule, apiGroups: [''] }, request('GET', '/apis/statsmoln.io/v1alpha1/namespaces/a/storagevolumes/db'))).toBe(false);
    // resourceNames restrict to named requests.
    const named = { ...rule, resourceNames: ['db'] };
    expect(ruleAllows(named, request('GET', '/apis/statsmoln.io/v1alpha1/namespaces/a/storagevolumes/db'))).toBe(true);
    expect(ruleAllows(named, request('GET', '/apis/statsmoln.io/v1alpha1/namespaces/a/storagevolumes/logs'))).toBe(false);
    expect(ruleAllows(named, request('GET', '/apis/statsmoln.io/v1alpha1/namespaces/a/storagevolumes'))).toBe(false);
  });

  it('grants a RoleBinding in its namespace only, a ClusterRoleBinding everywhere, and nothing to other subjects', () => {
    const account = { namespace: 'ops', name: 'op' };
    const subjects = [{ kind: 'ServiceAccount', name: 'op', namespace: 'ops' }];
    const grants = grantsOf(
      [
        { kind: 'Role', metadata: { name: 'r', namespace: 'ops' }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }] },
        { kind: 'RoleBinding', metadata: { name: 'r', namespace: 'ops' }, roleRef: { kind: 'Role', name: 'r' }, subjects },
        { kind: 'ClusterRole', metadata: { name: 'c' }, rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get'] }] },
        { kind: 'ClusterRoleBinding', metadata: { name: 'c' }, roleRef: { kind: 'ClusterRole', name: 'c' }, subjects },
        { kind: 'ClusterRole', metadata: { name: 'all' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] },
        { kind: 'ClusterRoleBinding', metadata: { name: 'all' }, roleRef: { kind: 'ClusterRole', name: 'all' }, subjects: [{ kind: 'ServiceAccount', name: 'other', namespace: 'ops' }] },
      ],
      account,
    );
    expect(allows(grants, request('GET', '/api/v1/namespaces/ops/secrets/s'))).toBe(true);
    expect(allows(grants, request('GET', '/api/v1/namespaces/kube-system/secrets/s'))).toBe(false);
    expect(allows(grants, request('GET', '/api/v1/namespaces/kube-system'))).toBe(true);
    expect(allows(grants, request('DELETE', '/api/v1/namespaces/kube-system'))).toBe(false);
  });
});
