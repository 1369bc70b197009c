/**
 * An account's lifecycle record: its state and bounded history, and the parts that each keep their own clock
 * or memory — delivery memory (redeliveries), sync schedule, re-auth reminders, outbox. `Account` applies
 * events and outcomes through the transition table and keeps those parts consistent with the state; it is
 * pure (time is passed in), so the workflow holds one and the unit tests drive it directly. Timers are data
 * here; the workflow turns them into durable waits and decides, by its version, which of them it acts on.
 */
import { normaliseCarried, type CarriedState, type RecordedCarriedState } from './carried-state.js';
import { DeliveryMemory } from './delivery-memory.js';
import { causeOf, transition } from './machine.js';
import {
  decide,
  lastHeardMs,
  mayProbe,
  probeStarted,
  type CheckReason,
  type CheckRecord,
  type Observation,
} from './observations.js';
import { Outbox, type ChannelFinished, type ChannelTask, type NoticePlan } from './outbox.js';
import { isValidTimeZone } from './quiet-hours.js';
import {
  describeDeadline,
  escalationDue,
  nextReauthTimerMs,
  reauthStarted,
  reminderDue,
  reminderNeedsQuietHoursCheck,
  type ReauthSchedule,
} from './reauth-schedule.js';
import { MIN_RESEND_GAP_MS, type ResolvedSettings } from './settings.js';
import {
  cancelSync,
  isSyncDue,
  nextRetryAtMs,
  syncAt,
  syncFinished,
  syncDueAtMs,
  syncOnEntering,
  syncStarted,
  type SyncSchedule,
} from './sync-schedule.js';
import type {
  AccountEvent,
  AccountState,
  AccountView,
  Contact,
  Notice,
  NoticeChannel,
  NoticeType,
  RedeliverAccepted,
  RedeliverRequest,
  Transition,
} from './types.js';
import { accountView } from './view.js';

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

/** Bounds that keep carried state small however long an account lives. */
export const HISTORY_LIMIT = 50;

/**
 * Rules that changed between releases. The workflow picks them by its version (patches), so a run replays with
 * the rules it was recorded under; new runs get `CURRENT_RULES`.
 */
export interface AccountRules {
  /** Ids for new notices, unique for all time (the workflow's replay-safe uuid); a per-account count without. */
  newNoticeId?: () => string;
  /** The same event again after the state moved on is applied, not taken for a redelivery. */
  repeatsAfterMove: boolean;
  /** Leaving reauth_required drops the re-auth notices still queued. */
  dropStaleNotices: boolean;
  /** An operator's retry in reauth_required keeps the escalation (the owner still has to act). */
  keepReauthEscalation: boolean;
  /** Mono's 2-minute limit counted from the last real call, applied again when a sync comes due. */
  syncFloorFromLastCall: boolean;
}

/** The rules of runs recorded before per-channel delivery. */
export const FIRST_RULES: AccountRules = {
  repeatsAfterMove: false,
  dropStaleNotices: false,
  keepReauthEscalation: false,
  syncFloorFromLastCall: false,
};

export function currentRules(newNoticeId: () => string): AccountRules {
  return {
    newNoticeId,
    repeatsAfterMove: true,
    dropStaleNotices: true,
    keepReauthEscalation: true,
    syncFloorFromLastCall: true,
  };
}

const REAUTH_MESSAGES: readonly NoticeType[] = ['account.reauth_required', 'account.reauth_reminder'];

/** The record's own fields; the other parts live in their modules. */
type Core = Omit<CarriedState, 'recentDeliveries' | 'outbox' | 'noticeSeq' | 'undelivered' | 'sync' | 'reauth'>;

export class Account {
  private sync: SyncSchedule;
  private reauth: ReauthSchedule | null;
  /** Lengthens sync retry waits (the workflow's deterministic Math.random); unset: exact waits. */
  private jitter: (() => number) | undefined;

  private constructor(
    readonly accountId: string,
    private settings: ResolvedSettings,
    private readonly core: Core,
    private readonly deliveries: DeliveryMemory,
    private readonly outbox: Outbox,
    carried: Pick<CarriedState, 'sync' | 'reauth'>,
    private readonly rules: AccountRules
  ) {
    this.sync = carried.sync;
    this.reauth = carried.reauth;
  }

