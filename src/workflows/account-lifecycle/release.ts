/**
 * Where one run of an account ends and the next begins: the one place in the workflow that knows about worker
 * builds. A run is pinned to the worker build (Worker Deployment Version) it started on, so it only ever meets the
 * code it was recorded with, and a change to what a running workflow does ships as a new build rather than as a
 * patch. A run rolls over — continues as new, carrying the account's state — when its history reaches its budget
 * or when another build has become the deployment's target for it (promoted, or ramping and chosen); the next run
 * starts on the target build (upgrade on continue-as-new).
 *
 * Patches (`patched()`) are only for a hot fix inside one build, and each is listed here with its retirement: once
 * a build without the patch's old branch is current and every account has moved to it, the patch goes.
 * Hot-fix patches in this build: none.
 */
import { makeContinueAsNewFunc, setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
import type { AccountLifecycleInput } from './api/messages.js';
import type { AccountView } from './model/types.js';

type AccountWorkflow = (input: AccountLifecycleInput) => Promise<AccountView>;

/** Pins each run of `workflow` to the build that runs its first task. */
export function pinEachRun(workflow: AccountWorkflow): void {
  setWorkflowOptions({ versioningBehavior: 'PINNED' }, workflow);
}

export type RolloverReason = 'new-build' | 'history';

/** Why this run should roll over now, or null. */
export function rolloverReason(historyEventsPerRun: number): RolloverReason | null {
  const info = workflowInfo();
  if (info.targetWorkerDeploymentVersionChanged) return 'new-build';
  if (info.continueAsNewSuggested || info.historyLength >= historyEventsPerRun) return 'history';
  return null;
}

/**
 * Continues as new with `input`. The next run's first task goes to the deployment's target build (the current
 * one, or a ramping one it is chosen for), and the run is then pinned there.
 */
export function continueOnTargetBuild(input: AccountLifecycleInput): Promise<never> {
  return makeContinueAsNewFunc<AccountWorkflow>({ initialVersioningBehavior: 'AUTO_UPGRADE' })(input);
}
