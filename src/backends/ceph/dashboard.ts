import { describeDashboardError, errorClassForTaskException, type DashboardErrorBody } from './dashboard-errors.js';
import type { ConcurrencyLimiter } from '../http/limiter.js';
import type {
  CephVersion,
  ClusterUsage,
  ImagePage,
  NamespaceUsage,
  Pool,
  PoolCreate,
  PoolQuota,
  PoolUsage,
  RbdImage,
  RbdImageCreate,
  RbdImageDestination,
  RbdMirrorImageMode,
  RbdMirrorPoolMode,
  RbdNamespace,
  RbdSnapshot,
} from './dashboard-types.js';
import { BackendError, BadRequestError, ConflictError, NotFoundError, UnavailableError, TaskFailedError, TimeoutError, UnauthorizedError, UnsupportedError } from './errors.js';
import { assertRbdName, formatImageSpec, type ImageSpec } from './image-spec.js';
import { HttpTransport, headerValue, type HttpMethod, type HttpSender, type QueryValue, type TransportLogger, type TransportResponse } from './transport.js';

/**
 * Client of the Ceph Manager dashboard REST API (written against Ceph 16 pacific).
 * Every endpoint needs a versioned media type in `Accept`; most use v1.0, the image list v2.0.
 * Some writes run as dashboard tasks: the API answers 202 with the task's name and metadata when
 * the task outlives the endpoint's short wait, and the client then polls `/api/task`.
 */

export interface DashboardClientOptions {
  url: string;
  username: string;
  password: string;
  timeoutMs?: number;
  retries?: number;
  retryBaseDelayMs?: number;
  /** Replaces the keep-alive HTTP sender; tests use it to observe the traffic. */
  send?: HttpSender;
  logger?: TransportLogger;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Wall clock in ms, for token expiry. */
  now?: () => number;
  /** Refresh the token this long before its `exp` claim. */
  tokenRefreshMarginMs?: number;
  taskPollIntervalMs?: number;
  taskTimeoutMs?: number;
  /** Shared cap on backend requests in flight (the operator shares one across every client). */
  limiter?: ConcurrencyLimiter;
}

const V1 = 'application/vnd.ceph.api.v1.0+json';
const V2 = 'application/vnd.ceph.api.v2.0+json';

interface CallOptions {
  query?: Record<string, QueryValue>;
  json?: unknown;
  accept?: string;
  idempotent?: boolean;
}

interface TaskRef {
  name: string;
  metadata: Record<string, unknown>;
}

interface TaskEntry extends TaskRef {
  begin_time?: string;
  end_time?: string;
  success?: boolean;
  ret_value?: unknown;
  exception?: DashboardErrorBody | null;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class CephDashboardClient {
  private readonly transport: HttpTransport;
  private readonly username: string;
  private readonly password: string;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly tokenRefreshMarginMs: number;
  private readonly taskPollIntervalMs: number;
  private readonly taskTimeoutMs: number;
  private token: { value: string; expiresAt: number } | undefined;
  private login: Promise<string> | undefined;
  private cachedVersion: CephVersion | undefined;

  constructor(options: DashboardClientOptions) {
    this.transport = new HttpTransport({
      service: 'ceph-dashboard',
      baseUrl: options.url,
      describeError: describeDashboardError,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.retries === undefined ? {} : { retries: options.retries }),
      ...(options.retryBaseDelayMs === undefined ? {} : { retryBaseDelayMs: options.retryBaseDelayMs }),
      ...(options.send ? { send: options.send } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.random ? { random: options.random } : {}),
      ...(options.limiter ? { limiter: options.limiter } : {}),
    });
    this.username = options.username;
    this.password = options.password;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
    this.tokenRefreshMarginMs = options.tokenRefreshMarginMs ?? 60_000;
    this.taskPollIntervalMs = options.taskPollIntervalMs ?? 250;
    this.taskTimeoutMs = options.taskTimeoutMs ?? 120_000;
  }

