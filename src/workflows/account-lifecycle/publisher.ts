/**
 * Keeps the account's search attributes and the Web UI's summary in step with the account: one upsert per
 * wake-up when an indexed fact changed, not one per event. Sandbox code.
 */
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import {
  MonoAccountState,
  MonoEscalated,
  MonoInstitution,
  MonoLastHeard,
  MonoStateSince,
  MonoUndelivered,
} from './api/search-attributes.js';
import type { Account } from './model/account.js';
import { LAST_HEARD_RESOLUTION_MS } from './model/observations.js';

export class Publisher {
  private indexed: string;
  private heard: number | null;

  constructor(private readonly account: Account) {
    this.indexed = this.key();
    this.heard = account.checks.lastHeardMs();
    describeForUi(account);
  }

  ifChanged(): void {
    const key = this.key();
    const heard = this.account.checks.lastHeardMs();
    // MonoLastHeard moves with any other indexed change, otherwise at most once an hour whatever the traffic.
    const withHeard =
      heard !== null &&
      heard !== this.heard &&
      (this.heard === null || key !== this.indexed || heard - this.heard >= LAST_HEARD_RESOLUTION_MS);
    if (key === this.indexed && !withHeard) return;
    this.indexed = key;
    if (withHeard) this.heard = heard;
    publish(this.account, withHeard ? heard : undefined);
  }

  /** The indexed facts; a change in any of them means the search attributes need an upsert. */
  private key(): string {
    const a = this.account;
    return JSON.stringify([a.state, a.since, a.escalated, a.institution, a.outbox.undeliveredCount > 0]);
  }
}

function publish(account: Account, lastHeardMs?: number): void {
  if (account.state === null || account.since === null) return;
  upsertSearchAttributes([
    { key: MonoAccountState, value: account.state },
    { key: MonoStateSince, value: new Date(account.since) },
    { key: MonoEscalated, value: account.escalated },
    ...(account.institution ? [{ key: MonoInstitution, value: account.institution }] : []),
    { key: MonoUndelivered, value: account.outbox.undeliveredCount > 0 },
    ...(lastHeardMs !== undefined ? [{ key: MonoLastHeard, value: new Date(lastHeardMs) }] : []),
  ]);
  describeForUi(account);
}

/** The markdown the Web UI shows on the workflow's page (not stored in history). */
function describeForUi(account: Account): void {
  if (account.state === null) return;
  const undelivered = account.outbox.undeliveredCount;
  setCurrentDetails(
    `**${account.state}** since ${account.since}` +
      (account.escalated ? ' — escalated to operators' : '') +
      (account.institution ? `\n\nInstitution: ${account.institution}` : '') +
      (undelivered > 0 ? `\n\n${undelivered} undelivered notice(s): see the state query` : '')
  );
}
