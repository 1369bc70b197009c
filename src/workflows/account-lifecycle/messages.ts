/**
 * The workflow's message definitions. The ingress, admin API, CLI and tests import these, never workflow.ts.
 * Wire names are part of the interface (SPEC 3.2): operators type them into `temporal workflow query/signal`.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { AccountEvent, AccountView } from './types.js';

export const WORKFLOW_TYPE = 'accountLifecycle';

/** A normalised Mono webhook for this account. */
export const monoEventSignal = defineSignal<[AccountEvent]>('monoEvent');

/** The account's current state, recent transitions and counters. */
export const stateQuery = defineQuery<AccountView>('state');

/** The workflow id of an account: `mono-account-<accountId>`. Mono ids are opaque, never PII. */
export function workflowIdFor(accountId: string): string {
  return `mono-account-${accountId}`;
}
