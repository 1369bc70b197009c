/**
 * The worker deployment's versions as operators see them: which builds exist, which one is current or ramping,
 * how many accounts each holds and whether an old one has drained; and the changes an operator makes — promote a
 * build, ramp one, roll back (promote the older build again). The same operations as `temporal worker deployment
 * …`; the CLI (src/cli/builds.ts) and start-up in development use them.
 */
import type { Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { WORKFLOW_TYPE } from '../workflows/account-lifecycle/api/messages.js';
import { countExecutions } from '../temporal/visibility.js';
import { grpcStatusOf } from '../temporal/grpc-status.js';

export interface DeploymentTarget {
  connection: Connection;
  namespace: string;
  deploymentName: string;
}

export interface BuildSummary {
  buildId: string;
  /** `current`, `ramping`, `draining` (an earlier build that still holds accounts), `drained` or `inactive`. */
  status: 'current' | 'ramping' | 'draining' | 'drained' | 'inactive';
  /** Running accounts pinned to this build (visibility; a few seconds behind). */
  accounts: number;
  rampPercentage?: number;
  createdAt: string | null;
}

export interface DeploymentSummary {
  deploymentName: string;
  current: string | null;
  ramping: { buildId: string; percentage: number } | null;
  builds: BuildSummary[];
}

const NOT_FOUND = 5;
const IDENTITY = `mono-reauth@${process.pid}`;

/** `<deployment>:<build>`, as the TemporalWorkerDeploymentVersion search attribute holds it. */
export function versionKey(deploymentName: string, buildId: string): string {
  return `${deploymentName}:${buildId}`;
}

/** Visibility query of the running accounts of `taskQueue` pinned to a build of the deployment not in `keep`. */
export function accountsOnOtherBuildsQuery(deploymentName: string, keep: string[], taskQueue?: string): string {
  const quote = (s: string): string => `'${s.replace(/'/g, '')}'`;
  return [
    `WorkflowType = '${WORKFLOW_TYPE}'`,
    `ExecutionStatus = 'Running'`,
    ...(taskQueue ? [`TaskQueue = ${quote(taskQueue)}`] : []),
    `TemporalWorkerDeployment = ${quote(deploymentName)}`,
    ...(keep.length > 0
      ? [`TemporalWorkerDeploymentVersion NOT IN (${keep.map((b) => quote(versionKey(deploymentName, b))).join(', ')})`]
      : []),
  ].join(' AND ');
}

type DeploymentInfo = temporal.api.deployment.v1.IWorkerDeploymentInfo;

async function deploymentInfo(t: DeploymentTarget): Promise<DeploymentInfo | null> {
  const res = await t.connection.workflowService
    .describeWorkerDeployment({ namespace: t.namespace, deploymentName: t.deploymentName })
    .catch((err: unknown) => {
      if (grpcStatusOf(err) === NOT_FOUND) return null;
      throw err;
    });
  return res?.workerDeploymentInfo ?? null;
}

/** Where new runs go: the current build and the ramping one, if any. */
export async function routingOf(t: DeploymentTarget): Promise<Pick<DeploymentSummary, 'current' | 'ramping'>> {
  return routing(await deploymentInfo(t));
}

function routing(info: DeploymentInfo | null): Pick<DeploymentSummary, 'current' | 'ramping'> {
  const config = info?.routingConfig;
  const current = config?.currentDeploymentVersion?.buildId || null;
  const rampingId = config?.rampingDeploymentVersion?.buildId || null;
  const ramping = rampingId ? { buildId: rampingId, percentage: config?.rampingVersionPercentage ?? 0 } : null;
  return { current, ramping };
}

/** The deployment's routing and builds, or null when no worker of it has polled yet. */
export async function describeDeployment(t: DeploymentTarget): Promise<DeploymentSummary | null> {
  const info = await deploymentInfo(t);
  if (!info) return null;
  const { current, ramping } = routing(info);
  const rampingId = ramping?.buildId ?? null;
  const builds: BuildSummary[] = [];
  for (const v of info.versionSummaries ?? []) {
    const buildId = v.deploymentVersion?.buildId;
    if (!buildId) continue;
    const accounts = await countExecutions(
      { connection: t.connection, namespace: t.namespace, timeoutMs: 10_000 },
      `WorkflowType = '${WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' AND TemporalWorkerDeploymentVersion = '${versionKey(t.deploymentName, buildId)}'`
    );
    builds.push({
      buildId,
      status: statusOf(buildId, current, rampingId, Number(v.status ?? 0)),
      accounts,
      ...(buildId === rampingId ? { rampPercentage: ramping?.percentage ?? 0 } : {}),
      createdAt: timestamp(v.createTime),
    });
  }
  return { deploymentName: t.deploymentName, current, ramping, builds };
}

/** Makes `buildId` the deployment's current version: new accounts start on it, running ones move to it when they wake. */
export async function promoteBuild(t: DeploymentTarget, buildId: string): Promise<void> {
  const { conflictToken } = await t.connection.workflowService.describeWorkerDeployment({
    namespace: t.namespace,
    deploymentName: t.deploymentName,
  });
  await t.connection.workflowService.setWorkerDeploymentCurrentVersion({
    namespace: t.namespace,
    deploymentName: t.deploymentName,
    buildId,
    conflictToken,
    identity: IDENTITY,
  });
}

/**
 * Sends `percentage` % of new runs (and of accounts rolling over) to `buildId`; 0 % with no build id ends a ramp.
 * Ramping accounts are chosen by workflow id, so the same accounts stay in the ramp as it grows.
 */
export async function rampBuild(t: DeploymentTarget, buildId: string | null, percentage: number): Promise<void> {
  const { conflictToken } = await t.connection.workflowService.describeWorkerDeployment({
    namespace: t.namespace,
    deploymentName: t.deploymentName,
  });
  await t.connection.workflowService.setWorkerDeploymentRampingVersion({
    namespace: t.namespace,
    deploymentName: t.deploymentName,
    buildId: buildId ?? '',
    percentage: buildId ? percentage : 0,
    conflictToken,
    identity: IDENTITY,
  });
}

/** WorkerDeploymentVersionStatus (temporal.api.enums.v1): 4 draining, 5 drained. */
function statusOf(
  buildId: string,
  current: string | null,
  ramping: string | null,
  status: number
): BuildSummary['status'] {
  if (buildId === current) return 'current';
  if (buildId === ramping) return 'ramping';
  if (status === 4) return 'draining';
  if (status === 5) return 'drained';
  return 'inactive';
}

function timestamp(t: { seconds?: unknown } | null | undefined): string | null {
  const seconds = Number(t?.seconds ?? 0);
  return seconds > 0 ? new Date(seconds * 1000).toISOString() : null;
}
