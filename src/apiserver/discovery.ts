import type { ResourceInfo, ResourceRegistry } from './registry.js';
import type { JsonObject } from './types.js';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export const SERVER_VERSION: JsonObject = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.0-statsmoln',
  gitCommit: 'statsmoln-embedded',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'n/a (Node.js)',
  compiler: 'statsmoln',
  platform: `${process.platform}/${process.arch}`,
};

function resourceEntries(resources: ResourceInfo[]): JsonObject[] {
  const entries: JsonObject[] = [];
  for (const r of resources.sort((a, b) => a.plural.localeCompare(b.plural))) {
    const entry: JsonObject = {
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.plural === 'namespaces' && !r.group ? VERBS.filter((v) => v !== 'deletecollection') : VERBS,
      storageVersionHash: Buffer.from(`${r.group}/${r.storageVersion}/${r.kind}`).toString('base64').slice(0, 11),
    };
    if (r.shortNames.length > 0) entry.shortNames = r.shortNames;
    if (r.categories.length > 0) entry.categories = r.categories;
    entries.push(entry);
    for (const sub of r.subresources) {
      entries.push({ name: `${r.plural}/${sub}`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: sub === 'finalize' ? ['update'] : ['get', 'patch', 'update'] });
    }
  }
  return entries;
}

export function coreVersions(): JsonObject {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] };
}

export function resourceList(registry: ResourceRegistry, group: string, version: string): JsonObject | undefined {
  const resources = registry.all().filter((r) => r.group === group && r.version === version);
  if (resources.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources: resourceEntries(resources),
  };
}

/** Kubernetes version priority: v2 > v1 > v1beta2 > v1beta1 > v1alpha1, then anything else. */
function versionRank(version: string): [number, number, number] {
  const match = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(version);
  if (!match) return [0, 0, 0];
  const stage = match[2] === undefined ? 3 : match[2] === 'beta' ? 2 : 1;
  return [stage, Number(match[1]), Number(match[3] ?? 0)];
}

export function sortVersions(versions: string[]): string[] {
  return [...new Set(versions)].sort((a, b) => {
    const ra = versionRank(a);
    const rb = versionRank(b);
    for (let i = 0; i < 3; i++) if (ra[i] !== rb[i]) return (rb[i] as number) - (ra[i] as number);
    return a.localeCompare(b);
  });
}

export function apiGroup(registry: ResourceRegistry, group: string): JsonObject | undefined {
  const resources = registry.all().filter((r) => r.group === group);
  if (!group || resources.length === 0) return undefined;
  const versions = sortVersions(resources.map((r) => r.version)).map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  const preferred = versions[0];
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions, preferredVersion: preferred ?? null };
}

export function apiGroupList(registry: ResourceRegistry): JsonObject {
  const groups = [...new Set(registry.all().map((r) => r.group).filter((g) => g))].sort();
  const list = groups.map((g) => {
    const group = apiGroup(registry, g) as JsonObject;
    return { name: group.name, versions: group.versions, preferredVersion: group.preferredVersion } as JsonObject;
  });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: list };
}
