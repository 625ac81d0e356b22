/**
 * Settings of `statsmoln run` from flags, then STATSMOLN_* environment variables, then defaults.
 * Pure, so that precedence and parsing are tested without starting anything.
 */
import type { LevelWithSilent } from 'pino';
import { DEFAULT_BACKEND_CONCURRENCY, DEFAULT_LEASE_NAME, DEFAULT_OPERATOR_NAMESPACE, type OperatorOptions } from './operator.js';
import type { SinkConfig } from '../metering/pipeline.js';

export interface RunFlags {
  concurrency?: string;
  resyncPeriod?: string;
  checkInterval?: string;
  backendTimeout?: string;
  backendConcurrency?: string;
  leaderElect?: boolean;
  leaderElectionNamespace?: string;
  leaseName?: string;
  metricsAddress?: string;
  logLevel?: string;
  operatorNamespace?: string;
  meteringDir?: string;
  meteringSink?: string;
  meteringSource?: string;
  sampleInterval?: string;
  collectInterval?: string;
}

/** Flag name -> environment variable. */
export const RUN_ENVIRONMENT: Readonly<Record<keyof RunFlags, string>> = {
  concurrency: 'STATSMOLN_CONCURRENCY',
  resyncPeriod: 'STATSMOLN_RESYNC_PERIOD',
  checkInterval: 'STATSMOLN_CHECK_INTERVAL',
  backendTimeout: 'STATSMOLN_BACKEND_TIMEOUT',
  backendConcurrency: 'STATSMOLN_BACKEND_CONCURRENCY',
  leaderElect: 'STATSMOLN_LEADER_ELECT',
  leaderElectionNamespace: 'STATSMOLN_LEADER_ELECTION_NAMESPACE',
  leaseName: 'STATSMOLN_LEASE_NAME',
  metricsAddress: 'STATSMOLN_METRICS_ADDRESS',
  logLevel: 'STATSMOLN_LOG_LEVEL',
  operatorNamespace: 'STATSMOLN_OPERATOR_NAMESPACE',
  meteringDir: 'STATSMOLN_METERING_DIR',
  meteringSink: 'STATSMOLN_METERING_SINK',
  meteringSource: 'STATSMOLN_METERING_SOURCE',
  sampleInterval: 'STATSMOLN_SAMPLE_INTERVAL',
  collectInterval: 'STATSMOLN_COLLECT_INTERVAL',
};

export type RunConfig = Required<
  Pick<OperatorOptions, 'operatorNamespace' | 'concurrency' | 'resyncPeriodMs' | 'dataCenterCheckIntervalMs' | 'backendTimeoutMs' | 'backendConcurrency' | 'metricsAddress' | 'logLevel'>
> &
  Pick<OperatorOptions, 'leaderElection' | 'metering'>;

const LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `250ms`, `30s`, `10m`, `1h`, `1m30s`, or a bare number of milliseconds. */
export function parseDuration(text: string, what: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== trimmed) {
    throw new Error(`${what}: invalid duration "${text}" (use for example 30s, 10m, 1h)`);
  }
  return Math.round(parts.reduce((total, part) => total + Number(part[1]) * UNITS[part[2]!]!, 0));
}

/** `host:port`, `:port` (all interfaces), or `0`/`off` to disable the probe and metrics server. */
export function parseAddress(text: string): { host: string; port: number } | false {
  const trimmed = text.trim();
  if (trimmed === '0' || trimmed === 'off' || trimmed === 'false') return false;
  const match = /^(.*):(\d+)$/.exec(trimmed);
  const port = Number(match?.[2]);
  if (!match || port > 65535) throw new Error(`metrics address: invalid "${text}" (use host:port, :port, or 0 to disable)`);
  const host = match[1]!.replace(/^\[(.*)\]$/, '$1');
  return { host: host === '' ? '0.0.0.0' : host, port };
}

/**
 * Comma-separated sinks: `file:<path>`, `http:<url>` (CloudEvents HTTP binding), `nats:<url>`
 * (JetStream). Errors never echo a URL: it may carry credentials.
 */