  /** Releases the client's keep-alive connections. */
  close(): void {
    this.transport.close();
  }

  // --- authentication ---------------------------------------------------------------------------

  /** Logs in (POST /api/auth) unless a token valid beyond the refresh margin is cached. */
  async authenticate(force = false): Promise<void> {
    await this.currentToken(force);
  }

  private async currentToken(force: boolean): Promise<string> {
    if (!force && this.token && this.token.expiresAt - this.tokenRefreshMarginMs > this.now()) return this.token.value;
    this.login ??= this.doLogin().finally(() => {
      this.login = undefined;
    });
    return this.login;
  }

  private async doLogin(): Promise<string> {
    const response = await this.transport.request({
      method: 'POST',
      path: '/api/auth',
      headers: { accept: V1 },
      json: { username: this.username, password: this.password },
      // A login changes nothing that a second login would not; safe to retry.
      idempotent: true,
    });
    const body = response.body as { token?: unknown } | undefined;
    if (!body || typeof body.token !== 'string') {
      throw new UnauthorizedError('ceph-dashboard POST /api/auth: response carried no token', {
        service: 'ceph-dashboard',
        method: 'POST',
        path: '/api/auth',
        status: response.status,
        requestId: response.requestId,
      });
    }
    this.token = { value: body.token, expiresAt: jwtExpiry(body.token) ?? this.now() + 8 * 3600_000 };
    return body.token;
  }

  private async call(method: HttpMethod, path: string, options: CallOptions = {}): Promise<TransportResponse> {
    const send = async (token: string): Promise<TransportResponse> =>
      this.transport.request({
        method,
        path,
        headers: { accept: options.accept ?? V1, authorization: `Bearer ${token}` },
        ...(options.query ? { query: options.query } : {}),
        ...(options.json === undefined ? {} : { json: options.json }),
        ...(options.idempotent === undefined ? {} : { idempotent: options.idempotent }),
      });
    // A failed login propagates as is: repeating it would only count towards the account lockout.
    const token = await this.currentToken(false);
    try {
      return await send(token);
    } catch (error) {
      // 401: the token expired early or was revoked; the request was not executed, so re-login and resend once.
      if (!(error instanceof UnauthorizedError)) throw error;
      this.token = undefined;
      return send(await this.currentToken(true));
    }
  }

  /** Runs a task-backed write and returns the task's value, waiting for it when the API answers 202. */
  private async callTask(method: HttpMethod, path: string, options: CallOptions = {}): Promise<unknown> {
    const response = await this.call(method, path, options);
    if (response.status !== 202) return response.body;
    const ref = response.body as TaskRef | undefined;
    if (!ref || typeof ref.name !== 'string') return response.body;
    return this.waitForTask(ref, method, path);
  }

