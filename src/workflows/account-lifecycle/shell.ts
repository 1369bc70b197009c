/**
 * Workflow-side pieces every version of the lifecycle loop shares: keeping search attributes and the Web UI's
 * summary in step with the account, the continue-as-new threshold, and the handlers that behave alike in every
 * version (the `state` query and `setContact`).
 */
import {
  log,
  patched,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Account } from './account.js';
import { setContactSignal, stateQuery } from './messages.js';
import { LAST_HEARD_RESOLUTION_MS } from './observations.js';
import {
  MonoAccountState,
  MonoEscalated,
  MonoInstitution,
  MonoLastHeard,
  MonoStateSince,
} from './search-attributes.js';
import type { LifecycleSettings } from './settings.js';
import { contactFrom } from './signals.js';
import type { AccountView } from './types.js';

/** Marks runs that keep MonoLastHeard current; runs from before it never upsert it. */
export const LAST_HEARD_PATCH = 'last-heard-v1';

/** Upserts the search attributes when an indexed fact changed (once per wake-up, not per event). */
export class Publisher {
  private indexed: string;
  private heard: number | null;

  constructor(private readonly account: Account) {
    this.indexed = indexKey(account);
    this.heard = account.lastHeardMs();
    describeForUi(account);
  }

  ifChanged(): void {
    const key = indexKey(this.account);
    const heard = this.account.lastHeardMs();
    // MonoLastHeard moves with any other indexed change, otherwise at most once an hour whatever the traffic.
    const heardMoved =
      heard !== null &&
      heard !== this.heard &&
      (this.heard === null || key !== this.indexed || heard - this.heard >= LAST_HEARD_RESOLUTION_MS);
    // Upserting MonoLastHeard is a command older runs never issued: only past the patch.
    const withHeard = heardMoved && patched(LAST_HEARD_PATCH);
    if (key === this.indexed && !withHeard) return;
    this.indexed = key;
    if (withHeard) this.heard = heard;
    publish(this.account, withHeard ? heard : undefined);
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

/** The indexed facts; a change in any of them means the search attributes need an upsert. */
function indexKey(account: Account): string {
  return JSON.stringify([account.state, account.since, account.escalated, account.institution]);
}

function publish(account: Account, lastHeardMs?: number): void {
  if (account.state === null || account.since === null) return;
  upsertSearchAttributes([
    { key: MonoAccountState, value: account.state },
    { key: MonoStateSince, value: new Date(account.since) },
    { key: MonoEscalated, value: account.escalated },
    ...(account.institution ? [{ key: MonoInstitution, value: account.institution }] : []),
    ...(lastHeardMs !== undefined ? [{ key: MonoLastHeard, value: new Date(lastHeardMs) }] : []),
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
