import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { CephErrnoError, CephNotFoundError, type SimCluster, type SimImage, type SimPool } from './cluster.js';
import { SimHttpError, type SimRequest, type SimResponse } from './http-util.js';

/**
 * The Ceph Manager dashboard REST API (Ceph 16.2 pacific) over a SimCluster: same paths, versioned
 * media types, status codes and error bodies as the real one, including its asynchronous tasks
 * (202 while a task outlives the endpoint's wait) and the 30 s cache behind image listings.
 */

export interface DashboardSimOptions {
  users: Record<string, string>;
  now: () => number;
  version: string;
  /** JWT lifetime (`jwt_token_ttl`), 8 h like Ceph. */
  tokenTtlMs?: number;
  /** How long the dashboard caches a pool's namespace and image names (30 s in Ceph 16). */
  imageListCacheTtlMs?: number;
  /** How long task-backed writes take; over the endpoint's wait they answer 202. */
  taskDurationMs?: number;
  /** Replaces every endpoint's task wait (2-5 s in Ceph), so tests can see 202 quickly. */
  taskWaitMs?: number;
  /**
   * Whether snapshot creation takes (and requires) `mirrorImageSnapshot`, as in 16.2.15 (default);
   * false answers like older pacific releases, which refuse the argument.
   */
  snapshotMirrorArgument?: boolean;
}

interface TaskRecord {
  name: string;
  metadata: Record<string, unknown>;
  begin_time: string;
  end_time?: string;
  duration?: number;
  progress: number;
  success?: boolean;
  ret_value?: unknown;
  exception?: Record<string, unknown> | null;
}

const MAX_FINISHED_TASKS = 200;
const FINISHED_TASK_TTL_MS = 60_000;

const rejectStatus = (status: number): string =>
  ({ 401: '401 Unauthorized', 404: '404 Not Found', 415: '415 Unsupported Media Type', 500: '500 Internal Server Error' })[status] ??
  `${status}`;

/** The body cherrypy sends for its own HTTP errors. */
export function cherrypyErrorBody(status: number, detail: string): unknown {
  return { status: rejectStatus(status), detail, request_id: randomUUID() };
}

function cherrypyError(status: number, detail: string): SimHttpError {
  return new SimHttpError(status, cherrypyErrorBody(status, detail));
}

/** A Python TypeError inside a task (a handler called with an argument it does not take): a 500 with the task. */
class PythonTypeError extends Error {}

const internalError = (): SimHttpError =>
  cherrypyError(500, 'The server encountered an unexpected condition which prevented it from fulfilling the request.');

export class DashboardApi {
  private readonly secret = randomBytes(32);
  private readonly revoked = new Set<string>();
  private readonly executing: TaskRecord[] = [];
  private finished: TaskRecord[] = [];
  private readonly refsCache = new Map<string, { at: number; names: string[] }>();
  private readonly namespaceCache = new Map<string, { at: number; namespaces: string[] }>();
  /** Requests served, by endpoint class (for tests and benchmarks). */
  readonly counts = new Map<string, number>();

  constructor(
    private readonly cluster: SimCluster,
    private readonly options: DashboardSimOptions,
  ) {}

  get taskDurationMs(): number {
    return this.options.taskDurationMs ?? 0;
  }

  set taskDurationMs(value: number) {
    this.options.taskDurationMs = value;
  }

