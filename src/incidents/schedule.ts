/**
 * The incident-check Schedule: created, or brought up to date, by the worker role at start-up, like the reconcile
 * schedule (src/reconcile/schedule.ts). A check still running when the next is due is not doubled.
 */
import { ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { createOrUpdateSchedule } from '../temporal/schedules.js';
import { INCIDENT_CHECK_WORKFLOW_TYPE } from '../workflows/incidents.js';
import type { IncidentSettings } from './detect.js';
import type { IncidentCheckInput } from './types.js';

/** `mono-reauth-incident-check` for the default task queue; one schedule per task queue. */
export function incidentCheckScheduleId(taskQueue: string): string {
  return `${taskQueue}-incident-check`;
}

export function ensureIncidentCheckSchedule(
  client: Client,
  taskQueue: string,
  settings: IncidentSettings
): Promise<'created' | 'updated'> {
  const scheduleId = incidentCheckScheduleId(taskQueue);
  return createOrUpdateSchedule(client, {
    scheduleId,
    spec: { intervals: [{ every: settings.checkEveryMs }] },
    action: {
      type: 'startWorkflow',
      workflowType: INCIDENT_CHECK_WORKFLOW_TYPE,
      workflowId: `${scheduleId}-run`,
      taskQueue,
      args: [{ settings } satisfies IncidentCheckInput],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: settings.checkEveryMs, pauseOnFailure: false },
    note: 'mono-reauth: opens bank-wide incidents (docs/incidents.md)',
  });
}
