/**
 * What operators do to accounts, over Temporal: list (visibility, paginated), count, show (the `state`
 * query), retry (`retrySync`) and resend (`resendReauthLink`). Shared by the admin API and the CLI.
 */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type Connection,
  type WorkflowHandle,
} from '@temporalio/client';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes.js';
import {
  resendReauthLinkUpdate,
  retrySyncUpdate,
  setContactSignal,
  stateQuery,
  workflowIdFor,
  WORKFLOW_TYPE,
} from '../workflows/account-lifecycle/messages.js';
import {
  MonoAccountState,
  MonoEscalated,
  MonoInstitution,
  MonoStateSince,
} from '../workflows/account-lifecycle/search-attributes.js';
import type {
  AccountLifecycleInput,
  AccountView,
  Contact,
  LifecycleSettings,
  ResendAccepted,
  RetrySyncAccepted,
} from '../workflows/account-lifecycle/types.js';
import { accountsQuery, type AccountFilter } from './query.js';

export interface AccountSummary {
  accountId: string;
  state: string | null;
  since: string | null;
  escalated: boolean;
  institution: string | null;
}

export interface AccountPage {
  accounts: AccountSummary[];
  /** Pass back to get the next page; null on the last page. */
  nextPageToken: string | null;
}

/** No workflow exists for the account. */
export class AccountNotFound extends Error {
  constructor(readonly accountId: string) {
    super(`no account ${accountId}: no workflow mono-account-${accountId} exists`);
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

const PREFIX = 'mono-account-';

export interface AccountsDeps {
  client: Client;
  connection: Connection;
  namespace: string;
  /** Where a contact registered before the account's first webhook starts its workflow. */
  taskQueue?: string;
  settings?: LifecycleSettings;
  /** Deadline of each Temporal call. */
  timeoutMs?: number;
}

export function createAccounts({
  client,
  connection,
  namespace,
  taskQueue,
  settings,
  timeoutMs = 10_000,
}: AccountsDeps) {
  const withDeadline = <T>(fn: () => Promise<T>): Promise<T> => connection.withDeadline(Date.now() + timeoutMs, fn);

  async function list(
    filter: AccountFilter,
    page: { pageSize?: number; pageToken?: string | null } = {}
  ): Promise<AccountPage> {
    const res = await withDeadline(() =>
      connection.workflowService.listWorkflowExecutions({
        namespace,
        query: accountsQuery(filter),
        pageSize: page.pageSize ?? 100,
        nextPageToken: page.pageToken ? Buffer.from(page.pageToken, 'base64url') : undefined,
      })
    );
    const accounts = (res.executions ?? []).map((raw): AccountSummary => {
      const attrs = decodeTypedSearchAttributes(raw.searchAttributes?.indexedFields);
      const since = attrs.get(MonoStateSince);
      return {
        accountId: (raw.execution?.workflowId ?? '').slice(PREFIX.length),
        state: attrs.get(MonoAccountState) ?? null,
        since: since ? since.toISOString() : null,
        escalated: attrs.get(MonoEscalated) ?? false,
        institution: attrs.get(MonoInstitution) ?? null,
      };
    });
    const token =
      res.nextPageToken && res.nextPageToken.length > 0 ? Buffer.from(res.nextPageToken).toString('base64url') : null;
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

  async function show(accountId: string): Promise<AccountView> {
    try {
      return await withDeadline(() => client.workflow.getHandle(workflowIdFor(accountId)).query(stateQuery));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new AccountNotFound(accountId);
      throw err;
    }
  }

  async function retry(accountId: string, reason?: string): Promise<RetrySyncAccepted> {
    return operatorUpdate(accountId, (handle) =>
      handle.executeUpdate(retrySyncUpdate, { args: [reason ? { reason } : {}] })
    );
  }

  async function resendReauthLink(accountId: string, reason?: string): Promise<ResendAccepted> {
    return operatorUpdate(accountId, (handle) =>
      handle.executeUpdate(resendReauthLinkUpdate, { args: [reason ? { reason } : {}] })
    );
  }

  /** Runs an operator update, turning refusals and missing or completed accounts into typed errors. */
  async function operatorUpdate<T>(accountId: string, call: (handle: WorkflowHandle) => Promise<T>): Promise<T> {
    const handle = client.workflow.getHandle(workflowIdFor(accountId));
    try {
      return await withDeadline(() => call(handle));
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw new RequestRefused(err.cause?.message ?? err.message);
      if (err instanceof WorkflowNotFoundError) {
        // Updates cannot reach a completed run: say why, or that there is no such account.
        const status = await withDeadline(() => handle.describe()).then(
          (d) => d.status.name,
          () => null
        );
        if (status === 'COMPLETED') throw new RequestRefused('the account is unlinked; its workflow has completed');
        throw new AccountNotFound(accountId);
      }
      throw err;
    }
  }

  /** Registers the owner's contact, starting the account's workflow if no webhook has yet. */
  async function setContact(accountId: string, contact: Contact): Promise<void> {
    if (!taskQueue || !settings) throw new Error('setContact needs the task queue and lifecycle settings');
    const input: AccountLifecycleInput = { accountId, settings };
    try {
      await withDeadline(() =>
        client.workflow.signalWithStart(WORKFLOW_TYPE, {
          workflowId: workflowIdFor(accountId),
          taskQueue,
          args: [input],
          signal: setContactSignal,
          signalArgs: [contact],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        })
      );
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError)
        throw new RequestRefused('the account is unlinked; its workflow has completed');
      throw err;
    }
  }

  return { list, listAll, count, show, retry, resendReauthLink, setContact };
}

export type Accounts = ReturnType<typeof createAccounts>;
