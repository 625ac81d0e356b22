import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiCore, DeleteOptions, PropagationPolicy, WriteOptions } from './core.js';
import type { ApiServerMetrics, RequestInfo } from './metrics.js';
import { performance } from 'node:perf_hooks';
import { apiGroup, apiGroupList, coreVersions, resourceList, SERVER_VERSION } from './discovery.js';
import { ApiError, badRequest, methodNotAllowed, pathNotFound, unsupportedMediaType } from './errors.js';
import { RawJson, decodeBody, readBody, sendError, sendJson } from './http-util.js';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { listBody, listJson, listObjects, parseFilter } from './reads.js';
import { storageKey, type ResourceInfo } from './registry.js';
import { objectKey } from './store.js';
import { toTable } from './table.js';
import { isJsonObject, type KubeObject } from './types.js';
import { startWatch, type WatchOptions } from './watch.js';

/** Hooks the server-side apply and OpenAPI modules plug into the HTTP layer. */
export interface ServerExtensions {
  apply?: (resource: ResourceInfo, existing: KubeObject | undefined, body: unknown, fieldManager: string, force: boolean, subresource: string | undefined) => KubeObject;
  trackUpdate?: (resource: ResourceInfo, next: KubeObject, old: KubeObject | undefined, subresource: string | undefined, manager: string) => void;
  openapi?: (path: string) => unknown;
}

export interface HandlerOptions extends WatchOptions {
  token: string | undefined;
  now: () => Date;
  metrics?: ApiServerMetrics;
}

interface RequestState extends RequestInfo {
  watch: boolean;
  start: number;
}

interface ResourceRoute {
  resource: ResourceInfo;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
  watchPath: boolean;
}

const MAX_WATCH_BUFFER_BYTES = 16 * 1024 * 1024;

function tokenMatches(header: string | undefined, token: string): boolean {
  if (!header?.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice(7).trim());
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept);
}

function boolParam(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  return value === 'true' || value === '1';
}

/** The HTTP face of the server: authentication, discovery, routing and the REST verbs. */
export class RequestHandler {
  constructor(
    private readonly core: ApiCore,
    private readonly options: HandlerOptions,
    private readonly extensions: ServerExtensions = {},
  ) {}

  readonly activeWatches = new Set<() => void>();
  private readonly states = new WeakMap<IncomingMessage, RequestState>();

  handle = (request: IncomingMessage, response: ServerResponse): void => {
    const state: RequestState = { verb: request.method ?? 'GET', group: '', resource: '', watch: false, start: performance.now() };
    this.states.set(request, state);
    const metrics = this.options.metrics;
    if (metrics) {
      response.on('finish', () => {
        if (!state.watch) metrics.observe(state, response.statusCode, (performance.now() - state.start) / 1000);
      });
    }
    this.dispatch(request, response).catch((error: unknown) => {
      const apiError = error instanceof ApiError ? error : new ApiError(500, 'InternalError', `Internal error occurred: ${error instanceof Error ? error.message : String(error)}`);
      if (apiError.code === 500) console.error('apiserver: internal error', error);
      if (!response.headersSent) sendError(response, apiError);
      else response.end();
    });
  };

