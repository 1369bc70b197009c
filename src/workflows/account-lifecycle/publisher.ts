/**
 * Keeps the account's search attributes and the Web UI's summary in step with the account: one upsert per
 * wake-up when an indexed fact changed, not one per event. Sandbox code.
 */
import { proxySinks, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import {
  MonoAccountState,
  MonoEscalated,
  MonoIncident,
  MonoInstitution,
  MonoLastHeard,
  MonoReauthChannels,
  MonoReauthorisedAt,
  MonoReauthSeconds,
  MonoStateSince,
  MonoUndelivered,
} from './api/search-attributes.js';
import type { FunnelSinks } from './api/sinks.js';
import type { Account } from './model/account.js';
import { LAST_HEARD_RESOLUTION_MS } from './model/observations.js';
import { indexedChannels } from './model/reauth-episode.js';

const { funnel } = proxySinks<FunnelSinks>();

export class Publisher {
  private indexed: string;
  private heard: number | null;
  private reauthorisedAt: string | null;
  /** Whether MonoIncident may hold a value: it is only ever written by accounts that were held. */
  private incidentShown: boolean;

  constructor(private readonly account: Account) {
    this.indexed = this.key();
    this.heard = account.checks.lastHeardMs();
    this.reauthorisedAt = account.lastReauth?.at ?? null;
    this.incidentShown = account.hold !== null;
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
    this.observeReauth();
    if (withHeard) this.heard = heard;
    const incident = this.account.hold?.institution ?? null;
    publish(
      this.account,
      withHeard ? heard : undefined,
      incident !== null || this.incidentShown ? incident : undefined
    );
    this.incidentShown = incident !== null;
  }

  /** The indexed facts; a change in any of them means the search attributes need an upsert. */
  private key(): string {
    const a = this.account;
    const funnelFacts = [a.promptChannels(), a.lastReauth?.at];
    const incident = a.hold?.institution ?? null;
    return JSON.stringify([
      a.state,
      a.since,
      a.escalated,
      a.institution,
      a.outbox.undeliveredCount > 0,
      ...funnelFacts,
      incident,
    ]);
  }

  /** Reports a re-authorisation this run has not reported yet to the worker's metrics. */
  private observeReauth(): void {
    const episode = this.account.lastReauth;
    if (!episode || episode.at === this.reauthorisedAt) return;
    this.reauthorisedAt = episode.at;
    funnel.reauthorised(episode.seconds, episode.channels);
  }
}

/** `incident`: the held account's institution, null to clear MonoIncident, undefined to leave it alone. */
function publish(account: Account, lastHeardMs?: number, incident?: string | null): void {
  if (account.state === null || account.since === null) return;
  const channels = account.promptChannels();
  const episode = account.lastReauth;
  upsertSearchAttributes([
    { key: MonoAccountState, value: account.state },
    { key: MonoStateSince, value: new Date(account.since) },
    { key: MonoEscalated, value: account.escalated },
    ...(account.institution ? [{ key: MonoInstitution, value: account.institution }] : []),
    { key: MonoUndelivered, value: account.outbox.undeliveredCount > 0 },
    ...(lastHeardMs !== undefined ? [{ key: MonoLastHeard, value: new Date(lastHeardMs) }] : []),
    ...(channels ? [{ key: MonoReauthChannels, value: indexedChannels(channels) }] : []),
    ...(episode
      ? [
          { key: MonoReauthorisedAt, value: new Date(episode.at) },
          { key: MonoReauthSeconds, value: episode.seconds },
        ]
      : []),
    ...(incident !== undefined ? [{ key: MonoIncident, value: incident }] : []),
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
      (account.hold ? `\n\nHeld by the incident at ${account.hold.institution}: re-auth notices wait for it` : '') +
      (undelivered > 0 ? `\n\n${undelivered} undelivered notice(s): see the state query` : '')
  );
}
