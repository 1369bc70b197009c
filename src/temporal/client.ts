/** Temporal client construction shared by the ingress, readiness checks, CLI and tests. */
import { Client, Connection } from '@temporalio/client';

export interface TemporalClientOptions {
  address: string;
  namespace: string;
}

/**
 * A lazily connecting client: the HTTP server can start (and answer 503) while Temporal is down, and the
 * connection is established on first use and re-established after an outage.
 */
export function createTemporalClient(options: TemporalClientOptions): { client: Client; connection: Connection } {
  const connection = Connection.lazy({ address: options.address });
  const client = new Client({ connection, namespace: options.namespace });
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
