import { CRD_CLEANUP_FINALIZER, crdResources, establishedStatus, validateCrd } from './crd.js';
import {
  ApiError, STALE_OBJECT, alreadyExists, badRequest, conflict, forbidden, invalid, notFound, type FieldError,
} from './errors.js';
import { deepEqual, generateNameSuffix, keyOf, newUid, specPart, timestamp, validateName } from './objects.js';
import { ResourceRegistry, apiVersionOf, storageKey, type ResourceInfo } from './registry.js';
import { Store, objectKey } from './store.js';
import { applyDefaults, type Schema } from './schema.js';
import { isJsonObject, type JsonObject, type JsonValue, type KubeObject, type ObjectMeta } from './types.js';

/** Admission for custom resources: defaulting, pruning and validation against the CRD schema. */
export interface SchemaAdmission {
  /** Mutates `object` (defaults, pruning); returns the field errors of the result and the pruned unknown fields. */
  admit(resource: ResourceInfo, object: KubeObject, old: KubeObject | undefined): { errors: FieldError[]; unknownFields: string[] };
}

export interface WriteOptions {
  dryRun?: boolean;
  /**
   * Metadata-only writes of the in-process controllers (garbage collector, namespace and CRD
   * cleanup). They skip schema admission: kube-apiserver would validate them too, but ratcheting
   * accepts an unchanged spec, so the outcome is the same and an object that became invalid under
   * a newer CRD can still be cleaned up.
   */
  internal?: boolean;
  /** `fieldValidation` query parameter: unknown fields are an error (Strict), a warning (Warn) or ignored. */
  fieldValidation?: 'Ignore' | 'Warn' | 'Strict';
  /** Collects warnings for the `Warning` response header. */
  warnings?: string[];
  fieldManager?: string;
  /** Hook that updates managedFields for the write (set by the server-side apply module). */
  trackFields?: (resource: ResourceInfo, next: KubeObject, old: KubeObject | undefined, subresource: string | undefined) => void;
}

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface DeleteOptions extends WriteOptions {
  propagationPolicy?: PropagationPolicy;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface CoreOptions {
  historySize: number;
  now?: () => Date;
  random?: () => number;
}

const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const NAMESPACE_FINALIZER = 'kubernetes';
export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';

/**
 * The semantics of kube-apiserver over the store: create, update, delete with finalizers,
 * generation, status subresource, namespaces, CRD registration, and the garbage collector and
 * namespace controller that kube-controller-manager would run.
 */
export class ApiCore {
  readonly store: Store;
  readonly registry = new ResourceRegistry();
  admission: SchemaAdmission | undefined;
  private readonly now: () => Date;
  private readonly random: () => number;
  private maintenanceScheduled = false;
  private maintenanceTimer: NodeJS.Immediate | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly readDefaults = new WeakMap<KubeObject, { schema: JsonObject; value: KubeObject }>();
  private closed = false;
  /** Called after CRDs change the served resources (discovery caches, OpenAPI). */
  onResourcesChanged: (() => void) | undefined;

  constructor(options: CoreOptions) {
    this.store = new Store(options.historySize);
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? Math.random;
  }

  /** Creates the default namespaces if missing and serves every stored CRD. */
  bootstrap(): void {
    const crds = this.registry.find('apiextensions.k8s.io', 'v1', 'customresourcedefinitions') as ResourceInfo;
    for (const crd of this.store.list(storageKey(crds))) this.serveCrd(crd);
    const namespaces = this.resource('', 'v1', 'namespaces');
    for (const name of DEFAULT_NAMESPACES) {
      if (!this.store.get(storageKey(namespaces), objectKey(undefined, name))) {
        this.create(namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, {});
      }
    }
  }

  close(): void {
    this.closed = true;
    if (this.maintenanceTimer) clearImmediate(this.maintenanceTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  resource(group: string, version: string, plural: string): ResourceInfo {
    const found = this.registry.find(group, version, plural);
    if (!found) throw new Error(`resource ${group}/${version}/${plural} is not served`);
    return found;
  }

  /** Rewrites a stored object for the version it is served in (conversion strategy None). */
  present(resource: ResourceInfo, object: KubeObject): KubeObject {
    if (resource.storage) return resource.storage.fromStorage(object);
    const defaulted = resource.custom && resource.schema ? this.defaultOnRead(resource.schema, object) : object;
    const apiVersion = apiVersionOf(resource);
    return defaulted.apiVersion === apiVersion ? defaulted : { ...defaulted, apiVersion };
  }

  /** The stored object as an update starts from: in storage form, with read-time defaults. */
  storedForWrite(resource: ResourceInfo, key: string): KubeObject | undefined {
    const stored = this.store.get(storageKey(resource), key);
    if (!stored || !resource.custom || !resource.schema) return stored;
    return this.defaultOnRead(resource.schema, stored);
  }

  /**
   * kube-apiserver also applies schema defaults when it reads from storage, so a default added to
   * a CRD later shows on existing objects. Results are cached per stored object and schema.
   */
  private defaultOnRead(schema: JsonObject, object: KubeObject): KubeObject {
    const cached = this.readDefaults.get(object);
    if (cached && cached.schema === schema) return cached.value;
    const defaulted = applyDefaults(object as unknown as JsonValue, schema as Schema) as unknown as KubeObject;
    const value = deepEqual(defaulted, object) ? object : defaulted;
    this.readDefaults.set(object, { schema, value });
    return value;
  }

  get(resource: ResourceInfo, namespace: string | undefined, name: string): KubeObject {
    const object = this.store.get(storageKey(resource), objectKey(resource.namespaced ? namespace : undefined, name));
    if (!object) throw notFound(resource, name);
    return this.present(resource, object);
  }

  create(resource: ResourceInfo, namespace: string | undefined, body: unknown, options: WriteOptions): KubeObject {
    const object = this.checkBody(resource, body);
    const meta = object.metadata;
    if (resource.namespaced) {
      if (meta.namespace && namespace && meta.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace ?? meta.namespace;
      if (!meta.namespace) throw badRequest('an empty namespace may not be set during creation');
      this.requireActiveNamespace(meta.namespace);
    } else delete meta.namespace;
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${generateNameSuffix(this.random)}`;
    const name = meta.name ?? '';
    if (!name) throw invalid(resource, '', [{ field: 'metadata.name', reason: 'FieldValueRequired', message: 'Required value: name or generateName is required' }]);
    const nameErrors = validateName(name, resource.plural === 'namespaces');
    if (nameErrors.length > 0) throw invalid(resource, name, nameErrors);

    const now = timestamp(this.now());
    for (const field of ['uid', 'resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'selfLink'] as const) delete meta[field];
    meta.uid = newUid();
    meta.creationTimestamp = now;
    if (resource.generation) meta.generation = 1;
    if (resource.subresources.includes('status') && resource.custom) delete object.status;
    this.prepareBuiltinCreate(resource, object, now);
    this.admitObject(resource, object, undefined, options);
    options.trackFields?.(resource, object, undefined, undefined);

    const key = keyOf(object);
    if (this.store.get(storageKey(resource), key)) throw alreadyExists(resource, name);
    if (options.dryRun) return this.present(resource, { ...object, metadata: { ...object.metadata, resourceVersion: String(this.store.nextRevision()) } });
    const stored = this.store.commit('ADDED', storageKey(resource), key, this.toStorage(resource, object));
    if (resource.plural === 'customresourcedefinitions' && resource.group === 'apiextensions.k8s.io') this.serveCrd(stored);
    return this.present(resource, stored);
  }

  /**
   * Replaces an object (PUT, or the result of a patch). On the main resource of a kind with a
   * status subresource, status is kept from the stored object; on `status`, only status changes.
   */
  update(
    resource: ResourceInfo,
    namespace: string | undefined,
    name: string,
    body: unknown,
    subresource: string | undefined,
    options: WriteOptions,
  ): KubeObject {
    const next = this.checkBody(resource, body);
    if (next.metadata.name && next.metadata.name !== name) {
      throw badRequest(`the name of the object (${next.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (resource.namespaced && next.metadata.namespace && next.metadata.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const key = objectKey(resource.namespaced ? namespace : undefined, name);
    const existing = this.storedForWrite(resource, key);
    if (!existing) throw notFound(resource, name);
    const requestedRv = next.metadata.resourceVersion;
    if (requestedRv !== undefined && requestedRv !== '' && requestedRv !== existing.metadata.resourceVersion) {
      throw conflict(resource, name, STALE_OBJECT);
    }
    if ((requestedRv === undefined || requestedRv === '') && resource.custom) {
      throw invalid(resource, name, [{ field: 'metadata.resourceVersion', reason: 'FieldValueInvalid', message: 'Invalid value: 0x0: must be specified for an update' }]);
    }
    return this.replace(resource, existing, next, subresource, options);
  }

  /** Applies the update strategy to `next` against `existing` and commits it. */
  replace(resource: ResourceInfo, existing: KubeObject, proposed: KubeObject, subresource: string | undefined, options: WriteOptions): KubeObject {
    let next = proposed;
    const name = existing.metadata.name ?? '';
    if (subresource === 'status' || subresource === 'finalize') {
      const base = structuredClone(existing);
      if (subresource === 'status') {
        if (next.status === undefined) delete base.status;
        else base.status = next.status;
      } else base.spec = next.spec;
      if (next.metadata.managedFields) base.metadata.managedFields = next.metadata.managedFields;
      next = base;
    } else if (resource.subresources.includes('status')) {
      if (existing.status === undefined) delete next.status;
      else next.status = structuredClone(existing.status);
    }
    const meta = next.metadata;
    const old = existing.metadata;
    for (const field of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'namespace', 'name'] as const) {
      if (old[field] === undefined) delete meta[field];
      else meta[field] = old[field] as never;
    }
    meta.resourceVersion = old.resourceVersion;
    if (old.deletionTimestamp) {
      const added = (meta.finalizers ?? []).filter((f) => !(old.finalizers ?? []).includes(f));
      if (added.length > 0) {
        throw invalid(resource, name, [{
          field: 'metadata.finalizers',
          reason: 'FieldValueForbidden',
          message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
        }]);
      }
    }
    if (resource.plural === 'namespaces' && !resource.group) this.keepNamespaceInvariants(next, existing, subresource);
    this.mergeStringData(resource, next);
    if ((subresource === undefined || resource.custom) && !options.internal) this.admitObject(resource, next, existing, options);
    if (resource.generation && !deepEqual(specPart(next), specPart(existing))) meta.generation = (old.generation ?? 0) + 1;
    if (meta.finalizers?.length === 0) delete meta.finalizers;
    options.trackFields?.(resource, next, existing, subresource);

    const storageObject = this.toStorage(resource, next);
    if (deepEqual(storageObject, existing)) return this.present(resource, existing);
    const shouldDelete = !!old.deletionTimestamp && (meta.finalizers ?? []).length === 0 && !this.hasNamespaceFinalizer(resource, next);
    if (options.dryRun) return this.present(resource, { ...storageObject, metadata: { ...storageObject.metadata, resourceVersion: String(this.store.nextRevision()) } });
    const stored = this.store.commit(shouldDelete ? 'DELETED' : 'MODIFIED', storageKey(resource), keyOf(existing), storageObject);
    if (shouldDelete) this.afterDelete(resource, stored);
    else if (stored.metadata.deletionTimestamp) this.scheduleMaintenance();
    if (this.isCrd(resource) && !shouldDelete) this.serveCrd(stored);
    return this.present(resource, stored);
  }

  /**
   * Deletes an object: with finalizers (or a foreground/orphan propagation) it only gets a
   * deletionTimestamp; otherwise it is removed and its dependents are garbage collected.
   * Returns the object and whether it is gone.
   */
  delete(resource: ResourceInfo, namespace: string | undefined, name: string, options: DeleteOptions): { object: KubeObject; deleted: boolean } {
    const key = objectKey(resource.namespaced ? namespace : undefined, name);
    const existing = this.store.get(storageKey(resource), key);
    if (!existing) throw notFound(resource, name);
    const { uid, resourceVersion } = options.preconditions ?? {};
    if (uid && uid !== existing.metadata.uid) {
      throw conflict(resource, name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${existing.metadata.uid ?? ''}`);
    }
    if (resourceVersion && resourceVersion !== existing.metadata.resourceVersion) {
      throw conflict(resource, name, `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion ?? ''}`);
    }
    const next = structuredClone(existing);
    const meta = next.metadata;
    const finalizers = new Set(meta.finalizers ?? []);
    const policy = options.propagationPolicy ?? this.defaultPropagation(resource);
    if (policy === 'Foreground' && !this.isNamespace(resource)) {
      finalizers.add(FOREGROUND_FINALIZER);
      finalizers.delete(ORPHAN_FINALIZER);
    }
    if (policy === 'Orphan') {
      finalizers.add(ORPHAN_FINALIZER);
      finalizers.delete(FOREGROUND_FINALIZER);
    }
    if (this.isCrd(resource) && !meta.deletionTimestamp) finalizers.add(CRD_CLEANUP_FINALIZER);
    const pending = finalizers.size > 0 || this.hasNamespaceFinalizer(resource, next);
    if (!pending) {
      if (options.dryRun) return { object: this.present(resource, existing), deleted: true };
      const stored = this.store.commit('DELETED', storageKey(resource), key, { ...existing, metadata: { ...existing.metadata } });
      this.afterDelete(resource, stored);
      return { object: this.present(resource, stored), deleted: true };
    }
    meta.finalizers = [...finalizers];
    if (!meta.deletionTimestamp) {
      meta.deletionTimestamp = timestamp(this.now());
      meta.deletionGracePeriodSeconds = 0;
      if (resource.generation && meta.generation !== undefined) meta.generation += 1;
      if (this.isNamespace(resource)) next.status = { ...(isJsonObject(next.status) ? next.status : {}), phase: 'Terminating' };
    }
    if (deepEqual(next, existing)) return { object: this.present(resource, existing), deleted: false };
    if (options.dryRun) return { object: this.present(resource, next), deleted: false };
    const stored = this.store.commit('MODIFIED', storageKey(resource), key, next);
    this.scheduleMaintenance();
    return { object: this.present(resource, stored), deleted: false };
  }

  /** Registers the resources of every CRD found as objects (used by registerCrdsFromDir). */
  applyCrd(crd: KubeObject): KubeObject {
    const crds = this.resource('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
    const name = crd.metadata.name ?? '';
    const existing = this.store.get(storageKey(crds), objectKey(undefined, name));
    if (!existing) return this.create(crds, undefined, crd, {});
    const next = structuredClone(crd);
    next.metadata.resourceVersion = existing.metadata.resourceVersion;
    next.status = existing.status;
    return this.replace(crds, existing, next, undefined, {});
  }

  private isCrd(resource: ResourceInfo): boolean {
    return resource.group === 'apiextensions.k8s.io' && resource.plural === 'customresourcedefinitions';
  }

  private isNamespace(resource: ResourceInfo): boolean {
    return resource.group === '' && resource.plural === 'namespaces';
  }

  private defaultPropagation(_resource: ResourceInfo): PropagationPolicy {
    return 'Background';
  }

  private hasNamespaceFinalizer(resource: ResourceInfo, object: KubeObject): boolean {
    if (!this.isNamespace(resource)) return false;
    const spec = isJsonObject(object.spec) ? object.spec : {};
    return Array.isArray(spec.finalizers) && spec.finalizers.length > 0;
  }

  private checkBody(resource: ResourceInfo, body: unknown): KubeObject {
    if (!isJsonObject(body)) throw badRequest('the body of the request must be a JSON or YAML object');
    const object = structuredClone(body) as unknown as KubeObject;
    if (object.kind !== undefined && object.kind !== resource.kind) {
      throw badRequest(`the kind in the data (${String(object.kind)}) does not match the expected kind (${resource.kind})`);
    }
    const apiVersion = apiVersionOf(resource);
    if (object.apiVersion !== undefined && object.apiVersion !== apiVersion) {
      throw badRequest(`the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${apiVersion})`);
    }
    object.kind = resource.kind;
    object.apiVersion = apiVersion;
    if (!isJsonObject(object.metadata)) object.metadata = {};
    const meta: ObjectMeta = object.metadata;
    if (meta.labels !== undefined && !isJsonObject(meta.labels)) throw badRequest('metadata.labels must be an object');
    return object;
  }

  private requireActiveNamespace(namespace: string): void {
    const namespaces = this.resource('', 'v1', 'namespaces');
    const found = this.store.get(storageKey(namespaces), objectKey(undefined, namespace));
    if (!found) throw notFound(namespaces, namespace);
    if (found.metadata.deletionTimestamp) {
      throw new ApiError(403, 'Forbidden', `unable to create new content in namespace ${namespace} because it is being terminated`, {
        name: namespace,
        kind: 'namespaces',
        causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }],
      });
    }
  }

  private prepareBuiltinCreate(resource: ResourceInfo, object: KubeObject, now: string): void {
    if (this.isNamespace(resource)) {
      const spec = isJsonObject(object.spec) ? object.spec : {};
      spec.finalizers = [NAMESPACE_FINALIZER];
      object.spec = spec;
      object.status = { phase: 'Active' };
      object.metadata.labels = { ...(object.metadata.labels ?? {}), 'kubernetes.io/metadata.name': object.metadata.name ?? '' };
    }
    if (this.isCrd(resource)) {
      const errors = validateCrd(object);
      if (errors.length > 0) throw invalid(resource, object.metadata.name ?? '', errors);
      object.status = establishedStatus(object, now);
    }
    if (resource.plural === 'secrets' && !resource.group && object.type === undefined) object.type = 'Opaque';
    this.mergeStringData(resource, object);
  }

  /** Secrets: `stringData` is write-only; the server folds it into `data` (base64), as kube-apiserver does. */
  private mergeStringData(resource: ResourceInfo, object: KubeObject): void {
    if (resource.plural !== 'secrets' || resource.group || object.stringData === undefined) return;
    const data: Record<string, unknown> = isJsonObject(object.data) ? { ...object.data } : {};
    if (isJsonObject(object.stringData)) {
      for (const [key, value] of Object.entries(object.stringData)) data[key] = Buffer.from(String(value), 'utf8').toString('base64');
    }
    object.data = data;
    delete object.stringData;
  }

  private keepNamespaceInvariants(next: KubeObject, existing: KubeObject, subresource: string | undefined): void {
    next.metadata.labels = { ...(next.metadata.labels ?? {}), 'kubernetes.io/metadata.name': existing.metadata.name ?? '' };
    if (subresource !== 'finalize') next.spec = structuredClone(existing.spec);
    if (subresource !== 'status') next.status = structuredClone(existing.status);
  }

  private admitObject(resource: ResourceInfo, object: KubeObject, old: KubeObject | undefined, options: WriteOptions): void {
    if (this.isCrd(resource) && old) {
      const errors = validateCrd(object);
      if (errors.length > 0) throw invalid(resource, object.metadata.name ?? '', errors);
      const oldSpec = old.spec as Record<string, unknown>;
      const newSpec = object.spec as Record<string, unknown>;
      if (oldSpec.group !== newSpec.group) {
        throw invalid(resource, object.metadata.name ?? '', [{ field: 'spec.group', reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(newSpec.group)}: field is immutable` }]);
      }
    }
    if (!resource.custom || !this.admission) return;
    const { errors, unknownFields } = this.admission.admit(resource, object, old);
    if (unknownFields.length > 0 && options.fieldValidation === 'Strict') {
      throw badRequest(`strict decoding error: ${unknownFields.map((f) => `unknown field "${f}"`).join(', ')}`);
    }
    if (unknownFields.length > 0 && options.fieldValidation === 'Warn') {
      options.warnings?.push(...unknownFields.map((f) => `unknown field "${f}"`));
    }
    if (errors.length > 0) throw invalid(resource, object.metadata.name ?? '', errors);
  }

  private toStorage(resource: ResourceInfo, object: KubeObject): KubeObject {
    if (resource.storage) return resource.storage.toStorage(object);
    if (resource.version === resource.storageVersion) return object;
    return { ...object, apiVersion: resource.group ? `${resource.group}/${resource.storageVersion}` : resource.storageVersion };
  }

  private serveCrd(crd: KubeObject): void {
    const spec = crd.spec as { group: string; names: { plural: string } };
    this.registry.removeGroupResource(spec.group, spec.names.plural);
    for (const resource of crdResources(crd)) this.registry.add(resource);
    this.onResourcesChanged?.();
  }

  private afterDelete(resource: ResourceInfo, deleted: KubeObject): void {
    if (this.isCrd(resource)) {
      const spec = deleted.spec as { group: string; names: { plural: string } };
      this.registry.removeGroupResource(spec.group, spec.names.plural);
      this.onResourcesChanged?.();
    }
    this.scheduleMaintenance();
  }

  // ---- controllers kube-controller-manager would run: garbage collector, namespace lifecycle, CRD cleanup ----

  scheduleMaintenance(): void {
    if (this.maintenanceScheduled || this.closed) return;
    this.maintenanceScheduled = true;
    this.maintenanceTimer = setImmediate(() => {
      this.maintenanceScheduled = false;
      this.maintenanceTimer = undefined;
      try {
        this.runMaintenance();
      } catch (error) {
        // Retry later rather than spin: the cause may be a write the next pass repeats.
        console.error('apiserver: garbage collection failed', error);
        this.retryTimer ??= setTimeout(() => {
          this.retryTimer = undefined;
          this.scheduleMaintenance();
        }, 1000);
        this.retryTimer.unref();
      }
    });
  }

  /** One pass of garbage collection and namespace/CRD cleanup; reschedules itself while work remains. */
  runMaintenance(): void {
    let changed = false;
    const uids = new Map<string, { resource: ResourceInfo; object: KubeObject }>();
    const served: ResourceInfo[] = [];
    for (const key of this.store.resources()) {
      const [group, plural] = key.split('/') as [string, string];
      const resource = this.registry.findAnyVersion(group, plural);
      if (!resource) continue;
      served.push(resource);
      for (const object of this.store.list(key)) uids.set(object.metadata.uid ?? '', { resource, object });
    }
    const dependents = new Map<string, { resource: ResourceInfo; object: KubeObject }[]>();
    for (const { resource, object } of uids.values()) {
      for (const ref of object.metadata.ownerReferences ?? []) {
        const list = dependents.get(ref.uid) ?? [];
        list.push({ resource, object });
        dependents.set(ref.uid, list);
      }
    }
    const tryRun = (action: () => void): void => {
      try {
        action();
        changed = true;
      } catch (error) {
        if (!(error instanceof ApiError) || (error.code !== 404 && error.code !== 409)) throw error;
      }
    };
    // Dependents whose owners are all gone are deleted; owner references to vanished owners are dropped.
    for (const { resource, object } of uids.values()) {
      const refs = object.metadata.ownerReferences ?? [];
      if (refs.length === 0 || object.metadata.deletionTimestamp) continue;
      const live = refs.filter((ref) => uids.has(ref.uid));
      const ns = object.metadata.namespace;
      const name = object.metadata.name ?? '';
      const foregroundOwner = live.some((ref) => (uids.get(ref.uid)?.object.metadata.finalizers ?? []).includes(FOREGROUND_FINALIZER) && uids.get(ref.uid)?.object.metadata.deletionTimestamp);
      if (live.length === 0) tryRun(() => this.delete(resource, ns, name, { propagationPolicy: 'Background' }));
      else if (foregroundOwner) tryRun(() => this.delete(resource, ns, name, { propagationPolicy: 'Foreground' }));
      else if (live.length < refs.length) {
        tryRun(() => {
          const next = structuredClone(object);
          next.metadata.ownerReferences = live;
          this.replace(resource, object, next, undefined, { internal: true });
        });
      }
    }
    for (const { resource, object } of uids.values()) {
      const meta = object.metadata;
      if (!meta.deletionTimestamp) continue;
      const finalizers = meta.finalizers ?? [];
      const name = meta.name ?? '';
      const children = dependents.get(meta.uid ?? '') ?? [];
      if (finalizers.includes(ORPHAN_FINALIZER)) {
        for (const child of children) {
          tryRun(() => {
            const current = this.store.get(storageKey(child.resource), keyOf(child.object));
            if (!current) return;
            const next = structuredClone(current);
            next.metadata.ownerReferences = (next.metadata.ownerReferences ?? []).filter((ref) => ref.uid !== meta.uid);
            if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
            this.replace(child.resource, current, next, undefined, { internal: true });
          });
        }
        tryRun(() => this.removeFinalizer(resource, object, ORPHAN_FINALIZER));
      }
      if (finalizers.includes(FOREGROUND_FINALIZER) && children.length === 0) tryRun(() => this.removeFinalizer(resource, object, FOREGROUND_FINALIZER));
      if (this.isNamespace(resource) && this.hasNamespaceFinalizer(resource, object)) {
        let remaining = 0;
        for (const candidate of served) {
          if (!candidate.namespaced) continue;
          for (const item of this.store.list(storageKey(candidate), name)) {
            remaining++;
            if (!item.metadata.deletionTimestamp) tryRun(() => this.delete(candidate, name, item.metadata.name ?? '', {}));
          }
        }
        if (remaining === 0) {
          tryRun(() => {
            const next = structuredClone(object);
            next.spec = { ...(isJsonObject(next.spec) ? next.spec : {}), finalizers: [] };
            this.replace(resource, object, next, 'finalize', { internal: true });
          });
        }
      }
      if (this.isCrd(resource) && finalizers.includes(CRD_CLEANUP_FINALIZER)) {
        const spec = object.spec as { group: string; names: { plural: string } };
        const instances = `${spec.group}/${spec.names.plural}`;
        const served2 = this.registry.findAnyVersion(spec.group, spec.names.plural);
        const items = this.store.list(instances);
        if (served2) {
          for (const item of items) {
            if (!item.metadata.deletionTimestamp) tryRun(() => this.delete(served2, item.metadata.namespace, item.metadata.name ?? '', {}));
          }
        }
        if (items.length === 0) tryRun(() => this.removeFinalizer(resource, object, CRD_CLEANUP_FINALIZER));
      }
    }
    if (changed) this.scheduleMaintenance();
  }

  private removeFinalizer(resource: ResourceInfo, object: KubeObject, finalizer: string): void {
    const current = this.store.get(storageKey(resource), keyOf(object));
    if (!current || !(current.metadata.finalizers ?? []).includes(finalizer)) return;
    const next = structuredClone(current);
    next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    this.replace(resource, current, next, undefined, { internal: true });
  }

  /** Refuses writes the caller may not do; reserved for later authorization. */
  assertWritable(_resource: ResourceInfo): void {
    if (this.closed) throw forbidden('the server is shutting down');
  }
}
