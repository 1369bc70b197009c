/**
 * Workflow-side pieces every version of the lifecycle loop shares: keeping search attributes and the Web UI's
 * summary in step with the account, the continue-as-new threshold, and the handlers that behave alike in every
 * version (the `state` query and `setContact`).
 */
import { log, setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Account } from './model/account.js';
import type { Features } from './features.js';
import { setContactSignal, stateQuery } from './api/messages.js';
import { LAST_HEARD_RESOLUTION_MS } from './model/observations.js';
import {
  MonoAccountState,
  MonoEscalated,
  MonoInstitution,
  MonoLastHeard,
  MonoStateSince,
  MonoUndelivered,
} from './api/search-attributes.js';
import type { LifecycleSettings } from './model/settings.js';
import { contactFrom } from './api/payloads.js';
import type { AccountView } from './model/types.js';

/** Marks runs that keep MonoLastHeard current; runs from before it never upsert it. */
export const LAST_HEARD_PATCH = 'last-heard-v1';

/** Upserts the search attributes when an indexed fact changed (once per wake-up, not per event). */
export class Publisher {
  private indexed: string;
  private heard: number | null;

  /** `undelivered`: runs that keep dead letters also index whether they have any (MonoUndelivered). */
  constructor(
    private readonly account: Account,
    private readonly features: Features,
    private readonly options: { undelivered: boolean } = { undelivered: false }
  ) {
    this.indexed = this.key();
    this.heard = account.lastHeardMs();
    describeForUi(account);
  }

  ifChanged(): void {
    const key = this.key();
    const heard = this.account.lastHeardMs();
    // MonoLastHeard moves with any other indexed change, otherwise at most once an hour whatever the traffic.
    const heardMoved =
      heard !== null &&
      heard !== this.heard &&
      (this.heard === null || key !== this.indexed || heard - this.heard >= LAST_HEARD_RESOLUTION_MS);
    // Upserting MonoLastHeard is a command older runs never issued: only past the patch.
    const withHeard = heardMoved && this.features.has(LAST_HEARD_PATCH);
    if (key === this.indexed && !withHeard) return;
    this.indexed = key;
    if (withHeard) this.heard = heard;
    publish(this.account, this.options.undelivered, withHeard ? heard : undefined);
  }

  /** The indexed facts; a change in any of them means the search attributes need an upsert. */
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

function publish(account: Account, undelivered: boolean, lastHeardMs?: number): void {
  if (account.state === null || account.since === null) return;
  upsertSearchAttributes([
    { key: MonoAccountState, value: account.state },
    { key: MonoStateSince, value: new Date(account.since) },
    { key: MonoEscalated, value: account.escalated },
    ...(account.institution ? [{ key: MonoInstitution, value: account.institution }] : []),
    ...(undelivered ? [{ key: MonoUndelivered, value: account.undeliveredCount > 0 }] : []),
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
      (account.institution ? `\n\nInstitution: ${account.institution}` : '') +
      (account.undeliveredCount > 0 ? `\n\n${account.undeliveredCount} undelivered notice(s): see the state query` : '')
  );
}
