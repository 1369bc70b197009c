/** A stack on the real time-skipping test server (time-skipping-env.ts), and skipping to a workflow's deadline. */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startStack, type Stack, type StackOptions } from './stack.js';

export { startTimeSkippingEnv } from './time-skipping-env.js';

/** A stack whose client and worker use the time-skipping environment; the simulator's clock is not skipped. */
export function startTimeSkippingStack(
  env: TestWorkflowEnvironment,
  options: Omit<StackOptions, 'address' | 'temporal'> = {}
): Promise<Stack> {
  return startStack({
    ...options,
    address: env.address,
    temporal: { client: env.client, connection: env.connection },
    sim: { enforceSyncInterval: false, ...options.sim },
  });
}

/**
 * Skips server time to `marginMs` before `iso`. The test server's clock also runs in real time while a test
 * polls, so waits are computed from the workflow's own deadline rather than summed by the test.
 */
export async function sleepUntilJustBefore(env: TestWorkflowEnvironment, iso: string, marginMs: number): Promise<void> {
  await env.sleep(Date.parse(iso) - (await env.currentTimeMs()) - marginMs);
}
