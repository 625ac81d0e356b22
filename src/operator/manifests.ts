/** Reading manifests from files and applying them idempotently (create, or update when different). */
import { readFile } from 'node:fs/promises';
import { findKind, GROUP } from '../api/v1alpha1/index.js';
import { discoverManifests } from '../cli/validate/discover.js';
import { parseManifestText } from '../cli/validate/parse.js';
import { resourceTypeOf } from '../controllers/framework/index.js';
import { isNotFound, type KubeClient, type KubeObject, type ResourceType } from '../runtime/index.js';

export const NAMESPACES: ResourceType = { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false };
export const SECRETS: ResourceType = { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true };

export interface LoadedManifest {
  file: string;
  object: KubeObject;
}

/** Every document of the YAML files under `paths` (files or directories), in file order. */
export async function loadManifests(paths: readonly string[], include: (file: string) => boolean = () => true): Promise<LoadedManifest[]> {
  const files = (await discoverManifests(paths)).filter(include);
  const loaded: LoadedManifest[] = [];
  for (const file of files) {
    const parsed = parseManifestText(await readFile(file, 'utf8'));
    const problem = parsed.problems[0];
    if (problem) throw new Error(`${file}:${problem.position.line}:${problem.position.col}: ${problem.message}`);
    for (const document of parsed.documents) {
      if (document.object === undefined || document.object === null) continue;
      loaded.push({ file, object: document.object as KubeObject });
    }
  }
  return loaded;
}

/** Where an object lives in the API: Namespaces, Secrets and the statsmoln kinds. */
export function resourceTypeOfObject(object: KubeObject): ResourceType {
  if (object.apiVersion === 'v1' && object.kind === 'Namespace') return NAMESPACES;
  if (object.apiVersion === 'v1' && object.kind === 'Secret') return SECRETS;
  const definition = object.apiVersion?.startsWith(`${GROUP}/`) ? findKind(object.kind ?? '') : undefined;
  if (!definition) throw new Error(`${object.apiVersion}/${object.kind} ${object.metadata?.name}: not a kind statsmoln applies`);
  return resourceTypeOf(definition);
}

/** Whether `current` already holds everything `desired` says (the server may add defaults and labels). */
export function containsDesired(current: unknown, desired: unknown): boolean {
  if (Array.isArray(desired)) {
    return Array.isArray(current) && current.length === desired.length && desired.every((item, index) => containsDesired(current[index], item));
  }
  if (desired !== null && typeof desired === 'object') {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return false;
    return Object.entries(desired).every(([key, value]) => containsDesired((current as Record<string, unknown>)[key], value));
  }
  return current === desired;
}

/**
 * Creates the object, or updates it when its spec, data, labels or annotations differ (so that
 * re-applying unchanged manifests bumps no generation). Returns what happened.
 */
export async function applyObject(client: KubeClient, object: KubeObject): Promise<'created' | 'updated' | 'unchanged'> {
  const type = resourceTypeOfObject(object);
  const namespace = type.namespaced ? object.metadata?.namespace : undefined;
  const name = object.metadata?.name ?? '';
  let existing: KubeObject | undefined;
  try {
    existing = await client.get<KubeObject>(type, namespace, name);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  if (!existing) {
    await client.create(type, object);
    return 'created';
  }
  const fields = ['spec', 'data', 'stringData', 'type'] as const;
  const desired = object as Record<string, unknown>;
  const current = existing as Record<string, unknown>;
  const unchanged =
    fields.every((field) => desired[field] === undefined || containsDesired(current[field], desired[field])) &&
    containsDesired(existing.metadata?.labels ?? {}, object.metadata?.labels ?? {}) &&
    containsDesired(existing.metadata?.annotations ?? {}, object.metadata?.annotations ?? {});
  if (unchanged) return 'unchanged';
  const updated: Record<string, unknown> = { ...current };
  for (const field of fields) if (desired[field] !== undefined) updated[field] = desired[field];
  updated.metadata = {
    ...existing.metadata,
    labels: { ...existing.metadata?.labels, ...object.metadata?.labels },
    annotations: { ...existing.metadata?.annotations, ...object.metadata?.annotations },
  };
  await client.update(type, updated as KubeObject);
  return 'updated';
}