  private async dispatch(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (['/healthz', '/livez', '/readyz'].includes(path)) {
      response.writeHead(200, { 'Content-Type': 'text/plain' });
      response.end('ok');
      return;
    }
    if (this.options.token && !tokenMatches(request.headers.authorization, this.options.token)) {
      sendError(response, new ApiError(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    const method = request.method ?? 'GET';
    const segments = path.split('/').filter((s) => s.length > 0).map(decodeURIComponent);
    if (path === '/version') return sendJson(response, 200, SERVER_VERSION);
    if (path === '/metrics' && this.options.metrics) {
      const text = await this.options.metrics.registry.metrics();
      response.writeHead(200, { 'Content-Type': this.options.metrics.registry.contentType });
      response.end(text);
      return;
    }
    if (segments[0] === 'openapi') {
      const document = this.extensions.openapi?.(path);
      if (document === undefined) throw pathNotFound();
      return sendJson(response, 200, document);
    }
    let group: string;
    let version: string | undefined;
    let rest: string[];
    if (segments[0] === 'api') {
      if (segments.length === 1) return sendJson(response, 200, coreVersions());
      group = '';
      version = segments[1];
      rest = segments.slice(2);
    } else if (segments[0] === 'apis') {
      if (segments.length === 1) return sendJson(response, 200, apiGroupList(this.core.registry));
      group = segments[1] ?? '';
      if (segments.length === 2) {
        const found = apiGroup(this.core.registry, group);
        if (!found) throw pathNotFound();
        return sendJson(response, 200, found);
      }
      version = segments[2];
      rest = segments.slice(3);
    } else throw pathNotFound();
    if (!version) throw pathNotFound();
    if (rest.length === 0) {
      const list = resourceList(this.core.registry, group, version);
      if (!list) throw pathNotFound();
      return sendJson(response, 200, list);
    }
    const route = this.route(group, version, rest);
    const state = this.states.get(request);
    if (state) {
      state.group = route.resource.group;
      state.resource = route.subresource ? `${route.resource.plural}/${route.subresource}` : route.resource.plural;
      state.verb = this.verbOf(method, route, url.searchParams, request.headers['content-type']);
    }
    await this.serveResource(route, method, url.searchParams, request, response);
  }

  /** The verb label as kube-apiserver's metrics spell it. */
  private verbOf(method: string, route: ResourceRoute, query: URLSearchParams, contentType: string | undefined): string {
    if (method === 'GET') {
      if (route.watchPath || boolParam(query, 'watch')) return 'WATCH';
      return route.name === undefined ? 'LIST' : 'GET';
    }
    if (method === 'PATCH' && (contentType ?? '').startsWith('application/apply-patch')) return 'APPLY';
    if (method === 'DELETE' && route.name === undefined) return 'DELETECOLLECTION';
    return method;
  }

  private route(group: string, version: string, rest: string[]): ResourceRoute {
    let watchPath = false;
    let parts = rest;
    if (parts[0] === 'watch') {
      watchPath = true;
      parts = parts.slice(1);
    }
    let namespace: string | undefined;
    if (parts[0] === 'namespaces' && parts.length >= 3 && !(parts.length === 3 && ['status', 'finalize'].includes(parts[2] ?? '') && !this.core.registry.find(group, version, parts[2] ?? ''))) {
      namespace = parts[1];
      parts = parts.slice(2);
    }
    const [plural, name, subresource, ...extra] = parts;
    const resource = plural ? this.core.registry.find(group, version, plural) : undefined;
    if (!resource || extra.length > 0) throw pathNotFound();
    if (namespace !== undefined && !resource.namespaced) throw pathNotFound();
    if (subresource !== undefined && !resource.subresources.includes(subresource)) throw pathNotFound();
    return { resource, namespace, name, subresource, watchPath };
  }

  private async serveResource(route: ResourceRoute, method: string, query: URLSearchParams, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { resource, namespace, name, subresource } = route;
    const accept = request.headers.accept;
    const dryRunValue = query.get('dryRun');
    if (dryRunValue && dryRunValue !== 'All') throw badRequest(`Unsupported value: ${JSON.stringify(dryRunValue)}: supported values: "All"`);
    const writeOptions: WriteOptions = { dryRun: dryRunValue === 'All', fieldManager: query.get('fieldManager') ?? undefined, warnings: [] };
    const fieldValidation = query.get('fieldValidation');
    if (fieldValidation) {
      if (fieldValidation !== 'Ignore' && fieldValidation !== 'Warn' && fieldValidation !== 'Strict') {
        throw badRequest(`fieldValidation must be one of "Ignore", "Warn" or "Strict", got ${JSON.stringify(fieldValidation)}`);
      }
      writeOptions.fieldValidation = fieldValidation;
    }
    const send = (code: number, body: unknown): void => {
      const warnings = writeOptions.warnings ?? [];
      if (warnings.length > 0) response.setHeader('Warning', warnings.map((w) => `299 - ${JSON.stringify(w)}`));
      sendJson(response, code, body);
    };
    const trackUpdate = this.extensions.trackUpdate;
    if (trackUpdate) {
      const manager = writeOptions.fieldManager ?? ((request.headers['user-agent'] ?? 'unknown').split('/')[0] || 'unknown');
      writeOptions.trackFields = (r, next, old, sub) => trackUpdate(r, next, old, sub, manager);
    }
    if (resource.namespaced && namespace === undefined && name !== undefined) throw pathNotFound();
    // The all-namespaces collection of a namespaced resource only serves list and watch.
    if (resource.namespaced && namespace === undefined && method !== 'GET') {
      throw methodNotAllowed(`the server does not allow this method on the requested resource`);
    }

    if (method === 'GET' && (route.watchPath || boolParam(query, 'watch'))) {
      if (name !== undefined) {
        const fieldSelector = query.get('fieldSelector');
        query.set('fieldSelector', fieldSelector ? `${fieldSelector},metadata.name=${name}` : `metadata.name=${name}`);
      }
      return this.serveWatch(resource, namespace, query, accept, request, response);
    }
    if (name === undefined) {
      if (method === 'GET') {
        const result = listObjects(this.core, resource, namespace, query);
        if (wantsTable(accept)) {
          const meta: Record<string, unknown> = { resourceVersion: result.resourceVersion };
          if (result.continueToken) meta.continue = result.continueToken;
          if (result.remainingItemCount !== undefined) meta.remainingItemCount = result.remainingItemCount;
          return send(200, toTable(resource, result.items, meta, query.get('includeObject') ?? 'Metadata', this.options.now()));
        }
        return send(200, new RawJson(listJson(resource, result)));
      }
      if (method === 'POST') {
        const body = decodeBody(await readBody(request), request.headers['content-type'] ?? 'application/json');
        const created = this.core.create(resource, namespace, body, writeOptions);
        return send(201, created);
      }
      if (method === 'DELETE') {
        const options = this.deleteOptions(decodeBody(await readBody(request), 'application/json'), query, writeOptions);
        const result = listObjects(this.core, resource, namespace, query);
        const deleted = [];
        for (const item of result.items) {
          try {
            deleted.push(this.core.delete(resource, item.metadata.namespace, item.metadata.name ?? '', options).object);
          } catch (error) {
            if (!(error instanceof ApiError && error.code === 404)) throw error;
          }
        }
        return send(200, listBody(resource, { items: deleted, resourceVersion: String(this.core.store.resourceVersion) }));
      }
      throw methodNotAllowed(`the server does not allow this method on the requested resource`);
    }

    if (method === 'GET') {
      const object = this.core.get(resource, namespace, name);
      if (wantsTable(accept)) {
        return send(200, toTable(resource, [object], { resourceVersion: object.metadata.resourceVersion }, query.get('includeObject') ?? 'Metadata', this.options.now()));
      }
      return send(200, object);
    }
    if (method === 'PUT') {
      const body = decodeBody(await readBody(request), request.headers['content-type'] ?? 'application/json');
      const updated = this.core.update(resource, namespace, name, body, subresource, writeOptions);
      return send(200, updated);
    }
    if (method === 'PATCH') {
      const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
      const body = decodeBody(await readBody(request), contentType);
      return send(200, this.patch(route, contentType, body, query, writeOptions));
    }
    if (method === 'DELETE') {
      if (subresource !== undefined) throw methodNotAllowed('the server does not allow this method on the requested resource');
      const options = this.deleteOptions(decodeBody(await readBody(request), 'application/json'), query, writeOptions);
      const { object, deleted } = this.core.delete(resource, namespace, name, options);
      if (deleted && !resource.custom) {
        const details: Record<string, unknown> = { name, kind: resource.plural, uid: object.metadata.uid };
        if (resource.group) details.group = resource.group;
        return send(200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details });
      }
      const accepted = !deleted && options.propagationPolicy === 'Foreground';
      return send(accepted ? 202 : 200, object);
    }
    throw methodNotAllowed('the server does not allow this method on the requested resource');
  }

  private patch(route: ResourceRoute, contentType: string, body: unknown, query: URLSearchParams, writeOptions: WriteOptions): KubeObject {
    const { resource, namespace, subresource } = route;
    const name = route.name ?? '';
    if (contentType === 'application/apply-patch+yaml' || contentType === 'application/apply-patch+cbor') {
      const fieldManager = query.get('fieldManager');
      if (!fieldManager) {
        throw new ApiError(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch', {
          kind: 'PatchOptions', group: 'meta.k8s.io', causes: [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }],
        });
      }
      if (!this.extensions.apply) throw unsupportedMediaType(contentType);
      let existing: KubeObject | undefined;
      try {
        existing = this.core.get(resource, namespace, name);
      } catch (error) {
        if (!(error instanceof ApiError && error.code === 404)) throw error;
      }
      if (isJsonObject(body) && isJsonObject(body.metadata) && body.metadata.name !== undefined && body.metadata.name !== name) {
        throw badRequest(`the name of the object (${String(body.metadata.name)}) does not match the name on the URL (${name})`);
      }
      const applied = this.extensions.apply(resource, existing, body, fieldManager, boolParam(query, 'force'), subresource);
      if (!existing) {
        if (subresource !== undefined) throw this.notFound(resource, name);
        return this.core.create(resource, namespace, applied, { ...writeOptions, trackFields: undefined });
      }
      return this.core.replace(resource, this.rawExisting(resource, existing), applied, subresource, { ...writeOptions, trackFields: undefined });
    }
    const existing = this.core.get(resource, namespace, name);
    let patched: unknown;
    switch (contentType) {
      case 'application/merge-patch+json':
        patched = mergePatch(existing, body);
        break;
      case 'application/json-patch+json':
        patched = jsonPatch(existing, body);
        break;
      case 'application/strategic-merge-patch+json':
        if (resource.custom) throw unsupportedMediaType(contentType);
        patched = strategicMergePatch(existing, body);
        break;
      default:
        throw unsupportedMediaType(contentType);
    }
    if (isJsonObject(patched) && isJsonObject(patched.metadata) && (patched.metadata.resourceVersion === undefined || patched.metadata.resourceVersion === null)) {
      patched.metadata.resourceVersion = existing.metadata.resourceVersion ?? '';
    }
    return this.core.update(resource, namespace, name, patched, subresource, writeOptions);
  }

