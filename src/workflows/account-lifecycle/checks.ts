/**
 * Checks with Mono run by the account's own workflow: the `enrol` signal and the `reconcile` update ask for one,
 * the main loop runs it (`runCheck`). Mono is asked through activities on the Mono task queue (one global rate
 * limit), its answers are observations (observations.ts) applied through the transition table, and a manual
 * sync where details cannot tell keeps Mono's 2-minute limit with the account's own syncs.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { MonoActivities, MonoInspection } from '../../activities/mono/activities.js';
import { FAILURE } from '../../activities/failures.js';
import type { Account } from './model/account.js';
import { enrolSignal, reconcileUpdate, type CheckAnswer, type ReconcileRequest } from './api/messages.js';
import type { CheckRecord, Observation } from './model/observations.js';

/** Marks runs that run checks with Mono (enrolment, reconciliation). */
export const CHECKS_PATCH = 'mono-checks-v1';
/** Marks runs whose Mono activities go to the Mono task queue (its rate limit is MONO_MAX_RPS). */
export const MONO_QUEUE_PATCH = 'mono-task-queue-v1';

/** The task queue of every Mono call for accounts on `taskQueue`; the worker serves it at MONO_MAX_RPS. */
export function monoTaskQueueFor(taskQueue: string): string {
  return `${taskQueue}-mono`;
}

/** Activity options on the Mono task queue of this workflow's queue. */
export function onMonoQueue<T extends object>(options: T): T & { taskQueue: string } {
  return { ...options, taskQueue: monoTaskQueueFor(workflowInfo().taskQueue) };
}

// Details: a few quick tries (the queue's rate limit paces them); a wrong key or permission is not retried.
const inspectOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '10 seconds', maximumAttempts: 4, nonRetryableErrorTypes: [FAILURE.monoNeedsOperator] },
};
// The sync that settles what details cannot tell: once more after Mono's 2 minutes, or a 429's Retry-After.
const probeOptions = {
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '2 minutes',
    maximumAttempts: 2,
    nonRetryableErrorTypes: [FAILURE.monoNeedsOperator],
  },
};

/** The enrol signal and the reconcile update. `closing` is true once the run is about to end or roll over. */
export function setCheckHandlers(account: Account, onChange: () => void, closing: () => boolean): void {
  setHandler(enrolSignal, () => {
    if (account.state !== null) return void log.info('enrol: the account already has a state; nothing to do');
    account.requestCheck('enrol', Date.now());
    onChange();
  });
  setHandler(
    reconcileUpdate,
    async (_request: ReconcileRequest): Promise<CheckAnswer> => {
      const ticket = account.requestCheck('reconcile', Date.now());
      onChange();
      await condition(() => account.checkResult(ticket) !== null || closing());
      return account.checkResult(ticket) ?? { ticket, outcome: 'pending' };
    },
    {
      validator: (_request: ReconcileRequest) => {
        if (account.state === 'unlinked') throw new Error('the account is unlinked; there is nothing to reconcile');
      },
    }
  );
}

/** Runs the pending check: details (v2, then v1), then a manual sync where they cannot tell. */
export async function runCheck(account: Account, accountId: string): Promise<CheckRecord> {
  const pending = account.pendingCheck();
  const startedIn = account.state;
  const { inspectMonoAccount } = proxyActivities<MonoActivities>(onMonoQueue(inspectOptions));
  let record: CheckRecord;
  try {
    let details: MonoInspection = await inspectMonoAccount(accountId, 'v2');
    if (!details.found) details = await inspectMonoAccount(accountId, 'v1');
    const observation: Observation = details.found
      ? { source: 'details', ...details }
      : { source: 'details', found: false };
    const first = account.observe(observation, Date.now(), startedIn);
    record = 'sync' in first ? await probe(account, accountId, first.sync) : first;
  } catch (err) {
    record = account.checkFailed(Date.now(), [], messageOf(err));
  }
  const facts = { observed: record.observed, from: record.from, to: record.to };
  const message = `${pending?.reason ?? 'check'}: ${record.outcome}`;
  if (record.outcome === 'corrected') log.info(message, facts);
  else log.debug(message, facts);
  // A check that closed the account (unlinked) answers its update before the run completes.
  if (account.state === 'unlinked') await condition(allHandlersFinished);
  return record;
}

async function probe(account: Account, accountId: string, seen: string[]): Promise<CheckRecord> {
  const { triggerMonoSync } = proxyActivities<MonoActivities>(onMonoQueue(probeOptions));
  const startedIn = account.state;
  account.beginProbe(Date.now());
  try {
    const result = await triggerMonoSync(accountId);
    const answer = account.observe(
      { source: 'sync', outcome: result.outcome, code: result.code },
      Date.now(),
      startedIn,
      seen
    );
    return 'sync' in answer ? account.checkFailed(Date.now(), seen, 'unexpected second sync') : answer;
  } catch (err) {
    return account.checkFailed(Date.now(), [...seen, 'sync'], messageOf(err));
  }
}

function messageOf(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure && cause.type === FAILURE.monoNeedsOperator)
    return `Mono refused: ${cause.message}`;
  return cause instanceof Error ? cause.message : String(cause);
}
