/**
 * An account's lifecycle record: current state, bounded history, counters, the memory of recent deliveries
 * (to ignore redelivered webhooks) and the manual-sync schedule with its escalation. Pure — time is passed
 * in — so the workflow holds one and carries its snapshot across continue-as-new, and unit tests drive it
 * directly. Timers are data here (`nextAtMs`); the workflow turns them into durable waits.
 */
import { causeOf, transition } from './machine.js';
import { deferOutOfQuietHours, isValidTimeZone } from './quiet-hours.js';
import {
  DELIVERY_MEMORY_LIMIT,
  HISTORY_LIMIT,
  MIN_RESEND_GAP_MS,
  MIN_SYNC_INTERVAL_MS,
  type Notice,
  type NoticeType,
  type ReauthSchedule,
  type AccountEvent,
  type AccountState,
  type AccountView,
  type CarriedState,
  type Contact,
  type Escalation,
  type ResolvedSettings,
  type SyncRecord,
  type SyncSchedule,
  type Transition,
} from './types.js';

/** What applying one event did. */
export type ApplyResult =
  | { outcome: 'duplicate' }
  | { outcome: 'unchanged'; state: AccountState }
  | { outcome: 'changed'; transition: Transition };

/** What a manual sync produced: Mono's answer, or the failure of the call itself. */
export type SyncOutcome =
  | { outcome: 'synced'; code: string }
  | { outcome: 'reauth_required'; code: string }
  | { outcome: 'failed'; code: string }
  | { outcome: 'error'; needsOperator: boolean; message: string };

/** States in which an operator's `retrySync` makes sense. */
const RETRYABLE_STATES: ReadonlySet<AccountState> = new Set([
  'connected',
  'sync_failed',
  'reauth_required',
  'reauthorised',
]);

type Carried = Omit<
  CarriedState,
  'recentDeliveries' | 'sync' | 'escalation' | 'reauth' | 'outbox' | 'noticeSeq' | 'contact'
>;

/** Behaviours a run has, by the version of the code that started it (see the patches in workflow.ts). */
export interface Features {
  /** Manual sync retries, grace period and operator retries. */
  syncRetries: boolean;
  /** Re-auth notices, reminders, escalation messages and resends. */
  notifications: boolean;
}

const ALL_FEATURES: Features = { syncRetries: true, notifications: true };

export class Account {
  private readonly recent = new Map<string, number>();
  private schedule: SyncSchedule;
  private escalation: Escalation | null;
  private reauth: ReauthSchedule | null;
  private outbox: Notice[];
  private noticeSeq: number;
  private contact: Contact | null;
  private readonly schedulingEnabled: boolean;

  private constructor(
    readonly accountId: string,
    private settings: ResolvedSettings,
    /** Old runs (replayed histories) lack later behaviours: they record, and do not schedule or notify. */
    private readonly features: Features,
    private carried: Carried,
    rest: Pick<CarriedState, 'sync' | 'escalation' | 'reauth' | 'outbox' | 'noticeSeq' | 'contact'>
  ) {
    this.schedulingEnabled = features.syncRetries;
    this.schedule = rest.sync ?? { nextAtMs: null, lastAtMs: null, last: null };
    this.escalation = rest.escalation ?? null;
    this.reauth = rest.reauth ?? null;
    this.outbox = rest.outbox ?? [];
    this.noticeSeq = rest.noticeSeq ?? 0;
    this.contact = rest.contact ?? null;
  }

  /** A new account, or one restored from the previous run's snapshot. */
  static restore(
    accountId: string,
    settings: ResolvedSettings,
    carried?: CarriedState,
    features: Features = ALL_FEATURES
  ): Account {
    const {
      recentDeliveries = [],
      sync,
      escalation,
      reauth,
      outbox,
      noticeSeq,
      contact,
      ...rest
    } = carried ?? {
      state: null,
      since: null,
      escalated: false,
      attempts: 0,
      institution: null,
      history: [],
      lastEvent: null,
      counts: { events: 0, unchanged: 0, duplicates: 0 },
      runNumber: 0,
    };
    const account = new Account(
      accountId,
      settings,
      features,
      { ...rest, runNumber: rest.runNumber + 1 },
      {
        sync,
        escalation,
        reauth,
        outbox,
        noticeSeq,
        contact,
      }
    );
    for (const [key, seen] of recentDeliveries) account.recent.set(key, seen);
    return account;
  }

  get state(): AccountState | null {
    return this.carried.state;
  }

  get since(): string | null {
    return this.carried.since;
  }

  get escalated(): boolean {
    return this.carried.escalated;
  }

  get institution(): string | null {
    return this.carried.institution;
  }

  get runNumber(): number {
    return this.carried.runNumber;
  }

