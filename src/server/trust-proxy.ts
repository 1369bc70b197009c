/**
 * TRUST_PROXY: which proxies in front of the service may name the client (X-Forwarded-For, X-Forwarded-Proto), so
 * that `req.ip` is the client and not the load balancer. Either a hop count (`1`: the nearest proxy, e.g. one cloud
 * load balancer or ingress-nginx) or a comma-separated list of the proxies' addresses and CIDRs (`10.0.0.0/8`,
 * Cloudflare's published ranges), which may use Express's names `loopback`, `linklocal` and `uniquelocal`.
 * Never "trust everything": with it any client could pick the address it is counted under.
 */
import { isIP } from 'node:net';

/** Express's `trust proxy` setting: false (the socket address is the client), a hop count, or proxy addresses. */
export type TrustProxy = false | number | string[];

const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const MAX_HOPS = 10;
const EVERYTHING = new Set(['true', '*', 'all', '0.0.0.0/0', '::/0']);

/** Parses TRUST_PROXY; throws an Error whose message says what to write instead. */
export function parseTrustProxy(text: string | undefined): TrustProxy {
  const value = (text ?? '').trim();
  if (value === '' || value === 'false' || value === '0') return false;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > MAX_HOPS) throw new Error(`a hop count must be at most ${MAX_HOPS}`);
    return hops;
  }
  const entries = value.split(',').map((entry) => entry.trim().toLowerCase());
  for (const entry of entries) {
    if (EVERYTHING.has(entry)) {
      throw new Error(
        `"${entry}" would trust every client to name its own address; give the number of proxies in front of the service (e.g. 1) or their CIDRs`
      );
    }
    if (!NAMED_RANGES.has(entry) && !isAddressOrCidr(entry)) {
      throw new Error(
        `"${entry}" is neither an address, a CIDR (e.g. 10.0.0.0/8) nor one of loopback, linklocal, uniquelocal`
      );
    }
  }
  return entries;
}

function isAddressOrCidr(entry: string): boolean {
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : -1;
  return bits >= 1 && bits <= (family === 4 ? 32 : 128);
}
