/**
 * How an account's clocks run: dedupe window, sync backoff, grace period, reminders, escalation, quiet hours.
 * Every default is written here, once: `config.ts` parses the environment over these values, and settings sent
 * by hand (the `temporal` CLI) get the rest through `withDefaults`. Imported into the workflow sandbox: plain data
 * only.
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Mono allows one manual sync per account every 2 minutes. */
export const MIN_SYNC_INTERVAL_MS = 2 * MINUTE;
/** An operator may resend a link at most this often (double clicks, scripts in a loop). */
export const MIN_RESEND_GAP_MS = MINUTE;

/**
 * Settings a run receives at start and with every webhook, carried across continue-as-new. The optional ones have
 * defaults (`withDefaults`): a start or signal made by hand may leave them out.
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
  /** How long a notice keeps being retried on a channel before it becomes a dead letter (`NOTIFY_RETRY_FOR`). */
  notifyRetryForMs?: number;
}

export type ResolvedSettings = Required<LifecycleSettings>;

export const LIFECYCLE_DEFAULTS: Readonly<ResolvedSettings> = Object.freeze({
  dedupeWindowMs: HOUR,
  historyEventsPerRun: 1_500,
  syncRetryBackoffMs: [2 * MINUTE, 10 * MINUTE, 30 * MINUTE, 2 * HOUR, 6 * HOUR],
  reauthSyncGraceMs: 10 * MINUTE,
  reauthRemindersMs: [DAY, 3 * DAY, 7 * DAY],
  reauthEscalateAfterMs: 7 * DAY,
  reminderMinGapMs: 12 * HOUR,
  quietHours: null,
  defaultTimeZone: 'Africa/Lagos',
  notifyRetryForMs: DAY,
});

export function withDefaults(settings: LifecycleSettings): ResolvedSettings {
  const d = LIFECYCLE_DEFAULTS;
  return {
    ...settings,
    syncRetryBackoffMs: settings.syncRetryBackoffMs?.length ? settings.syncRetryBackoffMs : d.syncRetryBackoffMs,
    reauthSyncGraceMs: settings.reauthSyncGraceMs ?? d.reauthSyncGraceMs,
    reauthRemindersMs: settings.reauthRemindersMs ?? d.reauthRemindersMs,
    reauthEscalateAfterMs: settings.reauthEscalateAfterMs ?? d.reauthEscalateAfterMs,
    reminderMinGapMs: settings.reminderMinGapMs ?? d.reminderMinGapMs,
    quietHours: settings.quietHours ?? d.quietHours,
    defaultTimeZone: settings.defaultTimeZone ?? d.defaultTimeZone,
    notifyRetryForMs: settings.notifyRetryForMs ?? d.notifyRetryForMs,
  };
}