  /** Applies a webhook event at `nowMs`. A delivery seen within the dedupe window changes nothing. */
  apply(event: AccountEvent, nowMs: number): ApplyResult {
    const at = iso(nowMs);
    const cause = causeOf(event);
    const c = this.carried;
    c.counts = { ...c.counts, events: c.counts.events + 1 };
    if (this.isRedelivery(event.deliveryKey, nowMs)) {
      c.counts.duplicates += 1;
      c.lastEvent = { at, cause, outcome: 'duplicate' };
      return { outcome: 'duplicate' };
    }
    this.remember(event.deliveryKey, nowMs);
    if (event.institution && c.state !== 'unlinked') c.institution = event.institution;

    const { to, changed } = transition(c.state, event);
    if (!changed) {
      c.counts.unchanged += 1;
      c.lastEvent = { at, cause, outcome: 'unchanged' };
      return { outcome: 'unchanged', state: to };
    }
    c.lastEvent = { at, cause, outcome: 'changed' };
    return { outcome: 'changed', transition: this.moveTo(to, cause, nowMs) };
  }

  /** Adopts newer settings (they arrive with webhooks); schedules already set keep their times. */
  useSettings(settings: ResolvedSettings): void {
    this.settings = settings;
  }

  /** Records the institution learnt from Mono's account details. */
  setInstitution(name: string | null): void {
    if (name) this.carried.institution = name;
  }

  /** When the workflow must next act (a due manual sync), or null when it only waits for events. */
  nextWakeMs(): number | null {
    const times = [this.schedule.nextAtMs, this.reauth?.nextReminderAtMs ?? null, this.reauth?.escalateAtMs ?? null];
    const due = times.filter((t): t is number => t !== null);
    return due.length === 0 ? null : Math.min(...due);
  }

  syncDue(nowMs: number): boolean {
    return this.schedule.nextAtMs !== null && nowMs >= this.schedule.nextAtMs;
  }

  /** Marks a manual sync as started; returns the state it was started for. */
  beginSync(nowMs: number): AccountState | null {
    this.schedule = { ...this.schedule, nextAtMs: null, lastAtMs: nowMs };
    this.carried.attempts += 1;
    return this.carried.state;
  }

  /**
   * Applies a manual sync's outcome. If a webhook moved the account while the sync ran, the webhook wins
   * and the outcome is only recorded.
   */
  finishSync(result: SyncOutcome, startedIn: AccountState | null, nowMs: number): Transition | null {
    const code =
      result.outcome === 'error' ? (result.needsOperator ? 'MONO_NEEDS_OPERATOR' : 'MONO_UNAVAILABLE') : result.code;
    const record: SyncRecord = { at: iso(nowMs), outcome: result.outcome, code };
    this.schedule = { ...this.schedule, last: record };
    const state = this.carried.state;
    if (state !== startedIn || state === null || state === 'unlinked') return null;

    if (result.outcome === 'synced') return this.moveTo('synced', `sync:${code}`, nowMs);
    if (result.outcome === 'reauth_required') {
      return state === 'reauth_required' ? null : this.moveTo('reauth_required', `sync:${code}`, nowMs);
    }
    if (result.outcome === 'error' && result.needsOperator) {
      this.escalate(`Mono refused the manual sync: ${result.message}`, nowMs);
      return null;
    }
    if (state === 'sync_failed') {
      const backoff = this.settings.syncRetryBackoffMs;
      const attempts = this.carried.attempts;
      if (attempts >= backoff.length) {
        this.escalate(`manual sync failed ${attempts} times (last: ${code}); waiting for an operator`, nowMs);
      } else {
        this.scheduleSync(nowMs + backoff[attempts]!);
      }
      return null;
    }
    if (state === 'reauth_required') return null;
    return this.moveTo('sync_failed', `sync:${code}`, nowMs);
  }

  /** Why an operator's `retrySync` is refused now, or undefined when it is accepted. */
  refuseRetrySync(): string | undefined {
    const state = this.carried.state;
    if (!this.schedulingEnabled) {
      return 'this account runs a workflow version without sync retries; it gains them at its next continue-as-new';
    }
    if (state === null) return 'the account has no state yet';
    if (state === 'synced') return 'the account is synced; there is nothing to retry';
    if (state === 'unlinked') return 'the account is unlinked; it cannot be synced';
    if (!RETRYABLE_STATES.has(state)) return `a sync cannot be retried in state ${state}`;
    return undefined;
  }

  /** An operator asked for a sync: run it as soon as Mono's 2-minute limit allows; restart the schedule. */
  requestSync(nowMs: number, reason: string | undefined): number {
    const state = this.carried.state!;
    const cause = `operator:retrySync${typeof reason === 'string' && reason ? ` (${reason.slice(0, 120)})` : ''}`;
    this.carried.attempts = 0;
    this.carried.escalated = false;
    this.escalation = null;
    this.addHistory({ at: iso(nowMs), from: state, to: state, cause });
    return this.scheduleSync(nowMs);
  }

