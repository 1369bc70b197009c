/**
 * Custom search attributes of the account workflow. Registered on the dev server at start (`--search-attribute`),
 * by the tests, in docker-compose's namespace job and by scripts/cluster/temporal-cluster.ts. Values are stored in
 * plain text: never PII.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const MonoAccountState = defineSearchAttributeKey('MonoAccountState', SearchAttributeType.KEYWORD);
export const MonoInstitution = defineSearchAttributeKey('MonoInstitution', SearchAttributeType.KEYWORD);
export const MonoEscalated = defineSearchAttributeKey('MonoEscalated', SearchAttributeType.BOOL);
export const MonoStateSince = defineSearchAttributeKey('MonoStateSince', SearchAttributeType.DATETIME);
/** The account has notices that gave up on a channel (dead letters an operator can redeliver). */
export const MonoUndelivered = defineSearchAttributeKey('MonoUndelivered', SearchAttributeType.BOOL);
/** When the account last heard from Mono (webhook, sync answer, check), to the hour: reconciliation finds silence. */
export const MonoLastHeard = defineSearchAttributeKey('MonoLastHeard', SearchAttributeType.DATETIME);

/** The re-auth funnel (model/reauth-episode.ts): when the owner last re-authorised after a prompt, and how long it took. */
export const MonoReauthorisedAt = defineSearchAttributeKey('MonoReauthorisedAt', SearchAttributeType.DATETIME);
export const MonoReauthSeconds = defineSearchAttributeKey('MonoReauthSeconds', SearchAttributeType.INT);
/** The owner's channels that delivered a re-auth prompt: in the current stay in reauth_required, else the last one. */
export const MonoReauthChannels = defineSearchAttributeKey('MonoReauthChannels', SearchAttributeType.KEYWORD_LIST);
/**
 * The institution of an open bank-wide incident: on the incident's workflow, and on each account it holds (their
 * re-auth notices and escalations wait for it to close).
 */
export const MonoIncident = defineSearchAttributeKey('MonoIncident', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [
  MonoAccountState,
  MonoInstitution,
  MonoEscalated,
  MonoStateSince,
  MonoUndelivered,
  MonoLastHeard,
  MonoReauthorisedAt,
  MonoReauthSeconds,
  MonoReauthChannels,
  MonoIncident,
] as const;

/** `Name=Type` pairs as `temporal server start-dev --search-attribute` takes them. */
export const SEARCH_ATTRIBUTE_FLAGS = [
  'MonoAccountState=Keyword',
  'MonoInstitution=Keyword',
  'MonoEscalated=Bool',
  'MonoStateSince=Datetime',
  'MonoUndelivered=Bool',
  'MonoLastHeard=Datetime',
  'MonoReauthorisedAt=Datetime',
  'MonoReauthSeconds=Int',
  'MonoReauthChannels=KeywordList',
  'MonoIncident=Keyword',
] as const;
