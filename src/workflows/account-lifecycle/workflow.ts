/**
 * `accountLifecycle`: one long-lived workflow per Mono account. It restores the account from what the previous
 * run carried, sets the message handlers (handlers.ts, mono-checks.ts) and runs the loop (loop.ts) until the
 * account is unlinked; when the run's history reaches its budget, or another worker build becomes the target, it
 * continues as new with the account's state (release.ts). Sandbox code.
 */
import { allHandlersFinished, condition, uuid4, workflowInfo } from '@temporalio/workflow';
import type { AccountLifecycleInput } from './api/messages.js';
import { setAccountHandlers } from './handlers.js';
import { runLoop } from './loop.js';
import { Account } from './model/account.js';
import { withDefaults, type LifecycleSettings } from './model/settings.js';
import type { AccountView } from './model/types.js';
import { setCheckHandlers } from './mono-checks.js';
import { Publisher } from './publisher.js';
import { continueOnTargetBuild, pinEachRun, rolloverReason } from './release.js';

export async function accountLifecycle(input: AccountLifecycleInput): Promise<AccountView> {
  let settings: LifecycleSettings = input.settings;
  const account = Account.restore(input.accountId, withDefaults(settings), input.carried, {
    newNoticeId: () => `msg_${uuid4()}`,
    random: Math.random, // the workflow's seeded generator: replays the same values
  });
  let wakeups = 0;
  const wake = (): void => void (wakeups += 1);
  const view = (): AccountView => account.view(workflowInfo().historyLength);
  const rollover = () => rolloverReason(settings.historyEventsPerRun);

  // Before the handlers: a signal that started the run is applied when its handler is set, and the publisher must
  // know the facts this run began with (those its search attributes already hold) to see that it changed them.
  const publisher = new Publisher(account);
  setAccountHandlers({ account, view, wake, adoptSettings: (adopted) => void (settings = adopted) });
  setCheckHandlers(account, wake, () => account.state === 'unlinked' || rollover() !== null);

  return runLoop({
    account,
    publisher,
    wakeups: () => wakeups,
    wake,
    retryForMs: () => withDefaults(settings).notifyRetryForMs,
    rolloverReason: rollover,
    view,
    continueAsNew: async () => {
      await condition(allHandlersFinished);
      // The next run believes its search attributes match the state it carries: make it so.
      publisher.ifChanged();
      return continueOnTargetBuild({ ...input, settings, carried: account.snapshot(Date.now()) });
    },
  });
}

pinEachRun(accountLifecycle);
