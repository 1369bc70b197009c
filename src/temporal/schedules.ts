/**
 * Creates a Schedule, or brings an existing one up to date, so that any number of workers starting together
 * converge on one schedule. An update changes the spec, the action and the policies only: a schedule an operator
 * paused stays paused across deploys.
 */
import {
  ScheduleAlreadyRunning,
  type Client,
  type ScheduleOptions,
  type ScheduleOptionsAction,
  type ScheduleSpec,
} from '@temporalio/client';

export interface ScheduleDefinition {
  scheduleId: string;
  spec: ScheduleSpec;
  action: ScheduleOptionsAction;
  policies: NonNullable<ScheduleOptions['policies']>;
  /** Shown with the schedule (Web UI, `temporal schedule describe`) when it is created. */
  note: string;
}

export async function createOrUpdateSchedule(
  client: Client,
  { scheduleId, spec, action, policies, note }: ScheduleDefinition
): Promise<'created' | 'updated'> {
  try {
    await client.schedule.create({ scheduleId, spec, action, policies, state: { note } });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action, policies }));
  return 'updated';
}