  async handle(request: SimRequest): Promise<SimResponse> {
    const path = request.path.replace(/\/+$/, '');
    const { method } = request;
    this.counts.set(`${method} ${path.split('/').slice(0, 4).join('/')}`, (this.counts.get(`${method} ${path.split('/').slice(0, 4).join('/')}`) ?? 0) + 1);
    if (!path.startsWith('/api/')) throw cherrypyError(404, `The path '${path}' was not found.`);

    if (path === '/api/auth' && method === 'POST') {
      this.requireVersion(request, '1.0');
      return this.login(request);
    }
    this.authenticate(request);

    const segments = path.split('/').slice(2).map(decodeURIComponent);
    const [resource, second, third, fourth, fifth] = segments;

    if (resource === 'summary' && method === 'GET' && segments.length === 1) {
      this.requireVersion(request, '1.0');
      return ok({ health_status: 'HEALTH_OK', mgr_id: 'x', mgr_host: '127.0.0.1', have_mon_connection: true, executing_tasks: this.executing, finished_tasks: [], version: this.options.version });
    }
    if (resource === 'health' && method === 'GET' && (second === 'full' || second === 'minimal') && segments.length === 2) {
      this.requireVersion(request, '1.0');
      return ok(this.health(second === 'full'));
    }
    if (resource === 'task' && method === 'GET' && segments.length === 1) {
      this.requireVersion(request, '1.0');
      return ok(this.taskList(request.query.get('name')));
    }
    if (resource === 'pool') return this.pools(request, method, second, segments.length);
    if (resource === 'block' && second === 'image') {
      if (segments.length === 2) return method === 'GET' ? this.listImages(request) : this.createImageTask(request, method);
      if (segments.length === 3 && third !== undefined) return this.image(request, method, third);
      if (segments.length === 4 && third !== undefined && fourth === 'copy' && method === 'POST') return this.copyImage(request, third);
      if (segments.length === 4 && third !== undefined && fourth === 'snap' && method === 'POST') return this.createSnapshot(request, third);
    }
    if (resource === 'block' && second === 'pool' && third !== undefined && fourth === 'namespace') {
      this.requireVersion(request, '1.0');
      return this.namespaces(request, method, third, fifth, segments.length);
    }
    if (resource === 'block' && second === 'mirroring') return this.mirroring(request, method, segments.slice(2));
    throw cherrypyError(404, `The path '${path}' was not found.`);
  }

  // --- auth -------------------------------------------------------------------------------------

  private login(request: SimRequest): SimResponse {
    const body = parseJson(request) as { username?: string; password?: string };
    const username = body.username ?? '';
    const expected = this.options.users[username];
    if (expected === undefined || expected !== body.password) {
      throw new SimHttpError(400, { detail: 'Invalid credentials', code: 'invalid_credentials', component: 'auth' });
    }
    const nowSeconds = Math.floor(this.options.now() / 1000);
    const ttlSeconds = Math.floor((this.options.tokenTtlMs ?? 8 * 3600_000) / 1000);
    const token = this.signJwt({ username, jti: randomUUID(), exp: nowSeconds + ttlSeconds, iat: nowSeconds, iss: 'ceph-dashboard' });
    return { status: 201, body: { token, username, permissions: allPermissions(), pwdExpirationDate: null, sso: false, pwdUpdateRequired: false } };
  }

  /** Revokes a token (what `/api/auth/logout` or a password change does); for tests. */
  revoke(token: string): void {
    this.revoked.add(token);
  }

  private signJwt(claims: Record<string, unknown>): string {
    const header = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'HS256' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    const signature = createHmac('sha256', this.secret).update(`${header}.${payload}`).digest('base64url');
    return `${header}.${payload}.${signature}`;
  }

