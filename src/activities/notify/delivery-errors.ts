/**
 * How one delivery attempt can fail, or end without sending: the notifier and its providers throw these, the
 * notify activity turns them into what the workflow records. Messages never carry PII (no address, no number).
 */

/** Thrown for a failure a retry cannot fix (misconfiguration, a 4xx other than 408/429). */
export class PermanentDeliveryError extends Error {
  override name = 'PermanentDeliveryError';
}

/** A failure worth retrying; `retryAfterMs` when the receiver said when (429 or 503 with Retry-After). */
export class TransientDeliveryError extends Error {
  override name = 'TransientDeliveryError';
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options?: ErrorOptions
  ) {
    super(message, options);
  }
}

/** Nothing was sent, on purpose (the owner opted out): the channel is recorded as skipped, never retried. */
export class DeliverySkipped extends Error {
  override name = 'DeliverySkipped';
}
