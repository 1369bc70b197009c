/**
 * `accountLifecycle`: one long-lived workflow per Mono account (SPEC 3.2).
 *
 * Signal handlers apply webhooks to the pure `Account` record at once (so queries and search attributes are
 * always current); the main loop performs effects: it looks up the institution, runs manual syncs when the
 * record's schedule says so (retry backoff in `sync_failed`, the grace period in `reauthorised`, operator
 * requests), and continues-as-new when the run's history reaches its budget, carrying state, schedule and
 * dedupe memory. Runs recorded before sync retries existed replay on the original loop (`patched`).
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
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { MonoActivities } from '../../activities/mono/activities.js';
import type { NotifyActivities } from '../../activities/notify/activities.js';
import { FAILURE } from '../../activities/failures.js';
import { Account, type SyncOutcome } from './account.js';
import { Alarm } from './alarm.js';
import {
  monoEventSignal,
  resendReauthLinkSignal,
  resendReauthLinkUpdate,
  retrySyncSignal,
  setContactSignal,
  retrySyncUpdate,
  stateQuery,
} from './messages.js';
import { MonoAccountState, MonoEscalated, MonoInstitution, MonoStateSince } from './search-attributes.js';
import { isValidTimeZone } from './quiet-hours.js';
import {
  DATA_STATUSES,
  MONO_EVENT_KINDS,
  withDefaults,
  type AccountEvent,
  type AccountLifecycleInput,
  type AccountView,
  type Contact,
  type Notice,
  type OperatorRequest,
  type ResendAccepted,
  type RetrySyncAccepted,
} from './types.js';

/** Marks runs that schedule manual syncs; histories without it replay on the original loop. */
export const SYNC_RETRIES_PATCH = 'sync-retries-v1';
/** Marks runs that notify owners and operators; histories without it replay without notices. */
export const NOTIFICATIONS_PATCH = 'notifications-v1';

// One try now, then twice more two and four minutes later (Mono's 2-minute limit); a 429's Retry-After wins.
const { triggerMonoSync } = proxyActivities<MonoActivities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '2 minutes',
    backoffCoefficient: 2,
    maximumAttempts: 3,
    nonRetryableErrorTypes: [FAILURE.monoNeedsOperator],
  },
});

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
const { fetchInstitution } = proxyActivities<MonoActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', maximumAttempts: 4, nonRetryableErrorTypes: [FAILURE.monoNeedsOperator] },
});

