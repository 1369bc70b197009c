/**
 * An account's manual syncs: when one is due, what its outcome does to the account, and an operator's request
 * for one. Works on the account's record (record.ts). Pure.
 */
import type { AccountRecord } from './record.js';
import { iso } from './record.js';
import { isSyncDue, nextRetryAtMs, syncAt, syncDueAtMs, syncFinished, syncStarted } from './sync-schedule.js';
import type { AccountState, Transition } from './types.js';

/** What a manual sync produced: Mono's answer, or the failure of the call itself. */
export type SyncOutcome =
  | { outcome: 'synced'; code: string }
  | { outcome: 'reauth_required'; code: string }
  | { outcome: 'failed'; code: string }
  | { outcome: 'error'; needsOperator: boolean; message: string };

export class Syncs {
  constructor(private readonly account: AccountRecord) {}

  /** When the next manual sync is due, or null. */
  nextAtMs(): number | null {
    return syncDueAtMs(this.account.sync);
  }

  isDue(nowMs: number): boolean {
    return isSyncDue(this.account.sync, nowMs);
  }

  /** Marks a manual sync as started; returns the state it was started for. */
  begin(nowMs: number): AccountState | null {
    this.account.sync = syncStarted(this.account.sync, nowMs);
    this.account.core.attempts += 1;
    return this.account.state;
  }

  /**
   * Applies a manual sync's outcome. If a webhook moved the account while the sync ran, the webhook wins and the
   * outcome is only recorded.
   */
  finish(result: SyncOutcome, startedIn: AccountState | null, nowMs: number): Transition | null {
    const a = this.account;
    const code =
      result.outcome === 'error' ? (result.needsOperator ? 'MONO_NEEDS_OPERATOR' : 'MONO_UNAVAILABLE') : result.code;
    a.sync = syncFinished(a.sync, { at: iso(nowMs), outcome: result.outcome, code }, nowMs);
    const state = a.state;
    if (state !== startedIn || state === null || state === 'unlinked') return null;

    if (result.outcome === 'synced') return a.moveTo('synced', `sync:${code}`, nowMs);
    if (result.outcome === 'reauth_required') {
      if (state !== 'reauth_required') return a.moveTo('reauth_required', `sync:${code}`, nowMs);
      a.holdRetry(nowMs);
      return null;
    }
    if (result.outcome === 'error' && result.needsOperator) {
      a.escalate(`Mono refused the manual sync: ${result.message}`, nowMs);
      return null;
    }
    // Held by a bank-wide incident: the next try is the incident's, and the account's own backoff is not used up.
    if (a.holdRetry(nowMs)) return null;
    if (state === 'sync_failed') {
      const attempts = a.core.attempts;
      const next = nextRetryAtMs(attempts, nowMs, a.settings, a.random());
      if (next === null)
        a.escalate(`manual sync failed ${attempts} times (last: ${code}); waiting for an operator`, nowMs);
      else a.sync = syncAt(a.sync, next);
      return null;
    }
    if (state === 'reauth_required') return null;
    return a.moveTo('sync_failed', `sync:${code}`, nowMs);
  }

  /** Why an operator's `retrySync` is refused now, or undefined when it is accepted. */
  refuseRetry(): string | undefined {
    const state = this.account.state;
    if (state === null) return 'the account has no state yet';
    if (state === 'synced') return 'the account is synced; there is nothing to retry';
    if (state === 'unlinked') return 'the account is unlinked; it cannot be synced';
    return undefined;
  }

  /** An operator asked for a sync: run it as soon as Mono's 2-minute limit allows; restart the schedule. */
  request(nowMs: number, reason: string | undefined): number {
    const a = this.account;
    a.core.attempts = 0;
    // In reauth_required the owner still has to act: a sync rarely fixes that, so the escalation stands.
    if (a.state !== 'reauth_required') {
      a.core.escalated = false;
      a.core.escalation = null;
    }
    a.note(`operator:retrySync${typeof reason === 'string' && reason ? ` (${reason.slice(0, 120)})` : ''}`, nowMs);
    a.sync = syncAt(a.sync, nowMs);
    return a.sync.nextAtMs!;
  }
}
