/**
 * Kubernetes RBAC evaluation for the manifests in deploy/: which requests a service account may
 * make, by the rules of the API server's RBAC authorizer (verbs, API groups, resources with
 * subresources, resource names; ClusterRoleBindings everywhere, RoleBindings in their namespace).
 */

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}

export interface RequestAttributes {
  verb: string;
  apiGroup: string;
  resource: string;
  subresource: string;
  /** '' for cluster-scoped resources. */
  namespace: string;
  /** '' for collections (list, watch, create). */
  name: string;
}

interface Manifest {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  rules?: PolicyRule[];
  roleRef?: { kind?: string; name?: string };
  subjects?: Array<{ kind?: string; name?: string; namespace?: string }>;
}

/** The rules a subject holds: cluster-wide ones, and per namespace. */
export interface Grants {
  cluster: PolicyRule[];
  byNamespace: Map<string, PolicyRule[]>;
}

export function grantsOf(manifests: readonly Manifest[], serviceAccount: { namespace: string; name: string }): Grants {
  const roles = new Map<string, PolicyRule[]>();
  for (const object of manifests) {
    if (object.kind === 'ClusterRole') roles.set(`ClusterRole/${object.metadata?.name}`, object.rules ?? []);
    if (object.kind === 'Role') roles.set(`Role/${object.metadata?.namespace}/${object.metadata?.name}`, object.rules ?? []);
  }
  const isSubject = (object: Manifest): boolean =>
    (object.subjects ?? []).some((subject) => subject.kind === 'ServiceAccount' && subject.name === serviceAccount.name && subject.namespace === serviceAccount.namespace);
  const grants: Grants = { cluster: [], byNamespace: new Map() };
  for (const object of manifests) {
    if (!isSubject(object)) continue;
    if (object.kind === 'ClusterRoleBinding') {
      if (object.roleRef?.kind !== 'ClusterRole') throw new Error(`ClusterRoleBinding ${object.metadata?.name} must refer to a ClusterRole`);
      grants.cluster.push(...rolesOrThrow(roles, `ClusterRole/${object.roleRef.name}`));
    } else if (object.kind === 'RoleBinding') {
      const namespace = object.metadata?.namespace ?? '';
      const key = object.roleRef?.kind === 'ClusterRole' ? `ClusterRole/${object.roleRef.name}` : `Role/${namespace}/${object.roleRef?.name}`;
      grants.byNamespace.set(namespace, [...(grants.byNamespace.get(namespace) ?? []), ...rolesOrThrow(roles, key)]);
    }
  }
  return grants;
}

function rolesOrThrow(roles: Map<string, PolicyRule[]>, key: string): PolicyRule[] {
  const rules = roles.get(key);
  if (!rules) throw new Error(`binding refers to ${key}, which deploy/ does not define`);
  return rules;
}

const matches = (values: readonly string[] | undefined, value: string): boolean => (values ?? []).some((entry) => entry === '*' || entry === value);

/** One rule against one request, as the RBAC authorizer's RuleAllows does. */
export function ruleAllows(rule: PolicyRule, request: RequestAttributes): boolean {
  if (!matches(rule.verbs, request.verb) || !matches(rule.apiGroups, request.apiGroup)) return false;
  const combined = request.subresource === '' ? request.resource : `${request.resource}/${request.subresource}`;
  const resourceMatches = (rule.resources ?? []).some(
    (resource) => resource === '*' || resource === combined || (request.subresource !== '' && resource === `*/${request.subresource}`),
  );
  if (!resourceMatches) return false;
  return (rule.resourceNames ?? []).length === 0 || (rule.resourceNames ?? []).includes(request.name);
}

export function allows(grants: Grants, request: RequestAttributes): boolean {
  const rules = [...grants.cluster, ...(request.namespace === '' ? [] : (grants.byNamespace.get(request.namespace) ?? []))];
  return rules.some((rule) => ruleAllows(rule, request));
}

/** The RBAC attributes of a request to a Kubernetes resource path (`/api/v1/...`, `/apis/<group>/<version>/...`). */
export function requestAttributes(method: string, pathAndQuery: string): RequestAttributes | undefined {
  const url = new URL(pathAndQuery, 'http://api');
  const parts = url.pathname.split('/').filter((part) => part !== '');
  let apiGroup: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) {
    apiGroup = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    apiGroup = parts[1]!;
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1]!;
    rest = rest.slice(2);
  }
  const [resource = '', name = '', subresource = ''] = rest;
  if (resource === '') return undefined;
  const watch = ['true', '1'].includes(url.searchParams.get('watch') ?? '');
  const verb = (() => {
    switch (method) {
      case 'GET':
        return watch ? 'watch' : name === '' ? 'list' : 'get';
      case 'POST':
        return 'create';
      case 'PUT':
        return 'update';
      case 'PATCH':
        return 'patch';
      case 'DELETE':
        return name === '' ? 'deletecollection' : 'delete';
      default:
        return method.toLowerCase();
    }
  })();
  // The namespaces resource names itself: GET /api/v1/namespaces/x is a get of namespace x.
  if (resource === 'namespaces' && namespace === '' && name !== '') return { verb, apiGroup, resource, subresource, namespace: name, name };
  return { verb, apiGroup, resource, subresource, namespace, name };
}

export function describeRequest(request: RequestAttributes): string {
  const resource = request.subresource === '' ? request.resource : `${request.resource}/${request.subresource}`;
  return `${request.verb} ${request.apiGroup === '' ? 'core' : request.apiGroup}/${resource}${request.namespace === '' ? '' : ` in ${request.namespace}`}${request.name === '' ? '' : ` (${request.name})`}`;
}