  private async waitForTask(ref: TaskRef, method: HttpMethod, path: string): Promise<unknown> {
    const outcome = await this.settleTask(ref, method, path);
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  /**
   * Polls `/api/task` until the task with the same name and metadata has finished: its value, or
   * the typed error it failed with. Throws TimeoutError (and transport errors) while it is unknown.
   */
  private async settleTask(ref: TaskRef, method: HttpMethod, path: string): Promise<{ ok: true; value: unknown } | { ok: false; error: BackendError }> {
    const deadline = this.now() + this.taskTimeoutMs;
    const wanted = JSON.stringify(ref.metadata ?? {});
    for (;;) {
      const response = await this.call('GET', '/api/task', { query: { name: ref.name } });
      const body = response.body as { executing_tasks?: TaskEntry[]; finished_tasks?: TaskEntry[] };
      const same = (task: TaskEntry): boolean => task.name === ref.name && JSON.stringify(task.metadata ?? {}) === wanted;
      const executing = (body.executing_tasks ?? []).some(same);
      if (!executing) {
        const finished = (body.finished_tasks ?? []).filter(same).sort((a, b) => (b.end_time ?? '').localeCompare(a.end_time ?? ''))[0];
        if (finished) {
          if (finished.success) return { ok: true, value: finished.ret_value };
          const exception = finished.exception ?? {};
          const ErrorClass = errorClassForTaskException(exception);
          const detail = typeof exception.detail === 'string' ? exception.detail.slice(0, 300) : 'task failed';
          const details = {
            service: 'ceph-dashboard',
            method,
            path,
            ...(typeof exception.status === 'number' ? { status: exception.status } : {}),
            ...(exception.code === undefined || exception.code === null ? {} : { backendCode: String(exception.code) }),
          };
          const error = new ErrorClass(`ceph-dashboard task ${ref.name} failed: ${detail}`, details);
          return { ok: false, error: ErrorClass === BadRequestError ? new TaskFailedError(error.message, details, { cause: error }) : error };
        }
      }
      if (this.now() > deadline) {
        throw new TimeoutError(`ceph-dashboard task ${ref.name} still running after ${this.taskTimeoutMs} ms`, {
          service: 'ceph-dashboard',
          method,
          path,
        });
      }
      await this.sleep(this.taskPollIntervalMs);
    }
  }

  // --- cluster ----------------------------------------------------------------------------------

  async version(): Promise<CephVersion> {
    if (this.cachedVersion) return this.cachedVersion;
    const response = await this.call('GET', '/api/summary');
    const text = String((response.body as { version?: unknown }).version ?? '');
    this.cachedVersion = parseCephVersion(text);
    return this.cachedVersion;
  }

  /** Cluster and per-pool usage from `/api/health/full` (`df`): current values, unlike `/api/pool?stats=true`. */
  async clusterUsage(): Promise<ClusterUsage> {
    const response = await this.call('GET', '/api/health/full');
    const df = (response.body as { df?: DfBody }).df;
    if (!df) {
      throw new BadRequestError('ceph-dashboard GET /api/health/full: no df section (does the user lack the pool read permission?)', {
        service: 'ceph-dashboard',
        method: 'GET',
        path: '/api/health/full',
        requestId: response.requestId,
      });
    }
    return {
      totalBytes: num(df.stats?.total_bytes),
      availBytes: num(df.stats?.total_avail_bytes),
      usedRawBytes: num(df.stats?.total_used_raw_bytes),
      pools: (df.pools ?? []).map(toPoolUsage),
    };
  }

  async poolUsage(pool: string): Promise<PoolUsage> {
    const usage = (await this.clusterUsage()).pools.find((entry) => entry.name === pool);
    if (!usage) throw notFound(`pool ${pool} not found in cluster usage`, '/api/health/full');
    return usage;
  }

  // --- pools ------------------------------------------------------------------------------------

  async listPools(): Promise<Pool[]> {
    const response = await this.call('GET', '/api/pool');
    return (response.body as PoolBody[]).map(toPool);
  }

  async getPool(name: string): Promise<Pool> {
    assertRbdName('pool', name);
    const response = await this.call('GET', `/api/pool/${encodeURIComponent(name)}`);
    return toPool(response.body as PoolBody);
  }

  /** Creates a replicated pool. Ceph treats creating an existing pool as success (and applies the quota). */
  async createPool(request: PoolCreate): Promise<void> {
    assertRbdName('pool', request.name);
    assertQuota('quotaMaxBytes', request.quotaMaxBytes);
    assertQuota('quotaMaxObjects', request.quotaMaxObjects);
    await this.callTask('POST', '/api/pool', {
      json: {
        pool: request.name,
        pg_num: request.pgNum ?? 8,
        pool_type: 'replicated',
        application_metadata: request.applications ?? ['rbd'],
        ...(request.quotaMaxBytes === undefined ? {} : { quota_max_bytes: request.quotaMaxBytes }),
        ...(request.quotaMaxObjects === undefined ? {} : { quota_max_objects: request.quotaMaxObjects }),
      },
      // Creating an existing pool succeeds in Ceph, so a retry after a lost response is safe.
      idempotent: true,
    });
  }

  /** Sets the pool quota; 0 removes a limit. */
  async setPoolQuota(name: string, quota: PoolQuota): Promise<void> {
    assertRbdName('pool', name);
    assertQuota('maxBytes', quota.maxBytes);
    assertQuota('maxObjects', quota.maxObjects);
    const json: Record<string, number> = {};
    if (quota.maxBytes !== undefined) json['quota_max_bytes'] = quota.maxBytes;
    if (quota.maxObjects !== undefined) json['quota_max_objects'] = quota.maxObjects;
    await this.callTask('PUT', `/api/pool/${encodeURIComponent(name)}`, { json });
  }

  /** Deletes a pool and all its data (the cluster must allow pool deletion). */
  async deletePool(name: string): Promise<void> {
    assertRbdName('pool', name);
    await this.callTask('DELETE', `/api/pool/${encodeURIComponent(name)}`);
  }

  // --- RBD namespaces ---------------------------------------------------------------------------

  async listNamespaces(pool: string): Promise<RbdNamespace[]> {
    assertRbdName('pool', pool);
    const response = await this.call('GET', `/api/block/pool/${encodeURIComponent(pool)}/namespace`);
    return (response.body as { namespace: string; num_images: number }[]).map((entry) => ({
      namespace: entry.namespace,
      numImages: entry.num_images,
    }));
  }

  /** Creates a namespace; ConflictError when it exists, NotFoundError when the pool does not. */
  async createNamespace(pool: string, namespace: string): Promise<void> {
    assertRbdName('pool', pool);
    assertRbdName('namespace', namespace);
    await this.call('POST', `/api/block/pool/${encodeURIComponent(pool)}/namespace`, { json: { namespace } });
  }

  /** Creates the namespace unless it exists. */
  async ensureNamespace(pool: string, namespace: string): Promise<'created' | 'exists'> {
    try {
      await this.createNamespace(pool, namespace);
      return 'created';
    } catch (error) {
      if (error instanceof BackendError && error.name === 'ConflictError') return 'exists';
      throw error;
    }
  }

  /**
   * Deletes an empty namespace; ConflictError while it holds images. The dashboard checks for
   * images through its 30 s name cache and, when that misses new images, librbd's refusal surfaces
   * as a bare 500: the client then checks whether the namespace still exists.
   */
  async deleteNamespace(pool: string, namespace: string): Promise<void> {
    assertRbdName('pool', pool);
    assertRbdName('namespace', namespace);
    const path = `/api/block/pool/${encodeURIComponent(pool)}/namespace/${encodeURIComponent(namespace)}`;
    try {
      await this.call('DELETE', path);
    } catch (error) {
      if (!(error instanceof UnavailableError) || error.status !== 500) throw error;
      const stillThere = (await this.listNamespaces(pool)).some((entry) => entry.namespace === namespace);
      if (!stillThere) throw error;
      throw new ConflictError(
        `ceph-dashboard DELETE ${path}: namespace ${pool}/${namespace} could not be removed; it still holds images`,
        { service: 'ceph-dashboard', method: 'DELETE', path, status: 500, ...(error.requestId ? { requestId: error.requestId } : {}), backendCode: 'namespace_contains_images' },
        { cause: error },
      );
    }
  }

  // --- RBD images -------------------------------------------------------------------------------

  async createImage(request: RbdImageCreate): Promise<void> {
    assertRbdName('pool', request.pool);
    if (request.namespace) assertRbdName('namespace', request.namespace);
    assertRbdName('image', request.name);
    if (!Number.isSafeInteger(request.sizeBytes) || request.sizeBytes <= 0) {
      throw new RangeError(`image size must be a positive integer number of bytes, got ${request.sizeBytes}`);
    }
    await this.callTask('POST', '/api/block/image', {
      json: {
        name: request.name,
        pool_name: request.pool,
        namespace: request.namespace || null,
        size: request.sizeBytes,
        ...(request.objectSizeBytes === undefined ? {} : { obj_size: request.objectSizeBytes }),
        ...(request.features === undefined ? {} : { features: request.features }),
      },
    });
  }

  async getImage(spec: ImageSpec, options: { omitUsage?: boolean } = {}): Promise<RbdImage> {
    const response = await this.call('GET', imagePath(spec), {
      ...(options.omitUsage ? { query: { omit_usage: 'true' } } : {}),
    });
    return toImage(response.body as ImageBody);
  }

  /**
   * Resizes an image. Ceph itself shrinks images (destroying data past the new end), so shrinking
   * must be asked for explicitly.
   */
  async resizeImage(spec: ImageSpec, sizeBytes: number, options: { allowShrink?: boolean } = {}): Promise<void> {
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0) {
      throw new RangeError(`image size must be a positive integer number of bytes, got ${sizeBytes}`);
    }
    if (!options.allowShrink) {
      const current = await this.getImage(spec, { omitUsage: true });
      if (sizeBytes < current.sizeBytes) {
        throw new BadRequestError(
          `refusing to shrink ${formatImageSpec(spec)} from ${current.sizeBytes} to ${sizeBytes} bytes (data past the new end would be lost)`,
          { service: 'ceph-dashboard', method: 'PUT', path: imagePath(spec) },
        );
      }
      if (sizeBytes === current.sizeBytes) return;
    }
    await this.callTask('PUT', imagePath(spec), { json: { size: sizeBytes } });
  }

