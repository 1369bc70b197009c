/**
 * Counts the promises created inside workflow contexts, and the frames of the stack the SDK records for each.
 * The SDK's worker installs a promise hook that builds an Error stack (and looks each frame up in the bundle's
 * source map) for every promise workflow code creates, so its cost grows with both. Works where workflows run on
 * this thread (a worker in debug mode, as the memory scenario runs one). A workflow's promises belong to its
 * sandbox's realm, not this one: that is how they are told apart.
 */
import { promiseHooks } from 'node:v8';

const FRAME_SAMPLE = 10;

export interface PromiseCount {
  promises: number;
  /** Mean frames per stack as the SDK sees them (Error.stackTraceLimit caps them). */
  meanFrames: number;
}

export function countWorkflowPromises(): { take(): PromiseCount; stop(): void } {
  let promises = 0;
  let sampled = 0;
  let frames = 0;
  const stop = promiseHooks.onInit((promise) => {
    const ctor = (promise as { constructor: unknown }).constructor;
    if (ctor === Promise) return;
    promises += 1;
    // One stack in ten: building one costs what the SDK's own hook spends, and would double it.
    if (promises % FRAME_SAMPLE !== 0) return;
    sampled += 1;
    const SandboxError = (ctor as { constructor: (code: string) => () => ErrorConstructor }).constructor(
      'return globalThis.Error'
    )();
    const stack = new SandboxError().stack ?? '';
    frames += stack.split('\n').length - 1;
  });
  return {
    take() {
      const count = { promises, meanFrames: sampled ? Math.round((frames / sampled) * 10) / 10 : 0 };
      promises = 0;
      sampled = 0;
      frames = 0;
      return count;
    },
    stop: () => {
      (stop as () => void)();
    },
  };
}
