/**
 * Readiness (`GET /readyz`): every role this process runs is up — Temporal answers for the HTTP side, the worker
 * is running for the worker side — and the process is not draining for a shutdown. Probes of Temporal are answered
 * from a short cache, so that load balancers and orchestrators polling many times a second cost one call.
 */

/** How long one probe's answer is served to later callers. */
export const READINESS_CACHE_MS = 1_500;

/** `probe` answered from a cache of `ttlMs`; callers while it runs share its answer; a failure answers false. */
export function cachedProbe(
  probe: () => Promise<boolean>,
  ttlMs = READINESS_CACHE_MS,
  now: () => number = Date.now
): () => Promise<boolean> {
  let last: { at: number; answer: Promise<boolean> } | undefined;
  return () => {
    const t = now();
    if (!last || t - last.at >= ttlMs) last = { at: t, answer: probe().catch(() => false) };
    return last.answer;
  };
}

export interface ReadinessParts {
  /** Temporal answers (cached); undefined for a process without an HTTP side. */
  temporal?: () => Promise<boolean>;
  /** The worker is running; undefined for a process without a worker. */
  worker?: () => boolean;
  /** The process is draining for a shutdown: never ready again. */
  draining: () => boolean;
}

/** Ready when not draining and every part this process has is up. */
export function readiness({ temporal, worker, draining }: ReadinessParts): () => Promise<boolean> {
  return async () => {
    if (draining()) return false;
    if (worker && !worker()) return false;
    return temporal ? temporal() : true;
  };
}