  /** The stored object (storage version) behind a presented one. */
  private rawExisting(resource: ResourceInfo, existing: KubeObject): KubeObject {
    return this.core.store.get(storageKey(resource), objectKey(existing.metadata.namespace, existing.metadata.name ?? '')) ?? existing;
  }

  private notFound(resource: ResourceInfo, name: string): ApiError {
    return new ApiError(404, 'NotFound', `${resource.group ? `${resource.plural}.${resource.group}` : resource.plural} "${name}" not found`, { name, kind: resource.plural });
  }

  private deleteOptions(body: unknown, query: URLSearchParams, writeOptions: WriteOptions): DeleteOptions {
    const options: DeleteOptions = { ...writeOptions };
    const fromBody = isJsonObject(body) ? body : {};
    const policy = query.get('propagationPolicy') ?? fromBody.propagationPolicy;
    if (policy !== undefined && policy !== null) {
      if (policy !== 'Background' && policy !== 'Foreground' && policy !== 'Orphan') {
        throw badRequest(`Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan"`);
      }
      options.propagationPolicy = policy as PropagationPolicy;
    } else if (fromBody.orphanDependents === true || query.get('orphanDependents') === 'true') options.propagationPolicy = 'Orphan';
    if (isJsonObject(fromBody.preconditions)) {
      const preconditions: { uid?: string; resourceVersion?: string } = {};
      if (typeof fromBody.preconditions.uid === 'string') preconditions.uid = fromBody.preconditions.uid;
      if (typeof fromBody.preconditions.resourceVersion === 'string') preconditions.resourceVersion = fromBody.preconditions.resourceVersion;
      options.preconditions = preconditions;
    }
    if (Array.isArray(fromBody.dryRun) && fromBody.dryRun.includes('All')) options.dryRun = true;
    return options;
  }

