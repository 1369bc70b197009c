/**
 * `accountLifecycle`: one long-lived workflow per Mono account.
 *
 * Signal handlers apply webhooks to the pure `Account` at once (so queries and search attributes are always
 * current); the main loop performs effects: it sends queued notices, looks up the institution, runs manual
 * syncs and reminders when the account's schedules say so, and continues-as-new when the run's history
 * reaches its budget, carrying the account's state.
 *
 * Versions: runs started before `sync-retries-v1` replay on the frozen loop in record-only-lifecycle.ts; runs
 * started before `notifications-v1` (never deployed, kept for their recorded histories) sync but never notify.
 * Every decision that depends on the version is made here, not in `Account`.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { MonoActivities } from '../../activities/mono/activities.js';
import type { NotifyActivities } from '../../activities/notify/activities.js';
import { FAILURE } from '../../activities/failures.js';
import { Account, type SyncOutcome } from './account.js';
import { Alarm } from './alarm.js';
import { CHECKS_PATCH, MONO_QUEUE_PATCH, onMonoQueue, runCheck, setCheckHandlers } from './check.js';
import {
  monoEventSignal,
  resendReauthLinkSignal,
  resendReauthLinkUpdate,
  retrySyncSignal,
  retrySyncUpdate,
} from './messages.js';
import { NO_NOTIFICATIONS, recordOnlyLifecycle } from './record-only-lifecycle.js';
import { withDefaults } from './settings.js';
import { Publisher, setCommonHandlers, shouldContinueAsNew } from './shell.js';
import { isAccountEvent, isOperatorReason, settingsWith } from './signals.js';
import type {
  AccountLifecycleInput,
  AccountView,
  Contact,
  Notice,
  OperatorRequest,
  ResendAccepted,
  RetrySyncAccepted,
} from './types.js';

/** Marks runs that schedule manual syncs; histories without it replay on the record-only loop. */
export const SYNC_RETRIES_PATCH = 'sync-retries-v1';
/** Marks runs that notify owners and operators; histories without it replay without notices. */
export const NOTIFICATIONS_PATCH = 'notifications-v1';
/** Marks runs whose sync retry waits are spread by jitter (sync-schedule.ts `jittered`). */
export const SYNC_JITTER_PATCH = 'sync-jitter-v1';

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

// A message goes out within about an hour or is given up (and recorded); a wrong configuration is not retried.
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
function mono(): Pick<MonoActivities, 'triggerMonoSync' | 'fetchInstitution'> {
  if (!patched(MONO_QUEUE_PATCH)) return { triggerMonoSync, fetchInstitution };
  return {
    triggerMonoSync: proxyActivities<MonoActivities>(onMonoQueue(SYNC_OPTIONS)).triggerMonoSync,
    fetchInstitution: proxyActivities<MonoActivities>(onMonoQueue(INSTITUTION_OPTIONS)).fetchInstitution,
  };
}

