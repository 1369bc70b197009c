/**
 * The only place that talks to account workflows from outside them. The ingress delivers Mono's events; the
 * admin API, the CLI, the re-auth page and the metrics read and steer accounts: show (the `state` query),
 * retry and resend (updates), set the owner's contact, list and count (visibility, src/accounts/listing.ts).
 */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type Connection,
  type WorkflowHandle,
} from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
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
  WORKFLOW_TYPE,
  type AccountLifecycleInput,
  type ResendAccepted,
  type RetrySyncAccepted,
} from '../workflows/account-lifecycle/api/messages.js';
import type {
  AccountEvent,
  AccountView,
  Contact,
  PendingNoticeView,
  RedeliverAccepted,
  RedeliverRequest,
  UndeliveredNotice,
} from '../workflows/account-lifecycle/model/types.js';
import type { LifecycleSettings } from '../workflows/account-lifecycle/model/settings.js';
import { accountListing, type AccountListing } from './listing.js';
import { reauthFunnel, type ReauthFunnel } from './reauth-funnel.js';

/** An account's notices: those being delivered, and the dead letters an operator can redeliver. */
interface AccountNotices {
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

/** The workflow refused the request in the account's current state; `message` says why. */
export class RequestRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequestRefused';
  }
}

export { InvalidPageToken } from '../temporal/visibility.js';

const UNLINKED = 'the account is unlinked; its workflow has completed';

