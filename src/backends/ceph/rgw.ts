import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  OverQuotaError,
  UnauthorizedError,
  type BackendErrorClass,
} from './errors.js';
import { signSigV4, type SigV4Credentials } from './sigv4.js';
import { HttpTransport, type HttpMethod, type HttpSender, type QueryValue, type TransportLogger } from './transport.js';

/**
 * Client of the RADOS Gateway Admin Ops API (`/admin/user`, `/admin/bucket`, `/admin/usage`),
 * signed with AWS SigV4. The admin user needs caps `users=*;buckets=*;usage=*;metadata=*;zone=*`.
 */

export interface RgwAdminClientOptions {
  url: string;
  accessKey: string;
  secretKey: string;
  region?: string;
  /** Admin API prefix (`rgw admin entry`), `admin` by default. */
  adminEntry?: string;
  timeoutMs?: number;
  retries?: number;
  retryBaseDelayMs?: number;
  /** Replaces the keep-alive HTTP sender; tests use it to observe the traffic. */
  send?: HttpSender;
  logger?: TransportLogger;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Wall clock in ms for the signature date. */
  now?: () => number;
}

export interface RgwQuota {
  enabled: boolean;
  /** -1 means unlimited. */
  maxSizeBytes: number;
  /** -1 means unlimited. */
  maxObjects: number;
}

export interface RgwKey {
  user: string;
  accessKey: string;
  secretKey: string;
}

export interface RgwUserStats {
  sizeBytes: number;
  sizeActualBytes: number;
  numObjects: number;
}

export interface RgwUser {
  uid: string;
  displayName: string;
  email: string;
  suspended: boolean;
  maxBuckets: number;
  /** Secret keys: never log or put in status. */
  keys: RgwKey[];
  caps: { type: string; perm: string }[];
  userQuota: RgwQuota;
  bucketQuota: RgwQuota;
  stats?: RgwUserStats;
}

export interface RgwUserCreate {
  uid: string;
  displayName: string;
  email?: string;
  maxBuckets?: number;
  /** Generate an S3 key pair (default true). */
  generateKey?: boolean;
}

export interface RgwBucketStats {
  bucket: string;
  owner: string;
  id: string;
  sizeBytes: number;
  sizeActualBytes: number;
  numObjects: number;
  quota: RgwQuota;
}

export interface RgwUsageCategory {
  category: string;
  bytesSent: number;
  bytesReceived: number;
  ops: number;
  successfulOps: number;
}

export interface RgwUsageEntry {
  user: string;
  bucket: string;
  /** Start of the hour this entry aggregates, as RGW reports it (`YYYY-MM-DD HH:MM:SS.ffffffZ`). */
  time: string;
  epoch: number;
  categories: RgwUsageCategory[];
}

export interface RgwUsageSummary {
  user: string;
  categories: RgwUsageCategory[];
  total: Omit<RgwUsageCategory, 'category'>;
}

export interface RgwUsage {
  entries: RgwUsageEntry[];
  summary: RgwUsageSummary[];
}

export interface RgwUsageQuery {
  uid?: string;
  bucket?: string;
  /** Inclusive start, Date or `YYYY-MM-DD HH:MM:SS` (UTC). */
  start?: Date | string;
  /** Exclusive end. */
  end?: Date | string;
}

const ERROR_CODES: Record<string, BackendErrorClass> = {
  NoSuchUser: NotFoundError,
  NoSuchBucket: NotFoundError,
  NoSuchKey: NotFoundError,
  UserAlreadyExists: ConflictError,
  BucketAlreadyExists: ConflictError,
  BucketNotEmpty: ConflictError,
  KeyExists: ConflictError,
  EmailExists: ConflictError,
  QuotaExceeded: OverQuotaError,
  AccessDenied: ForbiddenError,
  SignatureDoesNotMatch: UnauthorizedError,
  InvalidAccessKeyId: UnauthorizedError,
  RequestTimeTooSkewed: UnauthorizedError,
  InvalidArgument: BadRequestError,
  InvalidBucketName: BadRequestError,
};