  /** Deletes an image and its snapshots. */
  async deleteImage(spec: ImageSpec): Promise<void> {
    await this.callTask('DELETE', imagePath(spec));
  }

  /**
   * Takes a snapshot of the image (task `rbd/snap/create`). ConflictError when a snapshot of that
   * name exists, NotFoundError when the image does not.
   *
   * Ceph 16.2.15 requires `mirrorImageSnapshot` in the body (a bare 500 without it; `true` takes a
   * mirror snapshot instead on snapshot-mirrored images). Older pacific releases lack the argument
   * and refuse it with a 500 "unexpected keyword argument": the client then sends the body without it.
   */
  async createSnapshot(spec: ImageSpec, name: string): Promise<void> {
    assertRbdName('snapshot', name);
    const path = `${imagePath(spec)}/snap`;
    try {
      await this.callTask('POST', path, { json: { snapshot_name: name, mirrorImageSnapshot: false } });
    } catch (error) {
      if (!(error instanceof BackendError) || error.status !== 500 || !error.message.includes("unexpected keyword argument 'mirrorImageSnapshot'")) throw error;
      await this.callTask('POST', path, { json: { snapshot_name: name } });
    }
  }

  /**
   * Copies the image (its head, or its state at `snapshot`) into a new image: a full, independent
   * copy with the source's size, features and object size, without the source's snapshots (task
   * `rbd/copy`). ConflictError when the destination exists; NotFoundError when the source, the
   * snapshot or the destination's pool or namespace does not. librbd creates the destination first
   * and then fills it, so a copy that dies half way leaves a torn image behind: copy to a
   * temporary name and rename it when this resolves.
   */
  async copyImage(source: ImageSpec, dest: RbdImageDestination, options: { snapshot?: string } = {}): Promise<void> {
    assertDestination(dest);
    if (options.snapshot !== undefined) assertRbdName('snapshot', options.snapshot);
    await this.callTask('POST', `${imagePath(source)}/copy`, {
      json: {
        dest_pool_name: dest.pool,
        dest_namespace: dest.namespace || null,
        dest_image_name: dest.name,
        ...(options.snapshot === undefined ? {} : { snapshot_name: options.snapshot }),
      },
    });
  }

