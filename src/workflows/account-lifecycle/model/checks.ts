/**
 * Checks with Mono that the account runs itself (reconciliation, enrolment): a check is asked for, the workflow
 * asks Mono, and what Mono answered goes through the transition table as the webhook it stands for
 * (observations.ts). Works on the account's record (record.ts). Pure.
 */
import { transition } from './machine.js';
import { decide, lastHeardMs, mayProbe, probeStarted, type Observation } from './observations.js';
import { iso, type AccountRecord } from './record.js';
import { syncFinished } from './sync-schedule.js';
import type { AccountState, CheckReason, CheckRecord, CheckRequest } from './types.js';

export class Checks {
  constructor(private readonly account: AccountRecord) {}

  /** Asks for a check with Mono; returns its ticket (a check already waiting is shared). */
  request(reason: CheckReason, nowMs: number): number {
    const c = this.account.core.check;
    if (c.pending) return c.pending.ticket;
    const ticket = c.tickets + 1;
    this.account.core.check = { ...c, tickets: ticket, pending: { ticket, reason, atMs: nowMs } };
    return ticket;
  }

  /** The check waiting to run, if any. */
  pending(): CheckRequest | null {
    return this.account.core.check.pending;
  }

  /** The result of check `ticket` once it has run (or been overtaken by a later one). */
  result(ticket: number): CheckRecord | null {
    const last = this.account.core.check.last;
    return last && last.ticket >= ticket ? last : null;
  }

  /**
   * Applies what Mono answered to the pending check: the observation becomes the webhook event it stands for and
   * goes through the transition table, or (where the answer cannot tell) asks for a manual sync, returned as
   * `{ sync: observed }`. `startedIn` is the state the check began in: if a webhook moved the account while Mono
   * was asked, the webhook wins and the observation is only recorded.
   */
  observe(
    observation: Observation,
    nowMs: number,
    startedIn: AccountState | null,
    seen: string[] = []
  ): { sync: string[] } | CheckRecord {
    const a = this.account;
    const from = a.state;
    const decision = decide(from, observation);
    const observed = [...seen, decision.cause];
    if (observation.source === 'sync') {
      const record = { at: iso(nowMs), outcome: observation.outcome, code: observation.code };
      a.sync = syncFinished(a.sync, record, nowMs);
    }
    if (from !== startedIn) return this.finish(nowMs, observed, 'confirmed', 'a webhook moved the account meanwhile');
    if (observation.source === 'details' && observation.found && observation.institution && from !== 'unlinked') {
      a.core.institution = observation.institution;
    }
    if (decision.kind === 'sync') {
      if (observation.source === 'details' && mayProbe(a.sync, nowMs)) return { sync: observed };
      return this.finish(nowMs, observed, 'deferred', 'a manual sync ran or is due within 2 minutes');
    }
    const pending = a.core.check.pending;
    if (from === 'unlinked' || !pending) return this.finish(nowMs, observed, 'confirmed');
    const { to, changed } = transition(from, decision.event);
    if (!changed) return this.finish(nowMs, observed, 'confirmed');
    a.moveTo(to, `${pending.reason}:${observed.join(' → ')}`, nowMs);
    return this.finish(nowMs, observed, 'corrected', undefined, from);
  }

  /** A reconciliation sync starts now: the account's own syncs keep Mono's 2-minute limit after it. */
  beginProbe(nowMs: number): void {
    this.account.sync = probeStarted(this.account.sync, nowMs);
  }

  /** Mono could not be asked (it failed, or is unreachable): the check ends without a conclusion. */
  failed(nowMs: number, seen: string[], message: string): CheckRecord {
    return this.finish(nowMs, seen, 'failed', message.slice(0, 200));
  }

  /** When the account last heard from Mono (webhook, sync answer or check); MonoLastHeard. */
  lastHeardMs(): number | null {
    const { core, sync } = this.account;
    return lastHeardMs({
      lastEventAt: core.lastEvent?.at ?? null,
      lastSyncAt: sync.last?.at ?? null,
      lastSyncOutcome: sync.last?.outcome ?? null,
      lastCheckAt: core.check.heardAt,
    });
  }

  private finish(
    nowMs: number,
    observed: string[],
    outcome: CheckRecord['outcome'],
    detail?: string,
    from: AccountState | null = this.account.state
  ): CheckRecord {
    const c = this.account.core.check;
    const pending = c.pending ?? { ticket: c.tickets, reason: 'reconcile' as const, atMs: nowMs };
    const record: CheckRecord = {
      ticket: pending.ticket,
      reason: pending.reason,
      at: iso(nowMs),
      observed: observed.join(' → '),
      outcome,
      from,
      to: this.account.state,
      ...(detail ? { detail } : {}),
    };
    const heardAt = outcome === 'failed' ? c.heardAt : record.at;
    this.account.core.check = { ...c, pending: null, last: record, heardAt };
    return record;
  }
}
