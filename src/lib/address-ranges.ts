/**
 * Which addresses are special-purpose (not a public host on the Internet), by the IANA special-purpose registries
 * (RFC 6890 and later) as ipaddr.js knows them: loopback, private, link-local, carrier-grade NAT, benchmarking
 * (198.18.0.0/15), IETF protocol assignments (192.0.0.0/24), documentation, multicast, reserved, unique-local,
 * Teredo, discard-only and the rest. IPv6 addresses that carry an IPv4 address (IPv4-mapped in any notation,
 * IPv4-translated, NAT64's well-known prefix, 6to4) are judged by that IPv4 address, so `::ffff:a9fe:a9fe` is
 * 169.254.169.254. Only global unicast IPv6 (2000::/3) passes otherwise.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

const GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3');
/** NAT64's well-known prefix; the local-use prefix 64:ff9b:1::/48 is not globally reachable and is refused as is. */
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

/** The name of the special-purpose range `address` is in, or null for a public unicast address. */
export function specialPurposeRange(address: string): string | null {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  if (address.includes('%')) return 'scoped address';
  const ip = ipaddr.parse(family === 6 ? canonicalIPv6(address) : address);
  if (ip.kind() === 'ipv4') return ipv4Range(ip as ipaddr.IPv4);
  const ipv6 = ip as ipaddr.IPv6;
  const carried = carriedIPv4(ipv6);
  if (carried) {
    const range = ipv4Range(carried);
    return range && `${range}, carried in ${ipv6.range()}`;
  }
  const range: string = ipv6.range();
  if (range !== 'unicast') return range;
  return ipv6.match(GLOBAL_UNICAST) ? null : 'not global unicast';
}

/** True for any address that is not a public unicast address (and for anything that is not an address). */
export function isPrivateAddress(address: string): boolean {
  return specialPurposeRange(address) !== null;
}

/**
 * The address in hex groups, as the WHATWG URL parser writes it: ipaddr.js reads `::8.8.8.8` (IPv4-compatible,
 * 0:0:0:0:0:0:808:808 on the wire) as if it were IPv4-mapped.
 */
function canonicalIPv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

function ipv4Range(ip: ipaddr.IPv4): string | null {
  const range: string = ip.range();
  return range === 'unicast' ? null : range;
}

/** The IPv4 address an IPv6 address stands for, where the IPv6 network reaches that IPv4 address through it. */
function carriedIPv4(ip: ipaddr.IPv6): ipaddr.IPv4 | null {
  const [, p1 = 0, p2 = 0, , , , p6 = 0, p7 = 0] = ip.parts;
  switch (ip.range() as string) {
    case 'ipv4Mapped': // ::ffff:0:0/96
    case 'rfc6145': // ::ffff:0:0:0/96, IPv4-translated
      return ipv4Of(p6, p7);
    case 'rfc6052':
      return ip.match(NAT64_WELL_KNOWN) ? ipv4Of(p6, p7) : null;
    case '6to4': // 2002:AABB:CCDD::/48 carries AA.BB.CC.DD
      return ipv4Of(p1, p2);
    default:
      return null;
  }
}

const ipv4Of = (high: number, low: number): ipaddr.IPv4 =>
  new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
