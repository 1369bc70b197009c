/**
 * Bank-wide incidents. `checkIncidents`, started by the incident Schedule (src/incidents/schedule.ts) every
 * INCIDENT_CHECK_EVERY, counts failing accounts per institution in visibility and starts an `institutionIncident`
 * for each institution over the threshold (src/incidents/detect.ts). The incident, one workflow per institution,
 * tells operators once when it opens and once when it closes (with counts), holds the institution's accounts
 * (their re-auth notices and escalations wait, their syncs follow its shared schedule: model/incident-hold.ts),
 * recounts every check, and when the bank has recovered releases the accounts spread over time. Sandbox code.
 */
import {
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  log,
  makeContinueAsNewFunc,
  proxyActivities,
  setHandler,
  setWorkflowOptions,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { IncidentActivities } from '../incidents/activities.js';
import { closeDecision, type IncidentSettings, type InstitutionCounts } from '../incidents/detect.js';
import type {
  CloseReason,
  IncidentCheckInput,
  IncidentCheckResult,
  IncidentProgress,
  InstitutionIncidentInput,
  ReleaseTotals,
} from '../incidents/types.js';
import { MonoIncident, MonoInstitution } from './account-lifecycle/api/search-attributes.js';

export const INCIDENT_CHECK_WORKFLOW_TYPE = 'checkIncidents';
export const INCIDENT_WORKFLOW_TYPE = 'institutionIncident';

export type { IncidentCheckInput, IncidentProgress, InstitutionIncidentInput } from '../incidents/types.js';

export const incidentQuery = defineQuery<IncidentProgress>('incident');

/**
 * Operator: close the incident now (`temporal workflow signal --name close`): its accounts are released as on
 * recovery, and operators get the closing notice.
 */
export const closeIncidentSignal = defineSignal('close');

const { detectIncidents } = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', maximumAttempts: 3 },
});
const { countInstitution, holdInstitutionAccounts, notifyIncident } = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute' },
});
const { releaseInstitutionAccounts } = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '10 seconds', maximumInterval: '1 minute' },
});

export async function checkIncidents(input: IncidentCheckInput): Promise<IncidentCheckResult> {
  const result = await detectIncidents({ taskQueue: workflowInfo().taskQueue, settings: input.settings });
  if (result.opened.length > 0) log.info('incidents opened', { institutions: result.opened });
  return result;
}

/** Events per run before an incident continues as new (a check is about a dozen). */
const EVENTS_PER_RUN = 1_000;

export async function institutionIncident(input: InstitutionIncidentInput): Promise<IncidentProgress> {
  const { institution, settings } = input;
  const taskQueue = workflowInfo().taskQueue;
  const progress: IncidentProgress = input.progress ?? opened(institution, input.opening);
  let closeRequested = false;
  setHandler(incidentQuery, () => ({ ...progress }));
  setHandler(closeIncidentSignal, () => void (closeRequested = true));
  upsertSearchAttributes([
    { key: MonoIncident, value: institution },
    { key: MonoInstitution, value: institution },
  ]);
  if (!input.progress) await notifyIncident('incident.opened', progress);
  for (;;) {
    progress.held += await holdInstitutionAccounts({
      taskQueue,
      institution,
      openedAtMs: Date.parse(progress.openedAt),
      syncBackoffMs: settings.syncBackoffMs,
      expiresAtMs: Date.parse(progress.openedAt) + settings.maxOpenMs,
    });
    const counts = await countInstitution(taskQueue, institution);
    const recovered = recount(progress, counts, settings);
    const decision = closeRequested ? 'operator' : recovered;
    if (decision) return close(progress, decision, settings);
    const info = workflowInfo();
    if (info.historyLength >= EVENTS_PER_RUN || info.continueAsNewSuggested) {
      return continueAsNew<typeof institutionIncident>({ ...input, progress });
    }
    if (info.targetWorkerDeploymentVersionChanged) {
      return makeContinueAsNewFunc<typeof institutionIncident>({ initialVersioningBehavior: 'AUTO_UPGRADE' })({
        ...input,
        progress,
      });
    }
    await condition(() => closeRequested, settings.checkEveryMs);
  }
}

function opened(institution: string, opening: InstitutionCounts): IncidentProgress {
  return {
    institution,
    status: 'open',
    openedAt: new Date().toISOString(),
    closedAt: null,
    closeReason: null,
    accounts: opening.accounts,
    failing: opening.failing,
    peakFailing: opening.failing,
    held: 0,
    belowSince: null,
    heldNotices: null,
    releasedNotices: null,
  };
}

/** Records a count; returns why to close, or null to stay open. */
function recount(
  progress: IncidentProgress,
  counts: InstitutionCounts,
  settings: IncidentSettings
): CloseReason | null {
  progress.accounts = counts.accounts;
  progress.failing = counts.failing;
  progress.peakFailing = Math.max(progress.peakFailing, counts.failing);
  const state = {
    openedAtMs: Date.parse(progress.openedAt),
    belowSinceMs: progress.belowSince ? Date.parse(progress.belowSince) : null,
  };
  const decision = closeDecision(counts, state, settings, Date.now());
  if (decision.kind === 'close') return decision.reason;
  progress.belowSince = decision.belowSinceMs === null ? null : new Date(decision.belowSinceMs).toISOString();
  return null;
}

async function close(
  progress: IncidentProgress,
  reason: CloseReason,
  settings: IncidentSettings
): Promise<IncidentProgress> {
  progress.status = 'closing';
  progress.closeReason = reason;
  const totals: ReleaseTotals = await releaseInstitutionAccounts({
    taskQueue: workflowInfo().taskQueue,
    institution: progress.institution,
    spreadMs: settings.releaseSpreadMs,
  });
  progress.heldNotices = totals.held;
  progress.releasedNotices = totals.stillTrue;
  progress.status = 'closed';
  progress.closedAt = new Date().toISOString();
  await notifyIncident('incident.closed', progress);
  upsertSearchAttributes([{ key: MonoIncident, value: null }]);
  log.info('incident closed', { institution: progress.institution, reason, ...totals });
  return progress;
}

// A check holds nothing between runs: it follows the deployment's current build.
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, checkIncidents);
// An incident lives for hours: each run stays on its build and moves on by continue-as-new.
setWorkflowOptions({ versioningBehavior: 'PINNED' }, institutionIncident);