export function describeRgwError(
  status: number,
  body: unknown,
): { message: string; backendCode?: string; errorClass?: BackendErrorClass; requestId?: string } {
  let code: string | undefined;
  let requestId: string | undefined;
  if (body && typeof body === 'object') {
    const record = body as Record<string, unknown>;
    if (typeof record['Code'] === 'string') code = record['Code'];
    if (typeof record['RequestId'] === 'string') requestId = record['RequestId'];
  } else if (typeof body === 'string') {
    code = /<Code>([^<]+)<\/Code>/.exec(body)?.[1];
    requestId = /<RequestId>([^<]+)<\/RequestId>/.exec(body)?.[1];
  }
  const errorClass = code ? ERROR_CODES[code] : undefined;
  return {
    message: code ?? `HTTP ${status}`,
    ...(code ? { backendCode: code } : {}),
    ...(errorClass ? { errorClass } : {}),
    ...(requestId ? { requestId } : {}),
  };
}

export class RgwAdminClient {
  private readonly transport: HttpTransport;
  private readonly credentials: SigV4Credentials;
  private readonly region: string;
  private readonly adminEntry: string;
  private readonly now: () => number;

  constructor(options: RgwAdminClientOptions) {
    this.transport = new HttpTransport({
      service: 'ceph-rgw',
      baseUrl: options.url,
      describeError: describeRgwError,
      requestIdHeaders: ['x-amz-request-id'],
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.retries === undefined ? {} : { retries: options.retries }),
      ...(options.retryBaseDelayMs === undefined ? {} : { retryBaseDelayMs: options.retryBaseDelayMs }),
      ...(options.send ? { send: options.send } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.random ? { random: options.random } : {}),
    });
    this.credentials = { accessKey: options.accessKey, secretKey: options.secretKey };
    this.region = options.region ?? 'us-east-1';
    this.adminEntry = options.adminEntry ?? 'admin';
    this.now = options.now ?? Date.now;
  }

  /** Releases the client's keep-alive connections. */
  close(): void {
    this.transport.close();
  }

  private async admin(
    method: HttpMethod,
    resource: 'user' | 'bucket' | 'usage',
    query: Record<string, QueryValue>,
    idempotent?: boolean,
  ): Promise<unknown> {
    const response = await this.transport.request({
      method,
      path: `/${this.adminEntry}/${resource}`,
      query: { ...query, format: 'json' },
      authorize: (outgoing) => signSigV4(outgoing, this.credentials, this.region, new Date(this.now())),
      ...(idempotent === undefined ? {} : { idempotent }),
    });
    return response.body;
  }

  // --- users ------------------------------------------------------------------------------------

  /** A user; with `stats`, RGW recomputes them first (`sync=true`) since cached stats lag. */
  async getUser(uid: string, options: { stats?: boolean } = {}): Promise<RgwUser> {
    const body = await this.admin('GET', 'user', {
      uid,
      ...(options.stats ? { stats: 'true', sync: 'true' } : {}),
    });
    return toUser(body as UserBody);
  }

  /** Creates a user; ConflictError when the uid exists. */
  async createUser(request: RgwUserCreate): Promise<RgwUser> {
    const body = await this.admin('PUT', 'user', {
      uid: request.uid,
      'display-name': request.displayName,
      email: request.email,
      'max-buckets': request.maxBuckets,
      'generate-key': request.generateKey === false ? 'false' : 'true',
    }, false);
    return toUser(body as UserBody);
  }

  async modifyUser(uid: string, changes: { displayName?: string; email?: string; maxBuckets?: number; suspended?: boolean }): Promise<RgwUser> {
    const body = await this.admin('POST', 'user', {
      uid,
      'display-name': changes.displayName,
      email: changes.email,
      'max-buckets': changes.maxBuckets,
      suspended: changes.suspended === undefined ? undefined : changes.suspended ? 'true' : 'false',
    }, true);
    return toUser(body as UserBody);
  }

  /** Deletes a user; with purgeData also its buckets and objects. */
  async deleteUser(uid: string, options: { purgeData?: boolean } = {}): Promise<void> {
    await this.admin('DELETE', 'user', { uid, 'purge-data': options.purgeData ? 'true' : undefined });
  }

  async getUserQuota(uid: string, scope: 'user' | 'bucket' = 'user'): Promise<RgwQuota> {
    const body = await this.admin('GET', 'user', { quota: '', uid, 'quota-type': scope });
    return toQuota(body as QuotaBody);
  }

  /** Sets the user-wide quota, or the default per-bucket quota for the user's buckets. */
  async setUserQuota(uid: string, quota: RgwQuota, scope: 'user' | 'bucket' = 'user'): Promise<void> {
    await this.admin('PUT', 'user', {
      quota: '',
      uid,
      'quota-type': scope,
      enabled: quota.enabled ? 'true' : 'false',
      'max-size': quota.maxSizeBytes,
      'max-objects': quota.maxObjects,
    });
  }

  // --- buckets ----------------------------------------------------------------------------------

  /** Bucket names, of one user or of all users. */
  async listBuckets(uid?: string): Promise<string[]> {
    const body = await this.admin('GET', 'bucket', { uid });
    return body as string[];
  }

  async getBucket(bucket: string): Promise<RgwBucketStats> {
    const body = await this.admin('GET', 'bucket', { bucket, stats: 'true' });
    return toBucket(body as BucketBody);
  }

  /** Stats of every bucket a user owns. */
  async listUserBucketStats(uid: string): Promise<RgwBucketStats[]> {
    const body = await this.admin('GET', 'bucket', { uid, stats: 'true' });
    return (body as BucketBody[]).map(toBucket);
  }

  async deleteBucket(bucket: string, options: { purgeObjects?: boolean } = {}): Promise<void> {
    await this.admin('DELETE', 'bucket', { bucket, 'purge-objects': options.purgeObjects ? 'true' : undefined });
  }

  async setBucketQuota(uid: string, bucket: string, quota: RgwQuota): Promise<void> {
    await this.admin('PUT', 'bucket', {
      quota: '',
      uid,
      bucket,
      enabled: quota.enabled ? 'true' : 'false',
      'max-size': quota.maxSizeBytes,
      'max-objects': quota.maxObjects,
    });
  }

  // --- usage log --------------------------------------------------------------------------------

  /** Hourly usage log entries and per-user summaries. */
  async getUsage(query: RgwUsageQuery = {}): Promise<RgwUsage> {
    const body = (await this.admin('GET', 'usage', {
      uid: query.uid,
      bucket: query.bucket,
      start: formatUsageTime(query.start),
      end: formatUsageTime(query.end),
      'show-entries': 'true',
      'show-summary': 'true',
    })) as UsageBody;
    return {
      entries: (body.entries ?? []).flatMap((user) =>
        (user.buckets ?? []).map((bucket) => ({
          user: user.user,
          bucket: bucket.bucket,
          time: bucket.time,
          epoch: bucket.epoch,
          categories: (bucket.categories ?? []).map(toCategory),
        })),
      ),
      summary: (body.summary ?? []).map((entry) => ({
        user: entry.user,
        categories: (entry.categories ?? []).map(toCategory),
        total: {
          bytesSent: entry.total?.bytes_sent ?? 0,
          bytesReceived: entry.total?.bytes_received ?? 0,
          ops: entry.total?.ops ?? 0,
          successfulOps: entry.total?.successful_ops ?? 0,
        },
      })),
    };
  }

  /**
   * Trims the usage log. Without a uid RGW requires removeAll, which removes every user's entries
   * in the range: billing must have read them first.
   */
  async trimUsage(query: RgwUsageQuery & { removeAll?: boolean } = {}): Promise<void> {
    if (!query.uid && !query.removeAll) {
      throw new RangeError('trimming the usage log of all users needs removeAll: true');
    }
    await this.admin('DELETE', 'usage', {
      uid: query.uid,
      bucket: query.bucket,
      start: formatUsageTime(query.start),
      end: formatUsageTime(query.end),
      'remove-all': query.removeAll ? 'true' : undefined,
    });
  }
}

