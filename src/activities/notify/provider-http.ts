/**
 * One HTTP call to a messaging provider (or a webhook receiver) under the outbound rules (lib/outbound.ts): never
 * following a redirect, stopped at the timeout or when the activity is cancelled; a refused target is permanent, a
 * network failure transient. `httpFailure` is the common reading of a failed status: 4xx other than 408/429 is
 * permanent, the rest transient with the receiver's Retry-After (429, 503).
 */
import { fetchWithoutRedirects, OutboundRefused, type OutboundPolicy } from '../../lib/outbound.js';
import { parseRetryAfter } from '../../lib/retry-after.js';
import { PermanentDeliveryError, TransientDeliveryError } from './delivery-errors.js';

export interface ProviderRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Names the receiver in messages, e.g. "Africa's Talking". */
  what: string;
  policy: OutboundPolicy;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface ProviderAnswer {
  status: number;
  headers: Headers;
  text: string;
}

export async function postToProvider(request: ProviderRequest): Promise<ProviderAnswer> {
  const { url, headers, body, what, policy, timeoutMs, signal } = request;
  const stop = signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetchWithoutRedirects(url, { method: 'POST', headers, body, signal: stop }, policy, what);
    const text = await res.text().catch(() => '');
    return { status: res.status, headers: res.headers as unknown as Headers, text };
  } catch (err) {
    if (err instanceof OutboundRefused) throw new PermanentDeliveryError(err.message);
    // No `cause`: Temporal records an error's causes in history, and a provider's error could quote the number.
    throw new TransientDeliveryError(`could not reach ${what} (${(err as Error).name}); retrying`);
  }
}

/** A failed HTTP status as a delivery error; `fix` says what to do about a permanent one. */
export function httpFailure(
  what: string,
  status: number,
  retryAfter: string | null,
  nowMs: number,
  fix = 'fix the receiver'
): PermanentDeliveryError | TransientDeliveryError {
  const message = `${what} answered ${status}`;
  if (status >= 400 && status < 500 && status !== 408 && status !== 429)
    return new PermanentDeliveryError(`${message}; ${fix}`);
  const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(retryAfter, nowMs) : undefined;
  return new TransientDeliveryError(`${message}; retrying`, retryAfterMs);
}

/** The JSON of an answer, or undefined when it is not JSON. */
export function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
