import { isIP } from 'node:net';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { CidrSet, canonicalAddress, ipText, keptIp, parseIPv4, parseIp } from './cidr.js';

/** The reference: ipaddr.js with the gateway's rules (strict text, mapped unmapped, families apart). */
function reference(ranges: string[], client: string): boolean {
  if (isIP(client) === 0) return false;
  let addr = ipaddr.parse(client);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress())
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  return ranges.some((text) => {
    let [net, bits] = text.includes('/')
      ? ipaddr.parseCIDR(text)
      : ([ipaddr.parse(text), text.includes(':') ? 128 : 32] as [ipaddr.IPv4 | ipaddr.IPv6, number]);
    if (net.kind() === 'ipv6' && (net as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
      net = (net as ipaddr.IPv6).toIPv4Address();
      bits -= 96;
    }
    return net.kind() === addr.kind() && addr.match(net as never, bits);
  });
}

const octet = fc.integer({ min: 0, max: 255 });
const v4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
// Few distinct groups, so random ranges and clients often share prefixes.
const group = fc.constantFrom('0', '1', 'db8', '2001', 'ffff', 'fe80', 'a');
const v6 = fc.array(group, { minLength: 8, maxLength: 8 }).map((g) => g.join(':'));
const mapped = v4.map((a) => `::ffff:${a}`);
const range = fc.oneof(
  fc.tuple(v4, fc.integer({ min: 0, max: 32 })).map(([a, b]) => `${a}/${b}`),
  v4,
  fc.tuple(v6, fc.integer({ min: 0, max: 128 })).map(([a, b]) => `${a}/${b}`),
  fc.tuple(mapped, fc.integer({ min: 90, max: 128 })).map(([a, b]) => `${a}/${b}`),
);

describe('parseIPv4', () => {
  it('accepts exactly what net.isIPv4 accepts, with the same value as ipaddr.js', () => {
    const text = fc.oneof(
      v4,
      fc.string({ unit: fc.constantFrom(...'0123456789.x:'), maxLength: 17 }),
      fc.tuple(v4, fc.constantFrom('0', '00', '.1', ' ')).map(([a, b]) => a + b),
    );
    fc.assert(
      fc.property(text, (t) => {
        const n = parseIPv4(t);
        if (isIP(t) !== 4) expect(n).toBe(-1);
        else {
          const o = ipaddr.IPv4.parse(t).octets;
          expect(n).toBe(((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0);
        }
      }),
      { numRuns: 2000 },
    );
    expect(parseIPv4('010.0.0.1')).toBe(-1);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
  });
});

describe('CidrSet against ipaddr.js', () => {
  it('gives the same answer for random ranges and clients of both families', () => {
    const client = fc.oneof(v4, v6, mapped);
    fc.assert(
      fc.property(
        fc.array(range, { minLength: 1, maxLength: 6 }),
        fc.array(client, { maxLength: 8 }),
        (rs, cs) => {
          const set = new CidrSet(rs);
          for (const c of cs) expect(set.hasText(c)).toBe(reference(rs, c));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('reads the rarer spellings a policy may hold the way ipaddr.js does', () => {
    const set = new CidrSet(['10.1/16', '192.0.2.0/024']);
    expect(set.hasText('10.0.0.1')).toBe(true);
    expect(set.hasText('10.1.0.1')).toBe(false);
    expect(set.hasText('192.0.2.77')).toBe(true);
  });

  it('parses clients strictly and canonically', () => {
    expect(parseIp('127.1')).toBeNull();
    expect(parseIp('203.0.113.7:80')).toBeNull();
    expect(parseIp('::ffff:203.0.113.7')).toBe(parseIPv4('203.0.113.7'));
    expect(canonicalAddress('2001:DB8:0:0::7')).toBe('2001:db8::7');
    expect(canonicalAddress('203.0.113.7')).toBe('203.0.113.7');
  });
});

describe('CidrSet and canonical text', () => {
  it('matches IPv4-mapped ranges as IPv4 and keeps families apart', () => {
    const set = new CidrSet(['::ffff:10.0.0.0/104', '2001:db8::/32', '192.0.2.1']);
    expect(set.hasText('10.1.2.3')).toBe(true);
    expect(set.hasText('::ffff:10.1.2.3')).toBe(true);
    expect(set.hasText('192.0.2.1')).toBe(true);
    expect(set.hasText('192.0.2.2')).toBe(false);
    expect(set.hasText('2001:db8::5')).toBe(true);
    expect(set.hasText('not an address')).toBe(false);
    expect(new CidrSet(['::/0']).hasText('203.0.113.7')).toBe(false);
  });

  it('canonicalises addresses strictly', () => {
    expect(canonicalAddress('::FFFF:203.0.113.7')).toBe('203.0.113.7');
    expect(canonicalAddress('0x7f.0.0.1')).toBeNull();
    expect(canonicalAddress('2001:0db8::0001')).toBe('2001:db8::1');
  });

  it('reads an IPv4 address kept signed (keptIp) as the same 32 bits', () => {
    const ip = parseIPv4('203.0.113.7');
    expect(keptIp(ip)).toBeLessThan(0);
    expect(new CidrSet(['203.0.113.0/24']).hasIp(keptIp(ip))).toBe(true);
    expect(new CidrSet(['203.0.113.8/32', '10.0.0.0/8']).hasIp(keptIp(ip))).toBe(false);
    expect(ipText(keptIp(ip))).toBe('203.0.113.7');
    expect(ipText(keptIp(parseIPv4('255.255.255.255')))).toBe('255.255.255.255');
  });
});
