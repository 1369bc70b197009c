/**
 * An account's lifecycle record: current state, bounded transition history, counters and the memory of
 * recent deliveries used to ignore redelivered webhooks. Pure (time is passed in), so the workflow can
 * hold one and carry its snapshot across continue-as-new, and unit tests can drive it directly.
 */
import { causeOf, transition } from './machine.js';
import {
  DELIVERY_MEMORY_LIMIT,
  HISTORY_LIMIT,
  type AccountEvent,
  type AccountState,
  type AccountView,
  type CarriedState,
  type Transition,
} from './types.js';

/** What applying one event did. */
export type ApplyResult =
  | { outcome: 'duplicate' }
  | { outcome: 'unchanged'; state: AccountState }
  | { outcome: 'changed'; transition: Transition };

export class Account {
  private readonly recent: Map<string, number>;

  private constructor(
    readonly accountId: string,
    private readonly dedupeWindowMs: number,
    private carried: Omit<CarriedState, 'recentDeliveries'>
  ) {
    this.recent = new Map();
  }

  /** A new account, or one restored from the previous run's snapshot. */
  static restore(accountId: string, dedupeWindowMs: number, carried?: CarriedState): Account {
    const { recentDeliveries = [], ...rest } = carried ?? {
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
    const account = new Account(accountId, dedupeWindowMs, { ...rest, runNumber: rest.runNumber + 1 });
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
    const at = new Date(nowMs).toISOString();
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
    return { outcome: 'changed', transition: this.moveTo(to, cause, at) };
  }

  /** Records a state change. Leaving a state resets the per-state attempt counter. */
  private moveTo(to: AccountState, cause: string, at: string): Transition {
    const c = this.carried;
    const entry: Transition = { at, from: c.state, to, cause };
    c.state = to;
    c.since = at;
    c.attempts = 0;
    if (to === 'synced' || to === 'unlinked') c.escalated = false;
    c.history = [...c.history, entry].slice(-HISTORY_LIMIT);
    return entry;
  }

  private isRedelivery(key: string, nowMs: number): boolean {
    const seen = this.recent.get(key);
    return seen !== undefined && nowMs - seen < this.dedupeWindowMs;
  }

  private remember(key: string, nowMs: number): void {
    this.recent.delete(key);
    this.recent.set(key, nowMs);
    for (const [oldKey, seen] of this.recent) {
      if (this.recent.size <= DELIVERY_MEMORY_LIMIT && nowMs - seen < this.dedupeWindowMs) break;
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
      history: c.history,
      lastEvent: c.lastEvent,
      counts: c.counts,
      run: { number: c.runNumber, historyLength },
    };
  }

  /** Everything the next run needs; expired delivery keys are dropped. */
  snapshot(nowMs: number): CarriedState {
    const recentDeliveries = [...this.recent].filter(([, seen]) => nowMs - seen < this.dedupeWindowMs);
    return { ...this.carried, recentDeliveries };
  }
}