  private authenticate(request: SimRequest): void {
    const unauthorized = cherrypyError(401, 'You are not authorized to access that resource');
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    const [head, payload, signature] = token.split('.');
    if (!head || !payload || !signature || this.revoked.has(token)) throw unauthorized;
    const expected = createHmac('sha256', this.secret).update(`${head}.${payload}`).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw unauthorized;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp: number };
    if (claims.exp * 1000 <= this.options.now()) throw unauthorized;
  }

  private requireVersion(request: SimRequest, endpointVersion: '1.0' | '2.0'): void {
    const accept = request.headers.accept ?? '';
    const match = /^application\/vnd\.ceph\.api\.v(\d+)\.(\d+)\+json$/.exec(accept);
    if (!match) throw cherrypyError(415, 'Unable to find version in request header');
    const [major, minor] = endpointVersion.split('.').map(Number) as [number, number];
    if (Number(match[1]) !== major || Number(match[2]) > minor) {
      throw cherrypyError(415, `Incorrect version: endpoint is '${endpointVersion}', client requested '${match[1]}.${match[2]}'`);
    }
  }

  // --- tasks ------------------------------------------------------------------------------------

  /**
   * Runs a task-backed write like the dashboard's `@Task` decorator: the answer is the value when
   * the task ends within `waitForMs`, 202 with name and metadata otherwise, and a failed task's
   * error body carries the task.
   */
  private async runTask(
    name: string,
    metadata: Record<string, unknown>,
    waitForMs: number,
    okStatus: number,
    work: () => unknown,
    /** What happens at once, before the task's duration (librbd creating a copy's destination). */
    begin?: () => void,
  ): Promise<SimResponse> {
    const record: TaskRecord = { name, metadata, begin_time: new Date(this.options.now()).toISOString().replace('Z', '000Z'), progress: 0 };
    let rawError: unknown;
    let beginError: { error: unknown } | undefined;
    try {
      begin?.();
    } catch (error) {
      beginError = { error };
    }
    const finish = (): void => {
      try {
        if (beginError) throw beginError.error;
        record.ret_value = work() ?? null;
        record.success = true;
        record.exception = null;
      } catch (error) {
        rawError = error;
        record.success = false;
        record.ret_value = null;
        record.exception = this.taskException(error, record);
      }
      const end = this.options.now();
      record.end_time = new Date(end).toISOString().replace('Z', '000Z');
      record.duration = (end - Date.parse(record.begin_time)) / 1000;
      record.progress = 100;
      const index = this.executing.indexOf(record);
      if (index >= 0) this.executing.splice(index, 1);
      this.finished = [record, ...this.finished.filter((task) => Date.parse(task.end_time ?? '') > end - FINISHED_TASK_TTL_MS)].slice(0, MAX_FINISHED_TASKS);
    };
    const duration = beginError ? 0 : this.taskDurationMs;
    if (duration > (this.options.taskWaitMs ?? waitForMs)) {
      this.executing.push(record);
      setTimeout(finish, duration).unref();
      return { status: 202, body: { name, metadata } };
    }
    if (duration > 0) await new Promise((resolve) => setTimeout(resolve, duration));
    finish();
    if (record.success) return { status: okStatus, body: record.ret_value ?? null };
    // cherrypy's own HTTP errors pass through the task wrapper unchanged.
    if (rawError instanceof SimHttpError) throw rawError;
    const exception = record.exception as { status?: number };
    throw new SimHttpError(exception.status ?? 500, record.exception);
  }

  private taskException(error: unknown, record: TaskRecord): Record<string, unknown> {
    const task = { name: record.name, metadata: record.metadata };
    if (error instanceof CephErrnoError) {
      return { detail: `[errno ${error.errno}] ${error.message}`, code: String(error.errno), component: error.component, status: 400, task };
    }
    if (error instanceof CephNotFoundError) {
      return { detail: `(404, '${error.message}')`, code: 404, component: null, status: 404, task };
    }
    if (error instanceof PythonTypeError) return { detail: error.message, component: null, status: 500, task };
    if (error instanceof SimHttpError) {
      const body = error.body as Record<string, unknown>;
      return { ...body, status: error.status, task };
    }
    return { detail: String(error), code: null, component: null, status: 500, task };
  }

  private taskList(name: string | null): unknown {
    const matches = (task: TaskRecord): boolean => name === null || task.name === name;
    const cutoff = this.options.now() - FINISHED_TASK_TTL_MS;
    return {
      executing_tasks: this.executing.filter(matches).map((task) => ({ name: task.name, metadata: task.metadata, begin_time: task.begin_time, progress: task.progress })),
      finished_tasks: this.finished.filter((task) => matches(task) && Date.parse(task.end_time ?? '') > cutoff),
    };
  }

  // --- pools ------------------------------------------------------------------------------------

  private async pools(request: SimRequest, method: string, name: string | undefined, length: number): Promise<SimResponse> {
    this.requireVersion(request, '1.0');
    const stats = request.query.get('stats') === 'true';
    if (length === 1 && method === 'GET') return ok([...this.cluster.pools.values()].map((pool) => this.serializePool(pool, stats)));
    if (length === 1 && method === 'POST') {
      const body = parseJson(request) as Record<string, unknown>;
      if (typeof body['pool'] !== 'string' || body['pg_num'] === undefined || body['pool_type'] === undefined) throw internalError();
      const poolName = body['pool'];
      return this.runTask('pool/create', { pool_name: poolName }, 2000, 201, () => {
        const pool = this.cluster.createPool(poolName, Number(body['pg_num']), []);
        this.applyPoolValues(pool, body, false);
        return null;
      });
    }
    if (length === 2 && name !== undefined) {
      if (method === 'GET') return ok({ ...this.serializePool(this.dashboardPool(name), stats), configuration: [] });
      if (method === 'PUT') {
        const body = parseJson(request) as Record<string, unknown>;
        return this.runTask('pool/edit', { pool_name: name }, 2000, 200, () => {
          this.applyPoolValues(this.dashboardPool(name), body, true);
          return null;
        });
      }
      if (method === 'DELETE') {
        return this.runTask('pool/delete', { pool_name: name }, 2000, 204, () => {
          this.cluster.deletePool(name);
          return null;
        });
      }
    }
    throw cherrypyError(404, `The path '${request.path}' was not found.`);
  }

  private dashboardPool(name: string): SimPool {
    try {
      return this.cluster.poolForDashboard(name);
    } catch (error) {
      if (error instanceof CephNotFoundError) throw cherrypyError(404, error.message);
      throw error;
    }
  }

  private applyPoolValues(pool: SimPool, body: Record<string, unknown>, updateExisting: boolean): void {
    const applications = body['application_metadata'];
    if (Array.isArray(applications)) {
      const wanted = new Set(applications.map(String));
      if (updateExisting) for (const app of pool.applications) if (!wanted.has(app)) pool.applications.delete(app);
      for (const app of wanted) pool.applications.add(app);
    }
    // `osd pool set-quota` parses with strict_iecstrtoll (bytes) / strict_sistrtoll (objects).
    for (const [field, parser] of [['quota_max_objects', 'strict_sistrtoll'], ['quota_max_bytes', 'strict_iecstrtoll']] as const) {
      const value = body[field];
      if (value === undefined || value === null) continue;
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < 0) {
        throw new SimHttpError(400, {
          detail: `[errno -22] error parsing value '${String(value)}': ${parser}: ${parsed < 0 ? 'value should not be negative' : 'expected integer'}`,
          code: updateExisting ? 'SendCommandError' : '22',
          component: updateExisting ? null : 'pool',
        });
      }
      if (field === 'quota_max_bytes') pool.quotaMaxBytes = parsed;
      else pool.quotaMaxObjects = parsed;
    }
    const known = new Set(['pool', 'pg_num', 'pool_type', 'application_metadata', 'quota_max_bytes', 'quota_max_objects', 'flags', 'configuration', 'erasure_code_profile', 'rule_name']);
    for (const [key, value] of Object.entries(body)) {
      if (known.has(key)) continue;
      if (key === 'size' && Number(value) === 1) {
        throw new SimHttpError(400, {
          detail:
            '[errno -1] WARNING: setting pool size 1 could lead to data loss without recovery. If you are *ABSOLUTELY CERTAIN* that is what you want, pass the flag --yes-i-really-mean-it.',
          code: '1',
          component: 'pool',
        });
      }
    }
  }

  private serializePool(pool: SimPool, stats: boolean): Record<string, unknown> {
    const serialized: Record<string, unknown> = {
      pool: pool.id,
      pool_name: pool.name,
      flags: 1,
      flags_names: 'hashpspool',
      type: 'replicated',
      size: 1,
      min_size: 1,
      crush_rule: 'replicated_rule',
      pg_autoscale_mode: 'off',
      pg_num: pool.pgNum,
      pg_placement_num: pool.pgNum,
      quota_max_bytes: pool.quotaMaxBytes,
      quota_max_objects: pool.quotaMaxObjects,
      options: {},
      application_metadata: [...pool.applications],
      create_time: pool.createdAt.toISOString().replace('Z', '+0000'),
    };
    if (stats) {
      // Like Ceph 16, `latest` is the oldest sample the mgr kept: a freshly created pool shows 0.
      const sample = (value: number): unknown => ({ latest: value, rate: 0, rates: [] });
      serialized['stats'] = {
        stored: sample(0),
        objects: sample(0),
        bytes_used: sample(0),
        max_avail: sample(this.cluster.totalBytes),
        quota_bytes: sample(pool.quotaMaxBytes),
        quota_objects: sample(pool.quotaMaxObjects),
      };
    }
    return serialized;
  }

  private health(full: boolean): unknown {
    let usedRaw = 0;
    const pools = [...this.cluster.pools.values()].map((pool) => {
      const { stored, objects } = this.cluster.poolStored(pool);
      usedRaw += stored;
      return { pool, stored, objects };
    });
    const avail = this.cluster.totalBytes - usedRaw;
    const stats = { total_bytes: this.cluster.totalBytes, total_avail_bytes: avail, total_used_bytes: usedRaw, total_used_raw_bytes: usedRaw, total_used_raw_ratio: usedRaw / this.cluster.totalBytes, num_osds: 1, num_per_pool_osds: 0, num_per_pool_omap_osds: 0 };
    const health = { status: 'HEALTH_OK', checks: [], mutes: [] };
    if (!full) {
      return { health, df: { stats: { total_avail_bytes: avail, total_bytes: this.cluster.totalBytes, total_used_raw_bytes: usedRaw } }, pools: pools.map(() => ({})) };
    }
    return {
      health,
      df: {
        stats,
        pools: pools.map(({ pool, stored, objects }) => ({
          name: pool.name,
          id: pool.id,
          stats: {
            stored,
            stored_data: stored,
            stored_omap: 0,
            objects,
            kb_used: Math.ceil(stored / 1024),
            bytes_used: stored,
            data_bytes_used: stored,
            omap_bytes_used: 0,
            percent_used: stored / this.cluster.totalBytes,
            max_avail: avail,
            quota_objects: pool.quotaMaxObjects,
            quota_bytes: pool.quotaMaxBytes,
            dirty: 0,
            stored_raw: stored,
            avail_raw: avail,
          },
        })),
      },
      pools: pools.map(({ pool }) => this.serializePool(pool, true)),
    };
  }

  // --- namespaces -------------------------------------------------------------------------------

  private namespaces(request: SimRequest, method: string, poolName: string, namespace: string | undefined, length: number): SimResponse {
    return withErrno(() => {
      const pool = this.cluster.openPool(poolName);
      if (length === 4 && method === 'GET') {
        return ok(
          [...pool.namespaces.keys()].filter((name) => name !== '').map((name) => {
            this.cachedRefs(pool, name);
            return { namespace: name, num_images: pool.namespaces.get(name)?.size ?? 0 };
          }),
        );
      }
      if (length === 4 && method === 'POST') {
        const body = parseJson(request) as { namespace?: string };
        const name = body.namespace ?? '';
        if (pool.namespaces.has(name)) throw new SimHttpError(400, { detail: 'Namespace already exists', code: 'namespace_already_exists', component: 'rbd' });
        pool.namespaces.set(name, new Map());
        return { status: 201, body: null };
      }
      if (length === 5 && method === 'DELETE' && namespace !== undefined) {
        const images = pool.namespaces.get(namespace);
        if (!images) throw internalError();
        // The dashboard checks through its cached names (skipping deleted images); librbd refuses
        // the removal of a namespace that still holds images, which surfaces as a bare 500.
        if (this.cachedRefs(pool, namespace).some((name) => images.has(name))) {
          throw new SimHttpError(400, { detail: 'Namespace contains images which must be deleted first', code: 'namespace_contains_images', component: 'rbd' });
        }
        if (images.size > 0) throw internalError();
        pool.namespaces.delete(namespace);
        return { status: 204 };
      }
      throw cherrypyError(404, `The path '${request.path}' was not found.`);
    });
  }

  // --- images -----------------------------------------------------------------------------------

  private createImageTask(request: SimRequest, method: string): Promise<SimResponse> {
    if (method !== 'POST') throw cherrypyError(404, `The path '${request.path}' was not found.`);
    this.requireVersion(request, '1.0');
    const body = parseJson(request) as Record<string, unknown>;
    if (typeof body['name'] !== 'string' || typeof body['pool_name'] !== 'string' || body['size'] === undefined) throw internalError();
    const name = body['name'];
    const poolName = body['pool_name'];
    const namespace = typeof body['namespace'] === 'string' ? body['namespace'] : null;
    return this.runTask('rbd/create', { pool_name: poolName, namespace, image_name: name }, 2000, 201, () => {
      const features = Array.isArray(body['features']) ? body['features'].map(String) : undefined;
      const objectSize = typeof body['obj_size'] === 'number' ? body['obj_size'] : undefined;
      const image = this.cluster.createImage(poolName, namespace ?? '', name, Number(body['size']), objectSize, features);
      if (typeof body['mirror_mode'] === 'string') this.enableMirroring(poolName, namespace ?? '', image, body['mirror_mode'], body['schedule_interval']);
      return null;
    });
  }

  private image(request: SimRequest, method: string, specText: string): Promise<SimResponse> | SimResponse {
    this.requireVersion(request, '1.0');
    const spec = parseSpec(specText);
    const imageSpec = specString(spec);
    if (method === 'GET') {
      return withErrno(() => {
        this.cluster.openPool(spec.pool);
        const image = this.cluster.findImage(spec.pool, spec.namespace ?? '', spec.name);
        if (!image) throw cherrypyError(404, 'Image not found');
        return ok(this.serializeImage(spec.pool, spec.namespace, image, request.query.get('omit_usage') === 'true'));
      });
    }
    if (method === 'PUT') {
      const body = parseJson(request) as Record<string, unknown>;
      return this.runTask('rbd/edit', { image_spec: imageSpec, name: typeof body['name'] === 'string' ? body['name'] : null }, 4000, 200, () => {
        const image = this.cluster.openImage(spec.pool, spec.namespace ?? '', spec.name);
        if (typeof body['name'] === 'string' && body['name'] && body['name'] !== spec.name) this.cluster.renameImage(spec.pool, spec.namespace ?? '', spec.name, body['name']);
        if (body['size'] !== undefined && body['size'] !== null && Number(body['size']) !== image.size) this.cluster.resizeImage(image, Number(body['size']));
        if (body['enable_mirror'] === true && !image.mirror.enabled) {
          this.enableMirroring(spec.pool, spec.namespace ?? '', image, body['mirror_mode'], body['schedule_interval']);
        } else if (body['enable_mirror'] === false && image.mirror.enabled) {
          image.mirror = { enabled: false, mode: image.mirror.mode };
        } else if (typeof body['schedule_interval'] === 'string' && body['schedule_interval']) {
          image.mirror.scheduleInterval = body['schedule_interval'];
        }
        return null;
      });
    }
    if (method === 'DELETE') {
      return this.runTask('rbd/delete', { image_spec: imageSpec }, 2000, 204, () => {
        this.cluster.openPool(spec.pool);
        if (!this.cluster.findImage(spec.pool, spec.namespace ?? '', spec.name)) throw new CephNotFoundError('Image not found');
        this.cluster.deleteImage(spec.pool, spec.namespace ?? '', spec.name);
        return null;
      });
    }
    throw cherrypyError(404, `The path '${request.path}' was not found.`);
  }

  /** `POST /api/block/image/{image_spec}/snap` (task `rbd/snap/create`, 201). */
  private createSnapshot(request: SimRequest, specText: string): Promise<SimResponse> {
    this.requireVersion(request, '1.0');
    const spec = parseSpec(specText);
    const body = parseJson(request) as Record<string, unknown>;
    const takesMirrorArgument = this.options.snapshotMirrorArgument ?? true;
    // A missing required argument fails before the task starts (a bare 500), an unknown one inside it.
    if (typeof body['snapshot_name'] !== 'string' || (takesMirrorArgument && !('mirrorImageSnapshot' in body))) throw internalError();
    const snapshotName = body['snapshot_name'];
    const metadata: Record<string, unknown> = { image_spec: specString(spec), snapshot_name: snapshotName };
    if (takesMirrorArgument) metadata['mirrorImageSnapshot'] = body['mirrorImageSnapshot'];
    const known = new Set(['snapshot_name', ...(takesMirrorArgument ? ['mirrorImageSnapshot'] : [])]);
    const unknown = Object.keys(body).find((key) => !known.has(key));
    return this.runTask('rbd/snap/create', metadata, 2000, 201, () => {
      if (unknown !== undefined) throw new PythonTypeError(`RbdSnapshot.create() got an unexpected keyword argument '${unknown}'`);
      const image = this.cluster.openImage(spec.pool, spec.namespace ?? '', spec.name);
      this.cluster.createSnapshot(spec.pool, image, snapshotName);
      return null;
    });
  }

  /**
   * `POST /api/block/image/{image_spec}/copy` (task `rbd/copy`, 200): librbd creates the
   * destination at once and fills it while the task runs, so a copy cut short leaves a torn image.
   */
  private copyImage(request: SimRequest, specText: string): Promise<SimResponse> {
    this.requireVersion(request, '1.0');
    const spec = parseSpec(specText);
    const body = parseJson(request) as Record<string, unknown>;
    const destPool = body['dest_pool_name'];
    const destName = body['dest_image_name'];
    if (typeof destPool !== 'string' || typeof destName !== 'string' || !('dest_namespace' in body)) throw internalError();
    const destNamespace = typeof body['dest_namespace'] === 'string' ? body['dest_namespace'] : null;
    const snapshotName = typeof body['snapshot_name'] === 'string' && body['snapshot_name'] ? body['snapshot_name'] : undefined;
    const metadata = { src_image_spec: specString(spec), dest_pool_name: destPool, dest_namespace: destNamespace, dest_image_name: destName };
    let copy: { image: SimImage; data: Map<number, number> } | undefined;
    return this.runTask(
      'rbd/copy',
      metadata,
      2000,
      200,
      () => {
        if (copy) this.cluster.finishCopy(copy.image, copy.data);
        return null;
      },
      () => {
        const source = this.cluster.openImage(spec.pool, spec.namespace ?? '', spec.name);
        copy = this.cluster.beginCopy(source, snapshotName, destPool, destNamespace ?? '', destName);
      },
    );
  }

  private enableMirroring(poolName: string, namespace: string, image: SimImage, mode: unknown, scheduleInterval: unknown): void {
    const pool = this.cluster.openPool(poolName);
    // Namespaces start with mirroring disabled and Ceph 16's dashboard cannot change that.
    if (pool.mirrorMode !== 'image' || namespace !== '') {
      throw new CephErrnoError(22, `RBD invalid argument (error enabling mirroring for image b'${image.name}')`, 'rbd');
    }
    if (mode !== 'journal' && mode !== 'snapshot') throw new SimHttpError(500, cherrypyErrorBody(500, 'The server encountered an unexpected condition which prevented it from fulfilling the request.'));
    image.mirror = { enabled: true, mode, ...(typeof scheduleInterval === 'string' && scheduleInterval ? { scheduleInterval } : {}) };
  }

  private serializeImage(poolName: string, namespace: string | undefined, image: SimImage, omitUsage: boolean): Record<string, unknown> {
    const withUsage = !omitUsage && this.cluster.hasFastDiff(image) && image.mirror.mode !== 'snapshot';
    return {
      size: image.size,
      obj_size: image.objectSize,
      num_objs: Math.ceil(image.size / image.objectSize),
      order: Math.log2(image.objectSize),
      block_name_prefix: `rbd_data.${image.id}`,
      mirror_mode: image.mirror.mode,
      name: image.name,
      unique_id: `${poolName}/${namespace ? `${namespace}/` : ''}${image.id}`,
      id: image.id,
      image_format: 2,
      pool_name: poolName,
      namespace: namespace ?? null,
      features: this.cluster.featureBits(image.features),
      features_name: image.features,
      timestamp: `${image.createdAt.toISOString().replace(/\.\d{3}Z$/, '')}Z`,
      stripe_count: 1,
      stripe_unit: image.objectSize,
      data_pool: null,
      parent: null,
      snapshots: image.snapshots.map((snapshot) => ({
        id: snapshot.id,
        size: snapshot.size,
        name: snapshot.name,
        namespace: 0,
        mirror_mode: image.mirror.mode,
        timestamp: `${snapshot.createdAt.toISOString().replace(/\.\d{3}Z$/, '')}Z`,
        is_protected: snapshot.protected,
        used_bytes: null,
        children: [],
        ...(withUsage ? { disk_usage: this.cluster.snapshotUsedBytes(image, snapshot) } : {}),
      })),
      total_disk_usage: withUsage ? this.cluster.totalUsedBytes(image) : null,
      disk_usage: withUsage ? this.cluster.usedBytes(image) : null,
      configuration: [],
    };
  }

  private cachedNamespaces(pool: SimPool): string[] {
    const ttl = this.options.imageListCacheTtlMs ?? 30_000;
    const cached = this.namespaceCache.get(pool.name);
    if (cached && this.options.now() - cached.at < ttl) return cached.namespaces;
    const namespaces = [...pool.namespaces.keys()].filter((name) => name !== '');
    namespaces.push('');
    this.namespaceCache.set(pool.name, { at: this.options.now(), namespaces });
    return namespaces;
  }

  private cachedRefs(pool: SimPool, namespace: string): string[] {
    const ttl = this.options.imageListCacheTtlMs ?? 30_000;
    const key = `${pool.name}/${namespace}`;
    const cached = this.refsCache.get(key);
    if (cached && this.options.now() - cached.at < ttl) return cached.names;
    const names = [...(pool.namespaces.get(namespace)?.keys() ?? [])];
    this.refsCache.set(key, { at: this.options.now(), names });
    return names;
  }

  private listImages(request: SimRequest): SimResponse {
    this.requireVersion(request, '2.0');
    const allowed = new Set(['pool_name', 'offset', 'limit', 'search', 'sort']);
    for (const key of request.query.keys()) if (!allowed.has(key)) throw internalError();
    const offset = Number(request.query.get('offset') ?? '0');
    const limit = Number(request.query.get('limit') ?? '5');
    if (!Number.isInteger(offset) || !Number.isInteger(limit)) throw internalError();
    if (limit < -1) throw new SimHttpError(400, { detail: `Wrong limit value ${limit}`, code: 400, component: null });
    const search = request.query.get('search') ?? '';
    const sort = request.query.get('sort') ?? '';
    return withErrno(() => {
      const poolName = request.query.get('pool_name');
      const pools = poolName ? [this.cluster.openPool(poolName)] : [...this.cluster.pools.values()].filter((pool) => pool.applications.has('rbd'));
      const refs: { pool: SimPool; namespace: string; name: string }[] = [];
      for (const pool of pools) {
        for (const namespace of this.cachedNamespaces(pool)) {
          for (const name of this.cachedRefs(pool, namespace)) {
            if (name.includes(search) || pool.name.includes(search) || namespace.includes(search)) refs.push({ pool, namespace, name });
          }
        }
      }
      const descending = sort.length >= 2 && sort.startsWith('-');
      const sortBy = sort.length >= 2 && ['name', 'pool_name', 'namespace'].includes(sort.slice(1)) ? sort.slice(1) : 'name';
      const keyOf = (ref: (typeof refs)[number]): string => (sortBy === 'pool_name' ? ref.pool.name : sortBy === 'namespace' ? ref.namespace : ref.name);
      refs.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0) * (descending ? -1 : 1));
      const page = refs.slice(offset, limit === -1 ? refs.length : offset + limit);
      const grouped = new Map<string, { value: unknown[]; pool_name: string }>();
      for (const ref of page) {
        const image = ref.pool.namespaces.get(ref.namespace)?.get(ref.name);
        if (!image) continue; // deleted since the names were cached: the dashboard skips it too
        const group = grouped.get(ref.pool.name) ?? { value: [], pool_name: ref.pool.name };
        group.value.push(this.serializeImage(ref.pool.name, ref.namespace, image, false));
        grouped.set(ref.pool.name, group);
      }
      return { status: 200, body: [...grouped.values()], headers: { 'x-total-count': String(refs.length), 'content-type': 'application/vnd.ceph.api.v2.0+json' } };
    });
  }

  // --- mirroring --------------------------------------------------------------------------------

  private async mirroring(request: SimRequest, method: string, rest: string[]): Promise<SimResponse> {
    this.requireVersion(request, '1.0');
    if (rest.length === 1 && rest[0] === 'site_name') {
      if (method === 'GET') return ok({ site_name: this.cluster.mirrorSiteName });
      if (method === 'PUT') {
        const body = parseJson(request) as { site_name?: string };
        if (body.site_name) this.cluster.mirrorSiteName = body.site_name;
        return ok({ site_name: this.cluster.mirrorSiteName });
      }
    }
    if (rest.length === 2 && rest[0] === 'pool' && rest[1] !== undefined) {
      const poolName = rest[1];
      if (method === 'GET') return withErrno(() => ok({ mirror_mode: this.cluster.openPool(poolName).mirrorMode }));
      if (method === 'PUT') {
        const body = parseJson(request) as { mirror_mode?: string };
        return this.runTask('rbd/mirroring/pool/edit', { pool_name: poolName }, 5000, 200, () => {
          const pool = this.cluster.openPool(poolName);
          const mode = body.mirror_mode;
          if (mode) {
            if (mode !== 'disabled' && mode !== 'image' && mode !== 'pool') throw new CephErrnoError(22, `invalid mirror mode "${mode}"`, 'rbd');
            pool.mirrorMode = mode;
          }
          return null;
        });
      }
    }
    throw cherrypyError(404, `The path '${request.path}' was not found.`);
  }
}

