import fc from 'fast-check';
import { isNetwork, isPrivate, overlaps, parseNetwork, type Network } from '../../src/api/validation/cidr.js';

function network(text: string): Network {
  const parsed = parseNetwork(text);
  if (!isNetwork(parsed)) throw new Error(`${text}: ${parsed.kind}`);
  return parsed;
}

const toText = (value: number) => [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
/** An aligned IPv4 network as [first, last] integers, and its CIDR text. */
const ipv4Network = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 })).map(([raw, prefix]) => {
  const size = 2 ** (32 - prefix);
  const first = Math.floor(raw / size) * size;
  return { first, last: first + size - 1, text: `${toText(first)}/${prefix}` };
});

describe('CIDR parsing', () => {
  it('parses IPv4 and IPv6 networks', () => {
    expect(network('10.0.0.0/8')).toMatchObject({ family: 'ipv4', prefix: 8 });
    expect(network('fd00:1::/64')).toMatchObject({ family: 'ipv6', prefix: 64 });
  });

  it('names the network when host bits are set', () => {
    expect(parseNetwork('10.1.2.3/16')).toEqual({ kind: 'host-bits', network: '10.1.0.0/16' });
    expect(parseNetwork('fd00::1/64')).toEqual({ kind: 'host-bits', network: 'fd00::/64' });
  });

  it('rejects IPv4 shorthand and leading zeros, which Neutron refuses and which could mean octal', () => {
    for (const text of ['10.0/16', '10/8', '010.0.0.0/8', '10.0.0.0/08', '10.000.0.0/16']) {
      expect(parseNetwork(text)).toEqual({ kind: 'non-canonical' });
    }
    expect(network('0.0.0.0/0')).toMatchObject({ family: 'ipv4', prefix: 0 });
  });

  it('rejects what is not CIDR notation', () => {
    for (const text of ['10.0.0.0', '10.0.0.0/33', '300.0.0.0/8', 'fd00::/129', 'ten/8', '10.0.0.0/8/8', '']) {
      expect(parseNetwork(text)).toEqual({ kind: 'syntax' });
    }
  });
});

describe('overlap', () => {
  it('agrees with interval intersection for every pair of IPv4 networks (property)', () => {
    fc.assert(
      fc.property(ipv4Network, ipv4Network, (a, b) => {
        const expected = a.first <= b.last && b.first <= a.last;
        expect(overlaps(network(a.text), network(b.text))).toBe(expected);
        expect(overlaps(network(b.text), network(a.text))).toBe(expected);
      }),
      { seed: 20261122, numRuns: 2000 },
    );
  });

  it('never overlaps across address families', () => {
    expect(overlaps(network('0.0.0.0/0'), network('::/0'))).toBe(false);
  });

  it('finds IPv6 containment', () => {
    expect(overlaps(network('fd20::/16'), network('fd20:5e::/64'))).toBe(true);
    expect(overlaps(network('fd20:5e::/64'), network('fd20:5f::/64'))).toBe(false);
  });
});

describe('private ranges', () => {
  it('accepts RFC 1918 and RFC 4193 ranges', () => {
    for (const text of ['10.0.0.0/8', '172.16.0.0/12', '192.168.5.0/24', 'fd00::/8', 'fc00::/7']) {
      expect(isPrivate(network(text))).toBe(true);
    }
  });

  it('rejects public ranges and ranges that only start in private space', () => {
    for (const text of ['8.8.8.0/24', '10.0.0.0/7', '172.0.0.0/8', '2001:db8::/32', '100.64.0.0/10', 'fc00::/6']) {
      expect(isPrivate(network(text))).toBe(false);
    }
  });
});
