/**
 * Classified Mono API failures. `retryable` separates faults that go away by themselves (timeouts, 429,
 * 5xx, a garbled body) from ones a person must fix (a wrong key, a missing permission, an unknown account);
 * every message says which, and what to do.
 */
export type MonoErrorKind =
  | 'timeout'
  | 'network'
  | 'rate_limited'
  | 'server_error'
  | 'malformed_response'
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'request_failed'
  /** The call broke the outbound rules (a redirect, http, a private address): a configuration to fix. */
  | 'refused_by_policy';

const RETRYABLE: ReadonlySet<MonoErrorKind> = new Set([
  'timeout',
  'network',
  'rate_limited',
  'server_error',
  'malformed_response',
]);

export class MonoApiError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly kind: MonoErrorKind,
    message: string,
    readonly status?: number,
    /** From a 429's Retry-After header. */
    readonly retryAfterMs?: number
  ) {
    super(message);
    this.name = 'MonoApiError';
    this.retryable = RETRYABLE.has(kind);
  }
}

/** Builds the error for a non-2xx answer without a sync code; `monoMessage` is Mono's own message, if any. */
export function errorForStatus(
  status: number,
  endpoint: string,
  monoMessage: string | undefined,
  retryAfterMs?: number
): MonoApiError {
  const said = monoMessage ? ` Mono said: "${monoMessage.slice(0, 200)}".` : '';
  switch (status) {
    case 400:
      return new MonoApiError(
        'bad_request',
        `Mono refused ${endpoint} as a bad request (400).${said} This is a bug or an unsupported account; it will not succeed on retry.`,
        status
      );
    case 401:
      return new MonoApiError(
        'unauthorized',
        `Mono rejected the secret key (401) on ${endpoint}. Check MONO_SECRET_KEY (test_sk_… for sandbox, live_sk_… for live).${said}`,
        status
      );
    case 402:
      return new MonoApiError(
        'request_failed',
        `Mono could not complete ${endpoint} (402).${said} Check the account and your Mono wallet balance.`,
        status
      );
    case 403:
      return new MonoApiError(
        'forbidden',
        `The Mono secret key lacks permission for ${endpoint} (403). Enable the product (e.g. Data Sync) for your app in the Mono dashboard.${said}`,
        status
      );
    case 404:
      return new MonoApiError(
        'not_found',
        `Mono does not know this account (404 on ${endpoint}): it may have been unlinked or belong to another Mono app.${said}`,
        status
      );
    case 429:
      return new MonoApiError(
        'rate_limited',
        `Mono rate-limited ${endpoint} (429); retrying after ${Math.round((retryAfterMs ?? 0) / 1000)}s.`,
        status,
        retryAfterMs
      );
    default:
      if (status >= 500)
        return new MonoApiError(
          'server_error',
          `Mono answered ${status} on ${endpoint} (a fault on Mono's side); retrying.${said}`,
          status
        );
      return new MonoApiError('request_failed', `Mono answered ${status} on ${endpoint}.${said}`, status);
  }
}

export { parseRetryAfter } from '../../lib/retry-after.js';
