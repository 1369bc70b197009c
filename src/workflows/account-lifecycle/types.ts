/**
 * Types shared by the lifecycle workflow, its pure state machine and everything that talks to it.
 * This file is imported into the workflow sandbox: plain types and constants only.
 */

/** Lifecycle states, exactly as SPEC 3.2 spells them. `unlinked` is terminal. */
export const ACCOUNT_STATES = [
  'connected',
  'synced',
  'sync_failed',
  'reauth_required',
  'reauthorised',
  'unlinked',
] as const;
export type AccountState = (typeof ACCOUNT_STATES)[number];

/** Mono's seven account webhook events, by their short name (without `mono.events.`). */
export const MONO_EVENT_KINDS = [
  'account_connected',
  'account_updated',
  'sync_failed',
  'reauthorisation_required',
  'account_reauthorized',
  'account_synced',
  'account_unlinked',
] as const;
export type MonoEventKind = (typeof MONO_EVENT_KINDS)[number];

/** `meta.data_status` of `account_updated`, lower-cased (Mono sends both cases). */
export const DATA_STATUSES = ['available', 'partial', 'processing', 'failed', 'unavailable'] as const;
export type DataStatus = (typeof DATA_STATUSES)[number];

/**
 * One Mono webhook, normalised at the edge. It carries no PII: no name, account number, BVN or balance
 * ever enters Temporal, whose histories and search attributes are stored in plain text.
 */
export interface AccountEvent {
  kind: MonoEventKind;
  accountId: string;
  /** `account_updated` only. */
  dataStatus?: DataStatus;
  /** `account_synced` only: whether Mono found new data. */
  updated?: boolean;
  /** Institution display name when the payload carries it (not PII). */
  institution?: string;
  /** Digest of the delivery (event, account and canonical body); equal digests are the same delivery. */
  deliveryKey: string;
  /** When the ingress received it (ISO-8601). */
  receivedAt: string;
}

/** A recorded state change. `cause` names the event or action, e.g. `account_updated:failed`. */
export interface Transition {
  at: string;
  from: AccountState | null;
  to: AccountState;
  cause: string;
}

/** What the `state` query returns (SPEC 3.2) plus a few operator-facing counters. */
export interface AccountView {
  accountId: string;
  state: AccountState | null;
  since: string | null;
  escalated: boolean;
  attempts: number;
  institution: string | null;
  history: Transition[];
  lastEvent: { at: string; cause: string; outcome: 'changed' | 'unchanged' | 'duplicate' } | null;
  counts: { events: number; unchanged: number; duplicates: number };
  run: { number: number; historyLength: number };
}

/** Settings fixed when an account's workflow starts, carried unchanged across continue-as-new. */
export interface LifecycleSettings {
  /** Identical deliveries within this window are treated as redeliveries and ignored. */
  dedupeWindowMs: number;
  /** Continue-as-new once a run's history reaches this many events (or the server suggests it). */
  historyEventsPerRun: number;
}

/** State carried from one run to the next by continue-as-new. Bounded in size. */
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
  recentDeliveries: Array<[key: string, firstSeenMs: number]>;
  runNumber: number;
}

/** Input of `accountLifecycle`. `carried` is absent on an account's first run. */
export interface AccountLifecycleInput {
  accountId: string;
  settings: LifecycleSettings;
  carried?: CarriedState;
}

/** Bounds that keep carried state small however long an account lives. */
export const HISTORY_LIMIT = 50;
export const DELIVERY_MEMORY_LIMIT = 256;