// --- wire shapes ----------------------------------------------------------------------------------

interface QuotaBody {
  enabled?: boolean;
  max_size?: number;
  max_objects?: number;
}

interface UserBody {
  user_id: string;
  display_name?: string;
  email?: string;
  suspended?: number;
  max_buckets?: number;
  keys?: { user: string; access_key: string; secret_key: string }[];
  caps?: { type: string; perm: string }[];
  user_quota?: QuotaBody;
  bucket_quota?: QuotaBody;
  stats?: { size?: number; size_actual?: number; num_objects?: number };
}

interface BucketBody {
  bucket: string;
  owner: string;
  id: string;
  usage?: Record<string, { size?: number; size_actual?: number; num_objects?: number }>;
  bucket_quota?: QuotaBody;
}

interface CategoryBody {
  category: string;
  bytes_sent?: number;
  bytes_received?: number;
  ops?: number;
  successful_ops?: number;
}

interface UsageBody {
  entries?: { user: string; buckets?: { bucket: string; time: string; epoch: number; categories?: CategoryBody[] }[] }[];
  summary?: { user: string; categories?: CategoryBody[]; total?: Omit<CategoryBody, 'category'> }[];
}

function toQuota(body: QuotaBody | undefined): RgwQuota {
  return { enabled: body?.enabled ?? false, maxSizeBytes: body?.max_size ?? -1, maxObjects: body?.max_objects ?? -1 };
}

