/**
 * An account's lifecycle record: current state, bounded history, counters, the memory of recent deliveries
 * (to ignore redelivered webhooks) and the manual-sync schedule with its escalation. Pure — time is passed
 * in — so the workflow holds one and carries its snapshot across continue-as-new, and unit tests drive it
 * directly. Timers are data here (`nextAtMs`); the workflow turns them into durable waits.
 */
import { causeOf, transition } from './machine.js';
import {
  DELIVERY_MEMORY_LIMIT,
  HISTORY_LIMIT,
  MIN_SYNC_INTERVAL_MS,
  type AccountEvent,
  type AccountState,
  type AccountView,
  type CarriedState,
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

type Carried = Omit<CarriedState, 'recentDeliveries' | 'sync' | 'escalation'>;

export class Account {
  private readonly recent = new Map<string, number>();
  private schedule: SyncSchedule;
  private escalation: Escalation | null;

  private constructor(
    readonly accountId: string,
    private settings: ResolvedSettings,
    /** False for runs that predate sync retries (replayed old histories): record, never schedule. */
    private readonly schedulingEnabled: boolean,
    private carried: Carried,
    schedule: SyncSchedule | undefined,
    escalation: Escalation | null | undefined
  ) {
    this.schedule = schedule ?? { nextAtMs: null, lastAtMs: null, last: null };
    this.escalation = escalation ?? null;
  }

  /** A new account, or one restored from the previous run's snapshot. */
  static restore(
    accountId: string,
    settings: ResolvedSettings,
    carried?: CarriedState,
    schedulingEnabled = true
  ): Account {
    const {
      recentDeliveries = [],
      sync,
      escalation,
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
      schedulingEnabled,
      { ...rest, runNumber: rest.runNumber + 1 },
      sync,
      escalation
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
    return this.schedule.nextAtMs;
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
    const cause = `operator:retrySync${reason ? ` (${reason.slice(0, 120)})` : ''}`;
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
    const entry: Transition = { at: iso(nowMs), from: c.state, to, cause };
    c.state = to;
    c.since = entry.at;
    c.attempts = 0;
    c.escalated = false;
    this.escalation = null;
    this.schedule = { ...this.schedule, nextAtMs: null };
    if (to === 'sync_failed') this.scheduleSync(nowMs + this.settings.syncRetryBackoffMs[0]!);
    if (to === 'reauthorised') this.scheduleSync(nowMs + this.settings.reauthSyncGraceMs);
    this.addHistory(entry);
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
      history: c.history,
      lastEvent: c.lastEvent,
      counts: c.counts,
      run: { number: c.runNumber, historyLength },
    };
  }

  /** Everything the next run needs; expired delivery keys are dropped. */
  snapshot(nowMs: number): CarriedState {
    const recentDeliveries = [...this.recent].filter(([, seen]) => nowMs - seen < this.settings.dedupeWindowMs);
    return { ...this.carried, recentDeliveries, sync: this.schedule, escalation: this.escalation };
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
