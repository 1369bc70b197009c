/**
 * What the service saw when it asked Mono about an account itself (reconciliation and enrolment), and how that
 * maps onto the transition table. An observation is turned into the webhook event Mono would have sent for it,
 * so it moves the account exactly as that webhook would; where Mono's answer cannot tell the state (account
 * details say nothing about authorisation), the decision is a manual sync, whose answer is observed in turn.
 * Pure and sandbox-safe: no Temporal, no clock.
 */
import { MIN_SYNC_INTERVAL_MS } from './settings.js';
import type { SyncSchedule } from './sync-schedule.js';
import type { AccountEvent, AccountState, DataStatus, MonoEventKind } from './types.js';

/** What Mono answered. Only non-PII facts: a data status, a sync code, an institution's name. */
export type Observation =
  /** Account details (`GET /v2/accounts/{id}`, or v1): the data status of Mono's last retrieval. */
  | { source: 'details'; found: true; dataStatus: string | null; institution: string | null }
  /** Neither details endpoint knows the account: Mono unlinked it (or it was never linked to this app). */
  | { source: 'details'; found: false }
  /** A manual sync's answer (`POST /accounts/{id}/sync`). */
  | { source: 'sync'; outcome: 'synced' | 'reauth_required' | 'failed'; code: string };

/** What to do with an observation in a state. */
export type Decision =
  /** Apply this event through the transition table (it may still change nothing). */
  | { kind: 'event'; event: Pick<AccountEvent, 'kind' | 'dataStatus'>; cause: string }
  /** The answer cannot tell: ask Mono for a manual sync (within its 2-minute limit). */
  | { kind: 'sync'; cause: string };

const DATA_STATUS_SET: ReadonlySet<string> = new Set<DataStatus>([
  'available',
  'partial',
  'processing',
  'failed',
  'unavailable',
]);

/** The decision for what Mono answered while the account is in `state` (null: not yet known). */
export function decide(state: AccountState | null, observation: Observation): Decision {
  if (observation.source === 'sync') {
    const kind: MonoEventKind =
      observation.outcome === 'synced'
        ? 'account_synced'
        : observation.outcome === 'reauth_required'
          ? 'reauthorisation_required'
          : 'sync_failed';
    return { kind: 'event', event: { kind }, cause: `sync:${observation.code}` };
  }
  if (!observation.found) return { kind: 'event', event: { kind: 'account_unlinked' }, cause: 'details:not_found' };
  const status = observation.dataStatus?.toLowerCase() ?? null;
  const known = status !== null && DATA_STATUS_SET.has(status) ? (status as DataStatus) : null;
  const cause = `details:${known ?? 'unknown'}`;
  // Details report the last retrieval, never whether the owner has (re-)authorised: only a sync can tell.
  if (state === 'reauth_required') return { kind: 'sync', cause };
  if (known === null || known === 'processing') {
    // A new account that Mono is still retrieving is `connected` (as account_updated:processing makes it).
    return state === null
      ? { kind: 'event', event: { kind: 'account_updated', dataStatus: 'processing' }, cause }
      : { kind: 'sync', cause };
  }
  return { kind: 'event', event: { kind: 'account_updated', dataStatus: known }, cause };
}

/**
 * Whether a manual sync may run now for reconciliation: never within Mono's 2-minute limit of the previous
 * one, and not when the account's own sync is due within that time (its answer will tell just as well).
 */
export function mayProbe(schedule: SyncSchedule, nowMs: number): boolean {
  if (schedule.lastAtMs !== null && nowMs - schedule.lastAtMs < MIN_SYNC_INTERVAL_MS) return false;
  return schedule.nextAtMs === null || schedule.nextAtMs - nowMs >= MIN_SYNC_INTERVAL_MS;
}

/** The sync schedule after a reconciliation sync started at `nowMs`: the account's own syncs keep the limit. */
export function probeStarted(schedule: SyncSchedule, nowMs: number): SyncSchedule {
  const floor = nowMs + MIN_SYNC_INTERVAL_MS;
  return {
    ...schedule,
    lastAtMs: nowMs,
    nextAtMs: schedule.nextAtMs === null ? null : Math.max(schedule.nextAtMs, floor),
  };
}

/**
 * When the account last heard from Mono (epoch ms): a webhook, a sync's answer or a check. Null before any.
 * `MonoLastHeard` is this, so that reconciliation finds accounts that went silent.
 */
export function lastHeardMs(parts: {
  lastEventAt: string | null;
  lastSyncAt: string | null;
  lastSyncOutcome: string | null;
  lastCheckAt: string | null;
}): number | null {
  const times = [parts.lastEventAt, parts.lastSyncOutcome === 'error' ? null : parts.lastSyncAt, parts.lastCheckAt]
    .filter((t): t is string => t !== null)
    .map((t) => Date.parse(t))
    .filter((t) => !Number.isNaN(t));
  return times.length === 0 ? null : Math.max(...times);
}

/** MonoLastHeard alone is upserted at most this often: a burst of webhooks upserts once, not once each. */
export const LAST_HEARD_RESOLUTION_MS = 60 * 60_000;
