/**
 * Rules for every call the service makes to the outside (Mono, the customer's and operators' webhooks, SMTP):
 * no redirect is ever followed (a cross-origin 307 would re-post the body with `mono-sec-key` or the webhook
 * signature to wherever it points), https is required, and names that resolve to private, loopback, link-local or
 * other special-purpose addresses (src/lib/address-ranges.ts) are refused — outside development, unless a host is
 * explicitly allowed (OUTBOUND_ALLOW_PRIVATE).
 *
 * The address check resolves the name just before the call; a DNS answer that changes between the check and the
 * connection is not caught here (a network policy is the place for that guarantee).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { specialPurposeRange } from './address-ranges.js';

export { isPrivateAddress, specialPurposeRange } from './address-ranges.js';

export interface OutboundPolicy {
  /** Refuse http:// (and SMTP without TLS). */
  requireHttps: boolean;
  /** true: any address; false: public addresses only; a list: public addresses, and these hosts anywhere. */
  allowPrivate: boolean | readonly string[];
}

/** Outside development: https only, public addresses only. */
export const STRICT_OUTBOUND: OutboundPolicy = Object.freeze({ requireHttps: true, allowPrivate: false });
/** On a developer's machine: the simulator and test receivers run on http://127.0.0.1. */
export const DEVELOPMENT_OUTBOUND: OutboundPolicy = Object.freeze({ requireHttps: false, allowPrivate: true });

/** A call the policy does not allow; never worth a retry. */
export class OutboundRefused extends Error {
  override name = 'OutboundRefused';
}

/** Throws OutboundRefused when `url` may not be called under `policy`. `what` names the target in the message. */
export async function checkOutbound(url: string, policy: OutboundPolicy, what: string): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OutboundRefused(`${what}: not a URL`);
  }
  const secure = parsed.protocol === 'https:' || parsed.protocol === 'smtps:';
  if (policy.requireHttps && !secure && parsed.protocol !== 'smtp:') {
    throw new OutboundRefused(`${what} must use https outside development (${parsed.protocol}//${parsed.host})`);
  }
  await checkHost(parsed.hostname, policy, what);
}

/** Throws OutboundRefused when `host` resolves to an address the policy refuses. */
export async function checkHost(host: string, policy: OutboundPolicy, what: string): Promise<void> {
  if (policy.allowPrivate === true) return;
  const bare = host.replace(/^\[|\]$/g, '');
  if (Array.isArray(policy.allowPrivate) && policy.allowPrivate.includes(bare.toLowerCase())) return;
  let addresses: string[];
  if (isIP(bare)) {
    addresses = [bare];
  } else {
    try {
      addresses = (await lookup(bare, { all: true, verbatim: true })).map((a) => a.address);
    } catch (err) {
      throw new Error(`${what}: cannot resolve ${bare} (${(err as NodeJS.ErrnoException).code ?? 'error'}); retrying`, {
        cause: err,
      });
    }
  }
  for (const address of addresses) {
    const range = specialPurposeRange(address);
    if (range === null) continue;
    throw new OutboundRefused(
      `${what}: ${bare} resolves to ${address}, a private or loopback address (${range}); refused outside development (allow the host with OUTBOUND_ALLOW_PRIVATE if it is yours)`
    );
  }
}

/** A fetch that never follows a redirect: a 3xx answer is an OutboundRefused naming where it pointed. */
export async function fetchWithoutRedirects(
  url: string,
  init: RequestInit,
  policy: OutboundPolicy,
  what: string,
  fetchImpl: typeof fetch = fetch
): Promise<Response> {
  await checkOutbound(url, policy, what);
  const res = await fetchImpl(url, { ...init, redirect: 'manual' });
  if (res.status >= 300 && res.status < 400) {
    await res.arrayBuffer().catch(() => undefined);
    const location = res.headers.get('location');
    throw new OutboundRefused(
      `${what} answered ${res.status}, a redirect${location ? ` to ${safeOrigin(location, url)}` : ''}; redirects are never followed — configure the final URL`
    );
  }
  return res;
}

function safeOrigin(location: string, base: string): string {
  try {
    return new URL(location, base).origin;
  } catch {
    return 'an unparseable location';
  }
}
