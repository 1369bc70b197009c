/**
 * Workflow-side pieces every version of the lifecycle loop shares: keeping search attributes and the Web UI's
 * summary in step with the account, the continue-as-new threshold, and the handlers that behave alike in every
 * version (the `state` query and `setContact`).
 */
import { log, setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Account } from './account.js';
import { setContactSignal, stateQuery } from './messages.js';
import {
  MonoAccountState,
  MonoEscalated,
  MonoInstitution,
  MonoStateSince,
  MonoUndelivered,
} from './search-attributes.js';
import type { LifecycleSettings } from './settings.js';
import { contactFrom } from './signals.js';
import type { AccountView } from './types.js';

/** Upserts the search attributes when an indexed fact changed (once per wake-up, not per event). */
export class Publisher {
  private indexed: string;

  /** `undelivered`: runs that keep dead letters also index whether they have any (MonoUndelivered). */
  constructor(
    private readonly account: Account,
    private readonly options: { undelivered: boolean } = { undelivered: false }
  ) {
    this.indexed = this.key();
    describeForUi(account);
  }

  ifChanged(): void {
    const key = this.key();
    if (key === this.indexed) return;
    this.indexed = key;
    publish(this.account, this.options.undelivered);
  }

  private key(): string {
    const facts: unknown[] = [this.account.state, this.account.since, this.account.escalated, this.account.institution];
    if (this.options.undelivered) facts.push(this.account.undeliveredCount > 0);
    return JSON.stringify(facts);
  }
}

export function shouldContinueAsNew(settings: LifecycleSettings): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength >= settings.historyEventsPerRun;
}

/** The `state` query and `setContact`, the same in every version; `onChange` wakes the loop. */
export function setCommonHandlers(account: Account, onChange: () => void): () => AccountView {
  const view = (): AccountView => account.view(workflowInfo().historyLength);
  setHandler(stateQuery, view);
  setHandler(setContactSignal, (payload) => {
    const contact = contactFrom(payload);
    if (!contact) {
      log.warn('setContact signal with an invalid email or time zone ignored');
      return;
    }
    account.setContact(contact);
    onChange();
  });
  return view;
}

function publish(account: Account, undelivered: boolean): void {
  if (account.state === null || account.since === null) return;
  upsertSearchAttributes([
    { key: MonoAccountState, value: account.state },
    { key: MonoStateSince, value: new Date(account.since) },
    { key: MonoEscalated, value: account.escalated },
    ...(account.institution ? [{ key: MonoInstitution, value: account.institution }] : []),
    ...(undelivered ? [{ key: MonoUndelivered, value: account.undeliveredCount > 0 }] : []),
  ]);
  describeForUi(account);
}

/** The markdown the Web UI shows on the workflow's page (not stored in history). */
function describeForUi(account: Account): void {
  if (account.state === null) return;
  setCurrentDetails(
    `**${account.state}** since ${account.since}` +
      (account.escalated ? ' — escalated to operators' : '') +
      (account.institution ? `\n\nInstitution: ${account.institution}` : '') +
      (account.undeliveredCount > 0 ? `\n\n${account.undeliveredCount} undelivered notice(s): see the state query` : '')
  );
}
