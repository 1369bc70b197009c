/**
 * Incidents as the admin API and the CLI show them: the task queue's `institutionIncident` workflows, newest first,
 * each with what it knows (its `incident` query while open, its result once closed), and how many are open.
 */
import type { Client } from '@temporalio/client';
import { MonoInstitution } from '../workflows/account-lifecycle/api/search-attributes.js';
import { INCIDENT_WORKFLOW_TYPE, incidentQuery, type IncidentProgress } from '../workflows/incidents.js';

/** An incident as listed: its workflow, and its progress when it could be read. */
export type IncidentView = Partial<Omit<IncidentProgress, 'status'>> & {
  workflowId: string;
  institution: string;
  /** open, closing, closed; or the workflow's status when it ended otherwise (failed, terminated…). */
  status: string;
  startedAt: string;
};

export interface Incidents {
  /** The most recent incidents (open ones first), at most `limit`. */
  list(limit?: number): Promise<IncidentView[]>;
  /** Incidents open now (visibility count). */
  openCount(): Promise<number>;
}

const TASK_QUEUE = /^[A-Za-z0-9._:-]{1,200}$/;

export function createIncidents({ client, taskQueue }: { client: Client; taskQueue: string }): Incidents {
  if (!TASK_QUEUE.test(taskQueue)) throw new Error(`task queue ${JSON.stringify(taskQueue)} cannot be queried`);
  const base = `WorkflowType = '${INCIDENT_WORKFLOW_TYPE}' AND TaskQueue = '${taskQueue}'`;
  return {
    async list(limit = 20) {
      const found: IncidentView[] = [];
      for await (const wf of client.workflow.list({ query: base, pageSize: limit })) {
        const handle = client.workflow.getHandle(wf.workflowId, wf.runId);
        const listed = {
          workflowId: wf.workflowId,
          institution: wf.typedSearchAttributes.get(MonoInstitution) ?? '',
          status: wf.status.name.toLowerCase(),
          startedAt: wf.startTime.toISOString(),
        };
        const progress = await progressOf(handle, wf.status.name).catch(() => null);
        found.push({ ...listed, ...progress });
        if (found.length >= limit) break;
      }
      const rank = (v: IncidentView): number => (v.status === 'closed' ? 1 : 0);
      return found.sort((a, b) => rank(a) - rank(b) || b.startedAt.localeCompare(a.startedAt));
    },
    openCount: async () => (await client.workflow.count(`${base} AND ExecutionStatus = 'Running'`)).count,
  };
}

type Handle = ReturnType<Client['workflow']['getHandle']>;

async function progressOf(handle: Handle, status: string): Promise<IncidentProgress | null> {
  if (status === 'RUNNING') return handle.query(incidentQuery);
  if (status === 'COMPLETED') return (await handle.result()) as IncidentProgress;
  return null;
}
