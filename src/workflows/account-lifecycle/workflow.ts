/**
 * `accountLifecycle`: one long-lived workflow per Mono account (SPEC 3.2).
 *
 * Signal handlers only enqueue; the main loop applies events through the pure `Account` record, keeps the
 * search attributes current, and continues-as-new when the run's history grows past its budget, carrying
 * state and the dedupe memory. Mono calls, timers and notifications hook in where transitions happen
 * (`onTransition`) and where the loop waits (`nextWake`).
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { Account } from './account.js';
import { monoEventSignal, stateQuery } from './messages.js';
import { MonoAccountState, MonoEscalated, MonoInstitution, MonoStateSince } from './search-attributes.js';
import type { AccountEvent, AccountLifecycleInput, AccountView, Transition } from './types.js';

export async function accountLifecycle(input: AccountLifecycleInput): Promise<AccountView> {
  const account = Account.restore(input.accountId, input.settings.dedupeWindowMs, input.carried);
  const inbox: AccountEvent[] = [];
  let indexed = indexKey(account);
  describeForUi(account);

  setHandler(monoEventSignal, (event) => {
    inbox.push(event);
  });
  setHandler(stateQuery, () => account.view(workflowInfo().historyLength));

  const isClosed = (): boolean => account.state === 'unlinked';
  const shouldContinueAsNew = (): boolean =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= input.settings.historyEventsPerRun;

  /** Applies every queued event synchronously, so no handler can interleave with a transition. */
  const drainInbox = (): void => {
    for (let event = inbox.shift(); event; event = inbox.shift()) {
      if (account.state === 'unlinked') {
        log.info('event after unlink ignored', { cause: event.kind });
        continue;
      }
      const result = account.apply(event, Date.now());
      if (result.outcome === 'changed') onTransition(result.transition);
    }
    const key = indexKey(account);
    if (key !== indexed) {
      indexed = key;
      publish(account);
    }
  };

  const onTransition = (t: Transition): void => {
    log.info('account transition', { from: t.from, to: t.to, cause: t.cause });
  };

  for (;;) {
    await condition(() => inbox.length > 0 || shouldContinueAsNew());
    drainInbox();
    if (isClosed()) return account.view(workflowInfo().historyLength);
    if (shouldContinueAsNew()) {
      await condition(allHandlersFinished);
      drainInbox();
      if (isClosed()) return account.view(workflowInfo().historyLength);
      return continueAsNew<typeof accountLifecycle>({ ...input, carried: account.snapshot(Date.now()) });
    }
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
