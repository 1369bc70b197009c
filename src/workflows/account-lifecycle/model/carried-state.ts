/**
 * The state one run of an account's workflow hands to the next by continue-as-new. A run started by one worker
 * build may be continued by another (a new build, or an older one after a rollback), so the shape only grows:
 * a field is added as optional with a default where it is read, and never renamed or given a new meaning.
 */
import type { DeliveryEntry } from './delivery-memory.js';
import type { ReauthEpisode } from './reauth-episode.js';
import type { IncidentHold } from './incident-hold.js';
import type { ReauthSchedule } from './reauth-schedule.js';
import { NO_SYNC, type SyncSchedule } from './sync-schedule.js';
import type {
  AccountState,
  CheckRecord,
  CheckRequest,
  Contact,
  Escalation,
  EventCounts,
  LastEvent,
  Notice,
  NoticeChannel,
  Transition,
  UndeliveredNotice,
} from './types.js';

export interface CarriedState {
  state: AccountState | null;
  since: string | null;
  escalated: boolean;
  attempts: number;
  institution: string | null;
  history: Transition[];
  lastEvent: LastEvent | null;
  counts: EventCounts;
  /** Recent delivery keys, when each was first seen (epoch ms) and the state changes made by then. */
  recentDeliveries: DeliveryEntry[];
  runNumber: number;
  sync: SyncSchedule;
  escalation: Escalation | null;
  /** Reminders and deadline while in `reauth_required`. */
  reauth: ReauthSchedule | null;
  /** Messages decided and not yet delivered on every channel. */
  outbox: Notice[];
  contact: Contact | null;
  /** Notices that gave up on a channel, for operators to see and redeliver (bounded). */
  undelivered: UndeliveredNotice[];
  /** State changes ever made; delivery memory tells a redelivery from the same event after the state moved on. */
  stateChanges: number;
  /** A check with Mono asked for (reconciliation, enrolment) and not yet run; the last check's result. */
  check: CheckState;
  /** In `reauth_required`: the owner's channels that have delivered a re-auth prompt so far in this stay. */
  reauthPromptedOn?: NoticeChannel[];
  /** The last stay in `reauth_required` that ended with the owner re-authorising (the re-auth funnel). */
  lastReauth?: ReauthEpisode;
  /** The bank-wide incident holding the account's notices, if any (absent in state carried by earlier builds). */
  incident?: IncidentHold | null;
}

export interface CheckState {
  pending: CheckRequest | null;
  last: CheckRecord | null;
  tickets: number;
  /** When a check last heard from Mono (a failed check does not count). */
  heardAt: string | null;
}

/** The state of an account before its first event. A function, so that no two accounts share an array. */
export function newAccount(): CarriedState {
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
    contact: null,
    undelivered: [],
    stateChanges: 0,
    check: { pending: null, last: null, tickets: 0, heardAt: null },
  };
}
