/** Every activity the worker registers, built from their dependencies. */
import type { MonoClient } from './mono/client.js';
import { createMonoActivities } from './mono/activities.js';

export interface ActivityDeps {
  mono: MonoClient;
}

export function createActivities(deps: ActivityDeps) {
  return { ...createMonoActivities(deps) };
}

export type Activities = ReturnType<typeof createActivities>;
