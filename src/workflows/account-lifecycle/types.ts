/**
 * Types shared by the lifecycle workflow, its pure state machine and everything that talks to it.
 * This file is imported into the workflow sandbox: plain types and constants only.
 */

/** Lifecycle states, exactly as SPEC 3.2 spells them. `unlinked` is terminal. */
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
  /** The service's current lifecycle settings, so configuration changes reach running accounts. */
  settings?: LifecycleSettings;
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

/** What the `state` query returns (SPEC 3.2) plus a few operator-facing counters. */
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
}

/**
 * Settings fixed when an account's workflow starts, carried unchanged across continue-as-new. Fields added
 * after the first release are optional: runs started earlier get the defaults (`withDefaults`).
 */
export interface LifecycleSettings {
  /** Identical deliveries within this window are treated as redeliveries and ignored. */
  dedupeWindowMs: number;
  /** Continue-as-new once a run's history reaches this many events (or the server suggests it). */
  historyEventsPerRun: number;
  /** Waits before each manual sync retry in `sync_failed`; after the last one, escalate. */
  syncRetryBackoffMs?: number[];
  /** How long `reauthorised` waits for fresh data before triggering a sync itself. */
  reauthSyncGraceMs?: number;
  /** Reminders in `reauth_required`, as offsets from entering it; their number is the cap. */
  reauthRemindersMs?: number[];
  /** Escalate to operators when the owner has not re-authorised after this long. */
  reauthEscalateAfterMs?: number;
  /** No reminder within this long of the previous message to the owner. */
  reminderMinGapMs?: number;
  /** Reminders due inside this window (`HH:MM-HH:MM`, the owner's local time) wait for its end. */
  quietHours?: string | null;
  /** The owner's time zone when none is registered. */
  defaultTimeZone?: string;
}

/** How to reach the account's owner, registered through the admin API. */
export interface Contact {
  email?: string | null;
  timeZone?: string | null;
}

/** Mono allows one manual sync per account every 2 minutes. */
export const MIN_SYNC_INTERVAL_MS = 2 * 60_000;
export const DEFAULT_SYNC_RETRY_BACKOFF_MS = [2, 10, 30, 120, 360].map((m) => m * 60_000);
export const DEFAULT_REAUTH_SYNC_GRACE_MS = 10 * 60_000;
const DAY = 86_400_000;
export const DEFAULT_REAUTH_REMINDERS_MS = [1 * DAY, 3 * DAY, 7 * DAY];
export const DEFAULT_REAUTH_ESCALATE_AFTER_MS = 7 * DAY;
export const DEFAULT_REMINDER_MIN_GAP_MS = 12 * 3_600_000;
/** An operator may resend a link at most this often (double clicks, scripts in a loop). */
export const MIN_RESEND_GAP_MS = 60_000;

export type ResolvedSettings = Required<LifecycleSettings>;

export function withDefaults(settings: LifecycleSettings): ResolvedSettings {
  return {
    ...settings,
    syncRetryBackoffMs: settings.syncRetryBackoffMs?.length
      ? settings.syncRetryBackoffMs
      : DEFAULT_SYNC_RETRY_BACKOFF_MS,
    reauthSyncGraceMs: settings.reauthSyncGraceMs ?? DEFAULT_REAUTH_SYNC_GRACE_MS,
    reauthRemindersMs: settings.reauthRemindersMs ?? DEFAULT_REAUTH_REMINDERS_MS,
    reauthEscalateAfterMs: settings.reauthEscalateAfterMs ?? DEFAULT_REAUTH_ESCALATE_AFTER_MS,
    reminderMinGapMs: settings.reminderMinGapMs ?? DEFAULT_REMINDER_MIN_GAP_MS,
    quietHours: settings.quietHours ?? null,
    defaultTimeZone: settings.defaultTimeZone ?? 'Africa/Lagos',
  };
}

/** State carried from one run to the next by continue-as-new. Bounded in size. */
export interface CarriedState {
  state: AccountState | null;
  since: string | null;
  escalated: boolean;
  attempts: number;
  institution: string | null;
  history: Transition[];
  lastEvent: AccountView['lastEvent'];
  counts: AccountView['counts'];
  /** Recent delivery keys and when each was first seen (epoch ms). */
  recentDeliveries: Array<[key: string, firstSeenMs: number]>;
  runNumber: number;
  /** Sync scheduling (absent in snapshots from before sync retries existed). */
  sync?: SyncSchedule;
  escalation?: Escalation | null;
  /** Re-auth reminders and deadline while in `reauth_required` (absent before notifications existed). */
  reauth?: ReauthSchedule | null;
  /** Messages decided but not yet handed to the notifier, and the counter that numbers them. */
  outbox?: Notice[];
  noticeSeq?: number;
  contact?: Contact | null;
}

export interface ReauthSchedule {
  /** When the account entered `reauth_required` (epoch ms); reminders count from here. */
  enteredAtMs: number;
  remindersSent: number;
  nextReminderAtMs: number | null;
  escalateAtMs: number | null;
  lastNoticeAtMs: number | null;
}

/** Notification types (SPEC 3.4). */
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

export interface SyncSchedule {
  /** When the next manual sync is due (epoch ms), or null. */
  nextAtMs: number | null;
  /** When the last manual sync started (epoch ms), for Mono's 2-minute limit. */
  lastAtMs: number | null;
  last: SyncRecord | null;
}

/** Input of `accountLifecycle`. `carried` is absent on an account's first run. */
export interface AccountLifecycleInput {
  accountId: string;
  settings: LifecycleSettings;
  carried?: CarriedState;
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

/** Bounds that keep carried state small however long an account lives. */
export const HISTORY_LIMIT = 50;
export const DELIVERY_MEMORY_LIMIT = 256;