  /** Marks the account as needing an operator (MonoEscalated) and records why. */
  escalate(reason: string, nowMs: number): void {
    const state = this.carried.state!;
    this.carried.escalated = true;
    this.escalation = { at: iso(nowMs), reason };
    this.schedule = { ...this.schedule, nextAtMs: null };
    this.addHistory({ at: iso(nowMs), from: state, to: state, cause: `escalated: ${reason}` });
    this.notify('account.escalated', 'operators', nowMs, { state, reason });
  }

  // --- re-auth notices, reminders and deadline (reauth_required) ---

  /** Sends due reminders (respecting the minimum gap) and escalates at the deadline. True if anything changed. */
  runReauthTimers(nowMs: number): boolean {
    const r = this.reauth;
    if (!r || this.carried.state !== 'reauth_required') return false;
    let changed = false;
    if (r.nextReminderAtMs !== null && nowMs >= r.nextReminderAtMs) {
      const earliest = (r.lastNoticeAtMs ?? 0) + this.settings.reminderMinGapMs;
      if (nowMs < earliest) {
        r.nextReminderAtMs = earliest;
      } else if (
        this.settings.quietHours &&
        deferOutOfQuietHours(nowMs, this.settings.quietHours, this.timeZone()) > nowMs
      ) {
        r.nextReminderAtMs = deferOutOfQuietHours(nowMs, this.settings.quietHours, this.timeZone());
      } else {
        r.remindersSent += 1;
        r.lastNoticeAtMs = nowMs;
        this.notify('account.reauth_reminder', 'owner', nowMs, { reminder: r.remindersSent });
        const offset = this.settings.reauthRemindersMs[r.remindersSent];
        r.nextReminderAtMs = offset === undefined ? null : Math.max(r.enteredAtMs + offset, nowMs + 1);
      }
      changed = true;
    }
    if (r.escalateAtMs !== null && nowMs >= r.escalateAtMs) {
      r.escalateAtMs = null;
      if (!this.carried.escalated) {
        const days = Math.round(this.settings.reauthEscalateAfterMs / 86_400_000);
        this.escalate(
          `the owner has not re-authorised in ${days >= 1 ? `${days} day${days === 1 ? '' : 's'}` : `${this.settings.reauthEscalateAfterMs / 60_000} minutes`}`,
          nowMs
        );
      }
      changed = true;
    }
    return changed;
  }

  /** Registers (or clears, with null) how to reach the owner; a field left out keeps its value. */
  setContact(contact: Contact): void {
    this.contact = { ...this.contact, ...contact };
  }

  /** The owner's contact, for the notifier. */
  getContact(): Contact | null {
    return this.contact;
  }

  private timeZone(): string {
    const zone = this.contact?.timeZone;
    return zone && isValidTimeZone(zone) ? zone : this.settings.defaultTimeZone;
  }

  /** Why an operator's `resendReauthLink` is refused now, or undefined when it is accepted. */
  refuseResend(nowMs: number): string | undefined {
    const state = this.carried.state;
    if (!this.features.notifications) {
      return 'this account runs a workflow version without notifications; it gains them at its next continue-as-new';
    }
    if (state !== 'reauth_required') return `the account is ${state ?? 'new'}; there is no re-authorisation to ask for`;
    const last = this.reauth?.lastNoticeAtMs ?? null;
    if (last !== null && nowMs - last < MIN_RESEND_GAP_MS) {
      return `a link was sent at ${iso(last)}; resend after ${iso(last + MIN_RESEND_GAP_MS)}`;
    }
    return undefined;
  }

  /** An operator asked to send the owner a fresh link now. Returns the message id. */
  resendReauthLink(nowMs: number): string {
    const state = this.carried.state!;
    this.addHistory({ at: iso(nowMs), from: state, to: state, cause: 'operator:resendReauthLink' });
    if (this.reauth) this.reauth.lastNoticeAtMs = nowMs;
    return this.notify('account.reauth_required', 'owner', nowMs, { resent: true }).id;
  }

  /** The oldest message not yet handed to the notifier. */
  nextNotice(): Notice | undefined {
    return this.outbox[0];
  }

  /** The notifier has the message (or gave up on it): drop it from the outbox. */
  noticeDone(id: string, failure?: string, nowMs?: number): void {
    this.outbox = this.outbox.filter((n) => n.id !== id);
    if (failure && nowMs !== undefined && this.carried.state) {
      const state = this.carried.state;
      this.addHistory({
        at: iso(nowMs),
        from: state,
        to: state,
        cause: `notice ${id} not delivered: ${failure.slice(0, 160)}`,
      });
    }
  }

