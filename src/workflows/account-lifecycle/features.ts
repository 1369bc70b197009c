/**
 * Which patches a run has. A run started on this release records one marker, `RELEASE_PATCH`, that stands for
 * every earlier patch and for what this release adds, instead of one marker and one TemporalChangeVersion
 * search attribute upsert per patch: ten fewer history events and five fewer visibility writes for every new
 * run, and a shorter history to replay whenever the worker has evicted the account. Runs recorded before it
 * ask for each patch as they always did. Sandbox code.
 */
import { patched } from '@temporalio/workflow';

/**
 * Marks runs started on the 2026-12 release: every earlier patch applies, and the log channel of a notice is
 * delivered by the local activity that plans it (no activity task and no second workflow task per notice).
 */
export const RELEASE_PATCH = 'release-2026-12-v1';

export class Features {
  /** Asks for the release marker: call once, first thing in the run, so that every replay asks at the same point. */
  static ofThisRun(): Features {
    return new Features(patched(RELEASE_PATCH));
  }

  constructor(readonly release: boolean) {}

  /** Whether the run has `patch`: always on runs of this release, otherwise the patch's own marker decides. */
  has(patch: string): boolean {
    return this.release || patched(patch);
  }
}
