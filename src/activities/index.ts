/** Every activity the worker registers, built from their dependencies. */
import type { MonoClient } from './mono/client.js';
import { createMonoActivities } from './mono/activities.js';
import { createNotifyActivities, type NotifyActivityDeps } from './notify/activities.js';
import type { Notifier } from './notify/notifier.js';

export interface ActivityDeps {
  mono: MonoClient;
  notifier: Notifier;
  /** Each delivery attempt's outcome (the notifications metric). */
  onDelivery?: NotifyActivityDeps['onDelivery'];
}

export function createActivities(deps: ActivityDeps) {
  return { ...createMonoActivities(deps), ...createNotifyActivities(deps) };
}

export type Activities = ReturnType<typeof createActivities>;
