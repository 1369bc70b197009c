/**
 * An account's side of a bank-wide incident (incident-hold.ts): held when its institution's incident opens,
 * released when it closes. Works on the account's record (record.ts). Pure.
 */
import {
  holdEndsAtMs,
  isHeldNotice,
  type HoldRequest,
  type ReleaseAnswer,
  type ReleaseRequest,
} from './incident-hold.js';
import { iso, type AccountRecord } from './record.js';
import { reauthStarted } from './reauth-schedule.js';
import { cancelSync, syncAt } from './sync-schedule.js';
import type { Notice } from './types.js';

export class IncidentHolds {
  constructor(private readonly account: AccountRecord) {}

  /** True while `notice` waits for the incident to end: held (isHeldNotice) and not yet handed to the notifier. */
  holds(notice: Notice): boolean {
    return this.account.hold !== null && notice.channels === undefined && isHeldNotice(notice);
  }

  /**
   * Holds the account for its institution's incident; false when already held by it (incidents repeat the
   * request) or when the incident is about another institution than the account's.
   */
  hold(request: HoldRequest, nowMs: number): boolean {
    const a = this.account;
    const current = a.hold;
    if (current?.institution === request.institution && current.openedAtMs === request.openedAtMs) return false;
    if (a.institution !== null && a.institution !== request.institution) return false;
    if (a.state === null || a.state === 'unlinked') return false;
    const waiting = a.outbox.unplanned().filter(isHeldNotice).length;
    a.hold = { ...request, heldAtMs: nowMs, heldNotices: waiting, releaseAtMs: null };
    a.holdRetry(nowMs);
    a.note(`held by the incident at ${request.institution}`, nowMs);
    return true;
  }

  /** Sets when the account is released; the answer counts what it held and what is still true. */
  release(request: ReleaseRequest): ReleaseAnswer {
    const a = this.account;
    const hold = a.hold;
    if (!hold || hold.institution !== request.institution) return { held: 0, stillTrue: 0, releaseAt: null };
    const releaseAtMs = Math.min(request.releaseAtMs, hold.expiresAtMs);
    a.hold = { ...hold, releaseAtMs };
    const stillTrue = a.outbox.unplanned().filter((n) => this.holds(n) && this.stillTrue(n)).length;
    return { held: hold.heldNotices, stillTrue, releaseAt: iso(releaseAtMs) };
  }

  /** When the hold ends (release or expiry), or null when not held. */
  endsAtMs(): number | null {
    const hold = this.account.hold;
    return hold ? holdEndsAtMs(hold) : null;
  }

  /**
   * Ends the hold once its time has come. The account then acts as if its trouble began now: the owner's re-auth
   * clock (reminders, the escalation deadline) starts over, and a sync failure gets its own backoff from the start.
   * Held notices go out through the usual lanes, which drop any that are no longer true. True if released.
   */
  releaseIfDue(nowMs: number): boolean {
    const a = this.account;
    const ends = this.endsAtMs();
    if (ends === null || nowMs < ends) return false;
    const { institution } = a.hold!;
    a.hold = null;
    if (a.state === 'reauth_required') {
      a.reauth = reauthStarted(nowMs, a.settings);
      a.sync = cancelSync(a.sync);
    } else if (a.state === 'sync_failed' && !a.escalated) {
      a.core.attempts = 0;
      a.sync = syncAt(a.sync, nowMs);
    }
    a.note(`released by the incident at ${institution}`, nowMs);
    return true;
  }

  private stillTrue(notice: Notice): boolean {
    if (notice.type === 'account.escalated') return this.account.escalated;
    return this.account.state === 'reauth_required';
  }
}
