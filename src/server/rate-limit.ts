/**
 * Limits refused requests per source, so that a client hammering the webhook endpoint with a wrong secret, or the
 * admin API with wrong tokens, cannot flood the logs or the CPU. Only failures count: a sender with the right
 * secret is never slowed down. Bounded memory: the least recently seen sources are forgotten first.
 */
import type { NextFunction, Request, Response } from 'express';
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

export interface RefusalGuard {
  /** Middleware: answers 429 to a source that has used up its refusals, without logging. */
  blockLimited: (req: Request, res: Response, next: NextFunction) => void;
  /** `blockLimited` inside a handler: true when it answered 429 (the handler stops there). */
  answeredLimited: (req: Request, res: Response) => boolean;
  /** Records a refusal (counted in the metric; logged until the source is limited, and once when it becomes so). */
  refused: (req: Request, logLine: string) => void;
}

/** Refusal accounting for one surface (`webhook`, `admin`, `codec`). */
export function createRefusalGuard({
  surface,
  metrics,
  logger,
  limiter = createFailureLimiter({ maxFailures: REFUSALS_PER_MINUTE, windowMs: 60_000 }),
}: {
  surface: string;
  metrics: Metrics;
  logger: Logger;
  limiter?: FailureLimiter;
}): RefusalGuard {
  const sourceOf = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';
  const answeredLimited = (req: Request, res: Response): boolean => {
    const source = sourceOf(req);
    if (!limiter.isLimited(source)) return false;
    metrics.refusedRequests.inc({ surface, reason: 'rate_limited' });
    res
      .status(429)
      .set('Retry-After', String(limiter.retryAfterSeconds(source)))
      .json({ error: 'too many refused requests from this address; check the credentials and retry later' });
    return true;
  };
  return {
    blockLimited(req, res, next) {
      if (!answeredLimited(req, res)) next();
    },
    answeredLimited,
    refused(req, logLine) {
      const source = sourceOf(req);
      metrics.refusedRequests.inc({ surface, reason: 'unauthorized' });
      const nowLimited = limiter.recordFailure(source);
      if (nowLimited) {
        logger.warn({ surface, source }, `${logLine}; further refusals from this source are answered 429 unlogged`);
      } else if (!limiter.isLimited(source)) {
        logger.warn({ surface, source }, logLine);
      }
    },
  };
}