  /**
   * Waits for a copy from `source` to `dest` that the dashboard is still running as a task (one
   * an earlier process started and did not see finish): `none` when no such copy is running,
   * `succeeded` when it finished and the destination is complete, `failed` (with the task's error)
   * when it finished without completing the destination. Throws TimeoutError while it keeps running.
   */
  async awaitRunningCopy(source: ImageSpec, dest: RbdImageDestination): Promise<{ state: 'none' | 'succeeded' } | { state: 'failed'; error: BackendError }> {
    assertDestination(dest);
    const path = `${imagePath(source)}/copy`;
    const response = await this.call('GET', '/api/task', { query: { name: 'rbd/copy' } });
    const body = response.body as { executing_tasks?: TaskEntry[] };
    const running = (body.executing_tasks ?? []).find((task) => {
      const metadata = task.metadata ?? {};
      return (
        task.name === 'rbd/copy' &&
        metadata['src_image_spec'] === formatImageSpec(source) &&
        metadata['dest_pool_name'] === dest.pool &&
        (metadata['dest_namespace'] ?? '') === (dest.namespace ?? '') &&
        metadata['dest_image_name'] === dest.name
      );
    });
    if (!running) return { state: 'none' };
    const outcome = await this.settleTask({ name: running.name, metadata: running.metadata }, 'POST', path);
    return outcome.ok ? { state: 'succeeded' } : { state: 'failed', error: outcome.error };
  }

