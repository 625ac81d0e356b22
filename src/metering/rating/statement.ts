import type { Decimal } from 'decimal.js';
import { Exact, formatDecimal, parseDecimal } from '../decimal.js';
import { unitOfMeter, type UsageRecord } from '../record.js';
import { parseMonth, parseWindowStart } from '../windows.js';
import { PriceListError, priceListAt, type EffectivePriceList } from './price-lists.js';

/** One line: a meter in a data center at one unit price (a price change mid-month splits a line). */
export interface StatementLine {
  meter: string;
  dataCenter: string;
  unit: string;
  quantity: string;
  unitPrice: string;
  /** quantity x unitPrice, exact. */
  amount: string;
  priceList: string;
}

/**
 * A reduction of the month's charge. SLA credits (a later issue) add lines here; the statement
 * already subtracts them from the total.
 */
export interface CreditLine {
  reason: string;
  /** Positive amount subtracted from the subtotal. */
  amount: string;
  /** What the credit covers, e.g. an SLA name and the meters it applies to. */
  covers: string;
}

export interface Statement {
  tenant: string;
  month: string;
  periodStart: string;
  periodEnd: string;
  currency: string;
  lines: StatementLine[];
  /** Sum of the line amounts, exact. */
  subtotal: string;
  credits: CreditLine[];
  /** subtotal - credits, exact. */
  total: string;
  /** total rounded half-to-even to the currency's minor unit (öre): what is invoiced. */
  totalDue: string;
  /** Usage events that went into the statement (after de-duplication). */
  events: number;
  priceLists: string[];
}

export interface StatementInput {
  tenant: string;
  /** `YYYY-MM`. */
  month: string;
  usage: readonly UsageRecord[];
  priceLists: readonly EffectivePriceList[];
  credits?: readonly CreditLine[];
}

const MINOR_UNIT_DECIMALS = 2;

/**
 * Prices the tenant's usage of one UTC month. Each window is priced by the PriceList in effect at
 * its start; a meter without a price, a window without a list, or lists in different currencies
 * stop the statement instead of producing a wrong bill.
 */
export function buildStatement(input: StatementInput): Statement {
  const month = parseMonth(input.month);
  const groups = new Map<string, { meter: string; dataCenter: string; list: EffectivePriceList; unitPrice: Decimal; quantity: Decimal }>();
  const currencies = new Set<string>();
  let events = 0;
  for (const record of input.usage) {
    if (record.tenant !== input.tenant) continue;
    const windowStart = parseWindowStart(record.windowStart);
    if (windowStart < month.start || windowStart >= month.end) continue;
    const list = priceListAt(input.priceLists, windowStart);
    const unitPrice = list.prices.get(record.meter);
    if (!unitPrice) throw new PriceListError(`PriceList ${list.name} has no price for meter ${record.meter} (used at ${record.windowStart})`);
    currencies.add(list.currency);
    const key = `${record.meter}\u0000${record.dataCenter}\u0000${list.name}`;
    const group = groups.get(key) ?? { meter: record.meter, dataCenter: record.dataCenter, list, unitPrice, quantity: new Exact(0) };
    group.quantity = group.quantity.plus(parseDecimal(record.quantity, 'quantity'));
    groups.set(key, group);
    events += 1;
  }
  if (currencies.size > 1) throw new PriceListError(`the month is priced in several currencies (${[...currencies].join(', ')})`);
  const currency =
    [...currencies][0] ?? safeListAt(input.priceLists, month.start)?.currency ?? input.priceLists[0]?.currency ?? 'SEK';
  const lines = [...groups.values()]
    .sort((left, right) => compare(left.meter, right.meter) || compare(left.dataCenter, right.dataCenter) || left.list.from - right.list.from)
    .map(
      (group): StatementLine => ({
        meter: group.meter,
        dataCenter: group.dataCenter,
        unit: unitOfMeter(group.meter),
        quantity: formatDecimal(group.quantity),
        unitPrice: formatDecimal(group.unitPrice),
        amount: formatDecimal(group.quantity.times(group.unitPrice)),
        priceList: group.list.name,
      }),
    );
  const subtotal = lines.reduce((sum, line) => sum.plus(line.amount), new Exact(0));
  const credits = [...(input.credits ?? [])];
  const creditTotal = credits.reduce((sum, credit) => sum.plus(parseDecimal(credit.amount, 'credit amount')), new Exact(0));
  const total = subtotal.minus(creditTotal);
  return {
    tenant: input.tenant,
    month: input.month,
    periodStart: new Date(month.start).toISOString(),
    periodEnd: new Date(month.end).toISOString(),
    currency,
    lines,
    subtotal: formatDecimal(subtotal),
    credits,
    total: formatDecimal(total),
    totalDue: total.toDecimalPlaces(MINOR_UNIT_DECIMALS, Exact.ROUND_HALF_EVEN).toFixed(MINOR_UNIT_DECIMALS),
    events,
    priceLists: [...new Set(lines.map((line) => line.priceList))],
  };
}

function safeListAt(lists: readonly EffectivePriceList[], time: number): EffectivePriceList | undefined {
  try {
    return priceListAt(lists, time);
  } catch {
    return undefined;
  }
}

function compare(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}