  /** A new account, or one restored from the previous run's carried state (of any release). */
  static restore(
    accountId: string,
    settings: ResolvedSettings,
    carried?: RecordedCarriedState,
    rules: AccountRules = FIRST_RULES
  ): Account {
    const { recentDeliveries, outbox, noticeSeq, undelivered, sync, reauth, ...core } = normaliseCarried(carried);
    return new Account(
      accountId,
      settings,
      { ...core, runNumber: core.runNumber + 1 },
      new DeliveryMemory(recentDeliveries),
      new Outbox(accountId, outbox, noticeSeq, undelivered),
      { sync, reauth },
      rules
    );
  }

  get state(): AccountState | null {
    return this.core.state;
  }

  get since(): string | null {
    return this.core.since;
  }

  get escalated(): boolean {
    return this.core.escalated;
  }

  get institution(): string | null {
    return this.core.institution;
  }

  get runNumber(): number {
    return this.core.runNumber;
  }

  /** Applies a webhook event at `nowMs`. A delivery seen within the dedupe window changes nothing. */
  apply(event: AccountEvent, nowMs: number): ApplyResult {
    const at = iso(nowMs);
    const cause = causeOf(event);
    const c = this.core;
    const window = this.settings.dedupeWindowMs;
    c.counts = { ...c.counts, events: c.counts.events + 1 };
    const moves = this.rules.repeatsAfterMove ? (): number => c.stateChanges : (): undefined => undefined;
    if (this.deliveries.isRedelivery(event.deliveryKey, nowMs, window, moves())) {
      c.counts.duplicates += 1;
      c.lastEvent = { at, cause, outcome: 'duplicate' };
      return { outcome: 'duplicate' };
    }
    if (!this.rules.repeatsAfterMove) this.deliveries.remember(event.deliveryKey, nowMs, window);
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
    if (this.rules.repeatsAfterMove) this.deliveries.remember(event.deliveryKey, nowMs, window, moves());
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

  // --- manual syncs ---

  /** When the next manual sync is due, or null. */
  nextSyncAtMs(): number | null {
    return syncDueAtMs(this.sync, this.rules.syncFloorFromLastCall);
  }

  /**
   * When the workflow must next act (a sync, a reminder or the deadline), or null when it only waits for events.
   * `syncBlocked`: a sync (or a check's) is running, so a due sync waits for it to end rather than for a timer.
   */
  nextWakeMs(syncBlocked = false): number | null {
    const sync = syncBlocked ? null : this.nextSyncAtMs();
    const due = [sync, nextReauthTimerMs(this.reauth)].filter((t): t is number => t !== null);
    return due.length === 0 ? null : Math.min(...due);
  }

  syncDue(nowMs: number): boolean {
    return isSyncDue(this.sync, nowMs, this.rules.syncFloorFromLastCall);
  }

  /** Marks a manual sync as started; returns the state it was started for. */
  beginSync(nowMs: number): AccountState | null {
    this.sync = syncStarted(this.sync, nowMs);
    this.core.attempts += 1;
    return this.core.state;
  }

  /**
   * Applies a manual sync's outcome. If a webhook moved the account while the sync ran, the webhook wins
   * and the outcome is only recorded.
   */
  finishSync(result: SyncOutcome, startedIn: AccountState | null, nowMs: number): Transition | null {
    const code =
      result.outcome === 'error' ? (result.needsOperator ? 'MONO_NEEDS_OPERATOR' : 'MONO_UNAVAILABLE') : result.code;
    const record = { at: iso(nowMs), outcome: result.outcome, code };
    this.sync = syncFinished(this.sync, record, this.rules.syncFloorFromLastCall ? nowMs : undefined);
    const state = this.core.state;
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
      const attempts = this.core.attempts;
      const next = nextRetryAtMs(attempts, nowMs, this.settings, this.jitter?.());
      if (next === null)
        this.escalate(`manual sync failed ${attempts} times (last: ${code}); waiting for an operator`, nowMs);
      else this.sync = syncAt(this.sync, next);
      return null;
    }
    if (state === 'reauth_required') return null;
    return this.moveTo('sync_failed', `sync:${code}`, nowMs);
  }