  /**
   * Renames an image within its pool and namespace (task `rbd/edit`). ConflictError when the new
   * name is taken, NotFoundError when the image does not exist. Not retried by the transport: a
   * repeated rename after a lost answer would fail with NotFoundError although the first one worked.
   */
  async renameImage(spec: ImageSpec, newName: string): Promise<void> {
    assertRbdName('image', newName);
    await this.callTask('PUT', imagePath(spec), { json: { name: newName }, idempotent: false });
  }

  /**
   * One page of a pool's images (API v2.0), sorted by name. The dashboard caches the pool's image
   * names for up to 30 s, so an image created moments ago may be missing from a listing; reading
   * an image by name is always current.
   */
  async listImages(query: { pool: string; offset?: number; limit?: number; search?: string }): Promise<ImagePage> {
    assertRbdName('pool', query.pool);
    const response = await this.call('GET', '/api/block/image', {
      accept: V2,
      query: {
        pool_name: query.pool,
        offset: query.offset ?? 0,
        limit: query.limit ?? 100,
        ...(query.search ? { search: query.search } : {}),
      },
    });
    const pools = response.body as { pool_name: string; value: ImageBody[] }[];
    const total = Number(headerValue(response.headers, 'x-total-count') ?? '0');
    return { images: pools.flatMap((pool) => pool.value.map(toImage)), total };
  }

  /** All images in a pool, or only those in one namespace (empty string: the default namespace). */
  async listAllImages(pool: string, namespace?: string, pageSize = 100): Promise<RbdImage[]> {
    const images: RbdImage[] = [];
    for (let offset = 0; ; offset += pageSize) {
      const page = await this.listImages({ pool, offset, limit: pageSize, ...(namespace ? { search: namespace } : {}) });
      images.push(...page.images);
      // Pages can be short while the dashboard's cached names still list deleted images: stop on the total.
      if (offset + pageSize >= page.total) break;
    }
    return namespace === undefined ? images : images.filter((image) => image.namespace === namespace);
  }

  /** Bytes actually used by an agency's images: the sum of per-image usage over one namespace. */
  async namespaceUsage(pool: string, namespace: string): Promise<NamespaceUsage> {
    const images = await this.listAllImages(pool, namespace);
    let usedBytes = 0;
    let provisionedBytes = 0;
    const unknown: string[] = [];
    for (const image of images) {
      provisionedBytes += image.sizeBytes;
      if (image.usedBytes === null) unknown.push(image.name);
      else usedBytes += image.usedBytes;
    }
    return { pool, namespace, images: images.length, provisionedBytes, usedBytes, imagesWithUnknownUsage: unknown };
  }

