import aws4 from 'aws4';
import { randomBytes } from 'node:crypto';
import { SimHttpError, type SimRequest, type SimResponse } from './http-util.js';

/**
 * RADOS Gateway (Ceph 16) over an in-memory store: the Admin Ops API (`/admin/user`, `/admin/bucket`,
 * `/admin/usage`) and the few S3 calls that produce usage (create bucket, put and delete object).
 * Requests must carry a valid AWS SigV4 signature; admin calls need the matching caps.
 */

export interface RgwQuotaState {
  enabled: boolean;
  maxSize: number;
  maxObjects: number;
}

export interface RgwUserState {
  uid: string;
  displayName: string;
  email: string;
  suspended: boolean;
  maxBuckets: number;
  keys: { accessKey: string; secretKey: string }[];
  caps: Map<string, string>;
  userQuota: RgwQuotaState;
  bucketQuota: RgwQuotaState;
}

interface BucketState {
  name: string;
  owner: string;
  id: string;
  objects: Map<string, number>;
  quota: RgwQuotaState;
}

interface UsageCounters {
  bytes_sent: number;
  bytes_received: number;
  ops: number;
  successful_ops: number;
}

const unlimited = (): RgwQuotaState => ({ enabled: false, maxSize: -1, maxObjects: -1 });

export class RgwApi {
  readonly users = new Map<string, RgwUserState>();
  private readonly buckets = new Map<string, BucketState>();
  /** owner|bucket|hour-epoch -> category -> counters */
  private readonly usage = new Map<string, Map<string, UsageCounters>>();
  private requestCounter = 0;

  constructor(
    private readonly now: () => number,
    private readonly zone = 'default',
  ) {}

  /** Adds a user with keys and caps directly (what `radosgw-admin user create` does). */
  addUser(uid: string, displayName: string, caps: Record<string, string>, keys?: { accessKey: string; secretKey: string }): RgwUserState {
    const user: RgwUserState = {
      uid,
      displayName,
      email: '',
      suspended: false,
      maxBuckets: 1000,
      keys: [keys ?? generateKeys()],
      caps: new Map(Object.entries(caps)),
      userQuota: unlimited(),
      bucketQuota: unlimited(),
    };
    this.users.set(uid, user);
    return user;
  }

  async handle(request: SimRequest): Promise<SimResponse> {
    const requestId = `tx${(++this.requestCounter).toString(16).padStart(21, '0')}-${Math.floor(this.now() / 1000).toString(16)}-1-${this.zone}`;
    const json = request.query.get('format') === 'json' || request.path.startsWith('/admin/');
    try {
      const user = this.authenticate(request);
      const response = request.path.startsWith('/admin/') ? this.admin(request, user) : this.s3(request, user);
      return { ...response, headers: { ...response.headers, 'x-amz-request-id': requestId } };
    } catch (error) {
      if (error instanceof RgwError) {
        const body = json
          ? { Code: error.code, RequestId: requestId, HostId: `1-${this.zone}-${this.zone}` }
          : `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${error.code}</Code><Message></Message><RequestId>${requestId}</RequestId><HostId>1-${this.zone}-${this.zone}</HostId></Error>`;
        throw new SimHttpError(error.status, body, { 'x-amz-request-id': requestId, ...(json ? {} : { 'content-type': 'application/xml' }) });
      }
      throw error;
    }
  }

  // --- authentication ---------------------------------------------------------------------------

