/**
 * The build-sweep Schedule (sweep.ts): created, or brought up to date, by the worker role at start-up, like the
 * reconcile schedule (src/reconcile/schedule.ts). A sweep still running when the next is due is not doubled.
 */
import { ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { createOrUpdateSchedule } from '../temporal/schedules.js';
import { BUILD_SWEEP_WORKFLOW_TYPE } from '../workflows/build-sweep.js';
import type { SweepInput } from './sweep.js';

export interface SweepSettings {
  everyMs: number;
  wakePerSecond: number;
}

/** `mono-reauth-build-sweep` for the default task queue; one schedule per task queue. */
export function buildSweepScheduleId(taskQueue: string): string {
  return `${taskQueue}-build-sweep`;
}

export function ensureBuildSweepSchedule(
  client: Client,
  input: Omit<SweepInput, 'wakePerSecond'>,
  settings: SweepSettings
): Promise<'created' | 'updated'> {
  const scheduleId = buildSweepScheduleId(input.taskQueue);
  const spec = { intervals: [{ every: settings.everyMs }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: BUILD_SWEEP_WORKFLOW_TYPE,
    workflowId: `${scheduleId}-run`,
    taskQueue: input.taskQueue,
    args: [{ ...input, wakePerSecond: settings.wakePerSecond } satisfies SweepInput],
  };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: settings.everyMs, pauseOnFailure: false };
  const note = 'mono-reauth: moves idle accounts to the current worker build (docs/releasing.md)';
  return createOrUpdateSchedule(client, { scheduleId, spec, action, policies, note });
}

/** Runs the sweep now (after a promotion), beside the schedule's own interval. */
export async function sweepNow(client: Client, taskQueue: string): Promise<void> {
  await client.schedule.getHandle(buildSweepScheduleId(taskQueue)).trigger(ScheduleOverlapPolicy.ALLOW_ALL);
}
