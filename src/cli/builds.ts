/**
 * `mono-reauth builds …`: the worker deployment's builds as an operator rolls them out (docs/releasing.md).
 *
 *   builds [list]                   builds, their status, the accounts each holds
 *   builds promote <build>          make a build current (also a rollback: promote the earlier build again)
 *   builds ramp <build> <percent>   send a share of new runs and rolling-over accounts to a build
 *   builds ramp --stop              end a ramp
 *   builds sweep                    wake idle accounts on earlier builds now
 */
import type { Client, Connection } from '@temporalio/client';
import { sweepNow } from '../deployment/schedule.js';
import { describeDeployment, promoteBuild, rampBuild, type DeploymentTarget } from '../deployment/versions.js';
import { table } from './format.js';

export const BUILDS_USAGE = `  mono-reauth builds [list] [--json]
  mono-reauth builds promote <buildId>          (a rollback is a promote of the earlier build)
  mono-reauth builds ramp <buildId> <percent>   | mono-reauth builds ramp --stop
  mono-reauth builds sweep`;

export interface BuildsContext {
  client: Client;
  connection: Connection;
  namespace: string;
  taskQueue: string;
  deploymentName: string;
  json: boolean;
  stop: boolean;
  print(line: string): void;
}

export class BuildsUsageError extends Error {}

export async function buildsCommand(args: string[], ctx: BuildsContext): Promise<number> {
  const [command = 'list', buildId, percent, ...extra] = args;
  const target: DeploymentTarget = {
    connection: ctx.connection,
    namespace: ctx.namespace,
    deploymentName: ctx.deploymentName,
  };
  if (extra.length > 0) throw new BuildsUsageError(`unknown command: builds ${args.join(' ')}`);
  switch (command) {
    case 'list':
      return listBuilds(target, ctx);
    case 'promote':
      if (!buildId || percent) throw new BuildsUsageError('builds promote needs one build id');
      await promoteBuild(target, buildId);
      await sweepNow(ctx.client, ctx.taskQueue);
      ctx.print(
        `${buildId} is the current build of ${ctx.deploymentName}: new accounts start on it, and running accounts ` +
          'move to it when they next wake; the build sweep is waking idle ones now ("builds" shows progress).'
      );
      return 0;
    case 'ramp':
      return ramp(target, ctx, buildId, percent);
    case 'sweep':
      await sweepNow(ctx.client, ctx.taskQueue);
      ctx.print('The build sweep is waking accounts on earlier builds.');
      return 0;
    default:
      throw new BuildsUsageError(`unknown command: builds ${command}`);
  }
}

async function listBuilds(target: DeploymentTarget, ctx: BuildsContext): Promise<number> {
  const deployment = await describeDeployment(target);
  if (ctx.json) {
    ctx.print(JSON.stringify(deployment, null, 2));
    return 0;
  }
  if (!deployment) {
    ctx.print(`No worker of deployment ${ctx.deploymentName} has polled yet.`);
    return 0;
  }
  ctx.print(
    table(
      ['BUILD', 'STATUS', 'ACCOUNTS', 'RAMP', 'CREATED'],
      deployment.builds.map((b) => [
        b.buildId,
        b.status,
        String(b.accounts),
        b.rampPercentage !== undefined ? `${b.rampPercentage}%` : '-',
        b.createdAt ?? '-',
      ])
    )
  );
  const drained = deployment.builds.filter((b) => b.status === 'drained').map((b) => b.buildId);
  if (drained.length > 0) ctx.print(`\nNo account runs on ${drained.join(', ')}: their workers can stop.`);
  return 0;
}

async function ramp(
  target: DeploymentTarget,
  ctx: BuildsContext,
  buildId: string | undefined,
  percent: string | undefined
): Promise<number> {
  if (ctx.stop) {
    if (buildId) throw new BuildsUsageError('builds ramp --stop takes no build id');
    await rampBuild(target, null, 0);
    ctx.print('The ramp has ended: new runs go to the current build.');
    return 0;
  }
  const share = Number(percent);
  if (!buildId || !Number.isFinite(share) || share < 0 || share > 100) {
    throw new BuildsUsageError('builds ramp needs a build id and a percentage from 0 to 100');
  }
  await rampBuild(target, buildId, share);
  ctx.print(
    `${share}% of new accounts, and of accounts rolling over, now go to ${buildId}; the rest stay on the current build.`
  );
  return 0;
}
