/**
 * Re-authorisation: reminders to the owner while the account waits in `reauth_required`, the escalation at the
 * deadline, and an operator's resend. Works on the account's record (record.ts). Pure: the end of quiet hours is
 * worked out outside (a local activity) and passed in.
 */
import { escalationDue, describeDeadline, reminderDue, reminderNeedsQuietHoursCheck } from './reauth-schedule.js';
import { iso, type AccountRecord } from './record.js';
import { MIN_RESEND_GAP_MS } from './settings.js';

export class ReauthReminders {
  constructor(private readonly account: AccountRecord) {}

  /**
   * The quiet-hours window and time zone to check when a reminder is due now and only quiet hours could hold it
   * back; the caller works out the window's end where its result is recorded, and passes it to `run`.
   */
  quietHoursCheck(nowMs: number): { window: string; timeZone: string } | null {
    const { reauth, settings } = this.account;
    if (!reauth || this.account.state !== 'reauth_required' || this.account.hold) return null;
    if (!reminderNeedsQuietHoursCheck(reauth, nowMs, settings)) return null;
    return { window: settings.quietHours!, timeZone: this.account.timeZone() };
  }

  /** Sends a due reminder (or defers it) and escalates at the deadline. True if anything changed. */
  run(nowMs: number, quietHoursEndMs: number | null): boolean {
    const a = this.account;
    // Held by a bank-wide incident: no reminder and no deadline until it is released (incident.ts starts them over).
    if (!a.reauth || a.state !== 'reauth_required' || a.hold) return false;
    let changed = false;
    const decision = reminderDue(a.reauth, nowMs, a.settings, quietHoursEndMs);
    if (decision.kind === 'defer') {
      a.reauth = { ...a.reauth, nextReminderAtMs: decision.atMs };
      changed = true;
    } else if (decision.kind === 'send') {
      a.reauth = decision.schedule;
      a.notify('account.reauth_reminder', 'owner', nowMs, { reminder: decision.reminder });
      changed = true;
    }
    if (escalationDue(a.reauth, nowMs)) {
      a.reauth = { ...a.reauth, escalateAtMs: null };
      if (!a.escalated) {
        a.escalate(`the owner has not re-authorised in ${describeDeadline(a.settings.reauthEscalateAfterMs)}`, nowMs);
      }
      changed = true;
    }
    return changed;
  }

  /** Why an operator's `resendReauthLink` is refused now, or undefined when it is accepted. */
  refuseResend(nowMs: number): string | undefined {
    const state = this.account.state;
    if (state !== 'reauth_required') return `the account is ${state ?? 'new'}; there is no re-authorisation to ask for`;
    const last = this.account.reauth?.lastNoticeAtMs ?? null;
    if (last !== null && nowMs - last < MIN_RESEND_GAP_MS) {
      return `a link was sent at ${iso(last)}; resend after ${iso(last + MIN_RESEND_GAP_MS)}`;
    }
    return undefined;
  }

  /** An operator asked to send the owner a fresh link now. Returns the message id. */
  resend(nowMs: number): string {
    const a = this.account;
    a.note('operator:resendReauthLink', nowMs);
    if (a.reauth) a.reauth = { ...a.reauth, lastNoticeAtMs: nowMs };
    return a.notify('account.reauth_required', 'owner', nowMs, { resent: true }).id;
  }
}
