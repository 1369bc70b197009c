/**
 * An account: its record (record.ts) and the parts that act on it — manual syncs, re-auth reminders, checks with
 * Mono, notices. `Account` applies webhook events through the transition table; the workflow holds one, and the
 * unit tests drive it directly. Pure: time is passed in, so timers are data here and the workflow turns them into
 * durable waits.
 */
import { newAccount, type CarriedState } from './carried-state.js';
import { Checks } from './checks.js';
import { IncidentHolds } from './incident.js';
import { causeOf, transition } from './machine.js';
import { Notices } from './notices.js';
import { nextReauthTimerMs } from './reauth-schedule.js';
import { ReauthReminders } from './reauth.js';
import { AccountRecord, iso, type RecordDeps } from './record.js';
import type { ResolvedSettings } from './settings.js';
import { Syncs } from './syncs.js';
import type { AccountEvent, AccountState, Contact, Transition } from './types.js';

/** What applying one event did. */
export type ApplyResult =
  | { outcome: 'duplicate' }
  | { outcome: 'unchanged'; state: AccountState }
  | { outcome: 'changed'; transition: Transition };

export class Account extends AccountRecord {
  readonly syncs = new Syncs(this);
  readonly reauthReminders = new ReauthReminders(this);
  readonly checks = new Checks(this);
  readonly notices = new Notices(this);
  readonly incident = new IncidentHolds(this);

  /** A new account, or one restored from the previous run's carried state. */
  static restore(
    accountId: string,
    settings: ResolvedSettings,
    carried: CarriedState | undefined,
    deps: RecordDeps
  ): Account {
    return new Account(accountId, settings, carried ?? newAccount(), deps);
  }

  get contact(): Contact | null {
    return this.core.contact;
  }

  /**
   * Applies a webhook event at `nowMs`. A delivery seen within the dedupe window changes nothing, unless the state
   * moved since (then it is the same event happening again).
   */
  apply(event: AccountEvent, nowMs: number): ApplyResult {
    const at = iso(nowMs);
    const cause = causeOf(event);
    const c = this.core;
    const window = this.settings.dedupeWindowMs;
    c.counts = { ...c.counts, events: c.counts.events + 1 };
    if (this.deliveries.isRedelivery(event.deliveryKey, nowMs, window, c.stateChanges)) {
      c.counts.duplicates += 1;
      c.lastEvent = { at, cause, outcome: 'duplicate' };
      return { outcome: 'duplicate' };
    }
    if (event.institution && c.state !== 'unlinked') c.institution = event.institution;

    const { to, changed } = transition(c.state, event);
    let result: ApplyResult;
    if (!changed) {
      c.counts.unchanged += 1;
      c.lastEvent = { at, cause, outcome: 'unchanged' };
      result = { outcome: 'unchanged', state: to };
    } else {
      c.lastEvent = { at, cause, outcome: 'changed' };
      result = { outcome: 'changed', transition: this.moveTo(to, cause, nowMs) };
    }
    // Remembered with the state it left the account in: a later copy is a redelivery only while that holds.
    this.deliveries.remember(event.deliveryKey, nowMs, window, c.stateChanges);
    return result;
  }

  /** Adopts newer settings (they arrive with webhooks); schedules already set keep their times. */
  useSettings(settings: ResolvedSettings): void {
    this.settings = settings;
  }

  /** Records the institution learnt from Mono's account details. */
  setInstitution(name: string | null): void {
    if (name) this.core.institution = name;
  }

  /** Registers (or clears, with null) how to reach the owner; a field left out keeps its value. */
  setContact(contact: Contact): void {
    this.core.contact = { ...this.core.contact, ...contact };
  }

  /**
   * When the workflow must next act (a sync, a reminder, the deadline, the end of an incident's hold), or null when
   * it only waits for events.
   * `syncBlocked`: a sync (or a check's) is running, so a due sync waits for it to end rather than for a timer.
   */
  nextWakeMs(syncBlocked = false): number | null {
    const sync = syncBlocked ? null : this.syncs.nextAtMs();
    // While held by an incident the re-auth timers wait; the hold's end wakes the account.
    const reauth = this.hold ? this.incident.endsAtMs() : nextReauthTimerMs(this.reauth);
    const due = [sync, reauth].filter((t): t is number => t !== null);
    return due.length === 0 ? null : Math.min(...due);
  }
}
