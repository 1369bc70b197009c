/**
 * The re-auth funnel report (GET /reports/reauth-funnel, `mono-reauth funnel`), read from visibility alone: the
 * accounts re-authorised since the window began and those waiting in reauth_required, in pages of 1000, with no
 * query to any workflow. The arithmetic is in funnel-summary.ts.
 */
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes.js';
import { WORKFLOW_ID_PREFIX } from '../workflows/account-lifecycle/api/messages.js';
import {
  MonoAccountState,
  MonoInstitution,
  MonoReauthChannels,
  MonoReauthorisedAt,
  MonoReauthSeconds,
  MonoStateSince,
} from '../workflows/account-lifecycle/api/search-attributes.js';
import {
  countExecutions,
  listExecutions,
  type VisibilityTarget,
  type WorkflowExecutionInfo,
} from '../temporal/visibility.js';
import { summariseFunnel, type FunnelAccount, type FunnelReport } from './funnel-summary.js';
import { accountsQuery } from './query.js';

const PAGE_SIZE = 1000;

function funnelAccountOf(execution: WorkflowExecutionInfo): FunnelAccount {
  const attrs = decodeTypedSearchAttributes(execution.searchAttributes?.indexedFields);
  const seconds = attrs.get(MonoReauthSeconds);
  return {
    accountId: (execution.execution?.workflowId ?? '').slice(WORKFLOW_ID_PREFIX.length),
    state: attrs.get(MonoAccountState) ?? null,
    sinceMs: attrs.get(MonoStateSince)?.getTime() ?? null,
    institution: attrs.get(MonoInstitution) ?? null,
    reauthorisedAtMs: attrs.get(MonoReauthorisedAt)?.getTime() ?? null,
    reauthSeconds: seconds === undefined ? null : Number(seconds),
    channels: attrs.get(MonoReauthChannels) ?? null,
  };
}

export type ReauthFunnel = (sinceMs: number, nowMs?: number) => Promise<FunnelReport>;

export function reauthFunnel(target: VisibilityTarget, taskQueue: string): ReauthFunnel {
  return async (sinceMs, nowMs = Date.now()) => {
    const base = accountsQuery({}, taskQueue);
    const since = new Date(sinceMs).toISOString();
    const waiting = `${base} AND MonoAccountState = 'reauth_required'`;
    // The accounts that began waiting in the window, and the other accounts re-authorised in it (one whose prompt
    // began before the window is left out by the summary). An account waiting again after a re-authorisation in
    // the window began its new wait in the window too, so it is in the first list.
    const queries = [
      `${waiting} AND MonoStateSince >= '${since}'`,
      `${base} AND MonoReauthorisedAt >= '${since}' AND MonoAccountState != 'reauth_required'`,
    ];
    const accounts: FunnelAccount[] = [];
    for (const query of queries) {
      for await (const execution of listExecutions(target, query, PAGE_SIZE)) accounts.push(funnelAccountOf(execution));
    }
    const waitingPromptedBefore = await countExecutions(target, `${waiting} AND MonoStateSince < '${since}'`);
    return { ...summariseFunnel(accounts, sinceMs, nowMs), waitingPromptedBefore };
  };
}
