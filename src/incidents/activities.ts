/**
 * Activities of the incident workflows (src/workflows/incidents.ts), on the main task queue: they ask Temporal's
 * visibility for counts, start incidents, signal and update the institution's accounts, and tell operators. They
 * never call Mono. Visibility is eventually consistent: an account indexed a few seconds late is caught by the next
 * check, and holding an account twice changes nothing.
 */
import { heartbeat } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Notifier } from '../activities/notify/notifier.js';
import { forEachConcurrently } from '../lib/concurrently.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import {
  holdForIncidentSignal,
  releaseFromIncidentUpdate,
  WORKFLOW_ID_PREFIX,
} from '../workflows/account-lifecycle/api/messages.js';
import { MonoInstitution } from '../workflows/account-lifecycle/api/search-attributes.js';
import type { HoldRequest, ReleaseAnswer } from '../workflows/account-lifecycle/model/incident-hold.js';
import type { Notice } from '../workflows/account-lifecycle/model/types.js';
import type {
  IncidentCheckResult,
  IncidentProgress,
  InstitutionIncidentInput,
  ReleaseRequestAll,
  ReleaseTotals,
} from './types.js';
import {
  incidentWorkflowId,
  institutionQuery,
  institutionsToCount,
  isQueryableInstitution,
  opensIncident,
  recentlyFailingQuery,
  releaseTimes,
  unheldQuery,
  type IncidentSettings,
  type InstitutionCounts,
} from './detect.js';

export interface IncidentActivityDeps {
  client: Client;
  notifier: Notifier;
  metrics: Metrics;
  logger: Logger;
}

/** Accounts signalled or updated at the same time. */
const CONCURRENCY = 20;
const PAGE_SIZE = 1_000;

export function createIncidentActivities(deps: IncidentActivityDeps) {
  const { client, logger } = deps;
  const count = (query: string): Promise<number> => client.workflow.count(query).then((r) => r.count);
  const countInstitution = async (taskQueue: string, institution: string): Promise<InstitutionCounts> => ({
    institution,
    accounts: await count(institutionQuery(taskQueue, institution)),
    failing: await count(institutionQuery(taskQueue, institution, true)),
  });
  return {
    countInstitution,

    /** Counts failing accounts per institution and starts an incident wherever the thresholds are crossed. */
    async detectIncidents(request: { taskQueue: string; settings: IncidentSettings }): Promise<IncidentCheckResult> {
      const { taskQueue, settings } = request;
      const failingSeen = new Map<string, number>();
      const query = recentlyFailingQuery(taskQueue, Date.now() - settings.windowMs);
      for await (const wf of client.workflow.list({ query, pageSize: PAGE_SIZE })) {
        const institution = wf.typedSearchAttributes.get(MonoInstitution);
        if (institution && isQueryableInstitution(institution)) {
          failingSeen.set(institution, (failingSeen.get(institution) ?? 0) + 1);
        }
      }
      const result: IncidentCheckResult = { counted: [], opened: [] };
      for (const institution of institutionsToCount(failingSeen, settings)) {
        const accounts = await count(institutionQuery(taskQueue, institution));
        const counts = { institution, accounts, failing: failingSeen.get(institution)! };
        result.counted.push(counts);
        if (opensIncident(counts, settings) && (await startIncident(client, taskQueue, counts, settings))) {
          deps.metrics.incidents.inc({ event: 'opened' });
          logger.warn({ ...counts }, 'bank-wide incident opened');
          result.opened.push(institution);
        }
      }
      return result;
    },

    /** Holds the institution's accounts that are not held yet; returns how many were asked. */
    async holdInstitutionAccounts(request: HoldRequest & { taskQueue: string }): Promise<number> {
      const { taskQueue, ...hold } = request;
      const ids: string[] = [];
      const query = unheldQuery(taskQueue, hold.institution);
      for await (const wf of client.workflow.list({ query, pageSize: PAGE_SIZE })) ids.push(wf.workflowId);
      await forEachConcurrently(ids, CONCURRENCY, async (workflowId) => {
        await client.workflow.getHandle(workflowId).signal(holdForIncidentSignal, hold);
      });
      return ids.length;
    },

    /** Releases the institution's accounts, each at its time within the spread; counts what they held. */
    releaseInstitutionAccounts: (request: ReleaseRequestAll): Promise<ReleaseTotals> => releaseAll(deps, request),

    /** Tells operators that an incident opened or closed, with its counts; the notice id is stable across retries. */
    async notifyIncident(type: 'incident.opened' | 'incident.closed', progress: IncidentProgress): Promise<void> {
      const notice = incidentNotice(type, progress);
      for (const channel of deps.notifier.plan(notice, false).channels) {
        await deps.notifier.deliverOn(channel, notice, null);
      }
      if (type === 'incident.closed') deps.metrics.incidents.inc({ event: 'closed' });
    },
  };
}