  /** Why an operator's `retrySync` is refused now, or undefined when it is accepted. */
  refuseRetrySync(): string | undefined {
    const state = this.core.state;
    if (state === null) return 'the account has no state yet';
    if (state === 'synced') return 'the account is synced; there is nothing to retry';
    if (state === 'unlinked') return 'the account is unlinked; it cannot be synced';
    return undefined;
  }

  /** An operator asked for a sync: run it as soon as Mono's 2-minute limit allows; restart the schedule. */
  requestSync(nowMs: number, reason: string | undefined): number {
    const state = this.core.state!;
    const cause = `operator:retrySync${typeof reason === 'string' && reason ? ` (${reason.slice(0, 120)})` : ''}`;
    this.core.attempts = 0;
    // In reauth_required the owner still has to act: a sync rarely fixes that, so the escalation stands.
    if (!(this.rules.keepReauthEscalation && state === 'reauth_required')) {
      this.core.escalated = false;
      this.core.escalation = null;
    }
    this.addHistory({ at: iso(nowMs), from: state, to: state, cause });
    this.sync = syncAt(this.sync, nowMs);
    return this.sync.nextAtMs!;
  }

  /** Marks the account as needing an operator (MonoEscalated), records why and tells operators. */
  escalate(reason: string, nowMs: number): void {
    const state = this.core.state!;
    this.core.escalated = true;
    this.core.escalation = { at: iso(nowMs), reason };
    this.sync = cancelSync(this.sync);
    this.addHistory({ at: iso(nowMs), from: state, to: state, cause: `escalated: ${reason}` });
    this.notify('account.escalated', 'operators', nowMs, { state, reason });
  }

  // --- re-auth notices, reminders and deadline (reauth_required) ---

  /**
   * The quiet-hours window and time zone to check when a reminder is due now and only quiet hours could hold it
   * back; the caller works out the window's end where its result is recorded, and passes it to `runReauthTimers`.
   */
  quietHoursCheck(nowMs: number): { window: string; timeZone: string } | null {
    if (!this.reauth || this.core.state !== 'reauth_required') return null;
    if (!reminderNeedsQuietHoursCheck(this.reauth, nowMs, this.settings)) return null;
    return { window: this.settings.quietHours!, timeZone: this.timeZone() };
  }

  /** Sends a due reminder (or defers it) and escalates at the deadline. True if anything changed. */
  runReauthTimers(nowMs: number, quietHoursEndMs?: number): boolean {
    if (!this.reauth || this.core.state !== 'reauth_required') return false;
    let changed = false;
    const decision = reminderDue(this.reauth, nowMs, this.settings, this.timeZone(), quietHoursEndMs);
    if (decision.kind === 'defer') {
      this.reauth = { ...this.reauth, nextReminderAtMs: decision.atMs };
      changed = true;
    } else if (decision.kind === 'send') {
      this.reauth = decision.schedule;
      this.notify('account.reauth_reminder', 'owner', nowMs, { reminder: decision.reminder });
      changed = true;
    }
    if (escalationDue(this.reauth, nowMs)) {
      this.reauth = { ...this.reauth, escalateAtMs: null };
      if (!this.core.escalated) {
        this.escalate(
          `the owner has not re-authorised in ${describeDeadline(this.settings.reauthEscalateAfterMs)}`,
          nowMs
        );
      }
      changed = true;
    }
    return changed;
  }

  /** Why an operator's `resendReauthLink` is refused now, or undefined when it is accepted. */
  refuseResend(nowMs: number): string | undefined {
    const state = this.core.state;
    if (state !== 'reauth_required') return `the account is ${state ?? 'new'}; there is no re-authorisation to ask for`;
    const last = this.reauth?.lastNoticeAtMs ?? null;
    if (last !== null && nowMs - last < MIN_RESEND_GAP_MS) {
      return `a link was sent at ${iso(last)}; resend after ${iso(last + MIN_RESEND_GAP_MS)}`;
    }
    return undefined;
  }

