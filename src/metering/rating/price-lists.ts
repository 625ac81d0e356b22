import { readFile } from 'node:fs/promises';
import type { Decimal } from 'decimal.js';
import { parseAllDocuments } from 'yaml';
import { formatPath, validateObject } from '../../api/validation/index.js';
import type { PriceList } from '../../api/v1alpha1/pricelist.js';
import { parseDecimal } from '../decimal.js';

/** A PriceList ready for rating: dates as UTC milliseconds, prices as exact decimals. */
export interface EffectivePriceList {
  name: string;
  currency: string;
  /** First millisecond the prices apply (00:00 UTC of effectiveFrom). */
  from: number;
  /** First millisecond they no longer apply (00:00 UTC of effectiveTo); undefined: open-ended. */
  to: number | undefined;
  prices: ReadonlyMap<string, Decimal>;
}

export class PriceListError extends Error {
  override name = 'PriceListError';
}

function dayStart(date: string, field: string, name: string): number {
  const time = Date.parse(`${date}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(time)) throw new PriceListError(`PriceList ${name}: ${field} is not a date`);
  return time;
}

export function toEffectivePriceList(list: PriceList): EffectivePriceList {
  const name = list.metadata.name ?? '(unnamed)';
  const prices = new Map<string, Decimal>();
  for (const price of list.spec.prices) {
    if (prices.has(price.meter)) throw new PriceListError(`PriceList ${name}: meter ${price.meter} is priced twice`);
    prices.set(price.meter, parseDecimal(price.unitPrice, `PriceList ${name} price of ${price.meter}`));
  }
  const from = dayStart(list.spec.effectiveFrom, 'effectiveFrom', name);
  const to = list.spec.effectiveTo === undefined ? undefined : dayStart(list.spec.effectiveTo, 'effectiveTo', name);
  if (to !== undefined && to <= from) throw new PriceListError(`PriceList ${name}: effectiveTo must be after effectiveFrom`);
  return { name, currency: list.spec.currency ?? 'SEK', from, to, prices };
}

/** Every PriceList in a YAML text (other kinds are ignored), schema-validated. */
export function parsePriceLists(yamlText: string, origin = 'price list'): EffectivePriceList[] {
  const lists: EffectivePriceList[] = [];
  for (const document of parseAllDocuments(yamlText)) {
    if (document.errors.length > 0) throw new PriceListError(`${origin}: ${document.errors[0]!.message}`);
    const object = document.toJS() as Record<string, unknown> | null;
    if (!object || object.kind !== 'PriceList') continue;
    const { issues, valid } = validateObject(object);
    const firstError = issues.find((issue) => issue.severity === 'error');
    if (firstError || !valid) {
      throw new PriceListError(`${origin}: ${firstError ? `${formatPath(firstError.path)}: ${firstError.message}` : 'invalid PriceList'}`);
    }
    lists.push(toEffectivePriceList(valid as unknown as PriceList));
  }
  if (lists.length === 0) throw new PriceListError(`${origin}: no PriceList found`);
  return lists;
}

export async function loadPriceLists(path: string): Promise<EffectivePriceList[]> {
  return parsePriceLists(await readFile(path, 'utf8'), path);
}

/** The one list in effect at `time`; none, or two that overlap, is an error (a bill must not guess). */
export function priceListAt(lists: readonly EffectivePriceList[], time: number): EffectivePriceList {
  const inEffect = lists.filter((list) => list.from <= time && (list.to === undefined || time < list.to));
  if (inEffect.length === 1) return inEffect[0]!;
  const when = new Date(time).toISOString();
  if (inEffect.length === 0) throw new PriceListError(`no PriceList is in effect at ${when}`);
  throw new PriceListError(`PriceLists ${inEffect.map((list) => list.name).join(' and ')} are both in effect at ${when}`);
}