export async function accountLifecycle(input: AccountLifecycleInput): Promise<AccountView> {
  const acting = patched(SYNC_RETRIES_PATCH);
  const notifying = acting && patched(NOTIFICATIONS_PATCH);
  let settings = input.settings;
  const account = Account.restore(input.accountId, withDefaults(settings), input.carried, {
    syncRetries: acting,
    notifications: notifying,
  });
  const inbox: AccountEvent[] = [];
  let indexed = indexKey(account);
  let changes = 0;
  describeForUi(account);

  const view = (): AccountView => account.view(workflowInfo().historyLength);
  const isClosed = (): boolean => account.state === 'unlinked';
  const shouldContinueAsNew = (): boolean =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= settings.historyEventsPerRun;

  const publishIfChanged = (): void => {
    const key = indexKey(account);
    if (key === indexed) return;
    indexed = key;
    publish(account);
  };

  /** Applies every queued event synchronously, so no handler can interleave with a transition. */
  const applyInbox = (): void => {
    for (let event = inbox.shift(); event; event = inbox.shift()) {
      changes += 1;
      if (isClosed()) {
        log.info('event after unlink ignored', { cause: event.kind });
        continue;
      }
      if (acting && event.settings) {
        settings = event.settings;
        account.useSettings(withDefaults(settings));
      }
      const result = account.apply(event, Date.now());
      if (result.outcome === 'changed') log.info('account transition', { ...result.transition });
    }
  };
  const drainInbox = (): void => {
    applyInbox();
    publishIfChanged();
  };

  // The CLI may send no input at all, so the request can be undefined at run time.
  const acceptRetry = (request: OperatorRequest | undefined): RetrySyncAccepted => {
    const at = account.requestSync(Date.now(), request?.reason);
    changes += 1;
    log.info('operator requested a sync', { syncAt: new Date(at).toISOString() });
    return { state: account.state!, syncAt: new Date(at).toISOString() };
  };

  // Current code applies events in the handler (queries see them at once) and indexes once per wake-up.
  setHandler(monoEventSignal, (event) => {
    // A hand-made signal (temporal CLI) with an unknown shape must not fail every workflow task from now on.
    if (!isAccountEvent(event)) {
      log.warn('monoEvent signal with an unknown shape ignored');
      return;
    }
    inbox.push(event);
    if (acting) applyInbox();
  });
  setHandler(stateQuery, view);
  setHandler(retrySyncUpdate, acceptRetry, {
    validator: (request: OperatorRequest) => {
      if (request?.reason !== undefined && typeof request.reason !== 'string')
        throw new Error('reason must be a string');
      const refusal = account.refuseRetrySync();
      if (refusal) throw new Error(refusal);
    },
  });
  setHandler(retrySyncSignal, (request) => {
    const refusal = account.refuseRetrySync();
    if (refusal) log.warn('retrySync signal ignored', { refusal });
    else acceptRetry(request);
  });

  const acceptResend = (): ResendAccepted => {
    const noticeId = account.resendReauthLink(Date.now());
    changes += 1;
    log.info('operator asked to resend the re-auth link', { noticeId });
    return { noticeId };
  };
  setHandler(resendReauthLinkUpdate, acceptResend, {
    validator: (_request: OperatorRequest) => {
      const refusal = account.refuseResend(Date.now());
      if (refusal) throw new Error(refusal);
    },
  });
  setHandler(setContactSignal, (contact) => {
    const timeZone = contact?.timeZone;
    const email = contact?.email;
    if (
      (timeZone !== undefined && timeZone !== null && (typeof timeZone !== 'string' || !isValidTimeZone(timeZone))) ||
      (email !== undefined && email !== null && typeof email !== 'string')
    ) {
      log.warn('setContact signal with an invalid email or time zone ignored');
      return;
    }
    account.setContact({ ...(email !== undefined ? { email } : {}), ...(timeZone !== undefined ? { timeZone } : {}) });
    changes += 1;
  });
  setHandler(resendReauthLinkSignal, () => {
    const refusal = account.refuseResend(Date.now());
    if (refusal) log.warn('resendReauthLink signal ignored', { refusal });
    else acceptResend();
  });

  const continueAsNewNow = async (): Promise<AccountView> => {
    await condition(allHandlersFinished);
    drainInbox();
    if (isClosed()) return view();
    return continueAsNew<typeof accountLifecycle>({ ...input, settings, carried: account.snapshot(Date.now()) });
  };

  if (!acting) {
    // The loop of the first release, kept byte-for-byte in behaviour so its histories replay.
    for (;;) {
      await condition(() => inbox.length > 0 || shouldContinueAsNew());
      drainInbox();
      if (isClosed()) return view();
      if (shouldContinueAsNew()) return continueAsNewNow();
    }
  }

  let institutionLookedUp = false;
  const alarm = new Alarm();
  for (;;) {
    publishIfChanged();
    if (isClosed()) return view();
    if (shouldContinueAsNew()) return continueAsNewNow();
    if (!institutionLookedUp && account.state !== null && account.institution === null) {
      institutionLookedUp = true;
      account.setInstitution(await lookUpInstitution(input.accountId));
      continue;
    }
    if (notifying && account.runReauthTimers(Date.now())) continue;
    const notice = notifying ? account.nextNotice() : undefined;
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
    alarm.set(account.nextWakeMs());
    const seen = changes;
    await condition(() => changes !== seen || alarm.rang || shouldContinueAsNew());
    alarm.take();
  }
}

async function runManualSync(accountId: string): Promise<SyncOutcome> {
  try {
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

/** True for a signal payload the state machine can apply (the ingress only sends these). */
function isAccountEvent(event: AccountEvent | undefined): event is AccountEvent {
  return (
    !!event &&
    typeof event.accountId === 'string' &&
    typeof event.deliveryKey === 'string' &&
    (MONO_EVENT_KINDS as readonly string[]).includes(event.kind) &&
    (event.dataStatus === undefined || (DATA_STATUSES as readonly string[]).includes(event.dataStatus))
  );
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
    return await fetchInstitution(accountId);
  } catch (err) {
    log.warn('institution lookup failed; continuing without it', {
      message: err instanceof Error ? err.message : String(err),
    });
    return null;
  }
}

/** The indexed facts; a change in any of them means the search attributes need an upsert. */
function indexKey(account: Account): string {
  return JSON.stringify([account.state, account.since, account.escalated, account.institution]);
}

/** Keeps search attributes and the Web UI's summary in step with the account. */
function publish(account: Account): void {
  if (account.state === null || account.since === null) return;
  upsertSearchAttributes([
    { key: MonoAccountState, value: account.state },
    { key: MonoStateSince, value: new Date(account.since) },
    { key: MonoEscalated, value: account.escalated },
    ...(account.institution ? [{ key: MonoInstitution, value: account.institution }] : []),
  ]);
  describeForUi(account);
}

/** The markdown the Web UI shows on the workflow's page (not stored in history). */
function describeForUi(account: Account): void {
  if (account.state === null) return;
  setCurrentDetails(
    `**${account.state}** since ${account.since}` +
      (account.escalated ? ' — escalated to operators' : '') +
      (account.institution ? `\n\nInstitution: ${account.institution}` : '')
  );
}
