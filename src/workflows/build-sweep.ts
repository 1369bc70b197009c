/**
 * `moveAccountsToCurrentBuild`, the workflow the build-sweep Schedule starts (src/deployment/schedule.ts): one
 * activity that wakes every account still pinned to an earlier build (src/deployment/sweep.ts), so that idle
 * accounts move to the current build too. It follows the current build itself (Auto-Upgrade). Sandbox code.
 */
import { proxyActivities, setWorkflowOptions } from '@temporalio/workflow';
import type { SweepActivities, SweepInput, SweepResult } from '../deployment/sweep.js';

export const BUILD_SWEEP_WORKFLOW_TYPE = 'moveAccountsToCurrentBuild';

// As long as the sweep needs at its rate, heartbeating as it goes; a retry starts the listing again.
const { wakeAccountsOnEarlierBuilds } = proxyActivities<SweepActivities>({
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '30 seconds', maximumAttempts: 5 },
});

export async function moveAccountsToCurrentBuild(input: SweepInput): Promise<SweepResult> {
  return wakeAccountsOnEarlierBuilds(input);
}

setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, moveAccountsToCurrentBuild);
