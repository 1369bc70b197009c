/**
 * The account workflow's interface: its type and id, its input, and the definitions of its signals, queries and
 * updates with their payload types. Everything outside the workflow imports these, never workflow.ts. Wire names
 * are part of the interface: operators type them into `temporal workflow query`, `temporal workflow update
 * execute` and `temporal workflow signal` (docs/operating.md).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CarriedState } from '../model/carried-state.js';
import type { HoldRequest, ReleaseAnswer, ReleaseRequest } from '../model/incident-hold.js';
import type { LifecycleSettings } from '../model/settings.js';
import type {
  AccountEvent,
  AccountState,
  AccountView,
  CheckRecord,
  Contact,
  RedeliverAccepted,
  RedeliverRequest,
} from '../model/types.js';

export const WORKFLOW_TYPE = 'accountLifecycle';

/** Input of `accountLifecycle`. `carried` is absent on an account's first run. */
export interface AccountLifecycleInput {
  accountId: string;
  settings: LifecycleSettings;
  carried?: CarriedState;
}

/** An operator's request, from the `retrySync` or `resendReauthLink` update or signal. */
export interface OperatorRequest {
  reason?: string;
}
/** What the `resendReauthLink` update answers. */
export interface ResendAccepted {
  noticeId: string;
}
/** What the `retrySync` update answers. */
export interface RetrySyncAccepted {
  state: AccountState;
  syncAt: string;
}
/** Who asked for an enrolment (shown in logs only). */
export interface EnrolRequest {
  source?: string;
}
/** Who asked for a reconciliation check (the schedule's run id, an operator). */
export interface ReconcileRequest {
  source?: string;
}
/** A check's result, or `pending` when the run rolled over (or closed) before it ran: the next run runs it. */
export type CheckAnswer = CheckRecord | { ticket: number; outcome: 'pending' };

/**
 * What Mono said about this account, and the service's current lifecycle settings (so configuration changes
 * reach running accounts). The settings are optional for hand-made signals; an event for another account id is
 * ignored.
 */
export const monoEventSignal = defineSignal<[AccountEvent, LifecycleSettings?]>('monoEvent');

/** The account's current state, recent transitions, sync schedule and counters. */
export const stateQuery = defineQuery<AccountView>('state');

/** Operator: run a manual sync as soon as Mono allows. Refused with a reason in states where it makes no sense. */
export const retrySyncUpdate = defineUpdate<RetrySyncAccepted, [OperatorRequest]>('retrySync');
/** The same, as a signal for `temporal workflow signal` (a refused one is logged and ignored). */
export const retrySyncSignal = defineSignal<[OperatorRequest]>('retrySync');

/** Operator: send the owner a fresh re-auth link now. Refused unless the account is in reauth_required. */
export const resendReauthLinkUpdate = defineUpdate<ResendAccepted, [OperatorRequest]>('resendReauthLink');
/** The same, as a signal for `temporal workflow signal`. */
export const resendReauthLinkSignal = defineSignal<[OperatorRequest]>('resendReauthLink');

/** Operator: deliver the account's dead letters again (those named, or failed since a time), ids unchanged. */
export const redeliverNoticesUpdate = defineUpdate<RedeliverAccepted, [RedeliverRequest]>('redeliverNotices');
/** The same, as a signal for `temporal workflow signal`. */
export const redeliverNoticesSignal = defineSignal<[RedeliverRequest]>('redeliverNotices');

/** Registers how to reach the owner (email, time zone); sent with signal-with-start by the admin API. */
export const setContactSignal = defineSignal<[Contact]>('setContact');

/**
 * Enrolment (a bulk import of accounts linked before the service): a new account asks Mono what is true of it
 * (account details) and takes its first state from the answer. Ignored by an account that already has a state.
 */
export const enrolSignal = defineSignal<[EnrolRequest]>('enrol');

/**
 * Reconciliation: the account asks Mono what is true now (details; a manual sync where they cannot tell) and
 * applies it through the transition table. Answers with the check's result once it has run.
 */
export const reconcileUpdate = defineUpdate<CheckAnswer, [ReconcileRequest]>('reconcile');

/**
 * Wakes the account so that, when another worker build has become its deployment's current version, it
 * continues as new on that build (src/deployment/ sends it to accounts still on an older build).
 */
export const moveToCurrentBuildSignal = defineSignal('moveToCurrentBuild');

/**
 * A bank-wide incident opened at the account's institution (src/workflows/incidents.ts): hold the owner's re-auth
 * notices and operators' escalations, and sync on the incident's shared schedule. Repeated requests change nothing.
 */
export const holdForIncidentSignal = defineSignal<[HoldRequest]>('holdForIncident');

/** The incident closed: release the account at the given time; answers what it held and what is still true. */
export const releaseFromIncidentUpdate = defineUpdate<ReleaseAnswer, [ReleaseRequest]>('releaseFromIncident');

/** Mono account ids are opaque tokens (24 hex characters today); anything else never names a workflow. */
export const ACCOUNT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** The workflow id of an account: `mono-account-<accountId>`. Mono ids are opaque, never PII. */
export const WORKFLOW_ID_PREFIX = 'mono-account-';
export function workflowIdFor(accountId: string): string {
  return `${WORKFLOW_ID_PREFIX}${accountId}`;
}

/** The task queue of every Mono call for accounts on `taskQueue`; the worker serves it at MONO_MAX_RPS. */
export function monoTaskQueueFor(taskQueue: string): string {
  return `${taskQueue}-mono`;
}