  private serveWatch(resource: ResourceInfo, namespace: string | undefined, query: URLSearchParams, accept: string | undefined, request: IncomingMessage, response: ServerResponse): void {
    const table = wantsTable(accept);
    const render = table
      ? (object: KubeObject): unknown => toTable(resource, [object], { resourceVersion: object.metadata.resourceVersion }, query.get('includeObject') ?? 'Metadata', this.options.now())
      : undefined;
    parseFilter(resource, namespace, query);
    if (query.get('sendInitialEvents') === 'true' && (query.get('resourceVersionMatch') !== 'NotOlderThan' || !boolParam(query, 'allowWatchBookmarks'))) {
      throw badRequest('sendInitialEvents requires resourceVersionMatch=NotOlderThan and allowWatchBookmarks=true');
    }
    response.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    response.flushHeaders();
    const state = this.states.get(request);
    let unregister = (): void => {};
    if (state && this.options.metrics) {
      state.watch = true;
      this.options.metrics.observe(state, 200, (performance.now() - state.start) / 1000);
      unregister = this.options.metrics.watchStarted(state);
    }
    const handle: { stop?: () => void } = {};
    handle.stop = startWatch(
      this.core,
      resource,
      namespace,
      query,
      {
        write: (chunk) => {
          response.write(chunk);
          // Like kube-apiserver with an unresponsive watcher: close it rather than buffer without
          // bound; the client resumes from its last resourceVersion.
          if (response.writableLength > MAX_WATCH_BUFFER_BYTES) handle.stop?.();
        },
        end: () => {
          if (handle.stop) this.activeWatches.delete(handle.stop);
          unregister();
          response.end();
        },
      },
      this.options,
      render,
    );
    if (response.writableEnded) return;
    const stopWatch = handle.stop;
    this.activeWatches.add(stopWatch);
    request.on('close', stopWatch);
    response.on('close', stopWatch);
  }
}