function ok(body: unknown): SimResponse {
  return { status: 200, body };
}

function withErrno(work: () => SimResponse): SimResponse {
  try {
    return work();
  } catch (error) {
    if (error instanceof CephErrnoError) {
      throw new SimHttpError(400, { detail: `[errno ${error.errno}] ${error.message}`, code: String(error.errno), component: error.component });
    }
    if (error instanceof CephNotFoundError) throw cherrypyError(404, error.message);
    throw error;
  }
}

function parseJson(request: SimRequest): unknown {
  if (request.body.length === 0) return {};
  try {
    return JSON.parse(request.body.toString('utf8')) as unknown;
  } catch {
    throw cherrypyError(400, 'Malformed JSON body');
  }
}

function parseSpec(text: string): { pool: string; namespace?: string; name: string } {
  const slash = text.lastIndexOf('/');
  if (slash < 0) throw internalError();
  const name = text.slice(slash + 1);
  const namespaceSpec = text.slice(0, slash);
  const inner = namespaceSpec.lastIndexOf('/');
  if (inner < 0) return { pool: namespaceSpec, name };
  return { pool: namespaceSpec.slice(0, inner), namespace: namespaceSpec.slice(inner + 1), name };
}

function specString(spec: { pool: string; namespace?: string; name: string }): string {
  return spec.namespace ? `${spec.pool}/${spec.namespace}/${spec.name}` : `${spec.pool}/${spec.name}`;
}

function allPermissions(): Record<string, string[]> {
  const all = ['create', 'delete', 'read', 'update'];
  return Object.fromEntries(['pool', 'rbd-image', 'rbd-mirroring', 'rgw', 'monitor', 'osd', 'config-opt', 'hosts', 'user', 'log'].map((scope) => [scope, all]));
}
