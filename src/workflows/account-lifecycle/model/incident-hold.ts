/**
 * An account held by a bank-wide incident (src/workflows/incidents.ts): while its institution has an open
 * incident, the account sends its owner no re-auth notices or reminders and operators no escalation — they wait
 * in the outbox, held, not dropped — and its manual syncs follow the incident's shared schedule instead of its own
 * backoff, so that the bank's accounts retry together, ever less often, and never use up their backoff into
 * escalations. Released (spread over time by the incident), the account sends what is still true. Pure.
 */
import type { NoticeType } from './types.js';

/** What an incident asks of an account at its institution (the `holdForIncident` signal). */
export interface HoldRequest {
  institution: string;
  /** When the incident opened (epoch ms): the shared sync schedule counts from here. */
  openedAtMs: number;
  /** Waits between the shared syncs, from the opening; the last one repeats. */
  syncBackoffMs: number[];
  /** The hold ends by itself at this time (epoch ms) if no release ever comes. */
  expiresAtMs: number;
}

/** The incident closed: the account is released at `releaseAtMs` (the `releaseFromIncident` update). */
export interface ReleaseRequest {
  institution: string;
  releaseAtMs: number;
}

/** What an account answers to a release: notices it held, and those still true (they go out at release). */
export interface ReleaseAnswer {
  held: number;
  stillTrue: number;
  releaseAt: string | null;
}

/** A hold, as the account carries it (carried-state.ts, `incident`). */
export interface IncidentHold extends HoldRequest {
  /** When this account was held (epoch ms). */
  heldAtMs: number;
  /** Held notices queued while held (those queued before and still unsent included). */
  heldNotices: number;
  releaseAtMs: number | null;
}

/** Notices an incident holds: the owner's re-auth messages and operators' per-account escalations. */
export const HELD_NOTICE_TYPES: readonly NoticeType[] = [
  'account.reauth_required',
  'account.reauth_reminder',
  'account.escalated',
];

/** Whether an incident holds this notice: a held type, unless an operator asked for it (a resent link goes out). */
export function isHeldNotice(notice: { type: NoticeType; data?: { resent?: boolean } }): boolean {
  return HELD_NOTICE_TYPES.includes(notice.type) && notice.data?.resent !== true;
}

/** Shared syncs land within this fraction of their step after the slot, so that a bank is not asked all at once. */
export const SHARED_SYNC_SPREAD = 0.1;

/**
 * When a held account syncs next: the first slot of the incident's schedule after `nowMs` (slots at the opening
 * plus each wait in turn, the last wait repeating), plus up to SHARED_SYNC_SPREAD of that step (`jitter` in [0, 1)).
 */
export function sharedSyncAtMs(hold: HoldRequest, nowMs: number, jitter: number): number {
  const steps = hold.syncBackoffMs.length > 0 ? hold.syncBackoffMs : [60_000];
  const last = steps.length - 1;
  let slot = hold.openedAtMs;
  let step = steps[0]!;
  for (let i = 0; slot <= nowMs; i++) {
    step = steps[Math.min(i, last)]!;
    // On the repeating step: straight to the first slot after now.
    slot += i >= last ? Math.ceil((nowMs - slot + 1) / step) * step : step;
  }
  const spread = jitter >= 0 && jitter < 1 ? Math.round(step * SHARED_SYNC_SPREAD * jitter) : 0;
  return slot + spread;
}

/** When the hold ends: at its release, or when it expires, whichever is first. */
export function holdEndsAtMs(hold: IncidentHold): number {
  return hold.releaseAtMs === null ? hold.expiresAtMs : Math.min(hold.releaseAtMs, hold.expiresAtMs);
}

/** A hold request an account can use (signals can be sent by hand). */
export function isHoldRequest(request: unknown): request is HoldRequest {
  if (!request || typeof request !== 'object') return false;
  const r = request as HoldRequest;
  return (
    isInstitutionName(r.institution) &&
    isTime(r.openedAtMs) &&
    isTime(r.expiresAtMs) &&
    Array.isArray(r.syncBackoffMs) &&
    r.syncBackoffMs.length <= 20 &&
    r.syncBackoffMs.every((ms) => typeof ms === 'number' && Number.isFinite(ms) && ms >= 1_000)
  );
}

/** A release request an account can use. */
export function isReleaseRequest(request: unknown): request is ReleaseRequest {
  if (!request || typeof request !== 'object') return false;
  const r = request as ReleaseRequest;
  return isInstitutionName(r.institution) && isTime(r.releaseAtMs);
}

function isInstitutionName(name: unknown): name is string {
  return typeof name === 'string' && name.length > 0 && name.length <= 100;
}

function isTime(ms: unknown): ms is number {
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0;
}
