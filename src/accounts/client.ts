/**
 * The only place that talks to account workflows from outside them. The ingress delivers Mono's events; the
 * admin API, the CLI, the re-auth page and the metrics read and steer accounts: show (the `state` query),
 * retry and resend (updates), set the owner's contact, list and count (visibility).
 */
import { createHash } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type Connection,
  type WorkflowHandle,
} from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes.js';
import {
  enrolSignal,
  reconcileUpdate,
  type CheckAnswer,
  monoEventSignal,
  redeliverNoticesUpdate,
  resendReauthLinkUpdate,
  retrySyncUpdate,
  setContactSignal,
  stateQuery,
  workflowIdFor,
  WORKFLOW_ID_PREFIX,
  WORKFLOW_TYPE,
} from '../workflows/account-lifecycle/messages.js';
import {
  MonoAccountState,
  MonoEscalated,
  MonoInstitution,
  MonoStateSince,
  MonoUndelivered,
} from '../workflows/account-lifecycle/search-attributes.js';
import type {
  AccountEvent,
  AccountLifecycleInput,
  AccountView,
  Contact,
  LifecycleSettings,
  PendingNoticeView,
  RedeliverAccepted,
  RedeliverRequest,
  ResendAccepted,
  RetrySyncAccepted,
  UndeliveredNotice,
} from '../workflows/account-lifecycle/types.js';
import { accountsQuery, type AccountFilter } from './query.js';

export interface AccountSummary {
  accountId: string;
  state: string | null;
  since: string | null;
  escalated: boolean;
  institution: string | null;
  /** Has notices that gave up on a channel. */
  undelivered: boolean;
}

export interface AccountPage {
  accounts: AccountSummary[];
  /** Pass back to get the next page; null on the last page. */
  nextPageToken: string | null;
}

/** An account's notices: those being delivered, and the dead letters an operator can redeliver. */
export interface AccountNotices {
  accountId: string;
  pending: PendingNoticeView[];
  undelivered: UndeliveredNotice[];
}

/** A dead letter, with the account it belongs to. */
export type AccountDeadLetter = UndeliveredNotice & { accountId: string };

export type DeliveryResult =
  | { status: 'accepted'; workflowId: string; runId: string }
  /** The account's workflow completed (it was unlinked): nothing can change it any more. */
  | { status: 'closed'; workflowId: string };

/** No workflow exists for the account. */
export class AccountNotFound extends Error {
  constructor(readonly accountId: string) {
    super(`no account ${accountId}: no workflow ${workflowIdFor(accountId)} exists`);
    this.name = 'AccountNotFound';
  }
}

/** A page token that this service did not issue (garbled, truncated, or from another listing). */
export class InvalidPageToken extends Error {
  constructor() {
    super('pageToken is not one this service issued (garbled or truncated); list again from the first page');
    this.name = 'InvalidPageToken';
  }
}

/**
 * Page tokens carry Temporal's cursor behind a short checksum. Temporal answers a garbled cursor with UNKNOWN,
 * which the client retries until its deadline; the checksum turns that into an immediate, clear refusal.
 */
const CHECKSUM_BYTES = 6;
const checksum = (cursor: Uint8Array): Buffer =>
  createHash('sha256').update('mono-reauth page\n').update(cursor).digest().subarray(0, CHECKSUM_BYTES);
function encodePageToken(cursor: Uint8Array): string {
  return Buffer.concat([checksum(cursor), cursor]).toString('base64url');
}
function decodePageToken(token: string): Buffer {
  const raw = Buffer.from(token, 'base64url');
  const cursor = raw.subarray(CHECKSUM_BYTES);
  if (raw.length <= CHECKSUM_BYTES || !raw.subarray(0, CHECKSUM_BYTES).equals(checksum(cursor))) {
    throw new InvalidPageToken();
  }
  return cursor;
}

/** The workflow refused the request in the account's current state; `message` says why. */
export class RequestRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequestRefused';
  }
}

const UNLINKED = 'the account is unlinked; its workflow has completed';

export interface AccountWorkflowsDeps {
  client: Client;
  connection: Connection;
  namespace: string;
  /** Where an account's workflow starts when its first event (or contact) arrives. */
  taskQueue: string;
  /** The service's lifecycle settings, sent with every event so that running accounts adopt changes. */
  settings: LifecycleSettings;
  /** Deadline of a delivery: past it the ingress answers 503 and Mono retries. */
  deliverTimeoutMs?: number;
  /** Deadline of every other call. */
  timeoutMs?: number;
}

