/**
 * Types shared by the lifecycle workflow, its pure state machine and everything that talks to it.
 * This file is imported into the workflow sandbox: plain types and constants only.
 */
import type { RecordedCarriedState } from './carried-state.js';
import type { CheckRecord } from './observations.js';
import type { LifecycleSettings } from './settings.js';

export type { LifecycleSettings } from './settings.js';

/** Lifecycle states, exactly as operators and search attributes spell them. `unlinked` is terminal. */
export const ACCOUNT_STATES = [
  'connected',
  'synced',
  'sync_failed',
  'reauth_required',
  'reauthorised',
  'unlinked',
] as const;
export type AccountState = (typeof ACCOUNT_STATES)[number];

/** Mono's seven account webhook events, by their short name (without `mono.events.`). */
export const MONO_EVENT_KINDS = [
  'account_connected',
  'account_updated',
  'sync_failed',
  'reauthorisation_required',
  'account_reauthorized',
  'account_synced',
  'account_unlinked',
] as const;
export type MonoEventKind = (typeof MONO_EVENT_KINDS)[number];

/** `meta.data_status` of `account_updated`, lower-cased (Mono sends both cases). */
export const DATA_STATUSES = ['available', 'partial', 'processing', 'failed', 'unavailable'] as const;
export type DataStatus = (typeof DATA_STATUSES)[number];

/**
 * One Mono webhook, normalised at the edge. It carries no PII: no name, account number, BVN or balance
 * ever enters Temporal, whose histories and search attributes are stored in plain text.
 */
export interface AccountEvent {
  kind: MonoEventKind;
  accountId: string;
  /** `account_updated` only. */
  dataStatus?: DataStatus;
  /** `account_synced` only: whether Mono found new data. */
  updated?: boolean;
  /** Institution display name when the payload carries it (not PII). */
  institution?: string;
  /** Digest of the delivery (event, account and canonical body); equal digests are the same delivery. */
  deliveryKey: string;
  /** When the ingress received it (ISO-8601). */
  receivedAt: string;
}

/** A recorded state change. `cause` names the event or action, e.g. `account_updated:failed`. */
export interface Transition {
  at: string;
  from: AccountState | null;
  to: AccountState;
  cause: string;
}

/** Result of one manual sync, as the workflow records it. */
export interface SyncRecord {
  at: string;
  /** `synced`, `reauth_required`, `failed` (with Mono's code) or `error` (the call itself failed). */
  outcome: 'synced' | 'reauth_required' | 'failed' | 'error';
  code: string;
}

/** Why and when operators were told about this account. */
export interface Escalation {
  at: string;
  reason: string;
}

/** What the `state` query returns, plus a few operator-facing counters. */
export interface AccountView {
  accountId: string;
  state: AccountState | null;
  since: string | null;
  escalated: boolean;
  /** Manual sync attempts in the current state. */
  attempts: number;
  institution: string | null;
  /** When the next manual sync is due, if one is scheduled. */
  nextSyncAt: string | null;
  lastSync: SyncRecord | null;
  escalation: Escalation | null;
  /** While in `reauth_required`: reminders sent, the next one, and the escalation deadline. */
  reauth: {
    remindersSent: number;
    nextReminderAt: string | null;
    escalateAt: string | null;
    lastNoticeAt: string | null;
  } | null;
  /** Messages decided and not yet sent. */
  pendingNotices: number;
  /** Whether an email address and which time zone are registered (the address itself is not shown). */
  contact: { email: boolean; timeZone: string | null };
  history: Transition[];
  lastEvent: { at: string; cause: string; outcome: 'changed' | 'unchanged' | 'duplicate' } | null;
  counts: { events: number; unchanged: number; duplicates: number };
  run: { number: number; historyLength: number };
  /** The last check with Mono (reconciliation or enrolment), and whether one is waiting to run. */
  check?: { last: CheckRecord | null; pending: boolean };
}

/** How to reach the account's owner, registered through the admin API. */
export interface Contact {
  email?: string | null;
  timeZone?: string | null;
}

/** Notification types (README, "Notifications and the re-auth link"). */
export type NoticeType =
  'account.reauth_required' | 'account.reauth_reminder' | 'account.escalated' | 'account.recovered';

/** A message the workflow decided to send; `id` is stable, so retries never send it twice to a deduping receiver. */
export interface Notice {
  id: string;
  type: NoticeType;
  audience: 'owner' | 'operators';
  at: string;
  data: { accountId: string; reminder?: number; state?: AccountState; reason?: string; resent?: boolean };
}

/** Input of `accountLifecycle`. `carried` is absent on an account's first run. */
export interface AccountLifecycleInput {
  accountId: string;
  settings: LifecycleSettings;
  carried?: RecordedCarriedState;
}

/** An operator's request, from the `retrySync` update or signal. */
export interface OperatorRequest {
  reason?: string;
}

/** What the `resendReauthLink` update answers. */
export interface ResendAccepted {
  noticeId: string;
}

/** What the `retrySync` update answers. */
export interface RetrySyncAccepted {
  state: AccountState;
  syncAt: string;
}
