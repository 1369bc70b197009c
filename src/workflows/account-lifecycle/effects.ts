/**
 * The activities the lifecycle loops call, with their retry policies, and the wrappers that turn their failures
 * into outcomes the account records. Sandbox code.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
} from '@temporalio/workflow';
import type { MonoActivities } from '../../activities/mono/activities.js';
import type { NotifyActivities } from '../../activities/notify/activities.js';
import { FAILURE } from '../../activities/failures.js';
import type { SyncOutcome } from './model/account.js';
import { MONO_QUEUE_PATCH, onMonoQueue } from './checks.js';
import type { Features } from './features.js';
import type { Contact, Notice, NoticeChannel } from './model/types.js';

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
const { triggerMonoSync } = proxyActivities<MonoActivities>(SYNC_OPTIONS);

// Runs from before per-channel delivery: every channel in one activity, within about an hour.
const { deliverNotice } = proxyActivities<NotifyActivities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '10 seconds',
    backoffCoefficient: 2,
    maximumInterval: '15 minutes',
    maximumAttempts: 8,
    nonRetryableErrorTypes: [FAILURE.notifyMisconfigured],
  },
});

// Display data only: a few quick tries, and the account carries on without it.
const INSTITUTION_OPTIONS = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', maximumAttempts: 4, nonRetryableErrorTypes: [FAILURE.monoNeedsOperator] },
};
const { fetchInstitution } = proxyActivities<MonoActivities>(INSTITUTION_OPTIONS);

/** Mono activities on the Mono task queue (one global rate limit); runs from before it keep the main queue. */
function mono(features: Features): Pick<MonoActivities, 'triggerMonoSync' | 'fetchInstitution'> {
  if (!features.has(MONO_QUEUE_PATCH)) return { triggerMonoSync, fetchInstitution };
  return {
    triggerMonoSync: proxyActivities<MonoActivities>(onMonoQueue(SYNC_OPTIONS)).triggerMonoSync,
    fetchInstitution: proxyActivities<MonoActivities>(onMonoQueue(INSTITUTION_OPTIONS)).fetchInstitution,
  };
}

// Worker-side decisions whose results must be recorded in history: which channels apply, when quiet hours end.
const { planNotice, quietHoursEnd } = proxyLocalActivities<NotifyActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds' },
});

export { planNotice, quietHoursEnd };

export async function runManualSync(accountId: string, features: Features): Promise<SyncOutcome> {
  try {
    const result = await mono(features).triggerMonoSync(accountId);
    return result.outcome === 'failed' ? { outcome: 'failed', code: result.code } : result;
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const needsOperator = cause instanceof ApplicationFailure && cause.type === FAILURE.monoNeedsOperator;
    const message = cause instanceof Error ? cause.message : String(cause);
    log.warn('manual sync call failed', { needsOperator, message });
    return { outcome: 'error', needsOperator, message };
  }
}

/** Hands a message to the notifier (every channel); returns why it could not be delivered, if it could not. */
export async function sendNotice(notice: Notice, contact: Contact | null): Promise<string | undefined> {
  try {
    await deliverNotice(notice, contact);
    return undefined;
  } catch (err) {
    const message = failureMessage(err);
    log.warn('notice not delivered', { noticeId: notice.id, type: notice.type, message });
    return message;
  }
}

export type AttemptResult = { ok: true } | { ok: false; permanent: boolean; message: string; retryAfterMs?: number };

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
    // The address goes only to the email channel; the other channels' inputs in history carry none.
    await deliverNoticeOn(notice, channel, channel === 'email' ? contact : null, final);
    return { ok: true };
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

export async function lookUpInstitution(accountId: string, features: Features): Promise<string | null> {
  try {
    return await mono(features).fetchInstitution(accountId);
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
