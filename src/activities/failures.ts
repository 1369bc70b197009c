/**
 * Failure types that cross from activities into the workflow. The workflow's retry policies and escalation
 * logic name these; activities throw them as ApplicationFailure types.
 */
export const FAILURE = {
  /** A fault that may pass: timeout, network, 429, 5xx, garbled body. Retried by the activity policy. */
  monoTransient: 'MonoTransient',
  /** Needs a person: wrong key (401), missing permission (403), unknown account (404), bad request (400/402). */
  monoNeedsOperator: 'MonoNeedsOperator',
  /** A notification channel is misconfigured (e.g. no contact for email): retrying cannot help. */
  notifyMisconfigured: 'NotifyMisconfigured',
  /** A channel failed in a way that may pass (network, 5xx, 429); the workflow retries on its delivery schedule. */
  notifyTransient: 'NotifyTransient',
} as const;

export const NON_RETRYABLE_FAILURES = [FAILURE.monoNeedsOperator];