function toUser(body: UserBody): RgwUser {
  return {
    uid: body.user_id,
    displayName: body.display_name ?? '',
    email: body.email ?? '',
    suspended: Boolean(body.suspended),
    maxBuckets: body.max_buckets ?? 0,
    keys: (body.keys ?? []).map((key) => ({ user: key.user, accessKey: key.access_key, secretKey: key.secret_key })),
    caps: body.caps ?? [],
    userQuota: toQuota(body.user_quota),
    bucketQuota: toQuota(body.bucket_quota),
    ...(body.stats
      ? {
          stats: {
            sizeBytes: body.stats.size ?? 0,
            sizeActualBytes: body.stats.size_actual ?? 0,
            numObjects: body.stats.num_objects ?? 0,
          },
        }
      : {}),
  };
}

function toBucket(body: BucketBody): RgwBucketStats {
  let sizeBytes = 0;
  let sizeActualBytes = 0;
  let numObjects = 0;
  for (const category of Object.values(body.usage ?? {})) {
    sizeBytes += category.size ?? 0;
    sizeActualBytes += category.size_actual ?? 0;
    numObjects += category.num_objects ?? 0;
  }
  return { bucket: body.bucket, owner: body.owner, id: body.id, sizeBytes, sizeActualBytes, numObjects, quota: toQuota(body.bucket_quota) };
}

function toCategory(body: CategoryBody): RgwUsageCategory {
  return {
    category: body.category,
    bytesSent: body.bytes_sent ?? 0,
    bytesReceived: body.bytes_received ?? 0,
    ops: body.ops ?? 0,
    successfulOps: body.successful_ops ?? 0,
  };
}

/** RGW parses `YYYY-MM-DD HH:MM:SS` (UTC) or epoch seconds. */
function formatUsageTime(time: Date | string | undefined): string | undefined {
  if (time === undefined) return undefined;
  if (typeof time === 'string') return time;
  return time.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '');
}
