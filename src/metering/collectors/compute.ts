import type { ServerUsage, TenantUsage } from '../../backends/openstack/nova.js';
import { Exact, formatDecimal } from '../decimal.js';
import { QUANTITY_SCALE } from '../integrate.js';
import { HOUR_MS } from '../windows.js';

export interface ComputeQuantities {
  'compute.vcpu.hours': string;
  'compute.ram.gib-hours': string;
  'compute.instance.hours': string;
}

/** Nova times have no zone (`2026-11-01T13:00:00.000000`) and are UTC. */
export function parseNovaTime(text: string): number {
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]00:?00)?$/.exec(text);
  if (!match) throw new RangeError(`unexpected nova time ${JSON.stringify(text)}`);
  const millis = match[3] ? match[3].slice(1, 4).padEnd(3, '0') : '000';
  return Date.parse(`${match[1]}T${match[2]}.${millis}Z`);
}

/** Milliseconds of [windowStart, windowEnd) the server ran, from its launch and end times. */
export function runningMsInWindow(server: ServerUsage, windowStart: number): number {
  if (!server.started_at) return 0; // never launched: nova charges nothing
  const windowEnd = windowStart + HOUR_MS;
  const from = Math.max(parseNovaTime(server.started_at), windowStart);
  const to = Math.min(server.ended_at ? parseNovaTime(server.ended_at) : windowEnd, windowEnd);
  return Math.max(0, to - from);
}

/**
 * vCPU-hours, RAM GiB-hours and instance-hours of one closed hour, exactly: from each server's
 * launch and end times and flavor rather than nova's float `hours`, summed exactly and rounded
 * once to QUANTITY_SCALE places.
 */
export function computeQuantities(usage: TenantUsage, windowStart: number): ComputeQuantities {
  let vcpuMs = new Exact(0);
  let ramMbMs = new Exact(0);
  let instanceMs = new Exact(0);
  for (const server of usage.server_usages) {
    const ms = runningMsInWindow(server, windowStart);
    if (ms === 0) continue;
    instanceMs = instanceMs.plus(ms);
    vcpuMs = vcpuMs.plus(new Exact(server.vcpus).times(ms));
    ramMbMs = ramMbMs.plus(new Exact(server.memory_mb).times(ms));
  }
  const hours = (value: InstanceType<typeof Exact>): string =>
    formatDecimal(value.div(HOUR_MS).toDecimalPlaces(QUANTITY_SCALE, Exact.ROUND_HALF_EVEN));
  return {
    'compute.vcpu.hours': hours(vcpuMs),
    'compute.ram.gib-hours': hours(ramMbMs.div(1024)),
    'compute.instance.hours': hours(instanceMs),
  };
}
