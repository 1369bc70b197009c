/**
 * When a notice's delivery on one channel is tried again: the Standard Webhooks schedule (immediately, then
 * 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h …) with jitter, so that a receiver coming back from an outage is not
 * hit by every account in the same second; a receiver's `Retry-After` (429, 503) wins; and nothing past the
 * deadline (`NOTIFY_RETRY_FOR` after the first attempt), whose last attempt is moved to just before it. The
 * workflow runs this schedule itself (a timer between attempts), so it can check the account's state before
 * every attempt. Pure: time and randomness are passed in; sandbox-safe.
 */
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Waits after attempts 1, 2, 3, …; the last one repeats. */
export const STANDARD_WEBHOOKS_DELAYS_MS = [
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  10 * HOUR,
];
/** Each wait is stretched or shrunk by up to this fraction. */
export const JITTER = 0.2;
/** Room an attempt needs before the deadline (the activity's start-to-close timeout). */
export const ATTEMPT_BUDGET_MS = 30 * SECOND;
const MIN_DELAY_MS = SECOND;

export interface RetryInput {
  /** The attempt that just failed, from 1. */
  attempt: number;
  nowMs: number;
  /** When retrying must stop (epoch ms). */
  deadlineMs: number;
  /** What the receiver asked for, if anything. */
  retryAfterMs?: number;
  /** A number in [0, 1). */
  random: number;
}

/** Whether an attempt starting at `nowMs` is the last one the deadline leaves room for. */
export function isFinalAttempt(nowMs: number, deadlineMs: number): boolean {
  return deadlineMs - ATTEMPT_BUDGET_MS - (nowMs + ATTEMPT_BUDGET_MS) < MIN_DELAY_MS;
}

/** The wait before the next attempt, or null when there is no time left for one (the notice is given up). */
export function nextDeliveryDelayMs({ attempt, nowMs, deadlineMs, retryAfterMs, random }: RetryInput): number | null {
  const base = STANDARD_WEBHOOKS_DELAYS_MS[Math.min(attempt, STANDARD_WEBHOOKS_DELAYS_MS.length) - 1]!;
  const wanted = retryAfterMs ?? base * (1 - JITTER + 2 * JITTER * random);
  const delay = Math.max(MIN_DELAY_MS, Math.round(wanted));
  const room = deadlineMs - ATTEMPT_BUDGET_MS - nowMs;
  if (room < MIN_DELAY_MS) return null;
  return Math.min(delay, room);
}

/** "2 hours" or "45 minutes", for the give-up message. */
export function describeSpan(ms: number): string {
  if (ms >= 2 * HOUR) return `${Math.round(ms / HOUR)} hours`;
  if (ms >= 2 * MINUTE) return `${Math.round(ms / MINUTE)} minutes`;
  return `${Math.round(ms / SECOND)} seconds`;
}
