/**
 * The state one run of an account's workflow hands to the next by continue-as-new, and its normal form. Runs
 * of older releases wrote it without the parts added later; `normaliseCarried` fills them in, so the rest of
 * the code sees one complete shape. Field names never change: a rolled-back deploy must still read them.
 */
import type { DeliveryEntry } from './delivery-memory.js';
import type { CheckRecord, CheckRequest } from './observations.js';
import type { ReauthSchedule } from './reauth-schedule.js';
import { NO_SYNC, type SyncSchedule } from './sync-schedule.js';
import type { AccountState, AccountView, Contact, Escalation, Notice, Transition, UndeliveredNotice } from './types.js';

export interface CarriedState {
  state: AccountState | null;
  since: string | null;
  escalated: boolean;
  attempts: number;
  institution: string | null;
  history: Transition[];
  lastEvent: AccountView['lastEvent'];
  counts: AccountView['counts'];
  /** Recent delivery keys and when each was first seen (epoch ms). */
  recentDeliveries: DeliveryEntry[];
  runNumber: number;
  sync: SyncSchedule;
  escalation: Escalation | null;
  /** Reminders and deadline while in `reauth_required`. */
  reauth: ReauthSchedule | null;
  /** Messages decided but not yet handed to the notifier, and the counter that numbers them. */
  outbox: Notice[];
  noticeSeq: number;
  contact: Contact | null;
  /** Notices that gave up on a channel, for operators to see and redeliver (bounded). */
  undelivered: UndeliveredNotice[];
  /** State changes ever made; delivery memory tells a redelivery from the same event after the state moved on. */
  stateChanges: number;
  /** A check with Mono asked for (reconciliation, enrolment) and not yet run; the last check's result. */
  check: { pending: CheckRequest | null; last: CheckRecord | null; tickets: number; heardAt?: string | null };
}

/** Added after the first release: absent from what older runs carried. */
type LaterParts =
  'sync' | 'escalation' | 'reauth' | 'outbox' | 'noticeSeq' | 'contact' | 'undelivered' | 'stateChanges' | 'check';

/** Carried state as any release wrote it. */
export type RecordedCarriedState = Omit<CarriedState, LaterParts> & Partial<Pick<CarriedState, LaterParts>>;

/** The state of an account before its first event. A function, so that no two accounts share an array. */
function newAccount(): CarriedState {
  return {
    state: null,
    since: null,
    escalated: false,
    attempts: 0,
    institution: null,
    history: [],
    lastEvent: null,
    counts: { events: 0, unchanged: 0, duplicates: 0 },
    recentDeliveries: [],
    runNumber: 0,
    sync: NO_SYNC,
    escalation: null,
    reauth: null,
    outbox: [],
    noticeSeq: 0,
    contact: null,
    undelivered: [],
    stateChanges: 0,
    check: NO_CHECK,
  };
}

const NO_CHECK: CarriedState['check'] = { pending: null, last: null, tickets: 0 };

/** The complete state for a run: a new account's, or the previous run's with missing parts filled in. */
export function normaliseCarried(carried: RecordedCarriedState | undefined): CarriedState {
  if (!carried) return newAccount();
  return {
    ...carried,
    recentDeliveries: carried.recentDeliveries ?? [],
    sync: carried.sync ?? NO_SYNC,
    escalation: carried.escalation ?? null,
    reauth: carried.reauth ?? null,
    outbox: [...(carried.outbox ?? [])],
    noticeSeq: carried.noticeSeq ?? 0,
    contact: carried.contact ?? null,
    undelivered: [...(carried.undelivered ?? [])],
    stateChanges: carried.stateChanges ?? 0,
    check: carried.check ?? NO_CHECK,
  };
}
