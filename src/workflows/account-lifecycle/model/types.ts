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
  /**
   * Messages being delivered, channel by channel, and those that gave up on a channel (dead letters, newest
   * last, bounded). Absent from answers of runs that deliver a notice on all channels at once.
   */
  notices?: { pending: PendingNoticeView[]; undelivered: UndeliveredNotice[] };
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

/**
 * Where a notice goes: the log, the customer's webhook, the owner's email, the operators' webhook
 * (`OPERATOR_WEBHOOK_URL`). Each is delivered by an activity of its own, with its own retries.
 */
export const NOTICE_CHANNELS = ['log', 'webhook', 'email', 'operator_webhook'] as const;
export type NoticeChannel = (typeof NOTICE_CHANNELS)[number];

/** One channel's delivery of one notice. */
export interface ChannelDelivery {
  status: 'pending' | 'sent' | 'skipped' | 'failed';
  /** When it reached its status (not for pending). */
  at?: string;
  /** Why it was skipped or failed: no PII (SMTP codes, HTTP statuses). */
  detail?: string;
  /** Attempts made so far, when the first was, and when the next is due (while pending). */
  attempts?: number;
  firstAttemptAt?: string;
  nextAttemptAt?: string;
}

/** A message the workflow decided to send; `id` is stable, so retries never send it twice to a deduping receiver. */
export interface Notice {
  id: string;
  type: NoticeType;
  audience: 'owner' | 'operators';
  at: string;
  data: { accountId: string; reminder?: number; state?: AccountState; reason?: string; resent?: boolean };
  /** Per-channel outcomes, once the notifier said which channels apply; absent before (and in older runs). */
  channels?: Partial<Record<NoticeChannel, ChannelDelivery>>;
  /** How many times an operator asked for it again. */
  redeliveries?: number;
}

/** A pending notice as the `state` query shows it. */
export interface PendingNoticeView {
  id: string;
  type: NoticeType;
  at: string;
  channels: Partial<Record<NoticeChannel, ChannelDelivery>>;
}

/** A notice that gave up on one channel (a dead letter), kept so that an operator can redeliver it. */
export interface UndeliveredNotice {
  id: string;
  type: NoticeType;
  audience: Notice['audience'];
  /** When the notice was decided. */
  at: string;
  channel: NoticeChannel;
  /** When the channel gave up. */
  failedAt: string;
  /** Why, without PII. */
  error: string;
  data: Notice['data'];
}

/** Operator: deliver dead letters again; all of the account's when neither field is given. */
export interface RedeliverRequest {
  noticeIds?: string[];
  /** Only dead letters that failed at or after this time (ISO-8601). */
  since?: string;
}

/** What the `redeliverNotices` update answers. */
export interface RedeliverAccepted {
  /** `<noticeId>/<channel>` of each dead letter queued again. */
  requeued: string[];
  /** Dead letters that matched but are no longer wanted (a re-auth notice after the account recovered). */
  skipped: Array<{ id: string; channel: NoticeChannel; reason: string }>;
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
