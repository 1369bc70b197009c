/**
 * The account workflow's message handlers. Signal handlers apply what they carry to the account at once, so the
 * `state` query and the search attributes are always current, and wake the loop for the effects. Every payload is
 * checked first (api/payloads.ts): anyone with write access to Temporal can send one, and a payload the code cannot
 * use, or one meant for another account, is ignored with a log line. Updates refuse with a reason in their
 * validator, so a refused request leaves no trace in history; each update has a signal twin for `temporal
 * workflow signal`, which logs a refusal instead. Sandbox code.
 */
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import { log, setHandler } from '@temporalio/workflow';
import {
  holdForIncidentSignal,
  monoEventSignal,
  moveToCurrentBuildSignal,
  redeliverNoticesSignal,
  redeliverNoticesUpdate,
  releaseFromIncidentUpdate,
  resendReauthLinkSignal,
  resendReauthLinkUpdate,
  retrySyncSignal,
  retrySyncUpdate,
  setContactSignal,
  stateQuery,
  type OperatorRequest,
} from './api/messages.js';
import {
  contactFrom,
  isAccountEvent,
  isLifecycleSettings,
  isOperatorReason,
  refuseRedeliverRequest,
} from './api/payloads.js';
import type { Account } from './model/account.js';
import { isHoldRequest, isReleaseRequest } from './model/incident-hold.js';
import { withDefaults, type LifecycleSettings } from './model/settings.js';
import type { AccountView, RedeliverRequest } from './model/types.js';

export interface HandlerContext {
  account: Account;
  view: () => AccountView;
  /** Wakes the loop: something changed. */
  wake: () => void;
  /** Adopts the settings that came with an event. */
  adoptSettings: (settings: LifecycleSettings) => void;
}

export function setAccountHandlers(ctx: HandlerContext): void {
  const { account } = ctx;
  setHandler(stateQuery, ctx.view);
  setHandler(monoEventSignal, (event, settings) => {
    if (!isAccountEvent(event)) return void log.warn('monoEvent signal with an unknown shape ignored');
    if (event.accountId !== account.accountId) return void log.warn('monoEvent signal for another account ignored');
    ctx.wake();
    if (account.state === 'unlinked') return void log.info('event after unlink ignored', { cause: event.kind });
    if (isLifecycleSettings(settings)) {
      ctx.adoptSettings(settings);
      account.useSettings(withDefaults(settings));
    }
    const result = account.apply(event, Date.now());
    if (result.outcome === 'changed') log.info('account transition', { ...result.transition });
  });
  setHandler(setContactSignal, (payload) => {
    const contact = contactFrom(payload);
    if (!contact)
      return void log.warn(
        'setContact signal without a valid email address, phone number (E.164), time zone or locale ignored'
      );
    account.setContact(contact);
    ctx.wake();
  });
  // Nothing to apply: waking is enough, the loop rolls over if another build has become the target.
  setHandler(moveToCurrentBuildSignal, ctx.wake);
  setOperatorHandlers(ctx);
  setIncidentHandlers(ctx);
}

/** A bank-wide incident holds the account and releases it (model/incident.ts). */
function setIncidentHandlers({ account, wake }: HandlerContext): void {
  setHandler(holdForIncidentSignal, (request) => {
    if (!isHoldRequest(request)) return void log.warn('holdForIncident signal with an unknown shape ignored');
    if (account.incident.hold(request, Date.now())) {
      log.info('held by a bank-wide incident', { institution: request.institution });
      wake();
    }
  });
  setHandler(
    releaseFromIncidentUpdate,
    (request) => {
      const answer = account.incident.release(request);
      wake();
      return answer;
    },
    {
      validator: (request) => {
        if (!isReleaseRequest(request)) throw new Error('the request must be {institution, releaseAtMs}');
      },
    }
  );
}

function setOperatorHandlers({ account, wake }: HandlerContext): void {
  operatorAction(retrySyncUpdate, retrySyncSignal, {
    refuse: (request: OperatorRequest | undefined) =>
      isOperatorReason(request?.reason) ? account.syncs.refuseRetry() : 'reason must be a string',
    accept: (request: OperatorRequest | undefined) => {
      const at = new Date(account.syncs.request(Date.now(), request?.reason)).toISOString();
      log.info('operator requested a sync', { syncAt: at });
      return { state: account.state!, syncAt: at };
    },
    wake,
  });
  operatorAction(resendReauthLinkUpdate, resendReauthLinkSignal, {
    refuse: () => account.reauthReminders.refuseResend(Date.now()),
    accept: () => {
      const noticeId = account.reauthReminders.resend(Date.now());
      log.info('operator asked to resend the re-auth link', { noticeId });
      return { noticeId };
    },
    wake,
  });
  operatorAction(redeliverNoticesUpdate, redeliverNoticesSignal, {
    refuse: (request: RedeliverRequest | undefined) =>
      refuseRedeliverRequest(request) ?? account.notices.refuseRedeliver(request ?? {}),
    accept: (request: RedeliverRequest | undefined) => {
      const accepted = account.notices.redeliver(request ?? {}, Date.now());
      log.info('operator asked to redeliver notices', { requeued: accepted.requeued.length });
      return accepted;
    },
    wake,
  });
}

interface OperatorAction<Request, Answer> {
  refuse: (request: Request | undefined) => string | undefined;
  accept: (request: Request | undefined) => Answer;
  wake: () => void;
}

/** An operator action as an update (refused by its validator) and as a signal (a refusal is logged). */
function operatorAction<Request, Answer>(
  update: UpdateDefinition<Answer, [Request]>,
  signal: SignalDefinition<[Request]>,
  action: OperatorAction<Request, Answer>
): void {
  // The CLI may send no input at all, so a request can be undefined at run time.
  const accept = (request: Request | undefined): Answer => {
    const answer = action.accept(request);
    action.wake();
    return answer;
  };
  setHandler(update, accept, {
    validator: (request: Request) => {
      const refusal = action.refuse(request);
      if (refusal) throw new Error(refusal);
    },
  });
  setHandler(signal, (request: Request | undefined) => {
    const refusal = action.refuse(request);
    if (refusal) log.warn(`${signal.name} signal ignored`, { refusal });
    else accept(request);
  });
}