  private authenticate(request: SimRequest): RgwUserState {
    const header = request.headers.authorization ?? '';
    const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(header);
    if (!match) throw new RgwError(403, 'AccessDenied');
    const [, accessKey, , region, signedHeaders, signature] = match as unknown as [string, string, string, string, string, string];
    const user = [...this.users.values()].find((candidate) => candidate.keys.some((key) => key.accessKey === accessKey));
    const key = user?.keys.find((candidate) => candidate.accessKey === accessKey);
    if (!user || !key) throw new RgwError(403, 'InvalidAccessKeyId');
    const headers: Record<string, string> = {};
    for (const name of signedHeaders.split(';')) {
      const value = request.headers[name];
      headers[name] = Array.isArray(value) ? value.join(',') : (value ?? '');
    }
    const signed = aws4.sign(
      {
        host: headers['host'] ?? '',
        method: request.method,
        path: request.rawQuery ? `${request.path}?${request.rawQuery}` : request.path,
        service: 's3',
        region,
        headers,
        body: request.body.toString('utf8'),
      },
      { accessKeyId: accessKey, secretAccessKey: key.secretKey },
    );
    const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers?.['Authorization'] ?? ''))?.[1];
    if (expected !== signature) throw new RgwError(403, 'SignatureDoesNotMatch');
    const amzDate = headers['x-amz-date'];
    if (amzDate) {
      const signedAt = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
      if (Math.abs(signedAt - this.now()) > 15 * 60_000) throw new RgwError(403, 'RequestTimeTooSkewed');
    }
    if (user.suspended) throw new RgwError(403, 'UserSuspended');
    return user;
  }

  private requireCap(user: RgwUserState, cap: string, write: boolean): void {
    const perm = user.caps.get(cap);
    if (perm === '*' || (write ? perm === 'write' : perm === 'read')) return;
    throw new RgwError(403, 'AccessDenied');
  }

  // --- admin ops --------------------------------------------------------------------------------

  private admin(request: SimRequest, caller: RgwUserState): SimResponse {
    const resource = request.path.replace(/^\/admin\//, '').replace(/\/$/, '');
    const q = request.query;
    const write = request.method !== 'GET';
    if (resource === 'user') {
      this.requireCap(caller, 'users', write);
      return q.has('quota') ? this.userQuota(request) : this.user(request);
    }
    if (resource === 'bucket') {
      this.requireCap(caller, 'buckets', write);
      return this.bucketAdmin(request);
    }
    if (resource === 'usage') {
      this.requireCap(caller, 'usage', write);
      return this.usageAdmin(request);
    }
    throw new RgwError(404, 'NoSuchKey');
  }

  private user(request: SimRequest): SimResponse {
    const q = request.query;
    const uid = q.get('uid') ?? '';
    if (request.method === 'PUT') {
      if (!uid || !q.get('display-name')) throw new RgwError(400, 'InvalidArgument');
      if (this.users.has(uid)) throw new RgwError(409, 'UserAlreadyExists');
      const user = this.addUser(uid, q.get('display-name') ?? '', {});
      if (q.get('generate-key') === 'false') user.keys = [];
      if (q.has('email')) user.email = q.get('email') ?? '';
      if (q.has('max-buckets')) user.maxBuckets = Number(q.get('max-buckets'));
      return ok(this.serializeUser(user, false));
    }
    const user = this.users.get(uid);
    if (!user) throw new RgwError(404, 'NoSuchUser');
    if (request.method === 'GET') return ok(this.serializeUser(user, q.get('stats') === 'true'));
    if (request.method === 'POST') {
      if (q.has('display-name')) user.displayName = q.get('display-name') ?? '';
      if (q.has('email')) user.email = q.get('email') ?? '';
      if (q.has('max-buckets')) user.maxBuckets = Number(q.get('max-buckets'));
      if (q.has('suspended')) user.suspended = q.get('suspended') === 'true' || q.get('suspended') === '1';
      return ok(this.serializeUser(user, false));
    }
    if (request.method === 'DELETE') {
      const owned = [...this.buckets.values()].filter((bucket) => bucket.owner === uid);
      if (owned.length > 0 && q.get('purge-data') !== 'true') throw new RgwError(409, 'BucketNotEmpty');
      for (const bucket of owned) this.buckets.delete(bucket.name);
      this.users.delete(uid);
      return { status: 200 };
    }
    throw new RgwError(405, 'MethodNotAllowed');
  }

  private userQuota(request: SimRequest): SimResponse {
    const q = request.query;
    const user = this.users.get(q.get('uid') ?? '');
    if (!user) throw new RgwError(404, 'NoSuchUser');
    const scope = q.get('quota-type');
    if (scope !== 'user' && scope !== 'bucket') throw new RgwError(400, 'InvalidArgument');
    const quota = scope === 'user' ? user.userQuota : user.bucketQuota;
    if (request.method === 'GET') return ok(serializeQuota(quota));
    if (request.method === 'PUT') {
      applyQuota(quota, q);
      return { status: 200 };
    }
    throw new RgwError(405, 'MethodNotAllowed');
  }

  private bucketAdmin(request: SimRequest): SimResponse {
    const q = request.query;
    const name = q.get('bucket');
    const uid = q.get('uid');
    if (request.method === 'GET') {
      if (name) {
        const bucket = this.buckets.get(name);
        if (!bucket) throw new RgwError(404, 'NoSuchBucket');
        return ok(this.serializeBucket(bucket));
      }
      if (uid && !this.users.has(uid)) throw new RgwError(404, 'NoSuchUser');
      const buckets = [...this.buckets.values()].filter((bucket) => !uid || bucket.owner === uid).sort((a, b) => a.name.localeCompare(b.name));
      return ok(q.get('stats') === 'true' ? buckets.map((bucket) => this.serializeBucket(bucket)) : buckets.map((bucket) => bucket.name));
    }
    if (request.method === 'PUT' && q.has('quota')) {
      const bucket = this.buckets.get(name ?? '');
      if (!bucket) throw new RgwError(404, 'NoSuchBucket');
      applyQuota(bucket.quota, q);
      return { status: 200 };
    }
    if (request.method === 'DELETE') {
      const bucket = this.buckets.get(name ?? '');
      if (!bucket) throw new RgwError(404, 'NoSuchBucket');
      if (bucket.objects.size > 0 && q.get('purge-objects') !== 'true') throw new RgwError(409, 'BucketNotEmpty');
      this.buckets.delete(bucket.name);
      return { status: 200 };
    }
    throw new RgwError(405, 'MethodNotAllowed');
  }

  private usageAdmin(request: SimRequest): SimResponse {
    const q = request.query;
    const uid = q.get('uid');
    const bucketName = q.get('bucket');
    const start = parseUsageTime(q.get('start')) ?? 0;
    const end = parseUsageTime(q.get('end')) ?? Number.MAX_SAFE_INTEGER;
    const selected = [...this.usage.entries()].filter(([key]) => {
      const [owner, bucket, epoch] = key.split('|') as [string, string, string];
      const seconds = Number(epoch);
      return (!uid || owner === uid) && (!bucketName || bucket === bucketName) && seconds >= start && seconds < end;
    });
    if (request.method === 'DELETE') {
      if (!uid && q.get('remove-all') !== 'true') throw new RgwError(400, 'InvalidArgument');
      for (const [key] of selected) this.usage.delete(key);
      return { status: 200 };
    }
    if (request.method !== 'GET') throw new RgwError(405, 'MethodNotAllowed');
    const byUser = new Map<string, { bucket: string; time: string; epoch: number; owner: string; categories: unknown[] }[]>();
    const summary = new Map<string, Map<string, UsageCounters>>();
    for (const [key, categories] of selected.sort(([a], [b]) => a.localeCompare(b))) {
      const [owner, bucket, epoch] = key.split('|') as [string, string, string];
      const list = byUser.get(owner) ?? [];
      list.push({
        bucket,
        time: `${new Date(Number(epoch) * 1000).toISOString().replace(/\.\d{3}Z$/, '')}.000000Z`,
        epoch: Number(epoch),
        owner,
        categories: [...categories.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([category, counters]) => ({ category, ...counters })),
      });
      byUser.set(owner, list);
      const userSummary = summary.get(owner) ?? new Map<string, UsageCounters>();
      for (const [category, counters] of categories) addCounters(userSummary, category, counters);
      summary.set(owner, userSummary);
    }
    const showEntries = q.get('show-entries') !== 'false';
    const showSummary = q.get('show-summary') !== 'false';
    return ok({
      ...(showEntries ? { entries: [...byUser.entries()].map(([user, buckets]) => ({ user, buckets })) } : {}),
      ...(showSummary
        ? {
            summary: [...summary.entries()].map(([user, categories]) => {
              const total: UsageCounters = { bytes_sent: 0, bytes_received: 0, ops: 0, successful_ops: 0 };
              const list = [...categories.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([category, counters]) => {
                total.bytes_sent += counters.bytes_sent;
                total.bytes_received += counters.bytes_received;
                total.ops += counters.ops;
                total.successful_ops += counters.successful_ops;
                return { category, ...counters };
              });
              return { user, categories: list, total };
            }),
          }
        : {}),
    });
  }

  // --- S3 (just what produces usage) ------------------------------------------------------------

  private s3(request: SimRequest, user: RgwUserState): SimResponse {
    const [, bucketName = '', ...keyParts] = request.path.split('/');
    const key = keyParts.join('/');
    if (!bucketName) throw new RgwError(405, 'MethodNotAllowed');
    const bucket = this.buckets.get(bucketName);
    if (!key) {
      if (request.method === 'PUT') {
        if (bucket && bucket.owner !== user.uid) throw new RgwError(409, 'BucketAlreadyExists');
        if (!bucket) {
          const owned = [...this.buckets.values()].filter((candidate) => candidate.owner === user.uid).length;
          if (owned >= user.maxBuckets) throw new RgwError(400, 'TooManyBuckets');
          this.buckets.set(bucketName, { name: bucketName, owner: user.uid, id: `${randomBytes(4).toString('hex')}.1`, objects: new Map(), quota: unlimited() });
        }
        this.record(user.uid, bucketName, 'create_bucket', 0, 0, true);
        return { status: 200 };
      }
      if (request.method === 'DELETE') {
        if (!bucket) throw new RgwError(404, 'NoSuchBucket');
        if (bucket.objects.size > 0) throw new RgwError(409, 'BucketNotEmpty');
        this.buckets.delete(bucketName);
        this.record(user.uid, bucketName, 'delete_bucket', 0, 0, true);
        return { status: 204 };
      }
      throw new RgwError(405, 'MethodNotAllowed');
    }
    if (!bucket) throw new RgwError(404, 'NoSuchBucket');
    if (bucket.owner !== user.uid) throw new RgwError(403, 'AccessDenied');
    if (request.method === 'PUT') {
      const size = request.body.length;
      if (this.exceedsQuota(user, bucket, key, size)) {
        this.record(user.uid, bucketName, 'put_obj', 0, 0, false);
        throw new RgwError(403, 'QuotaExceeded');
      }
      bucket.objects.set(key, size);
      this.record(user.uid, bucketName, 'put_obj', 0, size, true);
      return { status: 200, headers: { etag: `"${randomBytes(16).toString('hex')}"` } };
    }
    if (request.method === 'DELETE') {
      bucket.objects.delete(key);
      this.record(user.uid, bucketName, 'delete_obj', 0, 0, true);
      return { status: 204 };
    }
    throw new RgwError(405, 'MethodNotAllowed');
  }

  private exceedsQuota(user: RgwUserState, bucket: BucketState, key: string, size: number): boolean {
    const replacing = bucket.objects.get(key);
    const addedObjects = replacing === undefined ? 1 : 0;
    const addedBytes = size - (replacing ?? 0);
    const check = (quota: RgwQuotaState, bytes: number, objects: number): boolean =>
      quota.enabled && ((quota.maxSize >= 0 && bytes + addedBytes > quota.maxSize) || (quota.maxObjects >= 0 && objects + addedObjects > quota.maxObjects));
    const bucketBytes = sum(bucket.objects.values());
    if (check(bucket.quota, bucketBytes, bucket.objects.size) || check(user.bucketQuota, bucketBytes, bucket.objects.size)) return true;
    const owned = [...this.buckets.values()].filter((candidate) => candidate.owner === user.uid);
    const userBytes = owned.reduce((total, candidate) => total + sum(candidate.objects.values()), 0);
    const userObjects = owned.reduce((total, candidate) => total + candidate.objects.size, 0);
    return check(user.userQuota, userBytes, userObjects);
  }

  private record(owner: string, bucket: string, category: string, sent: number, received: number, success: boolean): void {
    const hour = Math.floor(this.now() / 3_600_000) * 3600;
    const key = `${owner}|${bucket}|${hour}`;
    const categories = this.usage.get(key) ?? new Map<string, UsageCounters>();
    addCounters(categories, category, { bytes_sent: sent, bytes_received: received, ops: 1, successful_ops: success ? 1 : 0 });
    this.usage.set(key, categories);
  }

  // --- serialisation ----------------------------------------------------------------------------

  private serializeUser(user: RgwUserState, stats: boolean): Record<string, unknown> {
    const body: Record<string, unknown> = {
      user_id: user.uid,
      display_name: user.displayName,
      email: user.email,
      suspended: user.suspended ? 1 : 0,
      max_buckets: user.maxBuckets,
      subusers: [],
      keys: user.keys.map((key) => ({ user: user.uid, access_key: key.accessKey, secret_key: key.secretKey })),
      swift_keys: [],
      caps: [...user.caps.entries()].map(([type, perm]) => ({ type, perm })),
      op_mask: 'read, write, delete',
      default_placement: '',
      default_storage_class: '',
      placement_tags: [],
      bucket_quota: serializeQuota(user.bucketQuota),
      user_quota: serializeQuota(user.userQuota),
      temp_url_keys: [],
      type: 'rgw',
      mfa_ids: [],
    };
    if (stats) {
      const owned = [...this.buckets.values()].filter((bucket) => bucket.owner === user.uid);
      const size = owned.reduce((total, bucket) => total + sum(bucket.objects.values()), 0);
      const sizeActual = owned.reduce((total, bucket) => total + sum([...bucket.objects.values()].map(roundUp4k)), 0);
      const objects = owned.reduce((total, bucket) => total + bucket.objects.size, 0);
      body['stats'] = {
        size,
        size_actual: sizeActual,
        size_utilized: size,
        size_kb: Math.ceil(size / 1024),
        size_kb_actual: Math.ceil(sizeActual / 1024),
        size_kb_utilized: Math.ceil(size / 1024),
        num_objects: objects,
      };
    }
    return body;
  }

  private serializeBucket(bucket: BucketState): Record<string, unknown> {
    const size = sum(bucket.objects.values());
    const sizeActual = sum([...bucket.objects.values()].map(roundUp4k));
    return {
      bucket: bucket.name,
      num_shards: 11,
      tenant: '',
      zonegroup: 'default',
      placement_rule: 'default-placement',
      id: bucket.id,
      marker: bucket.id,
      owner: bucket.owner,
      usage:
        bucket.objects.size === 0
          ? {}
          : {
              'rgw.main': {
                size,
                size_actual: sizeActual,
                size_utilized: size,
                size_kb: Math.ceil(size / 1024),
                size_kb_actual: Math.ceil(sizeActual / 1024),
                size_kb_utilized: Math.ceil(size / 1024),
                num_objects: bucket.objects.size,
              },
            },
      bucket_quota: serializeQuota(bucket.quota),
    };
  }
}

