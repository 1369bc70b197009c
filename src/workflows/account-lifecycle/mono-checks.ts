/**
 * Checks with Mono run by the account's own workflow: the `enrol` signal and the `reconcile` update ask for one,
 * the loop runs it (`runCheck`). Mono is asked through activities on the Mono task queue, its answers are
 * observations (model/observations.ts) applied through the transition table, and a manual sync where details
 * cannot tell keeps Mono's 2-minute limit with the account's own syncs. Sandbox code.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  log,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { MonoActivities, MonoInspection } from '../../activities/mono/activities.js';
import { FAILURE } from '../../activities/failures.js';
import { enrolSignal, reconcileUpdate, type CheckAnswer, type ReconcileRequest } from './api/messages.js';
import { onMonoQueue } from './effects.js';
import type { Account } from './model/account.js';
import type { Observation } from './model/observations.js';
import type { CheckRecord } from './model/types.js';

// Details: a few quick tries (the queue's rate limit paces them); a wrong key or permission is not retried.
const inspectOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '10 seconds', maximumAttempts: 4, nonRetryableErrorTypes: [FAILURE.monoNeedsOperator] },
};
// The sync that settles what details cannot tell: once more after Mono's 2 minutes, or a 429's Retry-After.
const probeOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 minutes', maximumAttempts: 2, nonRetryableErrorTypes: [FAILURE.monoNeedsOperator] },
};

/** The enrol signal and the reconcile update. `closing` is true once the run is about to end or roll over. */
export function setCheckHandlers(account: Account, onChange: () => void, closing: () => boolean): void {
  setHandler(enrolSignal, () => {
    if (account.state !== null) return void log.info('enrol: the account already has a state; nothing to do');
    account.checks.request('enrol', Date.now());
    onChange();
  });
  setHandler(
    reconcileUpdate,
    async (_request: ReconcileRequest): Promise<CheckAnswer> => {
      const ticket = account.checks.request('reconcile', Date.now());
      onChange();
      await condition(() => account.checks.result(ticket) !== null || closing());
      return account.checks.result(ticket) ?? { ticket, outcome: 'pending' };
    },
    {
      validator: (_request: ReconcileRequest) => {
        if (account.state === 'unlinked') throw new Error('the account is unlinked; there is nothing to reconcile');
      },
    }
  );
}

/** Runs the pending check: details (v2, then v1), then a manual sync where they cannot tell. */
export async function runCheck(account: Account): Promise<CheckRecord> {
  const pending = account.checks.pending();
  const startedIn = account.state;
  const { inspectMonoAccount } = proxyActivities<MonoActivities>(onMonoQueue(inspectOptions));
  let record: CheckRecord;
  try {
    let details: MonoInspection = await inspectMonoAccount(account.accountId, 'v2');
    if (!details.found) details = await inspectMonoAccount(account.accountId, 'v1');
    const observation: Observation = details.found
      ? { source: 'details', ...details }
      : { source: 'details', found: false };
    const first = account.checks.observe(observation, Date.now(), startedIn);
    record = 'sync' in first ? await probe(account, first.sync) : first;
  } catch (err) {
    record = account.checks.failed(Date.now(), [], messageOf(err));
  }
  const facts = { observed: record.observed, from: record.from, to: record.to };
  const message = `${pending?.reason ?? 'check'}: ${record.outcome}`;
  if (record.outcome === 'corrected') log.info(message, facts);
  else log.debug(message, facts);
  // A check that closed the account (unlinked) answers its update before the run completes.
  if (account.state === 'unlinked') await condition(allHandlersFinished);
  return record;
}

async function probe(account: Account, seen: string[]): Promise<CheckRecord> {
  const { triggerMonoSync } = proxyActivities<MonoActivities>(onMonoQueue(probeOptions));
  const startedIn = account.state;
  account.checks.beginProbe(Date.now());
  try {
    const result = await triggerMonoSync(account.accountId);
    const observation: Observation = { source: 'sync', outcome: result.outcome, code: result.code };
    const answer = account.checks.observe(observation, Date.now(), startedIn, seen);
    return 'sync' in answer ? account.checks.failed(Date.now(), seen, 'unexpected second sync') : answer;
  } catch (err) {
    return account.checks.failed(Date.now(), [...seen, 'sync'], messageOf(err));
  }
}

function messageOf(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure && cause.type === FAILURE.monoNeedsOperator)
    return `Mono refused: ${cause.message}`;
  return cause instanceof Error ? cause.message : String(cause);
}
