import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { meteringMetrics, type MeteringMetrics } from '../../src/metering/outbox/metrics.js';
import type { UsageRecord } from '../../src/metering/record.js';

export async function temporaryDirectory(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `statsmoln-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Metrics in a private registry, so tests read exact values. */
export function privateMetrics(): { registry: Registry; metrics: MeteringMetrics } {
  const registry = new Registry();
  return { registry, metrics: meteringMetrics(registry) };
}

export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return undefined;
  const { values } = await metric.get();
  const found = values.find((value) => Object.entries(labels).every(([key, wanted]) => String(value.labels[key]) === wanted));
  return found?.value;
}

/** The n-th record of a deterministic sequence (tenants, meters and hours vary with n). */
export function syntheticRecord(index: number): UsageRecord {
  const meters = ['compute.vcpu.hours', 'compute.ram.gib-hours', 'compute.instance.hours', 'network.floatingip.hours'];
  return {
    tenant: `agency-${index % 7}`,
    dataCenter: `dc-${index % 3}`,
    environment: 'production',
    meter: meters[index % meters.length]!,
    resource: `project-${index}`,
    windowStart: new Date(Date.UTC(2026, 10, 1) + Math.floor(index / 100) * 3_600_000).toISOString(),
    quantity: `${index % 13}.${index % 100}`,
  };
}
