import { GROUP, findKind } from '../v1alpha1/index.js';
import { error, type Issue } from './issue.js';
import { objectRules } from './object-rules.js';
import type { StatsmolnObject } from './objects.js';
import { validateSchema } from './schema.js';
import { setRules } from './set-rules.js';

export * from './issue.js';
export * from './objects.js';
export { checkOrganisationNumber, luhnCheckDigit } from './orgnr.js';
export { parseNetwork, overlaps, isPrivate, isNetwork } from './cidr.js';

/** Whether a manifest claims to be one of ours; other kinds in a GitOps repository are skipped. */
export function isStatsmolnManifest(object: Record<string, unknown>): boolean {
  const apiVersion = object.apiVersion;
  if (typeof apiVersion !== 'string') return false;
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  return group === GROUP || (apiVersion.includes('statsmoln') && typeof object.kind === 'string' && findKind(object.kind) !== undefined);
}

/** Checks one object alone: schema, then the rules that need nothing else. */
export function validateObject(object: Record<string, unknown>): { issues: Issue[]; valid?: StatsmolnObject } {
  const schemaIssues = validateSchema(object);
  if (schemaIssues.some((issue) => issue.severity === 'error')) return { issues: schemaIssues };
  const valid = object as unknown as StatsmolnObject;
  return { issues: [...schemaIssues, ...objectRules(valid)], valid };
}

export type ObjectValidator = typeof validateObject;

/**
 * Checks a set of manifests together; returns the issues of each object, by position. `validateOne`
 * checks each object alone (a caller may pass a memoised validateObject).
 */
export function validateObjects(objects: ReadonlyArray<Record<string, unknown>>, validateOne: ObjectValidator = validateObject): Issue[][] {
  const results = objects.map((object) => validateOne(object));
  const presentNames = new Map<string, Set<string>>();
  const identities = new Map<string, number>();
  const perObject = results.map((result) => [...result.issues]);
  objects.forEach((object, index) => {
    const kind = String(object.kind);
    const metadata = (object.metadata ?? {}) as { name?: unknown; namespace?: unknown };
    const name = typeof metadata.name === 'string' ? metadata.name : '';
    if (!presentNames.has(kind)) presentNames.set(kind, new Set());
    presentNames.get(kind)?.add(name);
    const identity = `${kind}/${typeof metadata.namespace === 'string' ? metadata.namespace + '/' : ''}${name}`;
    const first = identities.get(identity);
    if (first !== undefined && name !== '') {
      perObject[index]?.push(error('set.duplicate-object', ['metadata', 'name'], `${identity} is defined twice; the later definition would replace the earlier one`));
    } else identities.set(identity, index);
  });
  const valid = results.flatMap((result, index) => (result.valid ? [{ index, object: result.valid }] : []));
  for (const { index, issue } of setRules(valid, presentNames)) perObject[index]?.push(issue);
  return perObject;
}