export function createAccountWorkflows({
  client,
  connection,
  namespace,
  taskQueue,
  settings,
  deliverTimeoutMs = 5_000,
  timeoutMs = 10_000,
}: AccountWorkflowsDeps) {
  const withDeadline = <T>(fn: () => Promise<T>, ms = timeoutMs): Promise<T> =>
    connection.withDeadline(Date.now() + ms, fn);

  /**
   * Signal-with-start of the account's workflow. Resolves once Temporal has persisted the signal; a completed
   * (unlinked) account is never started again: that answers 'closed'.
   */
  async function signalWithStart<Args extends unknown[]>(
    accountId: string,
    signal: SignalDefinition<Args>,
    signalArgs: Args,
    options: { memo?: Record<string, unknown>; deadlineMs?: number } = {}
  ): Promise<DeliveryResult> {
    const workflowId = workflowIdFor(accountId);
    const input: AccountLifecycleInput = { accountId, settings };
    try {
      const handle = await withDeadline(
        () =>
          client.workflow.signalWithStart<(input: AccountLifecycleInput) => Promise<AccountView>, unknown[]>(
            WORKFLOW_TYPE,
            {
              workflowId,
              taskQueue,
              args: [input],
              signal: signal.name,
              signalArgs,
              ...(options.memo ? { memo: options.memo } : {}),
              workflowIdConflictPolicy: 'USE_EXISTING',
              // A run that failed or was terminated may be replaced; a completed one (unlinked) stays closed.
              workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
            }
          ),
        options.deadlineMs
      );
      return { status: 'accepted', workflowId, runId: handle.signaledRunId };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return { status: 'closed', workflowId };
      throw err;
    }
  }

  /** Hands one of Mono's events to its account's workflow (the ingress answers 200 only after this resolves). */
  function deliver(event: AccountEvent): Promise<DeliveryResult> {
    return signalWithStart(event.accountId, monoEventSignal, [event, settings], {
      // Display info for the Web UI and listings, set once at start (no PII: ids and event names only).
      memo: {
        service: 'mono-reauth',
        accountId: event.accountId,
        firstEvent: event.kind,
        firstSeenAt: event.receivedAt,
      },
      deadlineMs: deliverTimeoutMs,
    });
  }

  /** Registers the owner's contact, starting the account's workflow if no webhook has yet. */
  async function setContact(accountId: string, contact: Contact): Promise<void> {
    const result = await signalWithStart(accountId, setContactSignal, [contact]);
    if (result.status === 'closed') throw new RequestRefused(UNLINKED);
  }

  async function show(accountId: string): Promise<AccountView> {
    try {
      return await withDeadline(() => client.workflow.getHandle(workflowIdFor(accountId)).query(stateQuery));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new AccountNotFound(accountId);
      throw err;
    }
  }

  function retry(accountId: string, reason?: string): Promise<RetrySyncAccepted> {
    return operatorUpdate(accountId, (handle) =>
      handle.executeUpdate(retrySyncUpdate, { args: [reason ? { reason } : {}] })
    );
  }

  function resendReauthLink(accountId: string, reason?: string): Promise<ResendAccepted> {
    return operatorUpdate(accountId, (handle) =>
      handle.executeUpdate(resendReauthLinkUpdate, { args: [reason ? { reason } : {}] })
    );
  }

  /** Runs an operator update, turning refusals and missing or completed accounts into typed errors. */
  async function operatorUpdate<T>(
    accountId: string,
    call: (handle: WorkflowHandle) => Promise<T>,
    deadlineMs?: number
  ): Promise<T> {
    const handle = client.workflow.getHandle(workflowIdFor(accountId));
    try {
      return await withDeadline(() => call(handle), deadlineMs);
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw new RequestRefused(err.cause?.message ?? err.message);
      if (err instanceof WorkflowNotFoundError) {
        // Updates cannot reach a completed run: say why, or that there is no such account.
        const status = await withDeadline(() => handle.describe()).then(
          (d) => d.status.name,
          () => null
        );
        if (status === 'COMPLETED') throw new RequestRefused(UNLINKED);
        throw new AccountNotFound(accountId);
      }
      throw err;
    }
  }

  /** Redelivers an account's dead letters (those named, or failed since a time; all without either). */
  function redeliverNotices(accountId: string, request: RedeliverRequest = {}): Promise<RedeliverAccepted> {
    return operatorUpdate(accountId, (handle) => handle.executeUpdate(redeliverNoticesUpdate, { args: [request] }));
  }

  async function notices(accountId: string): Promise<AccountNotices> {
    const view = await show(accountId);
    return { accountId, pending: view.notices?.pending ?? [], undelivered: view.notices?.undelivered ?? [] };
  }

  /**
   * The dead letters of every account that has any (MonoUndelivered), account by account. An account whose
   * run has closed since the listing is passed over.
   */
  async function* undeliveredAll(since?: string): AsyncGenerator<AccountDeadLetter> {
    const from = since ? Date.parse(since) : null;
    for await (const summary of listAll({ undelivered: true })) {
      let found: AccountNotices;
      try {
        found = await notices(summary.accountId);
      } catch (err) {
        if (err instanceof AccountNotFound) continue;
        throw err;
      }
      for (const letter of found.undelivered) {
        if (from === null || Date.parse(letter.failedAt) >= from) yield { accountId: summary.accountId, ...letter };
      }
    }
  }

  async function list(
    filter: AccountFilter,
    page: { pageSize?: number; pageToken?: string | null } = {}
  ): Promise<AccountPage> {
    const nextPageToken = page.pageToken ? decodePageToken(page.pageToken) : undefined;
    const res = await withDeadline(() =>
      connection.workflowService.listWorkflowExecutions({
        namespace,
        query: accountsQuery(filter),
        pageSize: page.pageSize ?? 100,
        nextPageToken,
      })
    );
    const accounts = (res.executions ?? []).map((raw): AccountSummary => {
      const attrs = decodeTypedSearchAttributes(raw.searchAttributes?.indexedFields);
      const since = attrs.get(MonoStateSince);
      return {
        accountId: (raw.execution?.workflowId ?? '').slice(WORKFLOW_ID_PREFIX.length),
        state: attrs.get(MonoAccountState) ?? null,
        since: since ? since.toISOString() : null,
        escalated: attrs.get(MonoEscalated) ?? false,
        institution: attrs.get(MonoInstitution) ?? null,
        undelivered: attrs.get(MonoUndelivered) ?? false,
      };
    });
    const token = res.nextPageToken && res.nextPageToken.length > 0 ? encodePageToken(res.nextPageToken) : null;
    return { accounts, nextPageToken: token };
  }

  /** Every matching account, page by page. */
  async function* listAll(filter: AccountFilter, pageSize = 500): AsyncGenerator<AccountSummary> {
    let pageToken: string | null = null;
    do {
      const page = await list(filter, { pageSize, pageToken });
      yield* page.accounts;
      pageToken = page.nextPageToken;
    } while (pageToken);
  }

  async function count(filter: AccountFilter): Promise<number> {
    const res = await withDeadline(() =>
      connection.workflowService.countWorkflowExecutions({ namespace, query: accountsQuery(filter) })
    );
    return Number(res.count ?? 0);
  }

  // --- enrolment and reconciliation (README, "Reconciliation", "Importing existing accounts") ---

  /** Starts the account's workflow if it has none, asking it to learn its state from Mono; idempotent. */
  function enrol(accountId: string, source = 'import'): Promise<DeliveryResult> {
    return signalWithStart(accountId, enrolSignal, [{ source }], {
      memo: { service: 'mono-reauth', accountId, firstEvent: 'enrol', firstSeenAt: new Date().toISOString() },
    });
  }

  /** Which of `accountIds` already have a workflow (running or closed), from visibility, 100 ids a query. */
  async function knownIds(accountIds: readonly string[]): Promise<Set<string>> {
    const known = new Set<string>();
    for (let i = 0; i < accountIds.length; i += 100) {
      const ids = accountIds.slice(i, i + 100).map((id) => `'${workflowIdFor(id)}'`);
      const query = `WorkflowType = '${WORKFLOW_TYPE}' AND WorkflowId IN (${ids.join(', ')})`;
      let nextPageToken: Uint8Array | undefined;
      do {
        const res = await withDeadline(() =>
          connection.workflowService.listWorkflowExecutions({ namespace, query, pageSize: 1000, nextPageToken })
        );
        for (const e of res.executions ?? [])
          known.add((e.execution?.workflowId ?? '').slice(WORKFLOW_ID_PREFIX.length));
        nextPageToken = res.nextPageToken && res.nextPageToken.length > 0 ? res.nextPageToken : undefined;
      } while (nextPageToken);
    }
    return known;
  }

  /** The account checks itself with Mono now; resolves with what it found (it may wait for Mono's limits). */
  async function reconcile(accountId: string, source?: string, deadlineMs = 14 * 60_000): Promise<CheckAnswer> {
    return operatorUpdate(
      accountId,
      (handle) => handle.executeUpdate(reconcileUpdate, { args: [source ? { source } : {}] }),
      deadlineMs
    );
  }

  /** Account ids of one page of a visibility query (the query is built by the caller, e.g. reconcile/query.ts). */
  async function listIds(
    query: string,
    pageSize: number,
    pageToken: string | null
  ): Promise<{ accountIds: string[]; nextPageToken: string | null }> {
    const res = await withDeadline(() =>
      connection.workflowService.listWorkflowExecutions({
        namespace,
        query,
        pageSize,
        nextPageToken: pageToken ? Buffer.from(pageToken, 'base64') : undefined,
      })
    );
    return {
      accountIds: (res.executions ?? []).map((e) => (e.execution?.workflowId ?? '').slice(WORKFLOW_ID_PREFIX.length)),
      nextPageToken:
        res.nextPageToken && res.nextPageToken.length > 0 ? Buffer.from(res.nextPageToken).toString('base64') : null,
    };
  }

  return {
    deliver,
    setContact,
    show,
    retry,
    resendReauthLink,
    redeliverNotices,
    notices,
    undeliveredAll,
    list,
    listAll,
    count,
    enrol,
    knownIds,
    reconcile,
    listIds,
  };
}

export type AccountWorkflows = ReturnType<typeof createAccountWorkflows>;
export type DeliverEvent = AccountWorkflows['deliver'];
