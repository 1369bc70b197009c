/**
 * The workflow's message definitions. The ingress, admin API, CLI and tests import these, never workflow.ts.
 * Wire names are part of the interface (SPEC 3.2): operators type them into `temporal workflow query`,
 * `temporal workflow update execute` and `temporal workflow signal`.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  AccountEvent,
  AccountView,
  Contact,
  OperatorRequest,
  ResendAccepted,
  RetrySyncAccepted,
} from './types.js';

export const WORKFLOW_TYPE = 'accountLifecycle';

/** A normalised Mono webhook for this account. */
export const monoEventSignal = defineSignal<[AccountEvent]>('monoEvent');

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

/** Registers how to reach the owner (email, time zone); sent with signal-with-start by the admin API. */
export const setContactSignal = defineSignal<[Contact]>('setContact');

/** The workflow id of an account: `mono-account-<accountId>`. Mono ids are opaque, never PII. */
export function workflowIdFor(accountId: string): string {
  return `mono-account-${accountId}`;
}