export function parseSinks(text: string): SinkConfig[] {
  const entries = text.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (entries.length === 0) throw new Error('metering sink: none given (use file:<path>, http:<url> or nats:<url>)');
  return entries.map((entry, index) => {
    const colon = entry.indexOf(':');
    const kind = colon < 0 ? entry : entry.slice(0, colon);
    const target = colon < 0 ? '' : entry.slice(colon + 1);
    const where = `metering sink ${index + 1} (${kind})`;
    if (target === '') throw new Error(`${where}: missing target after "${kind}:"`);
    switch (kind) {
      case 'file':
        return { kind: 'file', path: target };
      case 'http':
      case 'nats': {
        let url: URL;
        try {
          url = new URL(target);
        } catch {
          throw new Error(`${where}: not a URL`);
        }
        const schemes = kind === 'http' ? ['http:', 'https:'] : ['nats:', 'tls:'];
        if (!schemes.includes(url.protocol)) throw new Error(`${where}: scheme must be ${schemes.join(' or ')}`);
        return kind === 'http' ? { kind: 'http', url: target } : { kind: 'nats', servers: target };
      }
      default:
        throw new Error(`${where}: unknown kind "${kind}" (use file, http or nats)`);
    }
  });
}

function parseBoolean(text: string, what: string): boolean {
  if (/^(true|1|yes|on)$/i.test(text)) return true;
  if (/^(false|0|no|off)$/i.test(text)) return false;
  throw new Error(`${what}: invalid boolean "${text}"`);
}

export function resolveRunConfig(flags: RunFlags, env: Readonly<Record<string, string | undefined>>): RunConfig {
  const pick = (key: keyof RunFlags): string | undefined => {
    const flag = flags[key];
    if (typeof flag === 'boolean') return String(flag);
    if (flag !== undefined) return flag;
    const value = env[RUN_ENVIRONMENT[key]];
    return value === undefined || value === '' ? undefined : value;
  };
  const concurrencyText = pick('concurrency') ?? '2';
  const concurrency = Number(concurrencyText);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency: must be a positive integer, not "${concurrencyText}"`);
  const backendConcurrencyText = pick('backendConcurrency') ?? String(DEFAULT_BACKEND_CONCURRENCY);
  const backendConcurrency = Number(backendConcurrencyText);
  if (!Number.isInteger(backendConcurrency) || backendConcurrency < 1) {
    throw new Error(`backend concurrency: must be a positive integer, not "${backendConcurrencyText}"`);
  }
  const logLevel = (pick('logLevel') ?? 'info') as LevelWithSilent;
  if (!LEVELS.includes(logLevel)) throw new Error(`log level: "${logLevel}" is not one of ${LEVELS.join(', ')}`);
  const operatorNamespace = pick('operatorNamespace') ?? DEFAULT_OPERATOR_NAMESPACE;
  const leaderElect = parseBoolean(pick('leaderElect') ?? 'false', 'leader election');
  const meteringDir = pick('meteringDir');
  if (meteringDir === undefined && pick('meteringSink') !== undefined) throw new Error('metering sink: given without a metering directory (--metering-dir)');
  const metering: OperatorOptions['metering'] =
    meteringDir === undefined
      ? undefined
      : {
          directory: meteringDir,
          source: pick('meteringSource') ?? `/statsmoln/${operatorNamespace}`,
          sinks: parseSinks(pick('meteringSink') ?? ''),
          sampleIntervalMs: parseDuration(pick('sampleInterval') ?? '60s', 'sample interval'),
          collectIntervalMs: parseDuration(pick('collectInterval') ?? '5m', 'collect interval'),
        };
  return {
    operatorNamespace,
    concurrency,
    resyncPeriodMs: parseDuration(pick('resyncPeriod') ?? '10m', 'resync period'),
    dataCenterCheckIntervalMs: parseDuration(pick('checkInterval') ?? '60s', 'check interval'),
    backendTimeoutMs: parseDuration(pick('backendTimeout') ?? '30s', 'backend timeout'),
    backendConcurrency,
    metricsAddress: parseAddress(pick('metricsAddress') ?? ':8080'),
    logLevel,
    ...(leaderElect
      ? { leaderElection: { namespace: pick('leaderElectionNamespace') ?? operatorNamespace, leaseName: pick('leaseName') ?? DEFAULT_LEASE_NAME } }
      : {}),
    ...(metering ? { metering } : {}),
  };
}