  /** An operator asked to send the owner a fresh link now. Returns the message id. */
  resendReauthLink(nowMs: number): string {
    const state = this.core.state!;
    this.addHistory({ at: iso(nowMs), from: state, to: state, cause: 'operator:resendReauthLink' });
    if (this.reauth) this.reauth = { ...this.reauth, lastNoticeAtMs: nowMs };
    return this.notify('account.reauth_required', 'owner', nowMs, { resent: true }).id;
  }

  /** Spreads sync retries with `random` (0 ≤ r < 1), so that one bank outage does not make a thundering herd. */
  useJitter(random: () => number): void {
    this.jitter = random;
  }

  // --- checks with Mono (reconciliation, enrolment): observations through the transition table ---

  /** Asks for a check with Mono; returns its ticket (a check already waiting is shared). */
  requestCheck(reason: CheckReason, nowMs: number): number {
    const c = this.core.check;
    if (c.pending) return c.pending.ticket;
    const ticket = c.tickets + 1;
    this.core.check = { ...c, tickets: ticket, pending: { ticket, reason, atMs: nowMs } };
    return ticket;
  }

  /** The check waiting to run, if any. */
  pendingCheck(): { ticket: number; reason: CheckReason } | null {
    return this.core.check.pending;
  }

  /** The result of check `ticket` once it has run (or been overtaken by a later one). */
  checkResult(ticket: number): CheckRecord | null {
    const last = this.core.check.last;
    return last && last.ticket >= ticket ? last : null;
  }

  /**
   * Applies what Mono answered to the pending check: the observation becomes the webhook event it stands for
   * and goes through the transition table, or (where the answer cannot tell) asks for a manual sync, returned
   * as `{ sync: observed }`. `startedIn` is the state the check began in: if a webhook moved the account while
   * Mono was asked, the webhook wins and the observation is only recorded.
   */
  observe(
    observation: Observation,
    nowMs: number,
    startedIn: AccountState | null,
    seen: string[] = []
  ): { sync: string[] } | CheckRecord {
    const from = this.core.state;
    const decision = decide(from, observation);
    const observed = [...seen, decision.cause];
    if (observation.source === 'sync') {
      const record = { at: iso(nowMs), outcome: observation.outcome, code: observation.code };
      this.sync = syncFinished(this.sync, record, this.rules.syncFloorFromLastCall ? nowMs : undefined);
    }
    if (from !== startedIn)
      return this.finishCheck(nowMs, observed, 'confirmed', 'a webhook moved the account meanwhile');
    if (observation.source === 'details' && observation.found && observation.institution && from !== 'unlinked') {
      this.core.institution = observation.institution;
    }
    if (decision.kind === 'sync') {
      if (observation.source === 'details' && mayProbe(this.sync, nowMs)) return { sync: observed };
      return this.finishCheck(nowMs, observed, 'deferred', 'a manual sync ran or is due within 2 minutes');
    }
    const pending = this.core.check.pending;
    if (from === 'unlinked' || !pending) return this.finishCheck(nowMs, observed, 'confirmed');
    const { to, changed } = transition(from, decision.event);
    if (!changed) return this.finishCheck(nowMs, observed, 'confirmed');
    this.moveTo(to, `${pending.reason}:${observed.join(' → ')}`, nowMs);
    return this.finishCheck(nowMs, observed, 'corrected');
  }

  /** A reconciliation sync starts now: the account's own syncs keep Mono's 2-minute limit after it. */
  beginProbe(nowMs: number): void {
    this.sync = probeStarted(this.sync, nowMs);
  }

  /** Mono could not be asked (it failed, or is unreachable): the check ends without a conclusion. */
  checkFailed(nowMs: number, seen: string[], message: string): CheckRecord {
    return this.finishCheck(nowMs, seen, 'failed', message.slice(0, 200));
  }

  /** When the account last heard from Mono (webhook, sync answer or check); MonoLastHeard. */
  lastHeardMs(): number | null {
    const c = this.core;
    return lastHeardMs({
      lastEventAt: c.lastEvent?.at ?? null,
      lastSyncAt: this.sync.last?.at ?? null,
      lastSyncOutcome: this.sync.last?.outcome ?? null,
      lastCheckAt: c.check.heardAt ?? null,
    });
  }

