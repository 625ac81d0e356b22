/** Meter names of DESIGN.md ("Metering"); the unit is part of the name. */
export const COMPUTE_METERS = ['compute.vcpu.hours', 'compute.ram.gib-hours', 'compute.instance.hours'] as const;
export const NETWORK_METERS = ['network.floatingip.hours'] as const;

export type StorageMeasure = 'provisioned' | 'used';

export function storageMeter(tier: string, measure: StorageMeasure): string {
  return `storage.${tier}.${measure}.gib-hours`;
}

/** Every meter produced where the given storage tiers are offered. */
export function metersForTiers(tiers: Iterable<string>): string[] {
  const meters: string[] = [...COMPUTE_METERS, ...NETWORK_METERS];
  for (const tier of new Set(tiers)) meters.push(storageMeter(tier, 'provisioned'), storageMeter(tier, 'used'));
  return meters;
}

const STORAGE_METER = /^storage\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.(provisioned|used)\.gib-hours$/;

export function isKnownMeterShape(meter: string): boolean {
  return (
    (COMPUTE_METERS as readonly string[]).includes(meter) ||
    (NETWORK_METERS as readonly string[]).includes(meter) ||
    STORAGE_METER.test(meter)
  );
}
