import { describe, expect, it } from 'bun:test';
import { cidrContains, clientKey, ipBytes, normaliseIp, parseCidr, truncateIp } from './ip.ts';

describe('ip helpers', () => {
  it('matches IPv4 and IPv6 addresses against CIDRs', () => {
    const c = parseCidr('172.16.0.0/12')!;
    expect(cidrContains(c, ipBytes('172.31.255.1')!)).toBe(true);
    expect(cidrContains(c, ipBytes('172.32.0.1')!)).toBe(false);
    const v6 = parseCidr('fc00::/7')!;
    expect(cidrContains(v6, ipBytes('fd12:3456::1')!)).toBe(true);
    expect(cidrContains(v6, ipBytes('2001:db8::1')!)).toBe(false);
  });

  it('refuses malformed CIDRs', () => {
    for (const bad of ['10.0.0.0/33', '::/129', 'nope', '10.0.0.0/x', '1.2.3/8']) expect(parseCidr(bad)).toBeNull();
  });

  it('truncates IPv4 to /24 and IPv6 to /48 for storage', () => {
    expect(truncateIp('203.0.113.77')).toBe('203.0.113.0');
    expect(truncateIp('2001:db8:abcd:1234::5')).toBe('2001:db8:abcd::');
    expect(truncateIp('::ffff:8.8.8.8')).toBe('8.8.8.0');
    expect(truncateIp('junk')).toBe('');
    expect(truncateIp('0.0.0.1')).toBe('0.0.0.0');
    expect(truncateIp(' 8.8.8.8 ')).toBe('8.8.8.0');
    expect(truncateIp('08.8.8.8')).toBe('');
    expect(truncateIp('[::ffff:1.2.3.4]')).toBe('1.2.3.0');
  });

  it('reads an IPv4-mapped IPv6 address in its hex spellings as its IPv4 address, and leaves other IPv6 addresses as they are', () => {
    for (const ip of ['::ffff:5102:45a0', '::FFFF:5102:45A0', '0:0:0:0:0:ffff:5102:45a0', '[::ffff:5102:45a0]', '::ffff:81.2.69.160']) {
      expect([ip, normaliseIp(ip), truncateIp(ip), clientKey(normaliseIp(ip), 64)]).toEqual([ip, '81.2.69.160', '81.2.69.0', '81.2.69.160']);
    }
    // Not mapped: ffff elsewhere, or the IPv4-compatible ::a.b.c.d.
    for (const ip of ['2001:db8::ffff:5102:45a0', 'ffff::1', '::5102:45a0', '::ffff:0:5102:45a0']) expect([ip, normaliseIp(ip)]).toEqual([ip, ip]);
  });

  it('keeps of a 6to4 address only the /40 that holds its IPv4 address\'s /24, since its /48 is that whole address', () => {
    // 2002:5102:458e:: is 81.2.69.142's 6to4 prefix.
    expect(truncateIp('2002:5102:458e::1')).toBe('2002:5102:4500::');
    expect(truncateIp('2002:cb00:7100:1::5')).toBe('2002:cb00:7100::');
    expect(truncateIp('2002:0a00:0001::1')).toBe('2002:a00::');
  });

  it('counts an IPv6 client by its network and an IPv4 one by its address (clientKey)', () => {
    expect(clientKey('2a00:1450:4001:81b::1', 64)).toBe(clientKey('2a00:1450:4001:81b:ffff::9', 64));
    expect(clientKey('2a00:1450:4001:81b::1', 64)).not.toBe(clientKey('2a00:1450:4001:81c::1', 64));
    expect(clientKey('2a00:1450:4001:81b::1', 56)).toBe(clientKey('2a00:1450:4001:8ff::1', 56));
    expect([clientKey('203.0.113.9', 64), clientKey('::ffff:203.0.113.9', 64)]).toEqual(['203.0.113.9', '203.0.113.9']);
    // Read from the text as the bytes read it: compressed zeros, a dotted tail, upper case.
    expect(clientKey('1::2:3:4:5:6:7', 64)).toBe(clientKey('1:0:2:3:4:5:6:7', 64));
    expect(clientKey('1:2:3::1.2.3.4', 64)).toBe(clientKey('1:2:3:0:ffff::', 64));
    expect(clientKey('ABCD:EF01:2345:6789::', 64)).toBe(clientKey('abcd:ef01:2345:6789::1', 64));
    expect(clientKey('::1', 64)).not.toBe(clientKey('::2:0:0:0:1', 64));
    // A zone names an interface, a dot in it too; one /56 has one key whatever its fourth group.
    expect(clientKey('2001:db8::1:2:3:4:5%eth0.5', 64)).toBe(clientKey('2001:db8:0:1::', 64));
    expect(clientKey('0:0:0:42::', 56)).toBe(clientKey('::', 56));
    // A 6to4 site is one client (its IPv4 address), whatever its subnet.
    expect(clientKey('2002:5102:458e:1::1', 64)).toBe(clientKey('2002:5102:458e:ffff::9', 64));
    expect(clientKey('2002:5102:458e:1::1', 64)).not.toBe(clientKey('2002:5102:458f:1::1', 64));
  });

  it('writes a truncated IPv6 address in its one canonical form (RFC 5952)', () => {
    expect(truncateIp('2606:4700::1111')).toBe('2606:4700::');
    expect(truncateIp('2606:4700:0:1::1')).toBe('2606:4700::');
    expect(truncateIp('2001:0DB8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::');
    expect(truncateIp('fe80::1234:5678')).toBe('fe80::');
    expect(truncateIp('0:0:1::5')).toBe('0:0:1::');
    expect(truncateIp('::1')).toBe('::');
  });
});
