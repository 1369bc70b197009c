/**
 * What the account gauges (lib/account-gauges.ts) read from Temporal: visibility counts of the task queue's
 * accounts, the worker deployment's builds with the accounts pinned to each, the reconcile schedule's latest
 * completed run, and the bank-wide incidents open.
 */
import type { Client, Connection } from '@temporalio/client';
import type { AccountFacts } from '../lib/account-gauges.js';
import { describeDeployment } from '../deployment/versions.js';
import { createIncidents } from '../incidents/client.js';
import { reconcileScheduleId } from '../reconcile/schedule.js';
import type { ReconcileTotals } from '../workflows/reconcile.js';
import type { AccountListing } from './listing.js';

export interface AccountFactsDeps {
  accounts: Pick<AccountListing, 'count'>;
  client: Client;
  connection: Connection;
  namespace: string;
  taskQueue: string;
  deploymentName: string;
}

export function createAccountFacts(deps: AccountFactsDeps): AccountFacts {
  return {
    count: (filter) => deps.accounts.count(filter),
    async builds() {
      const deployment = await describeDeployment({
        connection: deps.connection,
        namespace: deps.namespace,
        deploymentName: deps.deploymentName,
      });
      return (deployment?.builds ?? []).map(({ buildId, status, accounts }) => ({ buildId, status, accounts }));
    },
    lastReconcile: () => lastCompletedReconcile(deps.client, reconcileScheduleId(deps.taskQueue)),
    openIncidents: () => createIncidents({ client: deps.client, taskQueue: deps.taskQueue }).openCount(),
  };
}

/** The newest of the schedule's recent runs that has completed (a run continues as new: its last run counts). */
async function lastCompletedReconcile(
  client: Client,
  scheduleId: string
): Promise<{ completedAt: Date; corrected: number } | null> {
  let recent;
  try {
    recent = (await client.schedule.getHandle(scheduleId).describe()).info.recentActions;
  } catch {
    return null; // no schedule (yet), or a server without schedules
  }
  for (const action of [...recent].reverse()) {
    const handle = client.workflow.getHandle<() => Promise<ReconcileTotals>>(action.action.workflow.workflowId);
    const run = await handle.describe();
    if (run.status.name !== 'COMPLETED' || !run.closeTime) continue;
    return { completedAt: run.closeTime, corrected: (await handle.result()).corrected };
  }
  return null;
}
