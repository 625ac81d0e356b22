import type { Decimal } from 'decimal.js';
import { Gauge, register, type Registry } from 'prom-client';
import { systemClock, type Clock } from '../clock.js';
import { Exact, parseDecimal } from '../decimal.js';
import { usageEventId } from '../events.js';
import { normalizeRecord, type UsageRecord } from '../record.js';
import { monthOf, parseWindowStart, type MonthRange } from '../windows.js';
import { priceListAt, type EffectivePriceList } from './price-lists.js';

export interface RunningTotalsOptions {
  source: string;
  clock?: Clock;
  /** When given, the amount gauge is kept too (in the list's currency). */
  priceLists?: readonly EffectivePriceList[];
  registry?: Registry;
}

function gauge(registry: Registry, name: string, help: string): Gauge<'tenant' | 'meter'> {
  return (
    (registry.getSingleMetric(name) as Gauge<'tenant' | 'meter'> | undefined) ??
    new Gauge({ name, help, labelNames: ['tenant', 'meter'], registers: [registry] })
  );
}

/**
 * Month-to-date usage and charge per tenant and meter as Prometheus gauges (no resource label: the
 * series stay bounded). Events are de-duplicated on (source, id) within the month, so re-emitted
 * windows are not counted twice; the totals restart when the UTC month changes.
 */
export class MonthToDateTotals {
  private readonly clock: Clock;
  private readonly quantityGauge: Gauge<'tenant' | 'meter'>;
  private readonly amountGauge: Gauge<'tenant' | 'meter'>;
  private month: MonthRange;
  private seen = new Set<string>();
  private quantities = new Map<string, { tenant: string; meter: string; quantity: Decimal; amount: Decimal }>();

  constructor(private readonly options: RunningTotalsOptions) {
    this.clock = options.clock ?? systemClock;
    const registry = options.registry ?? register;
    this.quantityGauge = gauge(registry, 'statsmoln_usage_month_to_date_quantity', 'Usage so far this UTC month, in the meter’s unit.');
    this.amountGauge = gauge(registry, 'statsmoln_usage_month_to_date_amount', 'Charge so far this UTC month, in the price list’s currency.');
    this.month = monthOf(this.clock.now());
  }

  /** Counts a usage record emitted now; records outside the current month are ignored. */
  observe(record: UsageRecord): void {
    const current = monthOf(this.clock.now());
    if (current.start !== this.month.start) this.resetFor(current);
    const canonical = normalizeRecord(record);
    const windowStart = parseWindowStart(canonical.windowStart);
    if (windowStart < this.month.start || windowStart >= this.month.end) return;
    const id = usageEventId(canonical);
    if (this.seen.has(id)) return;
    this.seen.add(id);
    const key = `${canonical.tenant}\u0000${canonical.meter}`;
    const total = this.quantities.get(key) ?? { tenant: canonical.tenant, meter: canonical.meter, quantity: new Exact(0), amount: new Exact(0) };
    const quantity = parseDecimal(canonical.quantity);
    total.quantity = total.quantity.plus(quantity);
    const labels = { tenant: canonical.tenant, meter: canonical.meter };
    if (this.options.priceLists) {
      const unitPrice = priceListAt(this.options.priceLists, windowStart).prices.get(canonical.meter);
      if (unitPrice) total.amount = total.amount.plus(quantity.times(unitPrice));
      this.amountGauge.set(labels, total.amount.toNumber());
    }
    this.quantities.set(key, total);
    this.quantityGauge.set(labels, total.quantity.toNumber());
  }

  /** Exact month-to-date quantity (for tests and the CLI). */
  quantity(tenant: string, meter: string): string {
    return (this.quantities.get(`${tenant}\u0000${meter}`)?.quantity ?? new Exact(0)).toFixed();
  }

  private resetFor(month: MonthRange): void {
    this.month = month;
    this.seen = new Set();
    this.quantities = new Map();
    this.quantityGauge.reset();
    this.amountGauge.reset();
  }
}
