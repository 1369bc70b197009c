/** Reading gRPC status codes from the errors the Temporal client throws (directly, or as their cause). */

/** The gRPC status code of `err` or of its cause, if it has one. */
export function grpcStatusOf(err: unknown): number | undefined {
  const codeOf = (e: unknown): unknown => (e as { code?: unknown } | null)?.code;
  const code = codeOf(err) ?? codeOf((err as { cause?: unknown } | null)?.cause);
  return typeof code === 'number' ? code : undefined;
}

/** UNAVAILABLE or DEADLINE_EXCEEDED: Temporal is down or slow; the caller should retry later (503). */
export function isTemporalUnavailable(err: unknown): boolean {
  const code = grpcStatusOf(err);
  return code === 14 || code === 4;
}

// Codes that a retry cannot fix: INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, FAILED_PRECONDITION,
// UNIMPLEMENTED, UNAUTHENTICATED. Everything else (unavailable, deadline, exhausted…) is worth a retry.
const PERMANENT_CODES = new Set([3, 5, 7, 9, 12, 16]);

/** Temporal refused the request for a reason a retry cannot fix (configuration, permissions). */
export function isPermanentTemporalError(err: unknown): boolean {
  const code = grpcStatusOf(err);
  return code !== undefined && PERMANENT_CODES.has(code);
}
