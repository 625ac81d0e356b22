import { CelScalar, celFunc, celMethod, listType, type CelFunc, type CelList, type CelValue } from '@bufbuild/cel';
import ipaddr from 'ipaddr.js';

/**
 * A subset of the Kubernetes CEL libraries (k8s.io/apiserver/pkg/cel/library) on top of
 * @bufbuild/cel: the boolean IP/CIDR/URL checks, list aggregates and regex find. The typed
 * `ip()`, `cidr()`, `url()`, `quantity()` and `format` objects are not provided (see
 * docs/apiserver.md).
 */

function isIP(text: string): boolean {
  if (text.includes('%')) return false;
  return ipaddr.IPv4.isValidFourPartDecimal(text) || ipaddr.IPv6.isValid(text);
}

function isCIDR(text: string): boolean {
  const [address, prefix, ...rest] = text.split('/');
  if (rest.length > 0 || address === undefined || prefix === undefined || !/^\d{1,3}$/.test(prefix) || !isIP(address)) return false;
  const bits = ipaddr.parse(address).kind() === 'ipv4' ? 32 : 128;
  return Number(prefix) <= bits;
}

function isURL(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return text.startsWith('/');
  }
}

function compare(a: CelValue, b: CelValue): number {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  throw new Error('no such overload: list elements are not comparable');
}

function items(list: CelList): CelValue[] {
  return [...list];
}

function extreme(list: CelList, sign: 1 | -1): CelValue {
  const values = items(list);
  if (values.length === 0) throw new Error('min/max of an empty list');
  return values.reduce((best, value) => (compare(value, best) * sign > 0 ? value : best));
}

const LIST = listType(CelScalar.DYN);

export const kubernetesLibrary: CelFunc[] = [
  celFunc('isIP', [CelScalar.STRING], CelScalar.BOOL, isIP),
  celFunc('isCIDR', [CelScalar.STRING], CelScalar.BOOL, isCIDR),
  celFunc('isURL', [CelScalar.STRING], CelScalar.BOOL, isURL),
  celMethod('isSorted', LIST, [], CelScalar.BOOL, function () {
    const values = items(this);
    return values.every((value, index) => index === 0 || compare(values[index - 1] as CelValue, value) <= 0);
  }),
  celMethod('sum', LIST, [], CelScalar.DYN, function () {
    const values = items(this);
    if (values.every((v) => typeof v === 'bigint')) return (values as bigint[]).reduce((a, b) => a + b, 0n);
    if (values.every((v) => typeof v === 'number')) return (values as number[]).reduce((a, b) => a + b, 0);
    throw new Error('no such overload: sum of mixed or non-numeric list');
  }),
  celMethod('min', LIST, [], CelScalar.DYN, function () {
    return extreme(this, -1);
  }),
  celMethod('max', LIST, [], CelScalar.DYN, function () {
    return extreme(this, 1);
  }),
  celMethod('find', CelScalar.STRING, [CelScalar.STRING], CelScalar.STRING, function (pattern) {
    return new RegExp(pattern, 'u').exec(this)?.[0] ?? '';
  }),
  celMethod('findAll', CelScalar.STRING, [CelScalar.STRING], listType(CelScalar.STRING), function (pattern) {
    return [...this.matchAll(new RegExp(pattern, 'gu'))].map((m) => m[0]);
  }),
];
