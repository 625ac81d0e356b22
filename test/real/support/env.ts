/** What the real-service tests share: the env files test/real/run.sh writes, and polling. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually as poll } from '../../support/eventually.js';

export const REAL_STATE_DIR = process.env['STATSMOLN_REAL_DIR'] ?? '/tmp/statsmoln-real';

/** `$STATSMOLN_REAL_DIR/<service>/env` as a map (KEY=value lines). */
export function readServiceEnv(service: 'openstack' | 'ceph'): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(REAL_STATE_DIR, service, 'env'), 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

export function need(env: Record<string, string>, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} missing from ${REAL_STATE_DIR}`);
  return value;
}

export const base64 = (text: string): string => Buffer.from(text).toString('base64');

/** Reads until `accept` holds; fails with the last value read after `timeoutMs`. */
/** test/support/eventually.ts with the real services' pace: up to three minutes, every 250 ms. */
export function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, what: string, timeoutMs = 180_000, intervalMs = 250): Promise<T> {
  return poll(read, accept, what, timeoutMs, intervalMs);
}
