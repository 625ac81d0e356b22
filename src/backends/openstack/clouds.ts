import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'yaml';

/** Raised for an unusable clouds.yaml; the message names fields, never their secret values. */
export class CloudConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CloudConfigError';
  }
}

export interface NameOrId {
  id?: string;
  name?: string;
}

export type CloudAuth =
  | {
      type: 'password';
      authUrl: string;
      user: NameOrId & { domain?: NameOrId };
      password: string;
    }
  | {
      type: 'application_credential';
      authUrl: string;
      /** By id, or by name together with the owning user. */
      applicationCredential: NameOrId;
      user?: NameOrId & { domain?: NameOrId };
      secret: string;
    };

export type CloudScope =
  | { kind: 'project'; project: NameOrId & { domain?: NameOrId } }
  | { kind: 'domain'; domain: NameOrId }
  | { kind: 'unscoped' };

export type EndpointInterface = 'public' | 'internal' | 'admin';

export interface CloudConfig {
  cloudName: string;
  auth: CloudAuth;
  scope: CloudScope;
  regionName: string | undefined;
  interface: EndpointInterface;
  /** PEM text of the CA bundle to trust, if given. */
  caCert: string | undefined;
  verify: boolean;
}

export interface CloudsYamlOptions {
  /**
   * Other files from the same Secret, by key. A `cacert` path is looked up here by full path and by
   * basename, so `cacert: /etc/openstack/ca.pem` resolves to the Secret key `ca.pem`.
   */
  files?: Record<string, string>;
  /** Reads a CA file not found in `files`; defaults to the local file system. */
  readFile?: (path: string) => string;
}

type Dict = Record<string, unknown>;

function isDict(v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(d: Dict, key: string): string | undefined {
  const v = d[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new CloudConfigError(`clouds.yaml: ${key} must be a string`);
}

function nameOrId(d: Dict, prefix: string): NameOrId | undefined {
  const id = str(d, `${prefix}_id`);
  const name = str(d, `${prefix}_name`);
  if (id === undefined && name === undefined) return undefined;
  return { ...(id !== undefined ? { id } : {}), ...(name !== undefined ? { name } : {}) };
}

function withDomain<T extends NameOrId>(entity: T, domain: NameOrId | undefined): T & { domain?: NameOrId } {
  return domain ? { ...entity, domain } : entity;
}

function parseBool(v: unknown, field: string): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'True') return true;
  if (v === 'false' || v === 'False') return false;
  throw new CloudConfigError(`clouds.yaml: ${field} must be true or false`);
}

