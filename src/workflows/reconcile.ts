/**
 * `reconcileAccounts`, the workflow the reconcile Schedule starts (src/reconcile/schedule.ts). It pages through
 * visibility for accounts that need a look (src/reconcile/query.ts) and asks each account to check itself with
 * Mono (the `reconcile` update, through an activity), a bounded number at a time; Mono's calls run on the Mono
 * task queue at MONO_MAX_RPS. Totals are logged and returned; the run continues-as-new every few pages so its
 * history stays small however many accounts there are. Deterministic: thresholds count from the run's start.
 */
import { continueAsNew, log, proxyActivities, setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
import type { ReconcileActivities } from '../reconcile/activities.js';

export const RECONCILE_WORKFLOW_TYPE = 'reconcileAccounts';

export interface ReconcileInput {
  stuckAfterMs: number;
  silentAfterMs: number;
  /** Accounts checked at the same time (their Mono calls are paced by the Mono task queue anyway). */
  concurrency: number;
  pageSize?: number;
  /** Set when the run continues as new: the first run's start, where paging stopped, totals so far. */
  startedAtMs?: number;
  pageToken?: string | null;
  totals?: ReconcileTotals;
}

export interface ReconcileTotals {
  checked: number;
  corrected: number;
  confirmed: number;
  deferred: number;
  failed: number;
  skipped: number;
  pages: number;
}

const NO_TOTALS: ReconcileTotals = {
  checked: 0,
  corrected: 0,
  confirmed: 0,
  deferred: 0,
  failed: 0,
  skipped: 0,
  pages: 0,
};
const PAGES_PER_RUN = 10;

const { findReconcileCandidates } = proxyActivities<ReconcileActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumAttempts: 5 },
});
// Waits while the account asks Mono (details, and a sync that may wait for Mono's 2-minute limit).
const { reconcileAccount } = proxyActivities<ReconcileActivities>({
  startToCloseTimeout: '15 minutes',
  retry: { initialInterval: '10 seconds', maximumAttempts: 3 },
});

export async function reconcileAccounts(input: ReconcileInput): Promise<ReconcileTotals> {
  const startedAtMs = input.startedAtMs ?? Date.now();
  const totals = { ...NO_TOTALS, ...input.totals };
  let pageToken = input.pageToken ?? null;
  const source = `reconcile ${workflowInfo().workflowId}`;
  for (let pages = 0; ; pages++) {
    if (pages >= PAGES_PER_RUN) {
      return continueAsNew<typeof reconcileAccounts>({ ...input, startedAtMs, pageToken, totals });
    }
    const page = await findReconcileCandidates({
      taskQueue: workflowInfo().taskQueue,
      nowMs: startedAtMs,
      stuckAfterMs: input.stuckAfterMs,
      silentAfterMs: input.silentAfterMs,
      pageSize: input.pageSize ?? 200,
      pageToken,
    });
    totals.pages += 1;
    const queue = [...page.accountIds];
    const worker = async (): Promise<void> => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        const outcome = await reconcileAccount(id, source).catch(() => 'failed' as const);
        totals.checked += 1;
        totals[outcome] += 1;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(input.concurrency, queue.length)) }, worker));
    pageToken = page.nextPageToken;
    if (!pageToken) break;
  }
  log.info('reconcile run finished', { ...totals });
  return totals;
}

// A reconcile run follows the deployment's current build: it holds no account's state.
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, reconcileAccounts);