  private finishCheck(
    nowMs: number,
    observed: string[],
    outcome: CheckRecord['outcome'],
    detail?: string
  ): CheckRecord {
    const c = this.core.check;
    const pending = c.pending ?? { ticket: c.tickets, reason: 'reconcile' as const, atMs: nowMs };
    const record: CheckRecord = {
      ticket: pending.ticket,
      reason: pending.reason,
      at: iso(nowMs),
      observed: observed.join(' → '),
      outcome,
      from: outcome === 'corrected' ? (this.core.history.at(-1)?.from ?? null) : this.core.state,
      to: this.core.state,
      ...(detail ? { detail } : {}),
    };
    this.core.check = { ...c, pending: null, last: record, heardAt: outcome === 'failed' ? c.heardAt : record.at };
    return record;
  }

  // --- the owner's contact and the outbox ---

  /** Registers (or clears, with null) how to reach the owner; a field left out keeps its value. */
  setContact(contact: Contact): void {
    this.core.contact = { ...this.core.contact, ...contact };
  }

  /** The owner's contact, for the notifier. */
  getContact(): Contact | null {
    return this.core.contact;
  }

  /** The oldest message not yet handed to the notifier. */
  nextNotice(): Notice | undefined {
    return this.outbox.next();
  }

  /** Why a notice is no longer wanted (a re-auth message after the account left reauth_required), if so. */
  staleNoticeReason(notice: Pick<Notice, 'type'>): string | undefined {
    if (REAUTH_MESSAGES.includes(notice.type) && this.core.state !== 'reauth_required') {
      return `the account is ${this.core.state ?? 'new'}, no longer reauth_required`;
    }
    return undefined;
  }

  /** Drops a queued notice that is no longer wanted, recording why. */
  dropNotice(id: string, reason: string, nowMs: number): void {
    this.outbox.done(id);
    const state = this.core.state;
    if (state) this.addHistory({ at: iso(nowMs), from: state, to: state, cause: `notice ${id} dropped: ${reason}` });
  }

  /** Whether the notice is still queued (a delivery of one that was dropped is cancelled). */
  hasNotice(id: string): boolean {
    return this.outbox.find(id) !== undefined;
  }

  /** Queued notices whose channels the notifier has not yet named. */
  noticesToPlan(): Notice[] {
    return this.outbox.unplanned();
  }

  /** Records which channels a notice goes to, and those skipped. */
  planNotice(id: string, plan: NoticePlan, nowMs: number): void {
    this.outbox.plan(id, plan, iso(nowMs));
  }

  /** Every channel of every queued notice still to be delivered, oldest first. */
  channelsToDeliver(): ChannelTask[] {
    return this.outbox.pendingChannels();
  }

  /** The notice and its delivery on `channel`, while pending. */
  pendingChannel(id: string, channel: NoticeChannel) {
    return this.outbox.pendingChannel(id, channel);
  }

  /** Counts a delivery attempt on a channel. */
  noteDeliveryAttempt(id: string, channel: NoticeChannel, nowMs: number): void {
    this.outbox.noteAttempt(id, channel, iso(nowMs));
  }

  /** Records when a channel's delivery is tried next. */
  noteDeliveryRetry(id: string, channel: NoticeChannel, atMs: number): void {
    this.outbox.noteRetry(id, channel, iso(atMs));
  }

  /** A channel delivered the notice, or gave up (a dead letter, recorded in the history too). */
  finishChannel(id: string, channel: NoticeChannel, failure: string | undefined, nowMs: number): ChannelFinished {
    const finished = this.outbox.finishChannel(id, channel, failure, iso(nowMs));
    const state = this.core.state;
    if (finished.deadLetter && state) {
      const cause = `notice ${id} not delivered on ${channel}: ${finished.deadLetter.error.slice(0, 160)}`;
      this.addHistory({ at: iso(nowMs), from: state, to: state, cause });
    }
    return finished;
  }

  /** Dead letters waiting for an operator. */
  get undeliveredCount(): number {
    return this.outbox.undeliveredCount;
  }

  /** Why an operator's redelivery is refused now, or undefined when some dead letter matches it. */
  refuseRedeliver(request: RedeliverRequest): string | undefined {
    if (this.outbox.undeliveredMatching(request).length > 0) return undefined;
    return this.outbox.undeliveredCount === 0
      ? 'the account has no undelivered notices'
      : 'no undelivered notice of this account matches (check the notice ids and since)';
  }

