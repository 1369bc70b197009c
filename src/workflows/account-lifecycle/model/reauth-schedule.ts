/**
 * Reminders and the escalation deadline while an account waits in `reauth_required`. Pure: the caller passes
 * the time and the end of quiet hours, and sends what these functions decide.
 */
import type { ResolvedSettings } from './settings.js';

export interface ReauthSchedule {
  /** When the account entered `reauth_required` (epoch ms); reminders count from here. */
  enteredAtMs: number;
  remindersSent: number;
  nextReminderAtMs: number | null;
  escalateAtMs: number | null;
  lastNoticeAtMs: number | null;
}

/** The schedule on entering `reauth_required` at `nowMs`, when the first notice goes out. */
export function reauthStarted(nowMs: number, settings: ResolvedSettings): ReauthSchedule {
  const first = settings.reauthRemindersMs[0];
  return {
    enteredAtMs: nowMs,
    remindersSent: 0,
    nextReminderAtMs: first === undefined ? null : nowMs + first,
    escalateAtMs: nowMs + settings.reauthEscalateAfterMs,
    lastNoticeAtMs: nowMs,
  };
}

/** The earliest of the next reminder and the deadline, or null. */
export function nextReauthTimerMs(r: ReauthSchedule | null): number | null {
  if (!r) return null;
  const times = [r.nextReminderAtMs, r.escalateAtMs].filter((t): t is number => t !== null);
  return times.length === 0 ? null : Math.min(...times);
}

export type ReminderDecision =
  | { kind: 'none' }
  /** Not yet: the minimum gap since the last message, or quiet hours, push it to `atMs`. */
  | { kind: 'defer'; atMs: number }
  | { kind: 'send'; reminder: number; schedule: ReauthSchedule };

/** True when a reminder is due at `nowMs` and only quiet hours could still hold it back. */
export function reminderNeedsQuietHoursCheck(r: ReauthSchedule, nowMs: number, settings: ResolvedSettings): boolean {
  if (!settings.quietHours || r.nextReminderAtMs === null || nowMs < r.nextReminderAtMs) return false;
  return nowMs >= (r.lastNoticeAtMs ?? 0) + settings.reminderMinGapMs;
}

/**
 * What to do about the reminder at `nowMs`. `quietHoursEndMs` is the end of quiet hours when
 * `reminderNeedsQuietHoursCheck` asked for it, worked out where its result is recorded (a local activity) so that
 * time-zone data never decides at replay; null when no quiet hours apply.
 */
export function reminderDue(
  r: ReauthSchedule,
  nowMs: number,
  settings: ResolvedSettings,
  quietHoursEndMs: number | null
): ReminderDecision {
  if (r.nextReminderAtMs === null || nowMs < r.nextReminderAtMs) return { kind: 'none' };
  const earliest = (r.lastNoticeAtMs ?? 0) + settings.reminderMinGapMs;
  if (nowMs < earliest) return { kind: 'defer', atMs: earliest };
  if (quietHoursEndMs !== null && quietHoursEndMs > nowMs) return { kind: 'defer', atMs: quietHoursEndMs };
  const reminder = r.remindersSent + 1;
  const offset = settings.reauthRemindersMs[reminder];
  return {
    kind: 'send',
    reminder,
    schedule: {
      ...r,
      remindersSent: reminder,
      lastNoticeAtMs: nowMs,
      nextReminderAtMs: offset === undefined ? null : Math.max(r.enteredAtMs + offset, nowMs + 1),
    },
  };
}

export function escalationDue(r: ReauthSchedule, nowMs: number): boolean {
  return r.escalateAtMs !== null && nowMs >= r.escalateAtMs;
}

/** "7 days" or "90 minutes": how long the owner has had, for the escalation message. */
export function describeDeadline(ms: number): string {
  const days = Math.round(ms / 86_400_000);
  return days >= 1 ? `${days} day${days === 1 ? '' : 's'}` : `${ms / 60_000} minutes`;
}