  // --- RBD mirroring ----------------------------------------------------------------------------

  async getMirrorSiteName(): Promise<string> {
    const response = await this.call('GET', '/api/block/mirroring/site_name');
    return String((response.body as { site_name?: unknown }).site_name ?? '');
  }

  async setMirrorSiteName(siteName: string): Promise<void> {
    await this.call('PUT', '/api/block/mirroring/site_name', { json: { site_name: siteName } });
  }

  async getPoolMirrorMode(pool: string): Promise<RbdMirrorPoolMode> {
    assertRbdName('pool', pool);
    const response = await this.call('GET', `/api/block/mirroring/pool/${encodeURIComponent(pool)}`);
    return (response.body as { mirror_mode: RbdMirrorPoolMode }).mirror_mode;
  }

  async setPoolMirrorMode(pool: string, mode: RbdMirrorPoolMode): Promise<void> {
    assertRbdName('pool', pool);
    await this.callTask('PUT', `/api/block/mirroring/pool/${encodeURIComponent(pool)}`, { json: { mirror_mode: mode } });
  }

  /**
   * Per-namespace mirror mode. The dashboard API of Ceph 16 (pacific) and 17 (quincy) only sets a
   * pool's mode, and images in a namespace whose mode is disabled cannot be mirrored through it.
   */
  async setNamespaceMirrorMode(pool: string, namespace: string, mode: RbdMirrorPoolMode): Promise<void> {
    const version = await this.version();
    throw new UnsupportedError(
      `setting the RBD mirror mode of namespace ${pool}/${namespace} to ${mode} is unsupported by this Ceph version ` +
        `(${version.major}.${version.minor}.${version.patch} ${version.release}): its dashboard API sets pool-level mirror modes only; ` +
        `use "rbd mirror pool enable ${pool}/${namespace} ${mode}" on a Ceph host`,
      { service: 'ceph-dashboard', method: 'PUT', path: `/api/block/mirroring/pool/${pool}` },
    );
  }

  /** Enables mirroring of one image; the pool's mirror mode must be `image`. */
  async enableImageMirroring(spec: ImageSpec, mode: RbdMirrorImageMode, snapshotScheduleInterval?: string): Promise<void> {
    try {
      await this.callTask('PUT', imagePath(spec), {
        json: {
          enable_mirror: true,
          mirror_mode: mode,
          ...(snapshotScheduleInterval ? { schedule_interval: snapshotScheduleInterval } : {}),
        },
      });
    } catch (error) {
      if (spec.namespace && error instanceof BackendError && error.backendCode === '22') {
        const version = await this.version();
        throw new UnsupportedError(
          `mirroring image ${formatImageSpec(spec)} failed with EINVAL: in Ceph ${version.major} (${version.release}) images in a ` +
            `namespace can only be mirrored after the namespace's mirror mode is set, which this dashboard API does not offer`,
          { service: 'ceph-dashboard', method: 'PUT', path: imagePath(spec), backendCode: '22' },
          { cause: error },
        );
      }
      throw error;
    }
  }

  async disableImageMirroring(spec: ImageSpec): Promise<void> {
    await this.callTask('PUT', imagePath(spec), { json: { enable_mirror: false } });
  }
}

// --- wire shapes and mapping --------------------------------------------------------------------

interface PoolBody {
  pool_name: string;
  pool: number;
  type: string;
  size: number;
  min_size: number;
  pg_num: number;
  application_metadata?: string[];
  quota_max_bytes?: number;
  quota_max_objects?: number;
}

interface ImageBody {
  name: string;
  pool_name: string;
  namespace: string | null;
  id: string;
  size: number;
  obj_size: number;
  features_name?: string[];
  disk_usage?: number | null;
  total_disk_usage?: number | null;
  mirror_mode?: string;
  timestamp?: string;
  snapshots?: SnapshotBody[];
}

