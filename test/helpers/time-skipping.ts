/** The real time-skipping test server with the project's search attributes, and a stack on top of it. */
import proto from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { startStack, type Stack, type StackOptions } from './stack.js';

export async function startTimeSkippingEnv(testServerPath: string): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServerPath } },
  });
  // The Java test server knows no custom search attributes until they are added.
  const {
    INDEXED_VALUE_TYPE_KEYWORD: KEYWORD,
    INDEXED_VALUE_TYPE_BOOL: BOOL,
    INDEXED_VALUE_TYPE_DATETIME: DATETIME,
  } = proto.temporal.api.enums.v1.IndexedValueType;
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: {
      MonoAccountState: KEYWORD,
      MonoInstitution: KEYWORD,
      MonoEscalated: BOOL,
      MonoStateSince: DATETIME,
      MonoUndelivered: BOOL,
      MonoLastHeard: DATETIME,
    },
  });
  return env;
}

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
