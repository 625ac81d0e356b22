import ipaddr from 'ipaddr.js';

export interface Network {
  text: string;
  family: 'ipv4' | 'ipv6';
  address: ipaddr.IPv4 | ipaddr.IPv6;
  prefix: number;
}

export type CidrProblem = { kind: 'syntax' } | { kind: 'host-bits'; network: string };

export function parseNetwork(text: string): Network | CidrProblem {
  if (!/^[0-9a-fA-F:.]+\/[0-9]{1,3}$/.test(text) || !ipaddr.isValidCIDR(text)) return { kind: 'syntax' };
  const [address, prefix] = ipaddr.parseCIDR(text);
  const family = address.kind();
  const networkAddress =
    family === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(text)
      : ipaddr.IPv6.networkAddressFromCIDR(text);
  if (networkAddress.toString() !== address.toString()) {
    return { kind: 'host-bits', network: `${networkAddress.toString()}/${prefix}` };
  }
  return { text, family, address, prefix };
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