  private notify(
    type: NoticeType,
    audience: Notice['audience'],
    nowMs: number,
    data: Omit<Notice['data'], 'accountId'> = {}
  ): Notice {
    this.noticeSeq += 1;
    const notice: Notice = {
      id: `msg_${this.accountId}_${this.noticeSeq}`,
      type,
      audience,
      at: iso(nowMs),
      data: { accountId: this.accountId, ...data },
    };
    if (this.features.notifications) this.outbox.push(notice);
    return notice;
  }

  /** Schedules a sync at `atMs`, never sooner than 2 minutes after the previous one. Returns the time. */
  private scheduleSync(atMs: number): number {
    const last = this.schedule.lastAtMs;
    const at = last === null ? atMs : Math.max(atMs, last + MIN_SYNC_INTERVAL_MS);
    this.schedule = { ...this.schedule, nextAtMs: this.schedulingEnabled ? at : null };
    return at;
  }

  /** Records a state change; entering a state sets its schedule and clears the previous state's escalation. */
  private moveTo(to: AccountState, cause: string, nowMs: number): Transition {
    const c = this.carried;
    const from = c.state;
    const entry: Transition = { at: iso(nowMs), from, to, cause };
    c.state = to;
    c.since = entry.at;
    c.attempts = 0;
    c.escalated = false;
    this.escalation = null;
    this.schedule = { ...this.schedule, nextAtMs: null };
    if (to === 'sync_failed') this.scheduleSync(nowMs + this.settings.syncRetryBackoffMs[0]!);
    if (to === 'reauthorised') this.scheduleSync(nowMs + this.settings.reauthSyncGraceMs);
    this.addHistory(entry);
    // Leaving reauth_required cancels its reminders and deadline; entering it tells the owner at once.
    this.reauth = null;
    if (to === 'reauth_required' && this.features.notifications) {
      const first = this.settings.reauthRemindersMs[0];
      this.reauth = {
        enteredAtMs: nowMs,
        remindersSent: 0,
        nextReminderAtMs: first === undefined ? null : nowMs + first,
        escalateAtMs: nowMs + this.settings.reauthEscalateAfterMs,
        lastNoticeAtMs: nowMs,
      };
      this.notify('account.reauth_required', 'owner', nowMs);
    }
    if ((from === 'reauth_required' || from === 'sync_failed') && (to === 'synced' || to === 'reauthorised')) {
      this.notify('account.recovered', 'owner', nowMs, { state: to });
    }
    return entry;
  }

  private addHistory(entry: Transition): void {
    this.carried.history = [...this.carried.history, entry].slice(-HISTORY_LIMIT);
  }

  private isRedelivery(key: string, nowMs: number): boolean {
    const seen = this.recent.get(key);
    return seen !== undefined && nowMs - seen < this.settings.dedupeWindowMs;
  }

  private remember(key: string, nowMs: number): void {
    this.recent.delete(key);
    this.recent.set(key, nowMs);
    for (const [oldKey, seen] of this.recent) {
      if (this.recent.size <= DELIVERY_MEMORY_LIMIT && nowMs - seen < this.settings.dedupeWindowMs) break;
      this.recent.delete(oldKey);
    }
  }

  /** The `state` query's answer. */
  view(historyLength: number): AccountView {
    const c = this.carried;
    return {
      accountId: this.accountId,
      state: c.state,
      since: c.since,
      escalated: c.escalated,
      attempts: c.attempts,
      institution: c.institution,
      nextSyncAt: this.schedule.nextAtMs === null ? null : iso(this.schedule.nextAtMs),
      lastSync: this.schedule.last,
      escalation: this.escalation,
      reauth: this.reauth && {
        remindersSent: this.reauth.remindersSent,
        nextReminderAt: this.reauth.nextReminderAtMs === null ? null : iso(this.reauth.nextReminderAtMs),
        escalateAt: this.reauth.escalateAtMs === null ? null : iso(this.reauth.escalateAtMs),
        lastNoticeAt: this.reauth.lastNoticeAtMs === null ? null : iso(this.reauth.lastNoticeAtMs),
      },
      pendingNotices: this.outbox.length,
      contact: { email: !!this.contact?.email, timeZone: this.contact?.timeZone ?? null },
      history: c.history,
      lastEvent: c.lastEvent,
      counts: c.counts,
      run: { number: c.runNumber, historyLength },
    };
  }

  /** Everything the next run needs; expired delivery keys are dropped. */
  snapshot(nowMs: number): CarriedState {
    const recentDeliveries = [...this.recent].filter(([, seen]) => nowMs - seen < this.settings.dedupeWindowMs);
    return {
      ...this.carried,
      recentDeliveries,
      sync: this.schedule,
      escalation: this.escalation,
      reauth: this.reauth,
      outbox: this.outbox,
      noticeSeq: this.noticeSeq,
      contact: this.contact,
    };
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
