/**
 * The account model's vocabulary: states, events, notices, checks and the `state` query's answer. Plain types and
 * constants only; it imports nothing, so every other module can depend on it without forming a circle.
 */

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
 * One Mono webhook, normalised at the edge. It carries no PII: no name, account number, BVN or balance ever
 * enters Temporal.
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

/**
 * Languages of the owner's messages and of the re-auth page (src/messages): English, and Swahili for Kenya and East
 * Africa. A new one needs its own folder of templates under templates/.
 */
export const OWNER_LOCALES = ['en', 'sw'] as const;
export type OwnerLocale = (typeof OWNER_LOCALES)[number];

/** How to reach the account's owner, registered through the admin API. */
export interface Contact {
  email?: string | null;
  timeZone?: string | null;
  /** The owner's language; English when unset. */
  locale?: OwnerLocale | null;
  /** E.164, validated at the edge; reaches the sms and whatsapp channels only (payloads are encrypted). */
  phone?: string | null;
  /** The owner agreed to WhatsApp messages (WhatsApp's business policy asks for it before the first one). */
  whatsApp?: boolean | null;
}

/** Notification types (see src/activities/notify/notifier.ts for how each is delivered). */
export type NoticeType =
  | 'account.reauth_required'
  | 'account.reauth_reminder'
  | 'account.escalated'
  | 'account.recovered'
  /** Operators: a bank-wide incident opened or closed at an institution (src/incidents/activities.ts). */
  | 'incident.opened'
  | 'incident.closed';

/**
 * Where a notice goes: the log, the customer's webhook, the owner's email, the operators' webhook
 * (`OPERATOR_WEBHOOK_URL`), the owner's phone by SMS and by WhatsApp. Each is delivered by an activity of its
 * own, with its own retries.
 */
export const NOTICE_CHANNELS = ['log', 'webhook', 'email', 'operator_webhook', 'sms', 'whatsapp'] as const;
/** The channels that reach the owner's phone: they get the number, and wait out quiet hours. */
export const PHONE_CHANNELS: readonly NoticeChannel[] = ['sms', 'whatsapp'];
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
  data: {
    accountId: string;
    reminder?: number;
    state?: AccountState;
    /** `account.recovered`: the state it recovered from, and since when it was in it. */
    from?: AccountState;
    since?: string;
    reason?: string;
    resent?: boolean;
    /** `incident.*`: the institution and its counts. */
    incident?: {
      institution: string;
      accounts: number;
      failing: number;
      peakFailing: number;
      held: number;
      closeReason?: string | null;
      heldNotices?: number | null;
      releasedNotices?: number | null;
    };
  };
  /** Per-channel outcomes, once the notifier said which channels apply; absent before. */
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

/** Why the account asked Mono: the reconcile schedule, or its own enrolment (a bulk import). */
export type CheckReason = 'reconcile' | 'enrol';

/** The result of an account's check, as the `reconcile` update answers it and the `state` query shows it. */
export interface CheckRecord {
  /** Counts the checks of this account; an update waits for the one it asked for. */
  ticket: number;
  reason: CheckReason;
  at: string;
  /** What was seen, e.g. `details:available`, `details:available → sync:SYNC_SUCCESSFUL`. */
  observed: string;
  /** `corrected`: the state changed; `confirmed`: it did not; `deferred`/`failed`: Mono could not tell now. */
  outcome: 'corrected' | 'confirmed' | 'deferred' | 'failed';
  from: AccountState | null;
  to: AccountState | null;
  detail?: string;
}

/** A check asked for and not yet run. */
export interface CheckRequest {
  ticket: number;
  reason: CheckReason;
  atMs: number;
}

/** The last webhook the account received, and what it did. */
export interface LastEvent {
  at: string;
  cause: string;
  outcome: 'changed' | 'unchanged' | 'duplicate';
}

export interface EventCounts {
  events: number;
  unchanged: number;
  duplicates: number;
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
  /** Messages being delivered, channel by channel, and those that gave up on a channel (dead letters, bounded). */
  notices: { pending: PendingNoticeView[]; undelivered: UndeliveredNotice[] };
  /**
   * Whether an email address, a phone number and which time zone and language are registered (never the address or
   * number).
   */
  contact: {
    email: boolean;
    timeZone: string | null;
    locale?: OwnerLocale | null;
    phone?: boolean;
    whatsApp?: boolean;
  };
  history: Transition[];
  lastEvent: LastEvent | null;
  counts: EventCounts;
  run: { number: number; historyLength: number };
  /** The last check with Mono (reconciliation or enrolment), and whether one is waiting to run. */
  check: { last: CheckRecord | null; pending: boolean };
  /** The bank-wide incident holding the account's re-auth notices and escalations, if any. */
  incident?: { institution: string; heldSince: string; heldNotices: number; releaseAt: string | null } | null;
}
