import ipaddr from 'ipaddr.js';

export interface Network {
  text: string;
  family: 'ipv4' | 'ipv6';
  address: ipaddr.IPv4 | ipaddr.IPv6;
  prefix: number;
}

export type CidrProblem = { kind: 'syntax' } | { kind: 'non-canonical' } | { kind: 'host-bits'; network: string };

export function parseNetwork(text: string): Network | CidrProblem {
  if (!/^[0-9a-fA-F:.]+\/[0-9]{1,3}$/.test(text)) return { kind: 'syntax' };
  // The family is decided by the text: ipaddr's family-agnostic parse tries IPv6 first and throws
  // on every IPv4 network, which made this the costliest step of `statsmoln validate`.
  const parsed = text.includes(':') ? parseFamily(ipaddr.IPv6, text) : parseFamily(ipaddr.IPv4, text);
  if (!parsed) return { kind: 'syntax' };
  const { family, address, prefix, networkAddress } = parsed;
  // ipaddr also reads shorthand and octal IPv4 ("10.0/16", "010.0.0.0/8"); Neutron refuses any IPv4
  // CIDR that is not in its canonical text, and a leading zero would silently mean octal.
  if (family === 'ipv4' && text !== `${address.toString()}/${prefix}`) return { kind: 'non-canonical' };
  if (networkAddress.toString() !== address.toString()) {
    return { kind: 'host-bits', network: `${networkAddress.toString()}/${prefix}` };
  }
  return { text, family, address, prefix };
}

interface ParsedCidr {
  family: 'ipv4' | 'ipv6';
  address: ipaddr.IPv4 | ipaddr.IPv6;
  prefix: number;
  networkAddress: ipaddr.IPv4 | ipaddr.IPv6;
}

function parseFamily(family: typeof ipaddr.IPv4 | typeof ipaddr.IPv6, text: string): ParsedCidr | undefined {
  try {
    const [address, prefix] = family.parseCIDR(text);
    return { family: address.kind(), address, prefix, networkAddress: family.networkAddressFromCIDR(text) };
  } catch {
    return undefined;
  }
}

export function isNetwork(value: Network | CidrProblem): value is Network {
  return 'address' in value;
}

/** Two networks overlap exactly when one contains the other's network address. */
export function overlaps(a: Network, b: Network): boolean {
  if (a.family !== b.family) return false;
  const shorter = a.prefix <= b.prefix ? a : b;
  const longer = shorter === a ? b : a;
  return longer.address.match(shorter.address as never, shorter.prefix);
}

/** RFC 1918 for IPv4, RFC 4193 unique local addresses for IPv6. */
export function isPrivate(network: Network): boolean {
  const range = network.address.range();
  if (network.family === 'ipv4') {
    return range === 'private' && ipaddr.IPv4.broadcastAddressFromCIDR(network.text).range() === 'private';
  }
  return range === 'uniqueLocal' && network.prefix >= 7;
}
