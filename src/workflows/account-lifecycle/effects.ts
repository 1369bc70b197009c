/**
 * The activities the lifecycle loop calls, with their retry policies, and the wrappers that turn their failures
 * into outcomes the account records. Every call to Mono goes to the Mono task queue, whose rate limit
 * (MONO_MAX_RPS) Temporal enforces across all workers. Sandbox code.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { MonoActivities } from '../../activities/mono/activities.js';
import type { NotifyActivities } from '../../activities/notify/activities.js';
import { FAILURE } from '../../activities/failures.js';
import { monoTaskQueueFor } from './api/messages.js';
import type { SyncOutcome } from './model/syncs.js';
import { PHONE_CHANNELS, type Contact, type Notice, type NoticeChannel } from './model/types.js';

// One try now, then twice more two and four minutes later (Mono's 2-minute limit); a 429's Retry-After wins.
const SYNC_OPTIONS = {
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '2 minutes',
    backoffCoefficient: 2,
    maximumAttempts: 3,
    nonRetryableErrorTypes: [FAILURE.monoNeedsOperator],
  },
};

// Display data only: a few quick tries, and the account carries on without it.
const INSTITUTION_OPTIONS = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', maximumAttempts: 4, nonRetryableErrorTypes: [FAILURE.monoNeedsOperator] },
};

/** Activity options on the Mono task queue of this workflow's queue. */
export function onMonoQueue<T extends object>(options: T): T & { taskQueue: string } {
  return { ...options, taskQueue: monoTaskQueueFor(workflowInfo().taskQueue) };
}

// Worker-side decisions whose results must be recorded in history: which channels apply, when quiet hours end.
const { planNotice, quietHoursEnd } = proxyLocalActivities<NotifyActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds' },
});

export { planNotice, quietHoursEnd };

export async function runManualSync(accountId: string): Promise<SyncOutcome> {
  try {
    const { triggerMonoSync } = proxyActivities<MonoActivities>(onMonoQueue(SYNC_OPTIONS));
    const result = await triggerMonoSync(accountId);
    return result.outcome === 'failed' ? { outcome: 'failed', code: result.code } : result;
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const needsOperator = cause instanceof ApplicationFailure && cause.type === FAILURE.monoNeedsOperator;
    const message = cause instanceof Error ? cause.message : String(cause);
    log.warn('manual sync call failed', { needsOperator, message });
    return { outcome: 'error', needsOperator, message };
  }
}

export type AttemptResult =
  { ok: true; skipped?: string } | { ok: false; permanent: boolean; message: string; retryAfterMs?: number };

// One attempt per activity: the workflow keeps the retry schedule, so it can look at the account before each one.
const { deliverNoticeOn } = proxyActivities<NotifyActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 1 },
});

/** One attempt to deliver a notice on one channel. */
export async function attemptNoticeOn(
  notice: Notice,
  channel: NoticeChannel,
  contact: Contact | null,
  final: boolean
): Promise<AttemptResult> {
  try {
    const answer = await deliverNoticeOn(notice, channel, contactFor(channel, contact), final);
    return answer?.skipped ? { ok: true, skipped: answer.skipped } : { ok: true };
  } catch (err) {
    if (isCancellation(err)) throw err;
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const message = failureMessage(err);
    const permanent = cause instanceof ApplicationFailure && cause.type === FAILURE.notifyMisconfigured;
    const details =
      cause instanceof ApplicationFailure ? (cause.details?.[0] as { retryAfterMs?: number | null }) : null;
    const retryAfterMs = typeof details?.retryAfterMs === 'number' ? details.retryAfterMs : undefined;
    log.warn('notice attempt failed', { noticeId: notice.id, type: notice.type, channel, permanent, message });
    return { ok: false, permanent, message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
}

/** The address goes only to the email channel, the number only to the phone channels; the others' inputs carry none. */
function contactFor(channel: NoticeChannel, contact: Contact | null): Contact | null {
  if (!contact) return null;
  // The language travels with every channel (the link opens in it); an address or a number only with its own.
  const locale = contact.locale ? { locale: contact.locale } : {};
  if (channel === 'email') return { email: contact.email ?? null, timeZone: contact.timeZone ?? null, ...locale };
  if (PHONE_CHANNELS.includes(channel)) return { phone: contact.phone ?? null, ...locale };
  return contact.locale ? locale : null;
}

export async function lookUpInstitution(accountId: string): Promise<string | null> {
  try {
    const { fetchInstitution } = proxyActivities<MonoActivities>(onMonoQueue(INSTITUTION_OPTIONS));
    return await fetchInstitution(accountId);
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn('institution lookup failed; continuing without it', {
      message: err instanceof Error ? err.message : String(err),
    });
    return null;
  }
}

function failureMessage(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof Error && cause.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}