export async function accountLifecycle(input: AccountLifecycleInput): Promise<AccountView> {
  if (!patched(SYNC_RETRIES_PATCH)) return recordOnlyLifecycle(input);
  const notifies = patched(NOTIFICATIONS_PATCH);

  let settings = input.settings;
  const account = Account.restore(input.accountId, withDefaults(settings), input.carried);
  if (patched(SYNC_JITTER_PATCH)) account.useJitter(Math.random);
  const publisher = new Publisher(account);
  let changes = 0;
  const view = setCommonHandlers(account, () => void (changes += 1));
  const isClosed = (): boolean => account.state === 'unlinked';
  const rotate = (): boolean => shouldContinueAsNew(settings);

  setHandler(monoEventSignal, (event, newSettings) => {
    // A hand-made signal (temporal CLI) with an unknown shape must not fail every workflow task from now on.
    if (!isAccountEvent(event)) return void log.warn('monoEvent signal with an unknown shape ignored');
    changes += 1;
    if (isClosed()) return void log.info('event after unlink ignored', { cause: event.kind });
    const adopted = settingsWith(event, newSettings);
    if (adopted) {
      settings = adopted;
      account.useSettings(withDefaults(adopted));
    }
    const result = account.apply(event, Date.now());
    if (result.outcome === 'changed') log.info('account transition', { ...result.transition });
  });

  // Enrolment and reconciliation: checks with Mono, run by the loop below (check.ts).
  setCheckHandlers(
    account,
    () => void (changes += 1),
    () => isClosed() || rotate()
  );

  // The CLI may send no input at all, so the request can be undefined at run time.
  const acceptRetry = (request: OperatorRequest | undefined): RetrySyncAccepted => {
    const at = new Date(account.requestSync(Date.now(), request?.reason)).toISOString();
    changes += 1;
    log.info('operator requested a sync', { syncAt: at });
    return { state: account.state!, syncAt: at };
  };
  setHandler(retrySyncUpdate, acceptRetry, {
    validator: (request: OperatorRequest) => {
      if (!isOperatorReason(request?.reason)) throw new Error('reason must be a string');
      const refusal = account.refuseRetrySync();
      if (refusal) throw new Error(refusal);
    },
  });
  setHandler(retrySyncSignal, (request) => {
    const refusal = account.refuseRetrySync();
    if (refusal) log.warn('retrySync signal ignored', { refusal });
    else acceptRetry(request);
  });

  const refuseResend = (): string | undefined => (notifies ? account.refuseResend(Date.now()) : NO_NOTIFICATIONS);
  const acceptResend = (): ResendAccepted => {
    const noticeId = account.resendReauthLink(Date.now());
    changes += 1;
    log.info('operator asked to resend the re-auth link', { noticeId });
    return { noticeId };
  };
  setHandler(resendReauthLinkUpdate, acceptResend, {
    validator: (_request: OperatorRequest) => {
      const refusal = refuseResend();
      if (refusal) throw new Error(refusal);
    },
  });
  setHandler(resendReauthLinkSignal, () => {
    const refusal = refuseResend();
    if (refusal) log.warn('resendReauthLink signal ignored', { refusal });
    else acceptResend();
  });

  const continueAsNewNow = async (): Promise<AccountView> => {
    await condition(allHandlersFinished);
    publisher.ifChanged();
    if (isClosed()) return view();
    return continueAsNew<typeof accountLifecycle>({ ...input, settings, carried: account.snapshot(Date.now()) });
  };

  let institutionLookedUp = false;
  const alarm = new Alarm();
  for (;;) {
    publisher.ifChanged();
    if (isClosed()) return view();
    if (rotate()) return continueAsNewNow();
    if (!institutionLookedUp && account.state !== null && account.institution === null) {
      institutionLookedUp = true;
      account.setInstitution(await lookUpInstitution(input.accountId));
      continue;
    }
    if (account.pendingCheck() && patched(CHECKS_PATCH)) {
      await runCheck(account, input.accountId);
      continue;
    }
    if (notifies && account.runReauthTimers(Date.now())) continue;
    const notice = notifies ? account.nextNotice() : undefined;
    if (notice) {
      const failure = await sendNotice(notice, account.getContact());
      account.noticeDone(notice.id, failure, Date.now());
      continue;
    }
    if (account.syncDue(Date.now())) {
      const startedIn = account.beginSync(Date.now());
      const outcome = await runManualSync(input.accountId);
      const moved = account.finishSync(outcome, startedIn, Date.now());
      log.info('manual sync finished', { outcome: outcome.outcome, ...(moved ? { to: moved.to } : {}) });
      continue;
    }
    // Runs without notifications wake only for syncs: their histories have no reminder timers.
    alarm.set(notifies ? account.nextWakeMs() : account.nextSyncAtMs());
    const seen = changes;
    await condition(() => changes !== seen || alarm.rang || rotate());
    alarm.take();
  }
}

async function runManualSync(accountId: string): Promise<SyncOutcome> {
  try {
    const result = await mono().triggerMonoSync(accountId);
    return result.outcome === 'failed' ? { outcome: 'failed', code: result.code } : result;
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const needsOperator = cause instanceof ApplicationFailure && cause.type === FAILURE.monoNeedsOperator;
    const message = cause instanceof Error ? cause.message : String(cause);
    log.warn('manual sync call failed', { needsOperator, message });
    return { outcome: 'error', needsOperator, message };
  }
}

/** Hands a message to the notifier; returns why it could not be delivered, if it could not. */
async function sendNotice(notice: Notice, contact: Contact | null): Promise<string | undefined> {
  try {
    await deliverNotice(notice, contact);
    return undefined;
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const message = cause instanceof Error ? cause.message : String(cause);
    log.warn('notice not delivered', { noticeId: notice.id, type: notice.type, message });
    return message;
  }
}

async function lookUpInstitution(accountId: string): Promise<string | null> {
  try {
    return await mono().fetchInstitution(accountId);
  } catch (err) {
    log.warn('institution lookup failed; continuing without it', {
      message: err instanceof Error ? err.message : String(err),
    });
    return null;
  }
}
