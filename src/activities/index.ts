/**
 * The activities of the accounts' task queue, built from their dependencies. Mono's activities run on the Mono
 * task queue instead (src/activities/mono/activities.ts, served by its own worker at MONO_MAX_RPS).
 */
import { createNotifyActivities, type NotifyActivityDeps } from './notify/activities.js';
import type { Notifier } from './notify/notifier.js';

export interface ActivityDeps {
  notifier: Notifier;
  /** Each delivery attempt's outcome (the notifications metric). */
  onDelivery?: NotifyActivityDeps['onDelivery'];
}

export function createActivities(deps: ActivityDeps) {
  return createNotifyActivities(deps);
}

export type Activities = ReturnType<typeof createActivities>;
