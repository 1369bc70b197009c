/**
 * Limits refused requests per source, so that a client hammering the webhook endpoint with a wrong secret, or the
 * admin API and the codec with wrong tokens, cannot flood the logs or the CPU. Credentials are checked first and
 * only failures count: a request with the right secret or token is never limited, whoever else shares its source
 * (a load balancer, a NAT). Bounded memory: the least recently seen sources are forgotten first.
 *
 * The source is the client address Express gives (`req.ip`, which honours TRUST_PROXY); an IPv6 client counts by
 * its /64 prefix, because one host commonly holds a whole /64.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Request, Response } from 'express';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';

export interface FailureLimiterOptions {
  /** Failures a source may have per window before its requests are refused unseen. */
  maxFailures: number;
  windowMs: number;
  /** Sources remembered at most. */
  maxSources?: number;
  now?: () => number;
}

export interface FailureLimiter {
  /** True when `source` has used up its failures in the current window. */
  isLimited(source: string): boolean;
  /** Counts a failure; returns true when this failure used up the allowance (log it once, then stay quiet). */
  recordFailure(source: string): boolean;
  /** Seconds until `source` may try again. */
  retryAfterSeconds(source: string): number;
}

export function createFailureLimiter({
  maxFailures,
  windowMs,
  maxSources = 10_000,
  now = Date.now,
}: FailureLimiterOptions): FailureLimiter {
  const sources = new Map<string, { windowStart: number; failures: number }>();
  const current = (source: string): { windowStart: number; failures: number } => {
    const t = now();
    let entry = sources.get(source);
    if (!entry || t - entry.windowStart >= windowMs) entry = { windowStart: t, failures: 0 };
    sources.delete(source);
    sources.set(source, entry);
    if (sources.size > maxSources) sources.delete(sources.keys().next().value!);
    return entry;
  };
  return {
    isLimited: (source) => current(source).failures >= maxFailures,
    recordFailure(source) {
      const entry = current(source);
      entry.failures += 1;
      return entry.failures === maxFailures;
    },
    retryAfterSeconds(source) {
      const entry = sources.get(source);
      return entry ? Math.max(1, Math.ceil((entry.windowStart + windowMs - now()) / 1000)) : 1;
    },
  };
}

/** Default allowance: 20 refused requests per source per minute. */
export const REFUSALS_PER_MINUTE = 20;

/**
 * The key a client address is counted under: an IPv4 address as it is (an IPv4-mapped IPv6 address as its IPv4
 * address), an IPv6 address by its /64 prefix (`2001:db8:1:2::/64`); anything else unchanged.
 */
export function sourceKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped !== undefined && isIPv4(mapped)) return mapped;
  const bare = address.split('%')[0]!;
  if (!isIPv6(bare)) return address;
  return `${ipv6Groups(bare).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, in hex without leading zeros. */
function ipv6Groups(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const split = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const withIpv4 = (groups: string[]): string[] => {
    const last = groups.at(-1);
    if (last === undefined || !last.includes('.')) return groups;
    const [a, b, c, d] = last.split('.').map(Number) as [number, number, number, number];
    return [...groups.slice(0, -1), ((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
  };
  const front = withIpv4(split(head));
  const back = tail === undefined ? [] : withIpv4(split(tail));
  const zeros: string[] = Array.from({ length: 8 - front.length - back.length }, () => '0');
  return [...front, ...zeros, ...back].map((group) => parseInt(group, 16).toString(16));
}

/** The source of a request, as the limiter counts it. */
export function sourceOf(req: Request): string {
  return sourceKey(req.ip ?? req.socket.remoteAddress ?? 'unknown');
}

export interface RefusalGuard {
  /**
   * After a request failed authentication on `surface` (`webhook`, `admin`, `codec`): a source over its allowance
   * gets 429 with Retry-After, unlogged; otherwise the refusal is counted, logged (once more when it uses up the
   * allowance) and answered by `answer` (the surface's 401).
   */
  refuse(req: Request, res: Response, surface: string, logLine: string, answer: () => void): void;
}

/** Refusal accounting over one allowance per source; the operator surfaces (admin API, codec) share one. */
export function createRefusalGuard({
  metrics,
  logger,
  limiter = createFailureLimiter({ maxFailures: REFUSALS_PER_MINUTE, windowMs: 60_000 }),
}: {
  metrics: Metrics;
  logger: Logger;
  limiter?: FailureLimiter;
}): RefusalGuard {
  return {
    refuse(req, res, surface, logLine, answer) {
      const source = sourceOf(req);
      if (limiter.isLimited(source)) {
        metrics.refusedRequests.inc({ surface, reason: 'rate_limited' });
        res
          .status(429)
          .set('Retry-After', String(limiter.retryAfterSeconds(source)))
          .json({ error: 'too many refused requests from this address; check the credentials and retry later' });
        return;
      }
      metrics.refusedRequests.inc({ surface, reason: 'unauthorized' });
      if (limiter.recordFailure(source)) {
        logger.warn({ surface, source }, `${logLine}; further refusals from this source are answered 429 unlogged`);
      } else {
        logger.warn({ surface, source }, logLine);
      }
      answer();
    },
  };
}
