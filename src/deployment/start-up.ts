/**
 * What a worker does about its deployment version when it starts: run as a Worker Deployment Version (deployment
 * name and build id), and, as TEMPORAL_WORKER_PROMOTE says, make that version current — always (development, and
 * a single-process deployment), only for a first deployment that has no current version, or never (an operator
 * or Temporal's Worker Controller promotes). In development a new build also adopts the accounts pinned to
 * earlier builds, whose workers are gone with the previous `npm start`: they replay on the new code, as they
 * would without versioning.
 */
import proto from '@temporalio/proto';
import type { WorkerOptions } from '@temporalio/worker';
import type { Logger } from '../lib/logger.js';
import { grpcStatusOf } from '../temporal/grpc-status.js';
import { listExecutions } from '../temporal/visibility.js';
import { accountsOnOtherBuildsQuery, describeDeployment, promoteBuild, type DeploymentTarget } from './versions.js';

const { PinnedOverrideBehavior } = proto.temporal.api.workflow.v1.VersioningOverride;

export interface WorkerVersion {
  deploymentName: string;
  buildId: string;
}

export type PromotePolicy = 'always' | 'first' | 'never';

/**
 * Worker options of a deployment version. Workflows that do not choose follow the current version (reconcile,
 * the build sweep); account workflows pin each run to its build (src/workflows/account-lifecycle/release.ts).
 */
export function deploymentOptions(version: WorkerVersion): Pick<WorkerOptions, 'workerDeploymentOptions'> {
  return {
    workerDeploymentOptions: {
      useWorkerVersioning: true,
      version,
      defaultVersioningBehavior: 'AUTO_UPGRADE',
    },
  };
}

const UNIMPLEMENTED = 12;
const NOT_FOUND = 5;
const FAILED_PRECONDITION = 9;

/** Promotes this worker's version as `policy` says; returns whether it is now current. */
export async function promoteAtStart(
  target: DeploymentTarget,
  buildId: string,
  policy: PromotePolicy,
  logger: Logger
): Promise<boolean> {
  if (policy === 'never') {
    logger.info(
      { buildId },
      `worker build ${buildId} is polling; it takes new accounts once promoted (mono-reauth builds promote ${buildId})`
    );
    return false;
  }
  // The version exists once this worker has polled: retry a moment while it registers.
  for (let attempt = 0; ; attempt++) {
    try {
      const deployment = await describeDeployment(target);
      if (deployment?.current === buildId) return true;
      if (policy === 'first' && deployment?.current) {
        logger.info(
          { buildId, current: deployment.current },
          `worker build ${buildId} is polling beside the current build ${deployment.current}; promote it to move accounts to it`
        );
        return false;
      }
      await promoteBuild(target, buildId);
      logger.info({ buildId, previous: deployment?.current ?? null }, `worker build ${buildId} is now current`);
      return true;
    } catch (err) {
      const status = grpcStatusOf(err);
      // The time-skipping test server has no worker deployments: its workers run unversioned.
      if (status === UNIMPLEMENTED) return false;
      if ((status !== NOT_FOUND && status !== FAILED_PRECONDITION) || attempt >= 100) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/**
 * Development only: re-pins the running accounts of earlier builds of this deployment to `buildId`. Their workers
 * went away with the previous process, so without this they would wait for them for ever.
 */
export async function adoptEarlierBuildsAccounts(
  target: DeploymentTarget,
  buildId: string,
  logger: Logger
): Promise<number> {
  const query = accountsOnOtherBuildsQuery(target.deploymentName, [buildId]);
  let adopted = 0;
  const visibility = { connection: target.connection, namespace: target.namespace, timeoutMs: 10_000 };
  for await (const execution of listExecutions(visibility, query, 500)) {
    const workflowId = execution.execution?.workflowId;
    if (!workflowId) continue;
    await target.connection.workflowService.updateWorkflowExecutionOptions({
      namespace: target.namespace,
      workflowExecution: { workflowId },
      workflowExecutionOptions: {
        versioningOverride: {
          pinned: {
            behavior: PinnedOverrideBehavior.PINNED_OVERRIDE_BEHAVIOR_PINNED,
            version: { deploymentName: target.deploymentName, buildId },
          },
        },
      },
      updateMask: { paths: ['versioning_override'] },
    });
    adopted += 1;
  }
  if (adopted > 0)
    logger.info({ adopted, buildId }, `development: ${adopted} accounts of earlier builds moved to this build`);
  return adopted;
}
