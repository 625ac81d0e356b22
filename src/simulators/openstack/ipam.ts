import ipaddr from 'ipaddr.js';

/** A parsed subnet: network address as a bigint, prefix, version. */
export interface Cidr {
  version: 4 | 6;
  network: bigint;
  prefix: number;
  bits: number;
}

export function parseCidr(text: string): Cidr | undefined {
  try {
    const [addr, prefix] = ipaddr.parseCIDR(text);
    const version = addr.kind() === 'ipv4' ? 4 : 6;
    const bits = version === 4 ? 32 : 128;
    const value = toBig(addr.toByteArray());
    const hostBits = BigInt(bits - prefix);
    const network = (value >> hostBits) << hostBits;
    return { version, network, prefix, bits };
  } catch {
    return undefined;
  }
}

export function toBig(bytes: number[]): bigint {
  return bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}

export function toAddress(value: bigint, version: 4 | 6): string {
  const n = version === 4 ? 4 : 16;
  const bytes: number[] = [];
  for (let i = n - 1; i >= 0; i--) bytes.push(Number((value >> BigInt(i * 8)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}

export function parseAddress(text: string): { version: 4 | 6; value: bigint } | undefined {
  if (!ipaddr.isValid(text)) return undefined;
  const addr = ipaddr.parse(text);
  return { version: addr.kind() === 'ipv4' ? 4 : 6, value: toBig(addr.toByteArray()) };
}

export function lastAddress(c: Cidr): bigint {
  return c.network + (1n << BigInt(c.bits - c.prefix)) - 1n;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.version === b.version && a.network <= lastAddress(b) && b.network <= lastAddress(a);
}

export function contains(c: Cidr, value: bigint): boolean {
  return value >= c.network && value <= lastAddress(c);
}

/**
 * Neutron's default gateway and allocation pool: IPv4 gateway is the first host and the pool the
 * rest without broadcast; IPv6 gateway is the subnet-router anycast address (the prefix itself)
 * and the pool everything after it.
 */
export function defaults(c: Cidr): { gateway: bigint; poolStart: bigint; poolEnd: bigint } {
  const last = lastAddress(c);
  if (c.version === 6) return { gateway: c.network, poolStart: c.network + 1n, poolEnd: last };
  return { gateway: c.network + 1n, poolStart: c.network + 2n, poolEnd: last - 1n };
}
