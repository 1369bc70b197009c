/**
 * Accounts from visibility: pages of summaries and counts for the admin API and the CLI, which accounts already
 * have a workflow (import), and pages of account ids for a query built elsewhere (reconcile).
 */
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes.js';
import { workflowIdFor, WORKFLOW_ID_PREFIX, WORKFLOW_TYPE } from '../workflows/account-lifecycle/api/messages.js';
import {
  MonoAccountState,
  MonoEscalated,
  MonoInstitution,
  MonoStateSince,
  MonoUndelivered,
} from '../workflows/account-lifecycle/api/search-attributes.js';
import {
  countExecutions,
  listExecutions,
  listExecutionsPage,
  type VisibilityTarget,
  type WorkflowExecutionInfo,
} from '../temporal/visibility.js';
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

const accountIdOf = (execution: WorkflowExecutionInfo): string =>
  (execution.execution?.workflowId ?? '').slice(WORKFLOW_ID_PREFIX.length);

function summaryOf(execution: WorkflowExecutionInfo): AccountSummary {
  const attrs = decodeTypedSearchAttributes(execution.searchAttributes?.indexedFields);
  const since = attrs.get(MonoStateSince);
  return {
    accountId: accountIdOf(execution),
    state: attrs.get(MonoAccountState) ?? null,
    since: since ? since.toISOString() : null,
    escalated: attrs.get(MonoEscalated) ?? false,
    institution: attrs.get(MonoInstitution) ?? null,
    undelivered: attrs.get(MonoUndelivered) ?? false,
  };
}

/** Ids a visibility query names at once in `knownIds`. */
const IDS_PER_QUERY = 100;

/** Listing and counting accounts from visibility. */
export interface AccountListing {
  list: (filter: AccountFilter, page?: { pageSize?: number; pageToken?: string | null }) => Promise<AccountPage>;
  /** Every matching account, page by page. */
  listAll: (filter: AccountFilter, pageSize?: number) => AsyncGenerator<AccountSummary>;
  count: (filter: AccountFilter) => Promise<number>;
  /** Which of `accountIds` already have a workflow (running or closed), from visibility, 100 ids a query. */
  knownIds: (accountIds: readonly string[]) => Promise<Set<string>>;
  /** Account ids of one page of a visibility query (the query is built by the caller, e.g. reconcile/query.ts). */
  listIds: (
    query: string,
    pageSize: number,
    pageToken: string | null
  ) => Promise<{ accountIds: string[]; nextPageToken: string | null }>;
}

export function accountListing(target: VisibilityTarget, taskQueue: string): AccountListing {
  return {
    async list(filter, page = {}) {
      const { executions, nextPageToken } = await listExecutionsPage(target, accountsQuery(filter, taskQueue), {
        pageSize: page.pageSize ?? 100,
        pageToken: page.pageToken,
      });
      return { accounts: executions.map(summaryOf), nextPageToken };
    },

    async *listAll(filter, pageSize = 500) {
      for await (const execution of listExecutions(target, accountsQuery(filter, taskQueue), pageSize)) {
        yield summaryOf(execution);
      }
    },

    count: (filter) => countExecutions(target, accountsQuery(filter, taskQueue)),

    async knownIds(accountIds) {
      const known = new Set<string>();
      for (let i = 0; i < accountIds.length; i += IDS_PER_QUERY) {
        const ids = accountIds.slice(i, i + IDS_PER_QUERY).map((id) => `'${workflowIdFor(id)}'`);
        const query = `WorkflowType = '${WORKFLOW_TYPE}' AND WorkflowId IN (${ids.join(', ')})`;
        for await (const execution of listExecutions(target, query, 1000)) known.add(accountIdOf(execution));
      }
      return known;
    },

    async listIds(query, pageSize, pageToken) {
      const { executions, nextPageToken } = await listExecutionsPage(target, query, { pageSize, pageToken });
      return { accountIds: executions.map(accountIdOf), nextPageToken };
    },
  };
}