/** Parses the standard clouds.yaml format and returns the named cloud's settings. */
export function parseCloudsYaml(yamlText: string, cloudName: string, options: CloudsYamlOptions = {}): CloudConfig {
  let doc: unknown;
  try {
    doc = parse(yamlText);
  } catch (error) {
    throw new CloudConfigError(`clouds.yaml is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (!isDict(doc) || !isDict(doc.clouds)) throw new CloudConfigError('clouds.yaml has no `clouds` mapping');
  const cloud = doc.clouds[cloudName];
  if (!isDict(cloud)) {
    throw new CloudConfigError(
      `clouds.yaml has no cloud named ${JSON.stringify(cloudName)} (has: ${Object.keys(doc.clouds).join(', ')})`,
    );
  }
  const auth = cloud.auth;
  if (!isDict(auth)) throw new CloudConfigError(`cloud ${cloudName}: missing auth`);
  const authUrl = str(auth, 'auth_url');
  if (!authUrl) throw new CloudConfigError(`cloud ${cloudName}: missing auth.auth_url`);
  try {
    new URL(authUrl);
  } catch {
    throw new CloudConfigError(`cloud ${cloudName}: auth.auth_url is not a URL`);
  }
  const apiVersion = str(cloud, 'identity_api_version');
  if (apiVersion !== undefined && !apiVersion.startsWith('3')) {
    throw new CloudConfigError(`cloud ${cloudName}: identity_api_version ${apiVersion} is not supported (only 3)`);
  }

  // keystoneauth treats domain_* as the default for both user and project domains.
  const defaultDomain = nameOrId(auth, 'domain') ?? nameOrId(auth, 'default_domain');
  const userDomain = nameOrId(auth, 'user_domain') ?? defaultDomain;
  const projectDomain = nameOrId(auth, 'project_domain') ?? defaultDomain;
  const user = (() => {
    const id = str(auth, 'user_id');
    const name = str(auth, 'username') ?? str(auth, 'user_name');
    if (id === undefined && name === undefined) return undefined;
    return withDomain({ ...(id !== undefined ? { id } : {}), ...(name !== undefined ? { name } : {}) }, userDomain);
  })();

  const authType = (str(cloud, 'auth_type') ?? 'password').replace(/^v3/, '');
  let cloudAuth: CloudAuth;
  if (authType === 'password') {
    const password = str(auth, 'password');
    if (!user) throw new CloudConfigError(`cloud ${cloudName}: password auth needs auth.username or auth.user_id`);
    if (password === undefined) throw new CloudConfigError(`cloud ${cloudName}: password auth needs auth.password`);
    if (user.id === undefined && !user.domain) {
      throw new CloudConfigError(`cloud ${cloudName}: auth.username needs user_domain_name or user_domain_id`);
    }
    cloudAuth = { type: 'password', authUrl, user, password };
  } else if (authType === 'applicationcredential' || authType === 'application_credential') {
    const appCred = nameOrId(auth, 'application_credential');
    const secret = str(auth, 'application_credential_secret');
    if (!appCred) throw new CloudConfigError(`cloud ${cloudName}: needs auth.application_credential_id or _name`);
    if (secret === undefined) throw new CloudConfigError(`cloud ${cloudName}: needs auth.application_credential_secret`);
    if (appCred.id === undefined && !user) {
      throw new CloudConfigError(`cloud ${cloudName}: application_credential_name needs auth.username or auth.user_id`);
    }
    cloudAuth = {
      type: 'application_credential',
      authUrl,
      applicationCredential: appCred,
      ...(user ? { user } : {}),
      secret,
    };
  } else {
    throw new CloudConfigError(`cloud ${cloudName}: auth_type ${authType} is not supported`);
  }

  let scope: CloudScope = { kind: 'unscoped' };
  const project = nameOrId(auth, 'project') ?? nameOrId(auth, 'tenant');
  if (cloudAuth.type === 'application_credential') {
    scope = { kind: 'unscoped' }; // an application credential carries its own project scope
  } else if (project) {
    if (project.id === undefined && !projectDomain) {
      throw new CloudConfigError(`cloud ${cloudName}: auth.project_name needs project_domain_name or project_domain_id`);
    }
    scope = { kind: 'project', project: withDomain(project, projectDomain) };
  } else if (nameOrId(auth, 'domain')) {
    scope = { kind: 'domain', domain: nameOrId(auth, 'domain') as NameOrId };
  }

  const iface = (str(cloud, 'interface') ?? str(cloud, 'endpoint_type') ?? 'public').replace(/URL$/, '');
  if (iface !== 'public' && iface !== 'internal' && iface !== 'admin') {
    throw new CloudConfigError(`cloud ${cloudName}: interface ${iface} is not public, internal or admin`);
  }
  const verify = cloud.verify === undefined ? true : parseBool(cloud.verify, 'verify');
  const cacertRef = str(cloud, 'cacert');
  const caCert = cacertRef === undefined ? undefined : resolveCaCert(cacertRef, cloudName, options);

  return {
    cloudName,
    auth: cloudAuth,
    scope,
    regionName: str(cloud, 'region_name'),
    interface: iface,
    caCert,
    verify,
  };
}

function resolveCaCert(ref: string, cloudName: string, options: CloudsYamlOptions): string {
  if (ref.includes('-----BEGIN')) return ref;
  const files = options.files ?? {};
  const fromSecret = files[ref] ?? files[basename(ref)];
  if (fromSecret !== undefined) return fromSecret;
  const read = options.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  try {
    return read(ref);
  } catch {
    throw new CloudConfigError(`cloud ${cloudName}: cacert ${ref} is neither a key of the Secret nor a readable file`);
  }
}

/** The credential strings of a cloud, for redaction. */
export function cloudSecrets(config: CloudConfig): string[] {
  return config.auth.type === 'password' ? [config.auth.password] : [config.auth.secret];
}