  /** An operator asked to deliver dead letters again: queued on the channels that failed, ids unchanged. */
  redeliver(request: RedeliverRequest, nowMs: number): RedeliverAccepted {
    const result = this.outbox.redeliver(request, (notice) => this.staleNoticeReason(notice));
    const state = this.core.state;
    if (state && (result.requeued.length > 0 || result.skipped.length > 0)) {
      const skipped = result.skipped.length > 0 ? `, ${result.skipped.length} no longer wanted` : '';
      const cause = `operator:redeliverNotices (${result.requeued.length} requeued${skipped})`;
      this.addHistory({ at: iso(nowMs), from: state, to: state, cause });
    }
    return result;
  }

  /** The notifier has the message (or gave up on it): drop it, recording a failure in the history. */
  noticeDone(id: string, failure?: string, nowMs?: number): void {
    this.outbox.done(id);
    const state = this.core.state;
    if (failure && nowMs !== undefined && state) {
      const cause = `notice ${id} not delivered: ${failure.slice(0, 160)}`;
      this.addHistory({ at: iso(nowMs), from: state, to: state, cause });
    }
  }

  /** The `state` query's answer. */
  view(historyLength: number): AccountView {
    return accountView(this.accountId, this.carried([]), historyLength);
  }

  /** Everything the next run needs; expired delivery keys are dropped. */
  snapshot(nowMs: number): CarriedState {
    return this.carried(this.deliveries.entries(nowMs, this.settings.dedupeWindowMs));
  }

  private carried(recentDeliveries: CarriedState['recentDeliveries']): CarriedState {
    return { ...this.core, recentDeliveries, sync: this.sync, reauth: this.reauth, ...this.outbox.snapshot() };
  }

  private timeZone(): string {
    const zone = this.core.contact?.timeZone;
    return zone && isValidTimeZone(zone) ? zone : this.settings.defaultTimeZone;
  }

  private notify(
    type: NoticeType,
    audience: Notice['audience'],
    nowMs: number,
    data: Omit<Notice['data'], 'accountId'> = {}
  ): Notice {
    return this.outbox.add(type, audience, iso(nowMs), data, this.rules.newNoticeId?.());
  }

  /** Records a state change; entering a state sets its schedules and clears the previous state's escalation. */
  private moveTo(to: AccountState, cause: string, nowMs: number): Transition {
    const c = this.core;
    const from = c.state;
    const entry: Transition = { at: iso(nowMs), from, to, cause };
    c.state = to;
    c.stateChanges += 1;
    c.since = entry.at;
    c.attempts = 0;
    c.escalated = false;
    c.escalation = null;
    this.sync = syncOnEntering(this.sync, to, nowMs, this.settings, this.jitter?.());
    this.addHistory(entry);
    // Leaving reauth_required cancels its reminders, deadline and queued messages; entering it tells the owner.
    this.reauth = null;
    if (this.rules.dropStaleNotices && from === 'reauth_required' && to !== 'reauth_required') {
      // Dead letters of re-auth messages go too: redelivering one later would ask a recovered owner to reconnect.
      const dropped = [
        ...this.outbox.dropWhere((n) => REAUTH_MESSAGES.includes(n.type)),
        ...this.outbox.dropUndeliveredWhere((n) => REAUTH_MESSAGES.includes(n.type)),
      ];
      if (dropped.length > 0) {
        const ids = dropped.map((n) => n.id).join(', ');
        this.addHistory({ at: entry.at, from: to, to, cause: `re-auth notices dropped (${ids}): no longer needed` });
      }
    }
    if (to === 'reauth_required') {
      this.reauth = reauthStarted(nowMs, this.settings);
      this.notify('account.reauth_required', 'owner', nowMs);
    }
    if ((from === 'reauth_required' || from === 'sync_failed') && (to === 'synced' || to === 'reauthorised')) {
      this.notify('account.recovered', 'owner', nowMs, { state: to });
    }
    return entry;
  }

  private addHistory(entry: Transition): void {
    this.core.history = [...this.core.history, entry].slice(-HISTORY_LIMIT);
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
