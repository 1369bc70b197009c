/**
 * Paging through Temporal visibility (ListWorkflowExecutions) with one page-token format for every caller: the
 * admin API's and the CLI's account listings, the import's look-up of known accounts and the reconcile workflow's
 * candidates (which carries the token in its own input, so a token is a plain, URL-safe string).
 */
import { createHash } from 'node:crypto';
import type { Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

export type WorkflowExecutionInfo = temporal.api.workflow.v1.IWorkflowExecutionInfo;

/** A page token that this service did not issue (garbled, truncated, or from another listing). */
export class InvalidPageToken extends Error {
  constructor() {
    super('pageToken is not one this service issued (garbled or truncated); list again from the first page');
    this.name = 'InvalidPageToken';
  }
}

/**
 * Page tokens carry Temporal's cursor behind a short checksum, in base64url. Temporal answers a garbled cursor with
 * UNKNOWN, which the client retries until its deadline; the checksum turns that into an immediate, clear refusal.
 */
const CHECKSUM_BYTES = 6;
const checksum = (cursor: Uint8Array): Buffer =>
  createHash('sha256').update('mono-reauth page\n').update(cursor).digest().subarray(0, CHECKSUM_BYTES);

export function encodePageToken(cursor: Uint8Array): string {
  return Buffer.concat([checksum(cursor), cursor]).toString('base64url');
}

/** Temporal's cursor from a token of `encodePageToken`; throws InvalidPageToken for any other string. */
export function decodePageToken(token: string): Buffer {
  const raw = Buffer.from(token, 'base64url');
  const cursor = raw.subarray(CHECKSUM_BYTES);
  if (raw.length <= CHECKSUM_BYTES || !raw.subarray(0, CHECKSUM_BYTES).equals(checksum(cursor))) {
    throw new InvalidPageToken();
  }
  return cursor;
}

/** Where visibility is asked, and the deadline of each call. */
export interface VisibilityTarget {
  connection: Connection;
  namespace: string;
  timeoutMs: number;
}

interface ExecutionsPage {
  executions: WorkflowExecutionInfo[];
  /** Pass back to get the next page; null on the last page. */
  nextPageToken: string | null;
}

/** One page of the executions matching `query`; without a page token, the first. */
export async function listExecutionsPage(
  { connection, namespace, timeoutMs }: VisibilityTarget,
  query: string,
  page: { pageSize: number; pageToken?: string | null }
): Promise<ExecutionsPage> {
  const nextPageToken = page.pageToken ? decodePageToken(page.pageToken) : undefined;
  const res = await connection.withDeadline(Date.now() + timeoutMs, () =>
    connection.workflowService.listWorkflowExecutions({ namespace, query, pageSize: page.pageSize, nextPageToken })
  );
  return {
    executions: res.executions ?? [],
    nextPageToken: res.nextPageToken && res.nextPageToken.length > 0 ? encodePageToken(res.nextPageToken) : null,
  };
}

/** Every execution matching `query`, page by page. */
export async function* listExecutions(
  target: VisibilityTarget,
  query: string,
  pageSize: number
): AsyncGenerator<WorkflowExecutionInfo> {
  let pageToken: string | null = null;
  do {
    const page = await listExecutionsPage(target, query, { pageSize, pageToken });
    yield* page.executions;
    pageToken = page.nextPageToken;
  } while (pageToken);
}

/** How many executions match `query`. */
export async function countExecutions(
  { connection, namespace, timeoutMs }: VisibilityTarget,
  query: string
): Promise<number> {
  const res = await connection.withDeadline(Date.now() + timeoutMs, () =>
    connection.workflowService.countWorkflowExecutions({ namespace, query })
  );
  return Number(res.count ?? 0);
}
