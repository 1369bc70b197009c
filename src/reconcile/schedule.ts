/**
 * The reconcile Schedule (docs/architecture.md, "Reconciliation"): created, or brought up to date, by the worker
 * role at start-up, so any number of workers starting together converge on one schedule. An update keeps the
 * schedule's state: a schedule an operator paused (Web UI, `temporal schedule toggle --pause`, `mono-reauth
 * reconcile pause`) stays paused across deploys.
 */
import {
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptions,
  type ScheduleOptionsAction,
  type ScheduleSpec,
} from '@temporalio/client';
import { createOrUpdateSchedule } from '../temporal/schedules.js';
import { RECONCILE_WORKFLOW_TYPE, type ReconcileInput } from '../workflows/reconcile.js';

export interface ReconcileSettings {
  everyMs: number;
  stuckAfterMs: number;
  silentAfterMs: number;
  concurrency: number;
}

/** `mono-reauth-reconcile` for the default task queue; one schedule per task queue (per deployment). */
export function reconcileScheduleId(taskQueue: string): string {
  return `${taskQueue}-reconcile`;
}

export function reconcileInput(settings: ReconcileSettings): ReconcileInput {
  return {
    stuckAfterMs: settings.stuckAfterMs,
    silentAfterMs: settings.silentAfterMs,
    concurrency: settings.concurrency,
  };
}

/** Creates the schedule or updates its interval, action and policies; returns which. */
export function ensureReconcileSchedule(
  client: Client,
  taskQueue: string,
  settings: ReconcileSettings
): Promise<'created' | 'updated'> {
  const scheduleId = reconcileScheduleId(taskQueue);
  const spec: ScheduleSpec = { intervals: [{ every: settings.everyMs }] };
  const action: ScheduleOptionsAction = {
    type: 'startWorkflow',
    workflowType: RECONCILE_WORKFLOW_TYPE,
    workflowId: `${scheduleId}-run`,
    taskQueue,
    args: [reconcileInput(settings)],
  };
  // A run still going when the next is due is not doubled; a run missed while Temporal was down is made up
  // once if Temporal is back within one interval.
  const policies: NonNullable<ScheduleOptions['policies']> = {
    overlap: ScheduleOverlapPolicy.SKIP,
    catchupWindow: settings.everyMs,
    pauseOnFailure: false,
  };
  const note = 'mono-reauth: reconciles accounts with Mono’s API (README, "Reconciliation")';
  return createOrUpdateSchedule(client, { scheduleId, spec, action, policies, note });
}