class RgwError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code);
  }
}

function ok(body: unknown): SimResponse {
  return { status: 200, body };
}

function generateKeys(): { accessKey: string; secretKey: string } {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const accessKey = [...randomBytes(20)].map((byte) => alphabet[byte % alphabet.length]).join('');
  return { accessKey, secretKey: randomBytes(30).toString('base64').replace(/[+/=]/g, 'x').slice(0, 40) };
}

function serializeQuota(quota: RgwQuotaState): Record<string, unknown> {
  return {
    enabled: quota.enabled,
    check_on_raw: false,
    max_size: quota.maxSize,
    max_size_kb: quota.maxSize < 0 ? 0 : Math.ceil(quota.maxSize / 1024),
    max_objects: quota.maxObjects,
  };
}

function applyQuota(quota: RgwQuotaState, q: URLSearchParams): void {
  if (q.has('enabled')) quota.enabled = q.get('enabled') === 'true';
  if (q.has('max-size')) quota.maxSize = Number(q.get('max-size'));
  if (q.has('max-size-kb')) quota.maxSize = Number(q.get('max-size-kb')) * 1024;
  if (q.has('max-objects')) quota.maxObjects = Number(q.get('max-objects'));
}

function addCounters(target: Map<string, UsageCounters>, category: string, counters: UsageCounters): void {
  const existing = target.get(category) ?? { bytes_sent: 0, bytes_received: 0, ops: 0, successful_ops: 0 };
  existing.bytes_sent += counters.bytes_sent;
  existing.bytes_received += counters.bytes_received;
  existing.ops += counters.ops;
  existing.successful_ops += counters.successful_ops;
  target.set(category, existing);
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

function roundUp4k(size: number): number {
  return Math.ceil(size / 4096) * 4096;
}

/** `YYYY-MM-DD[ HH:MM:SS]` (UTC) or epoch seconds, to epoch seconds. */
function parseUsageTime(text: string | null): number | undefined {
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text);
  const parsed = Date.parse(`${text.replace(' ', 'T')}${text.length <= 10 ? 'T00:00:00' : ''}Z`);
  if (Number.isNaN(parsed)) throw new RgwError(400, 'InvalidArgument');
  return Math.floor(parsed / 1000);
}
