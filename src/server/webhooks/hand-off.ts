/**
 * The durable hand-off of a webhook to its account's workflow: signal-with-start of
 * `mono-account-<id>`, bounded by a deadline. It resolves only once Temporal has persisted the signal;
 * anything else rejects, and the route answers 503 so that Mono retries.
 */
import { WorkflowExecutionAlreadyStartedError, type Client, type Connection } from '@temporalio/client';
import { monoEventSignal, workflowIdFor, WORKFLOW_TYPE } from '../../workflows/account-lifecycle/messages.js';
import type {
  AccountEvent,
  AccountLifecycleInput,
  LifecycleSettings,
} from '../../workflows/account-lifecycle/types.js';

export type HandOffResult =
  | { status: 'accepted'; workflowId: string; runId: string }
  /** The account's workflow completed (it was unlinked): nothing can change it any more. */
  | { status: 'closed'; workflowId: string };

export type HandOff = (event: AccountEvent) => Promise<HandOffResult>;

export interface HandOffDeps {
  client: Client;
  connection: Connection;
  taskQueue: string;
  settings: LifecycleSettings;
  timeoutMs: number;
}

export function createHandOff({ client, connection, taskQueue, settings, timeoutMs }: HandOffDeps): HandOff {
  return async (event) => {
    const workflowId = workflowIdFor(event.accountId);
    const input: AccountLifecycleInput = { accountId: event.accountId, settings };
    try {
      const handle = await connection.withDeadline(Date.now() + timeoutMs, () =>
        client.workflow.signalWithStart(WORKFLOW_TYPE, {
          workflowId,
          taskQueue,
          args: [input],
          signal: monoEventSignal,
          signalArgs: [event, settings],
          // Display info for the Web UI and listings, set once at start (no PII: ids and event names only).
          memo: {
            service: 'mono-reauth',
            accountId: event.accountId,
            firstEvent: event.kind,
            firstSeenAt: event.receivedAt,
          },
          workflowIdConflictPolicy: 'USE_EXISTING',
          // A run that failed or was terminated may be replaced; a completed one (unlinked) stays closed.
          workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        })
      );
      return { status: 'accepted', workflowId, runId: handle.signaledRunId };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return { status: 'closed', workflowId };
      throw err;
    }
  };
}
