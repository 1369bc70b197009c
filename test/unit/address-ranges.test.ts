/**
 * Which addresses the outbound rules refuse outside development: every special-purpose range of the IANA
 * registries (RFC 6890 and later), in every notation, including IPv6 addresses that carry an IPv4 address inside
 * (IPv4-mapped in dotted or hex form, NAT64, 6to4), which are judged by that IPv4 address.
 */
import { describe, expect, it } from 'vitest';
import { checkOutbound, isPrivateAddress, OutboundRefused, STRICT_OUTBOUND } from '../../src/lib/outbound.js';

const refused: Array<[string, string]> = [
  ['0.0.0.0', 'this network'],
  ['0.1.2.3', 'this network'],
  ['10.20.30.40', 'private'],
  ['100.64.0.1', 'carrier-grade NAT'],
  ['100.127.255.254', 'carrier-grade NAT'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['169.254.169.254', 'link-local (cloud metadata)'],
  ['172.16.0.1', 'private'],
  ['172.31.255.254', 'private'],
  ['192.0.0.8', 'IETF protocol assignments'],
  ['192.0.0.170', 'NAT64 discovery'],
  ['192.0.2.10', 'documentation TEST-NET-1'],
  ['192.88.99.1', '6to4 relay anycast'],
  ['192.168.1.1', 'private'],
  ['198.18.0.1', 'benchmarking'],
  ['198.19.255.254', 'benchmarking'],
  ['198.51.100.7', 'documentation TEST-NET-2'],
  ['203.0.113.9', 'documentation TEST-NET-3'],
  ['224.0.0.251', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['240.0.0.1', 'reserved'],
  ['255.255.255.255', 'broadcast'],
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback, long form'],
  ['::ffff:127.0.0.1', 'IPv4-mapped loopback, dotted'],
  ['::ffff:7f00:1', 'IPv4-mapped loopback, hex'],
  ['::ffff:a9fe:a9fe', 'IPv4-mapped 169.254.169.254, hex'],
  ['::FFFF:A9FE:A9FE', 'IPv4-mapped 169.254.169.254, upper case'],
  ['0:0:0:0:0:ffff:a9fe:a9fe', 'IPv4-mapped 169.254.169.254, long form'],
  ['::ffff:0:a9fe:a9fe', 'IPv4-translated 169.254.169.254'],
  ['::ffff:10.0.0.1', 'IPv4-mapped private'],
  ['::127.0.0.1', 'IPv4-compatible (deprecated)'],
  ['::8.8.8.8', 'IPv4-compatible (deprecated), even of a public address'],
  ['64:ff9b::a9fe:a9fe', 'NAT64 of 169.254.169.254'],
  ['64:ff9b::127.0.0.1', 'NAT64 of loopback, dotted'],
  ['64:ff9b::a00:1', 'NAT64 of 10.0.0.1'],
  ['64:ff9b:1::8.8.8.8', 'local-use NAT64 (not globally reachable)'],
  ['100::1', 'discard-only'],
  ['2001::1', 'Teredo'],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
  ['2001:2::1', 'benchmarking'],
  ['2001:db8::1', 'documentation'],
  ['2001:10::1', 'ORCHID'],
  ['2002:a9fe:a9fe::1', '6to4 of 169.254.169.254'],
  ['2002:7f00:1::', '6to4 of loopback'],
  ['2002:c0a8:101::1', '6to4 of 192.168.1.1'],
  ['3fff::1', 'documentation'],
  ['5f00::1', 'segment routing'],
  ['fc00::1', 'unique local'],
  ['fd12:3456:789a::1', 'unique local'],
  ['fe80::1', 'link-local'],
  ['febf::1', 'link-local'],
  ['fec0::1', 'site-local (deprecated)'],
  ['ff02::1', 'multicast'],
  ['4000::1', 'not global unicast (outside 2000::/3)'],
  ['fe80::1%eth0', 'link-local with a zone'],
  ['not-an-address', 'not an address'],
  ['', 'empty'],
];

const allowed: Array<[string, string]> = [
  ['8.8.8.8', 'public IPv4'],
  ['1.1.1.1', 'public IPv4'],
  ['172.32.0.1', 'just outside 172.16.0.0/12'],
  ['100.128.0.1', 'just outside 100.64.0.0/10'],
  ['198.20.0.1', 'just outside 198.18.0.0/15'],
  ['192.0.1.1', 'just outside 192.0.0.0/24'],
  ['::ffff:8.8.8.8', 'IPv4-mapped public, dotted'],
  ['::ffff:808:808', 'IPv4-mapped public, hex'],
  ['64:ff9b::808:808', 'NAT64 of a public address (a DNS64 network answers so for every IPv4-only name)'],
  ['2002:808:808::1', '6to4 of a public address'],
  ['2001:4860:4860::8888', 'public IPv6'],
  ['2606:4700:4700::1111', 'public IPv6'],
];

describe('special-purpose addresses', () => {
  it.each(refused)('refuses %s (%s)', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(allowed)('allows %s (%s)', (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });

  it.each([
    'https://[::ffff:a9fe:a9fe]/',
    'https://[::ffff:169.254.169.254]/',
    'https://[64:ff9b::a9fe:a9fe]/',
    'https://[2002:a9fe:a9fe::]/',
    'https://198.18.0.1/',
    'https://192.0.0.1/',
  ])('the strict policy refuses %s before any connection', async (url) => {
    await expect(checkOutbound(url, STRICT_OUTBOUND, 'the test target')).rejects.toThrow(OutboundRefused);
  });

  it('an explicitly allowed host is still allowed, whatever its address', async () => {
    const policy = { requireHttps: true, allowPrivate: ['::ffff:a9fe:a9fe', '198.18.0.1'] };
    await expect(checkOutbound('https://[::ffff:a9fe:a9fe]/', policy, 't')).resolves.toBeUndefined();
    await expect(checkOutbound('https://198.18.0.1/', policy, 't')).resolves.toBeUndefined();
  });
});