export type IncidentActivities = ReturnType<typeof createIncidentActivities>;

/** Releases every running account at the institution (an account not held answers with zeros). */
async function releaseAll(deps: IncidentActivityDeps, request: ReleaseRequestAll): Promise<ReleaseTotals> {
  const { client, logger } = deps;
  const { taskQueue, institution, spreadMs } = request;
  const ids: string[] = [];
  const query = institutionQuery(taskQueue, institution);
  for await (const wf of client.workflow.list({ query, pageSize: PAGE_SIZE })) ids.push(wf.workflowId);
  const times = releaseTimes(ids.length, Date.now(), spreadMs, Math.random);
  const totals: ReleaseTotals = { accounts: ids.length, held: 0, stillTrue: 0, failed: 0 };
  await forEachConcurrently(ids.keys(), CONCURRENCY, async (i) => {
    const workflowId = ids[i]!;
    try {
      const answer: ReleaseAnswer = await client.workflow
        .getHandle(workflowId)
        .executeUpdate(releaseFromIncidentUpdate, { args: [{ institution, releaseAtMs: times[i]! }] });
      totals.held += answer.held;
      totals.stillTrue += answer.stillTrue;
    } catch (err) {
      // Closed since the listing, or unreachable: a hold ends by itself when it expires.
      totals.failed += 1;
      logger.warn({ accountId: workflowId.slice(WORKFLOW_ID_PREFIX.length), err: String(err) }, 'release failed');
    }
    heartbeat(i);
  });
  deps.metrics.incidentHeldNotices.inc({ outcome: 'released' }, totals.stillTrue);
  deps.metrics.incidentHeldNotices.inc({ outcome: 'dropped' }, totals.held - totals.stillTrue);
  return totals;
}

/** Starts the institution's incident; false when one is already open. */
async function startIncident(
  client: Client,
  taskQueue: string,
  opening: InstitutionCounts,
  settings: IncidentSettings
): Promise<boolean> {
  const input: InstitutionIncidentInput = { institution: opening.institution, settings, opening };
  try {
    await client.workflow.start('institutionIncident', {
      workflowId: incidentWorkflowId(taskQueue, opening.institution),
      taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
    return true;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
    throw err;
  }
}

/** An operator notice about the whole institution: it names no account. */
function incidentNotice(type: 'incident.opened' | 'incident.closed', p: IncidentProgress): Notice {
  const at = type === 'incident.opened' ? p.openedAt : (p.closedAt ?? p.openedAt);
  const id = `incident_${Date.parse(p.openedAt)}_${p.institution.replace(/[^A-Za-z0-9]+/g, '-')}_${type.slice(9)}`;
  const incident = {
    institution: p.institution,
    accounts: p.accounts,
    failing: p.failing,
    peakFailing: p.peakFailing,
    held: p.held,
    ...(type === 'incident.closed' && {
      closeReason: p.closeReason,
      heldNotices: p.heldNotices,
      releasedNotices: p.releasedNotices,
    }),
  };
  // No account: `accountId` stays out of the message body (undefined is not serialised).
  const data = { accountId: undefined as unknown as string, incident };
  return { id, type, audience: 'operators', at, data };
}
