/**
 * Which accounts a reconcile run looks at (pure): running accounts of this service's task queue that are stuck
 * in a state Mono should have moved them out of, or that have not heard from Mono for longer than its nightly
 * cycle allows. Every value in the query is built here from numbers and fixed names, never from input text.
 */
import { WORKFLOW_TYPE } from '../workflows/account-lifecycle/api/messages.js';
import type { AccountState } from '../workflows/account-lifecycle/model/types.js';

/** States that Mono's webhooks should move an account out of; stuck in one, the account is checked. */
export const STUCK_STATES: readonly AccountState[] = ['sync_failed', 'reauth_required', 'reauthorised'];

export interface CandidateCriteria {
  taskQueue: string;
  /** The run's start: thresholds count back from it, so the set is fixed for the whole run. */
  nowMs: number;
  stuckAfterMs: number;
  silentAfterMs: number;
}

const TASK_QUEUE = /^[A-Za-z0-9._:-]{1,200}$/;

export function candidatesQuery({ taskQueue, nowMs, stuckAfterMs, silentAfterMs }: CandidateCriteria): string {
  if (!TASK_QUEUE.test(taskQueue)) throw new Error(`task queue ${JSON.stringify(taskQueue)} cannot be queried`);
  const stuck = new Date(nowMs - stuckAfterMs).toISOString();
  const silent = new Date(nowMs - silentAfterMs).toISOString();
  const states = STUCK_STATES.map((s) => `'${s}'`).join(', ');
  return [
    `WorkflowType = '${WORKFLOW_TYPE}'`,
    `ExecutionStatus = 'Running'`,
    `TaskQueue = '${taskQueue}'`,
    '(' +
      [
        // Stuck, and not heard from (a check counts) since the threshold.
        `(MonoAccountState IN (${states}) AND MonoStateSince < '${stuck}' AND (MonoLastHeard IS NULL OR MonoLastHeard < '${stuck}'))`,
        // Silent for longer than Mono's nightly cycle allows, in any state.
        `MonoLastHeard < '${silent}'`,
        // Runs from before MonoLastHeard: their state's age stands in for it.
        `(MonoLastHeard IS NULL AND MonoStateSince < '${silent}')`,
        // Enrolled but never told its state (Mono was unreachable, the import was interrupted).
        `(MonoAccountState IS NULL AND StartTime < '${stuck}')`,
      ].join(' OR ') +
      ')',
  ].join(' AND ');
}