interface AccountWorkflowsDeps {
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

export interface AccountWorkflows extends AccountListing {
  /** Hands one of Mono's events to its account's workflow (the ingress answers 200 only after this resolves). */
  deliver: (event: AccountEvent) => Promise<DeliveryResult>;
  /** Registers the owner's contact, starting the account's workflow if no webhook has yet. */
  setContact: (accountId: string, contact: Contact) => Promise<void>;
  show: (accountId: string) => Promise<AccountView>;
  retry: (accountId: string, reason?: string) => Promise<RetrySyncAccepted>;
  resendReauthLink: (accountId: string, reason?: string) => Promise<ResendAccepted>;
  /** Redelivers an account's dead letters (those named, or failed since a time; all without either). */
  redeliverNotices: (accountId: string, request?: RedeliverRequest) => Promise<RedeliverAccepted>;
  notices: (accountId: string) => Promise<AccountNotices>;
  /**
   * The dead letters of every account that has any (MonoUndelivered), account by account. An account whose
   * run has closed since the listing is passed over.
   */
  undeliveredAll: (since?: string) => AsyncGenerator<AccountDeadLetter>;
  // Enrolment (docs/operating.md, "Import existing accounts") and reconciliation (docs/architecture.md).
  /** Starts the account's workflow if it has none, asking it to learn its state from Mono; idempotent. */
  enrol: (accountId: string, source?: string) => Promise<DeliveryResult>;
  /** The account checks itself with Mono now; resolves with what it found (it may wait for Mono's limits). */
  reconcile: (accountId: string, source?: string, deadlineMs?: number) => Promise<CheckAnswer>;
  /** The re-auth funnel of the prompts that began since a time, from visibility (src/accounts/reauth-funnel.ts). */
  reauthFunnel: ReauthFunnel;
}

export type DeliverEvent = AccountWorkflows['deliver'];

type WithDeadline = <T>(fn: () => Promise<T>, ms?: number) => Promise<T>;

export function createAccountWorkflows(deps: AccountWorkflowsDeps): AccountWorkflows {
  const { connection, namespace, timeoutMs = 10_000 } = deps;
  const withDeadline: WithDeadline = (fn, ms = timeoutMs) => connection.withDeadline(Date.now() + ms, fn);
  const operator = operatorCalls(deps.client, withDeadline);
  const listing = accountListing({ connection, namespace, timeoutMs }, deps.taskQueue);
  return {
    ...signalWithStartCalls(deps, withDeadline),
    ...operator,
    ...listing,
    undeliveredAll: (since) => undeliveredAll({ listAll: listing.listAll, notices: operator.notices }, since),
    reauthFunnel: reauthFunnel({ connection, namespace, timeoutMs }, deps.taskQueue),
  };
}

/** The calls that start the account's workflow if it has none: Mono's events, the owner's contact, enrolment. */
function signalWithStartCalls(
  { client, taskQueue, settings, deliverTimeoutMs = 5_000 }: AccountWorkflowsDeps,
  withDeadline: WithDeadline
): Pick<AccountWorkflows, 'deliver' | 'setContact' | 'enrol'> {
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

  return {
    deliver: (event) =>
      signalWithStart(event.accountId, monoEventSignal, [event, settings], {
        // Display info for the Web UI and listings, set once at start (no PII: ids and event names only).
        memo: {
          service: 'mono-reauth',
          accountId: event.accountId,
          firstEvent: event.kind,
          firstSeenAt: event.receivedAt,
        },
        deadlineMs: deliverTimeoutMs,
      }),

    async setContact(accountId, contact) {
      const result = await signalWithStart(accountId, setContactSignal, [contact]);
      if (result.status === 'closed') throw new RequestRefused(UNLINKED);
    },

    enrol: (accountId, source = 'import') =>
      signalWithStart(accountId, enrolSignal, [{ source }], {
        memo: { service: 'mono-reauth', accountId, firstEvent: 'enrol', firstSeenAt: new Date().toISOString() },
      }),
  };
}

/** The calls to a running account: the `state` query and the operator's updates. */
function operatorCalls(
  client: Client,
  withDeadline: WithDeadline
): Pick<AccountWorkflows, 'show' | 'notices' | 'retry' | 'resendReauthLink' | 'redeliverNotices' | 'reconcile'> {
  const update = <T>(accountId: string, call: (handle: WorkflowHandle) => Promise<T>, deadlineMs?: number) =>
    operatorUpdate(client, withDeadline, accountId, call, deadlineMs);

  /**
   * The account's `state`: a running account answers the query; an unlinked one (its run completed) is read from
   * its result, which needs no worker — its build's workers may be long gone.
   */
  async function show(accountId: string): Promise<AccountView> {
    const handle = client.workflow.getHandle<(input: AccountLifecycleInput) => Promise<AccountView>>(
      workflowIdFor(accountId)
    );
    try {
      const { status } = await withDeadline(() => handle.describe());
      if (status.name === 'COMPLETED') return await withDeadline(() => handle.result());
      return await withDeadline(() => handle.query(stateQuery));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new AccountNotFound(accountId);
      throw err;
    }
  }

  return {
    show,
    async notices(accountId) {
      const view = await show(accountId);
      return { accountId, pending: view.notices?.pending ?? [], undelivered: view.notices?.undelivered ?? [] };
    },
    retry: (accountId, reason) =>
      update(accountId, (handle) => handle.executeUpdate(retrySyncUpdate, { args: [reason ? { reason } : {}] })),
    resendReauthLink: (accountId, reason) =>
      update(accountId, (handle) => handle.executeUpdate(resendReauthLinkUpdate, { args: [reason ? { reason } : {}] })),
    redeliverNotices: (accountId, request = {}) =>
      update(accountId, (handle) => handle.executeUpdate(redeliverNoticesUpdate, { args: [request] })),
    reconcile: (accountId, source, deadlineMs = 14 * 60_000) =>
      update(
        accountId,
        (handle) => handle.executeUpdate(reconcileUpdate, { args: [source ? { source } : {}] }),
        deadlineMs
      ),
  };
}

/** Runs an operator update, turning refusals and missing or completed accounts into typed errors. */
async function operatorUpdate<T>(
  client: Client,
  withDeadline: WithDeadline,
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

async function* undeliveredAll(
  accounts: Pick<AccountWorkflows, 'listAll' | 'notices'>,
  since?: string
): AsyncGenerator<AccountDeadLetter> {
  const from = since ? Date.parse(since) : null;
  for await (const summary of accounts.listAll({ undelivered: true })) {
    let found: AccountNotices;
    try {
      found = await accounts.notices(summary.accountId);
    } catch (err) {
      if (err instanceof AccountNotFound) continue;
      throw err;
    }
    for (const letter of found.undelivered) {
      if (from === null || Date.parse(letter.failedAt) >= from) yield { accountId: summary.accountId, ...letter };
    }
  }
}
