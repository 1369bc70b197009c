/** The Temporal client of the ingress, the admin API, readiness and the CLI. */
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { connectionOptions, type TemporalTarget } from './connection.js';

/**
 * A lazily connecting client: the HTTP server can start (and answer 503) while Temporal is down, and the
 * connection is established on first use and re-established after an outage.
 */
export function createTemporalClient(
  { target }: { target: TemporalTarget },
  dataConverter: DataConverter | undefined
): { client: Client; connection: Connection } {
  const connection = Connection.lazy(connectionOptions(target));
  const client = new Client({
    connection,
    namespace: target.namespace,
    ...(dataConverter && { dataConverter }),
    // Carries the caller's trace (the webhook's span) into the workflow: src/lib/tracing.ts.
    interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
  });
  return { client, connection };
}

/** True when the server answers a cheap RPC before the deadline. */
export async function isTemporalReachable(connection: Connection, timeoutMs: number): Promise<boolean> {
  try {
    await connection.withDeadline(Date.now() + timeoutMs, () => connection.workflowService.getSystemInfo({}));
    return true;
  } catch {
    return false;
  }
}
