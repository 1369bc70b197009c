/**
 * The loop of the first release, for runs started before the `sync-retries-v1` patch: it records events and
 * keeps search attributes current, and never syncs, notifies or adopts new settings. Frozen so that those runs
 * replay. Deprecate the patch (`deprecatePatch`) once no such run is open: each account leaves it at its next
 * continue-as-new, so after every account has rolled over once (README, "Safe workflow changes").
 */
import { allHandlersFinished, condition, continueAsNew, log, setHandler } from '@temporalio/workflow';
import { Account } from './model/account.js';
import type { Features } from './features.js';
import {
  monoEventSignal,
  resendReauthLinkSignal,
  resendReauthLinkUpdate,
  retrySyncSignal,
  retrySyncUpdate,
} from './api/messages.js';
import { withDefaults } from './model/settings.js';
import { Publisher, setCommonHandlers, shouldContinueAsNew } from './publisher.js';
import { isAccountEvent, isOperatorReason, type RecordedAccountEvent } from './api/payloads.js';
import type { AccountLifecycleInput, AccountView, OperatorRequest } from './model/types.js';
import type { accountLifecycle } from './workflow.js';

export const NO_SYNC_RETRIES =
  'this account runs a workflow version without sync retries; it gains them at its next continue-as-new';
export const NO_NOTIFICATIONS =
  'this account runs a workflow version without notifications; it gains them at its next continue-as-new';

export async function recordOnlyLifecycle(input: AccountLifecycleInput, features: Features): Promise<AccountView> {
  const { settings } = input;
  const account = Account.restore(input.accountId, withDefaults(settings), input.carried);
  const inbox: RecordedAccountEvent[] = [];
  const publisher = new Publisher(account, features);
  const view = setCommonHandlers(account, () => undefined);
  const isClosed = (): boolean => account.state === 'unlinked';

  setHandler(monoEventSignal, (event) => {
    if (!isAccountEvent(event)) return void log.warn('monoEvent signal with an unknown shape ignored');
    inbox.push(event);
  });
  setHandler(retrySyncUpdate, () => ({ state: account.state!, syncAt: '' }), {
    validator: (request: OperatorRequest) => {
      if (!isOperatorReason(request?.reason)) throw new Error('reason must be a string');
      throw new Error(NO_SYNC_RETRIES);
    },
  });
  setHandler(retrySyncSignal, () => log.warn('retrySync signal ignored', { refusal: NO_SYNC_RETRIES }));
  setHandler(resendReauthLinkUpdate, () => ({ noticeId: '' }), {
    validator: (_request: OperatorRequest) => {
      throw new Error(NO_NOTIFICATIONS);
    },
  });
  setHandler(resendReauthLinkSignal, () => log.warn('resendReauthLink signal ignored', { refusal: NO_NOTIFICATIONS }));

  const drainInbox = (): void => {
    for (let event = inbox.shift(); event; event = inbox.shift()) {
      if (isClosed()) {
        log.info('event after unlink ignored', { cause: event.kind });
        continue;
      }
      const result = account.apply(event, Date.now());
      if (result.outcome === 'changed') log.info('account transition', { ...result.transition });
    }
    publisher.ifChanged();
  };

  for (;;) {
    await condition(() => inbox.length > 0 || shouldContinueAsNew(settings));
    drainInbox();
    if (isClosed()) return view();
    if (shouldContinueAsNew(settings)) {
      await condition(allHandlersFinished);
      drainInbox();
      if (isClosed()) return view();
      return continueAsNew<typeof accountLifecycle>({ ...input, carried: account.snapshot(Date.now()) });
    }
  }
}