interface SnapshotBody {
  id: number;
  name: string;
  size: number;
  timestamp?: string;
  is_protected?: boolean | null;
  disk_usage?: number | null;
  children?: { pool_name: string; image_name: string }[];
}

interface DfBody {
  stats?: { total_bytes?: number; total_avail_bytes?: number; total_used_raw_bytes?: number };
  pools?: {
    name: string;
    id: number;
    stats?: {
      stored?: number;
      bytes_used?: number;
      objects?: number;
      max_avail?: number;
      quota_bytes?: number;
      quota_objects?: number;
    };
  }[];
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function toPool(body: PoolBody): Pool {
  return {
    name: body.pool_name,
    id: body.pool,
    type: body.type,
    size: body.size,
    minSize: body.min_size,
    pgNum: body.pg_num,
    applications: body.application_metadata ?? [],
    quotaMaxBytes: body.quota_max_bytes ?? 0,
    quotaMaxObjects: body.quota_max_objects ?? 0,
  };
}

function toPoolUsage(pool: NonNullable<DfBody['pools']>[number]): PoolUsage {
  return {
    name: pool.name,
    id: pool.id,
    storedBytes: num(pool.stats?.stored),
    usedBytes: num(pool.stats?.bytes_used),
    objects: num(pool.stats?.objects),
    maxAvailBytes: num(pool.stats?.max_avail),
    quotaBytes: num(pool.stats?.quota_bytes),
    quotaObjects: num(pool.stats?.quota_objects),
  };
}

function toImage(body: ImageBody): RbdImage {
  return {
    pool: body.pool_name,
    namespace: body.namespace ?? '',
    name: body.name,
    id: body.id,
    sizeBytes: body.size,
    objectSizeBytes: body.obj_size,
    features: body.features_name ?? [],
    usedBytes: typeof body.disk_usage === 'number' ? body.disk_usage : null,
    totalUsedBytes: typeof body.total_disk_usage === 'number' ? body.total_disk_usage : null,
    mirrorMode: body.mirror_mode ?? 'unknown',
    createdAt: body.timestamp ?? '',
    snapshots: (body.snapshots ?? []).map(toSnapshot).sort((a, b) => a.id - b.id),
  };
}

function toSnapshot(body: SnapshotBody): RbdSnapshot {
  return {
    name: body.name,
    id: body.id,
    sizeBytes: body.size,
    createdAt: body.timestamp ?? '',
    isProtected: body.is_protected === true,
    usedBytes: typeof body.disk_usage === 'number' ? body.disk_usage : null,
    children: (body.children ?? []).map((child) => ({ pool: child.pool_name, name: child.image_name })),
  };
}

function imagePath(spec: ImageSpec): string {
  assertRbdName('pool', spec.pool);
  if (spec.namespace) assertRbdName('namespace', spec.namespace);
  assertRbdName('image', spec.name);
  return `/api/block/image/${encodeURIComponent(formatImageSpec(spec))}`;
}

function assertDestination(dest: RbdImageDestination): void {
  assertRbdName('pool', dest.pool);
  if (dest.namespace) assertRbdName('namespace', dest.namespace);
  assertRbdName('image', dest.name);
}

/** Ceph parses quotas as non-negative integers (0 = no limit). */
function assertQuota(field: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
    throw new RangeError(`${field} must be a non-negative integer (0 for no limit), got ${value}`);
  }
}

function notFound(message: string, path: string): NotFoundError {
  return new NotFoundError(message, { service: 'ceph-dashboard', method: 'GET', path });
}

export function parseCephVersion(text: string): CephVersion {
  const match = /ceph version (\d+)\.(\d+)\.(\d+)\S*(?: \([0-9a-f]+\))? ?(\w+)?/.exec(text);
  if (!match) return { text, major: 0, minor: 0, patch: 0, release: 'unknown' };
  return {
    text,
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3]),
    release: match[4] ?? 'unknown',
  };
}

/** The `exp` claim of a JWT in ms, without verifying it (the server does). */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
