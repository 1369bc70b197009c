/**
 * When the next manual sync runs. Pure functions over a small record; the workflow turns `nextAtMs` into a
 * durable timer. Every scheduled sync is floored at Mono's 2-minute limit after the previous one.
 */
import { MIN_SYNC_INTERVAL_MS, type ResolvedSettings } from './settings.js';
import type { AccountState, SyncRecord } from './types.js';

export interface SyncSchedule {
  /** When the next manual sync is due (epoch ms), or null. */
  nextAtMs: number | null;
  /** When the last manual sync started (epoch ms), for Mono's 2-minute limit. */
  lastAtMs: number | null;
  last: SyncRecord | null;
}

export const NO_SYNC: SyncSchedule = { nextAtMs: null, lastAtMs: null, last: null };

/** A sync at `atMs`, or 2 minutes after the previous one if that is later. */
export function syncAt(schedule: SyncSchedule, atMs: number): SyncSchedule {
  const floor = schedule.lastAtMs === null ? atMs : schedule.lastAtMs + MIN_SYNC_INTERVAL_MS;
  return { ...schedule, nextAtMs: Math.max(atMs, floor) };
}

export function cancelSync(schedule: SyncSchedule): SyncSchedule {
  return { ...schedule, nextAtMs: null };
}

/**
 * When the next sync may run: the 2-minute limit is applied again at that moment, from the last real call (which
 * may have been an activity retry, or a sync still running when an operator asked).
 */
export function syncDueAtMs(schedule: SyncSchedule): number | null {
  if (schedule.nextAtMs === null) return null;
  if (schedule.lastAtMs === null) return schedule.nextAtMs;
  return Math.max(schedule.nextAtMs, schedule.lastAtMs + MIN_SYNC_INTERVAL_MS);
}

export function isSyncDue(schedule: SyncSchedule, nowMs: number): boolean {
  const due = syncDueAtMs(schedule);
  return due !== null && nowMs >= due;
}

export function syncStarted(schedule: SyncSchedule, nowMs: number): SyncSchedule {
  return { ...schedule, nextAtMs: null, lastAtMs: nowMs };
}

/**
 * Records a sync's result. The last call to Mono is taken to be `nowMs`, its end: the activity's own retries call
 * Mono after the sync started, never after it ended.
 */
export function syncFinished(schedule: SyncSchedule, record: SyncRecord, nowMs: number): SyncSchedule {
  return { ...schedule, last: record, lastAtMs: nowMs };
}

/** The schedule a state starts with: the first backoff step in `sync_failed`, the grace period after re-auth. */
export function syncOnEntering(
  schedule: SyncSchedule,
  state: AccountState,
  nowMs: number,
  settings: ResolvedSettings,
  jitter: number
): SyncSchedule {
  const cleared = cancelSync(schedule);
  if (state === 'sync_failed') return syncAt(cleared, nowMs + jittered(settings.syncRetryBackoffMs[0]!, jitter));
  if (state === 'reauthorised') return syncAt(cleared, nowMs + settings.reauthSyncGraceMs);
  return cleared;
}

/**
 * After `attempts` failed syncs in `sync_failed`: when to try again, or null when the backoff is used up.
 * `jitter` (0 ≤ jitter < 1, the workflow's deterministic Math.random) lengthens the wait by up to
 * SYNC_JITTER_SPREAD, so that accounts failed by one bank outage do not all retry on the same second.
 */
export function nextRetryAtMs(
  attempts: number,
  nowMs: number,
  settings: ResolvedSettings,
  jitter: number
): number | null {
  const wait = settings.syncRetryBackoffMs[attempts];
  return wait === undefined ? null : nowMs + jittered(wait, jitter);
}

/** Retry waits are lengthened by up to this fraction (never shortened: the 2-minute floor stays). */
export const SYNC_JITTER_SPREAD = 0.25;

/** `waitMs` lengthened by `jitter` × SYNC_JITTER_SPREAD (a jitter outside [0, 1) leaves it unchanged). */
export function jittered(waitMs: number, jitter: number): number {
  if (!(jitter >= 0 && jitter < 1)) return waitMs;
  return Math.round(waitMs * (1 + SYNC_JITTER_SPREAD * jitter));
}
