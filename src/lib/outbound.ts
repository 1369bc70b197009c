/**
 * Rules for every call the service makes to the outside (Mono, the customer's and operators' webhooks, SMTP):
 * no redirect is ever followed (a cross-origin 307 would re-post the body with `mono-sec-key` or the webhook
 * signature to wherever it points), https is required, and names that resolve to private, loopback, link-local or
 * other special-purpose addresses (src/lib/address-ranges.ts) are refused — outside development, unless a host is
 * explicitly allowed (OUTBOUND_ALLOW_PRIVATE).
 *
 * The address checked is the address connected to: a name is resolved once, at the connection, by a lookup that
 * refuses special-purpose answers (vettedLookup, used by every fetch through outboundDispatcher, and by SMTP), so a
 * DNS answer that changes between a check and the connection cannot send the call elsewhere.
 */
import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, fetch, type RequestInit, type Response } from 'undici';
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
  const parsed = checkScheme(url, policy, what);
  await checkHost(parsed.hostname, policy, what);
}

/** The parsed URL; throws OutboundRefused for something that is not a URL, or http where https is required. */
export function checkScheme(url: string, policy: OutboundPolicy, what: string): URL {
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
  return parsed;
}

/** vettedAddresses with `what` in front of any error's message: throws OutboundRefused for a refused address. */
export async function checkHost(host: string, policy: OutboundPolicy, what: string): Promise<LookupAddress[]> {
  return naming(what, vettedAddresses(host, policy));
}

/**
 * The addresses a connection to `host` may use under `policy`: the name resolved once, and refused (OutboundRefused)
 * if any answer is a special-purpose address, unless the policy allows the host. Connect to these addresses and to
 * nothing else, so that the address checked is the address connected to. A name that does not resolve is an Error
 * worth a retry.
 */
export async function vettedAddresses(host: string, policy: OutboundPolicy): Promise<LookupAddress[]> {
  const bare = host.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  const addresses = family !== 0 ? [{ address: bare, family }] : await resolve(bare);
  if (mayBePrivate(bare, policy)) return addresses;
  for (const { address } of addresses) {
    const range = specialPurposeRange(address);
    if (range === null) continue;
    throw new OutboundRefused(
      `${bare} resolves to ${address}, a private or loopback address (${range}); refused outside development (allow the host with OUTBOUND_ALLOW_PRIVATE if it is yours)`
    );
  }
  return addresses;
}

const mayBePrivate = (host: string, { allowPrivate }: OutboundPolicy): boolean =>
  allowPrivate === true || (Array.isArray(allowPrivate) && allowPrivate.includes(host.toLowerCase()));

async function resolve(name: string): Promise<LookupAddress[]> {
  try {
    return await lookup(name, { all: true, verbatim: true });
  } catch (err) {
    throw new Error(`cannot resolve ${name} (${(err as NodeJS.ErrnoException).code ?? 'error'}); retrying`, {
      cause: err,
    });
  }
}

/** `work`'s result, or its error with `what` in front of the message (an OutboundRefused stays one). */
async function naming<T>(what: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof OutboundRefused) throw new OutboundRefused(`${what}: ${err.message}`);
    throw new Error(`${what}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * A `lookup` for net.connect and tls.connect that answers with vettedAddresses: the connection is made to an
 * address that passed the check, from the one resolution that the check looked at.
 */
export function vettedLookup(policy: OutboundPolicy): LookupFunction {
  return (hostname, options, callback) => {
    vettedAddresses(hostname, policy).then(
      (addresses) => {
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
        const usable = family ? addresses.filter((a) => a.family === family) : addresses;
        const first = usable[0];
        if (!first) {
          const err = Object.assign(new Error(`${hostname} has no IPv${family} address`), { code: 'ENOTFOUND' });
          return callback(err, '', 0);
        }
        if (options.all) callback(null, usable);
        else callback(null, first.address, first.family);
      },
      (err: Error) => callback(err, '', 0)
    );
  };
}

const dispatchers = new WeakMap<OutboundPolicy, Agent>();

/** The connection pool for calls under `policy`: every connection goes to an address from vettedLookup. */
export function outboundDispatcher(policy: OutboundPolicy): Agent {
  let agent = dispatchers.get(policy);
  if (!agent) {
    agent = new Agent({ connect: { lookup: vettedLookup(policy) } });
    dispatchers.set(policy, agent);
  }
  return agent;
}

/**
 * A fetch that connects only to vetted addresses and never follows a redirect: a 3xx answer is an OutboundRefused
 * naming where it pointed. An address literal is checked here (no lookup happens for it); a name is checked by the
 * dispatcher's lookup, at the connection.
 */
export async function fetchWithoutRedirects(
  url: string,
  init: Omit<RequestInit, 'redirect' | 'dispatcher'>,
  policy: OutboundPolicy,
  what: string
): Promise<Response> {
  const { hostname } = checkScheme(url, policy, what);
  if (isIP(hostname.replace(/^\[|\]$/g, '')) !== 0) await checkHost(hostname, policy, what);
  let res: Response;
  try {
    res = await fetch(url, { ...init, redirect: 'manual', dispatcher: outboundDispatcher(policy) });
  } catch (err) {
    const refused = (err as Error).cause;
    if (refused instanceof OutboundRefused) throw new OutboundRefused(`${what}: ${refused.message}`);
    throw err;
  }
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
