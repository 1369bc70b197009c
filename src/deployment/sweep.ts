/**
 * Moving accounts to the current build. An account pinned to an earlier build moves when it next wakes (an event,
 * a timer, a check); an idle account may sleep for weeks, so the build sweep wakes every running account pinned
 * to a build that is neither current nor ramping with the `moveToCurrentBuild` signal, at a bounded rate. It runs
 * as the activity of a scheduled workflow (src/workflows/build-sweep.ts), every UPGRADE_SWEEP_EVERY, and right
 * away after `mono-reauth builds promote`.
 */
import { cancellationSignal, heartbeat } from '@temporalio/activity';
import type { Connection } from '@temporalio/client';
import { createPacer } from '../lib/pacer.js';
import type { Logger } from '../lib/logger.js';
import { listExecutions } from '../temporal/visibility.js';
import { moveToCurrentBuildSignal } from '../workflows/account-lifecycle/api/messages.js';
import { accountsOnOtherBuildsQuery, routingOf } from './versions.js';

export interface SweepInput {
  deploymentName: string;
  taskQueue: string;
  /** Accounts woken per second at most (each wake is a signal and a workflow task). */
  wakePerSecond: number;
}

export interface SweepResult {
  /** The current build when the sweep ran; null when the deployment has none. */
  current: string | null;
  woken: number;
  /** Accounts that completed between the listing and their signal. */
  gone: number;
}

export interface SweepActivityDeps {
  connection: Connection;
  namespace: string;
  logger: Logger;
}

export function createSweepActivities({ connection, namespace, logger }: SweepActivityDeps) {
  return {
    /** Wakes every running account of `taskQueue` pinned to a build other than the current and ramping ones. */
    async wakeAccountsOnEarlierBuilds(input: SweepInput): Promise<SweepResult> {
      const target = { connection, namespace, deploymentName: input.deploymentName };
      const { current, ramping } = await routingOf(target);
      if (!current) return { current: null, woken: 0, gone: 0 };
      const keep = [current, ...(ramping ? [ramping.buildId] : [])];
      const query = accountsOnOtherBuildsQuery(input.deploymentName, keep, input.taskQueue);
      const pacer = createPacer(input.wakePerSecond);
      let woken = 0;
      let gone = 0;
      for await (const execution of listExecutions({ connection, namespace, timeoutMs: 10_000 }, query, 500)) {
        const workflowId = execution.execution?.workflowId;
        if (!workflowId) continue;
        await pacer.wait(cancellationSignal());
        try {
          await connection.workflowService.signalWorkflowExecution({
            namespace,
            workflowExecution: { workflowId },
            signalName: moveToCurrentBuildSignal.name,
            identity: 'mono-reauth build sweep',
          });
          woken += 1;
        } catch {
          gone += 1; // completed since the listing
        }
        heartbeat({ woken, gone });
      }
      if (woken > 0) logger.info({ current, woken, gone }, 'build sweep woke accounts on earlier builds');
      return { current, woken, gone };
    },
  };
}

export type SweepActivities = ReturnType<typeof createSweepActivities>;
