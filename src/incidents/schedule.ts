/**
 * The incident-check Schedule: created, or brought up to date, by the worker role at start-up, like the reconcile
 * schedule (src/reconcile/schedule.ts). A check still running when the next is due is not doubled.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { INCIDENT_CHECK_WORKFLOW_TYPE, type IncidentCheckInput } from '../workflows/incidents.js';
import type { IncidentSettings } from './detect.js';

/** `mono-reauth-incident-check` for the default task queue; one schedule per task queue. */
export function incidentCheckScheduleId(taskQueue: string): string {
  return `${taskQueue}-incident-check`;
}

export async function ensureIncidentCheckSchedule(
  client: Client,
  taskQueue: string,
  settings: IncidentSettings
): Promise<'created' | 'updated'> {
  const scheduleId = incidentCheckScheduleId(taskQueue);
  const spec = { intervals: [{ every: settings.checkEveryMs }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: INCIDENT_CHECK_WORKFLOW_TYPE,
    workflowId: `${scheduleId}-run`,
    taskQueue,
    args: [{ settings } satisfies IncidentCheckInput],
  };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: settings.checkEveryMs, pauseOnFailure: false };
  try {
    await client.schedule.create({
      scheduleId,
      spec,
      action,
      policies,
      state: { note: 'mono-reauth: opens bank-wide incidents (docs/incidents.md)' },
    });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action, policies }));
  return 'updated';
}
