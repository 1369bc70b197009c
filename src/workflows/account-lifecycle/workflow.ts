/**
 * `accountLifecycle`: one long-lived workflow per Mono account.
 *
 * Signal handlers apply webhooks to the pure `Account` at once (so queries and search attributes are always
 * current); a loop performs effects: it delivers queued notices, looks up the institution, runs manual syncs and
 * reminders when the account's schedules say so, and continues-as-new when the run's history reaches its
 * budget, carrying the account's state.
 *
 * Versions: runs started before `sync-retries-v1` replay on the frozen loop in record-only-lifecycle.ts; runs
 * started before `notifications-v1` (never deployed, kept for their recorded histories) sync but never notify;
 * runs started before `notices-per-channel-v1` replay on sequential-loop.ts with the first release's account
 * rules. Runs started on the current release record one marker for all of these (features.ts). Every decision
 * that depends on the version is made here, not in `Account`.
 */
import { allHandlersFinished, condition, continueAsNew, log, setHandler, uuid4 } from '@temporalio/workflow';
import { Account, currentRules, FIRST_RULES } from './model/account.js';
import { setCheckHandlers } from './checks.js';
import { concurrentLoop } from './loop.js';
import { Features } from './features.js';
import type { LoopContext } from './loop-context.js';
import {
  monoEventSignal,
  redeliverNoticesSignal,
  redeliverNoticesUpdate,
  resendReauthLinkSignal,
  resendReauthLinkUpdate,
  retrySyncSignal,
  retrySyncUpdate,
} from './api/messages.js';
import { NO_NOTIFICATIONS, recordOnlyLifecycle } from './record-only-lifecycle.js';
import { sequentialLoop } from './sequential-loop.js';
import { withDefaults } from './model/settings.js';
import { Publisher, setCommonHandlers, shouldContinueAsNew } from './publisher.js';
import { isAccountEvent, isOperatorReason, refuseRedeliverRequest, settingsWith } from './api/payloads.js';
import type {
  AccountLifecycleInput,
  AccountView,
  OperatorRequest,
  RedeliverAccepted,
  RedeliverRequest,
  ResendAccepted,
  RetrySyncAccepted,
} from './model/types.js';

/** Marks runs that schedule manual syncs; histories without it replay on the record-only loop. */
export const SYNC_RETRIES_PATCH = 'sync-retries-v1';
/** Marks runs that notify owners and operators; histories without it replay without notices. */
export const NOTIFICATIONS_PATCH = 'notifications-v1';
/**
 * Marks runs that deliver each notice on each channel as its own activity, side by side with the account's own
 * work, keep dead letters for redelivery, and apply the account rules of `currentRules` (ids unique for all
 * time, repeats after a move, stale re-auth notices dropped, escalation kept, the 2-minute floor from the last
 * call, quiet hours recorded by a local activity).
 */
export const NOTICES_PER_CHANNEL_PATCH = 'notices-per-channel-v1';
/** Marks runs whose sync retry waits are spread by jitter (sync-schedule.ts `jittered`). */
export const SYNC_JITTER_PATCH = 'sync-jitter-v1';

export async function accountLifecycle(input: AccountLifecycleInput): Promise<AccountView> {
  const features = Features.ofThisRun();
  if (!features.has(SYNC_RETRIES_PATCH)) return recordOnlyLifecycle(input, features);
  const notifies = features.has(NOTIFICATIONS_PATCH);
  const perChannel = notifies && features.has(NOTICES_PER_CHANNEL_PATCH);

  let settings = input.settings;
  const rules = perChannel ? currentRules(() => `msg_${uuid4()}`) : FIRST_RULES;
  const account = Account.restore(input.accountId, withDefaults(settings), input.carried, rules);
  if (features.has(SYNC_JITTER_PATCH)) account.useJitter(Math.random);
  const publisher = new Publisher(account, features, { undelivered: perChannel });
  let changes = 0;
  const wake = (): void => void (changes += 1);
  const view = setCommonHandlers(account, wake);
  const isClosed = (): boolean => account.state === 'unlinked';
  const rotate = (): boolean => shouldContinueAsNew(settings);

  setHandler(monoEventSignal, (event, newSettings) => {
    // A hand-made signal (temporal CLI) with an unknown shape must not fail every workflow task from now on.
    if (!isAccountEvent(event)) return void log.warn('monoEvent signal with an unknown shape ignored');
    wake();
    if (isClosed()) return void log.info('event after unlink ignored', { cause: event.kind });
    const adopted = settingsWith(event, newSettings);
    if (adopted) {
      settings = adopted;
      account.useSettings(withDefaults(adopted));
    }
    const result = account.apply(event, Date.now());
    if (result.outcome === 'changed') log.info('account transition', { ...result.transition });
  });

  // Enrolment and reconciliation: checks with Mono, run by the loop (check.ts).
  setCheckHandlers(account, wake, () => isClosed() || rotate());

  // The CLI may send no input at all, so the request can be undefined at run time.
  const acceptRetry = (request: OperatorRequest | undefined): RetrySyncAccepted => {
    const at = new Date(account.requestSync(Date.now(), request?.reason)).toISOString();
    wake();
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
    wake();
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

  const refuseRedeliver = (request: RedeliverRequest | undefined): string | undefined =>
    refuseRedeliverRequest(request) ?? account.refuseRedeliver(request ?? {});
  const acceptRedeliver = (request: RedeliverRequest | undefined): RedeliverAccepted => {
    const accepted = account.redeliver(request ?? {}, Date.now());
    wake();
    log.info('operator asked to redeliver notices', { requeued: accepted.requeued.length });
    return accepted;
  };
  setHandler(redeliverNoticesUpdate, acceptRedeliver, {
    validator: (request: RedeliverRequest) => {
      const refusal = refuseRedeliver(request);
      if (refusal) throw new Error(refusal);
    },
  });
  setHandler(redeliverNoticesSignal, (request) => {
    const refusal = refuseRedeliver(request);
    if (refusal) log.warn('redeliverNotices signal ignored', { refusal });
    else acceptRedeliver(request);
  });

  const ctx: LoopContext = {
    accountId: input.accountId,
    account,
    features,
    publisher,
    wakeups: () => changes,
    wake,
    isClosed,
    rotate,
    view,
    notifyRetryForMs: () => withDefaults(settings).notifyRetryForMs,
    continueAsNewNow: async () => {
      await condition(allHandlersFinished);
      publisher.ifChanged();
      if (isClosed()) return view();
      return continueAsNew<typeof accountLifecycle>({ ...input, settings, carried: account.snapshot(Date.now()) });
    },
  };
  return perChannel ? concurrentLoop(ctx) : sequentialLoop(ctx, notifies);
}
