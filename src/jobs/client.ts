/**
 * Starting, reading and cancelling bulk jobs (src/jobs/api.ts) for the admin API and the CLI. A job's id is its
 * kind and run id (`redeliver-<runId>`): the workflow id is fixed per kind, so Temporal refuses a second job of a
 * kind while one runs, and each run stays addressable after it closed.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  JOB_KINDS,
  JOB_WORKFLOW_TYPES,
  jobProgressQuery,
  jobWorkflowId,
  type ImportJobInput,
  type JobKind,
  type JobProgress,
  type RedeliverJobInput,
} from './api.js';

export type JobStatus = 'running' | 'completed' | 'cancelled' | 'failed';

export interface JobView {
  id: string;
  kind: JobKind;
  status: JobStatus;
  startedAt: string;
  closedAt: string | null;
  /** Null only when a running job could not be asked (its worker is busy or down). */
  progress: JobProgress | null;
  /** Why a failed job failed. */
  error?: string;
}

/** A job of this kind is running already; `running` is it. */
export class JobAlreadyRunning extends Error {
  constructor(readonly running: JobView) {
    super(`a ${running.kind} job is running already (${running.id}): follow it, or cancel it first`);
    this.name = 'JobAlreadyRunning';
  }
}

export class JobNotFound extends Error {
  constructor(jobId: string) {
    super(`no job ${jobId} (a job id looks like redeliver-<run id> or import-<run id>)`);
    this.name = 'JobNotFound';
  }
}

export interface JobInputs {
  redeliver: RedeliverJobInput;
  import: ImportJobInput;
}

export interface Jobs {
  /** Starts a job; throws JobAlreadyRunning while one of its kind runs. */
  start: <K extends JobKind>(kind: K, input: JobInputs[K]) => Promise<JobView>;
  get: (jobId: string) => Promise<JobView>;
  /** The most recent jobs, newest first. */
  list: (limit?: number) => Promise<JobView[]>;
  /** Asks a running job to stop; what it did stays done. Answers the job as it is then. */
  cancel: (jobId: string) => Promise<JobView>;
}

const JOB_ID = new RegExp(`^(${JOB_KINDS.join('|')})-([0-9a-f-]{36})$`);

/** What a job's last run is, as visibility or describe tell it. */
interface LastRun {
  runId: string;
  /** The first run of the job's chain of runs (its continue-as-new runs follow it): the job's id. */
  firstRunId: string;
  status: string;
  startTime: Date;
  closeTime?: Date;
}

interface JobsTarget {
  client: Client;
  taskQueue: string;
}

/** The job whose last run is `run`: its progress from the query while it runs, else from its result. */
async function viewOf({ client, taskQueue }: JobsTarget, kind: JobKind, run: LastRun): Promise<JobView> {
  const handle = client.workflow.getHandle(jobWorkflowId(taskQueue, kind), run.runId);
  const base = {
    id: `${kind}-${run.firstRunId}`,
    kind,
    startedAt: run.startTime.toISOString(),
    closedAt: run.closeTime?.toISOString() ?? null,
  };
  if (run.status === 'RUNNING') {
    const progress = await handle.query(jobProgressQuery).catch(() => null);
    return { ...base, startedAt: progress?.startedAt ?? base.startedAt, status: 'running', progress };
  }
  return handle.result().then(
    (progress: JobProgress) => ({
      ...base,
      startedAt: progress.startedAt,
      status: progress.cancelled ? 'cancelled' : 'completed',
      progress,
    }),
    (err: Error) => ({
      ...base,
      status: run.status === 'CANCELED' || run.status === 'CANCELLED' ? 'cancelled' : 'failed',
      progress: null,
      error: (err.cause as Error | undefined)?.message ?? err.message,
    })
  );
}

/** The last run of the kind's newest job. */
async function newestRun({ client, taskQueue }: JobsTarget, kind: JobKind): Promise<LastRun | null> {
  try {
    const d = await client.workflow.getHandle(jobWorkflowId(taskQueue, kind)).describe();
    const firstRunId = d.raw.workflowExecutionInfo?.firstRunId || d.runId;
    return { runId: d.runId, firstRunId, status: d.status.name, startTime: d.startTime, closeTime: d.closeTime };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

async function getJob(target: JobsTarget, jobId: string): Promise<JobView> {
  const { client, taskQueue } = target;
  const match = JOB_ID.exec(jobId);
  if (!match) throw new JobNotFound(jobId);
  const [kind, firstRunId] = [match[1] as JobKind, match[2] as string];
  const newest = await newestRun(target, kind);
  if (newest?.firstRunId === firstRunId) return viewOf(target, kind, newest);
  // An earlier job of the kind: closed, since only one runs at a time; its result follows its runs.
  try {
    const handle = client.workflow.getHandle<(input: unknown) => Promise<JobProgress>>(
      jobWorkflowId(taskQueue, kind),
      firstRunId
    );
    const progress = await handle.result();
    const status = progress.cancelled ? 'cancelled' : 'completed';
    return { id: jobId, kind, status, startedAt: progress.startedAt, closedAt: progress.finishedAt, progress };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new JobNotFound(jobId);
    const error = ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
    return { id: jobId, kind, status: 'failed', startedAt: '', closedAt: null, progress: null, error };
  }
}

export function createJobs(target: JobsTarget): Jobs {
  const { client, taskQueue } = target;
  return {
    async start(kind, input) {
      try {
        await client.workflow.start(JOB_WORKFLOW_TYPES[kind], {
          workflowId: jobWorkflowId(taskQueue, kind),
          taskQueue,
          args: [input],
          workflowIdConflictPolicy: 'FAIL',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        const running = await newestRun(target, kind);
        throw new JobAlreadyRunning(await viewOf(target, kind, running as LastRun));
      }
      return viewOf(target, kind, (await newestRun(target, kind)) as LastRun);
    },
    get: (jobId) => getJob(target, jobId),
    async list(limit = 20) {
      const ids = JOB_KINDS.map((kind) => `'${jobWorkflowId(taskQueue, kind)}'`).join(', ');
      const jobs: JobView[] = [];
      for await (const execution of client.workflow.list({ query: `WorkflowId IN (${ids})` })) {
        if (execution.status.name === 'CONTINUED_AS_NEW') continue;
        const kind = JOB_KINDS.find((k) => jobWorkflowId(taskQueue, k) === execution.workflowId) as JobKind;
        // Visibility does not say which chain a run belongs to; describe does.
        const described = await client.workflow.getHandle(execution.workflowId, execution.runId).describe();
        const firstRunId = described.raw.workflowExecutionInfo?.firstRunId || execution.runId;
        jobs.push(await viewOf(target, kind, { ...execution, firstRunId, status: execution.status.name }));
        if (jobs.length >= limit) break;
      }
      // Visibility orders by close time; people read jobs by when they started.
      return jobs.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
    },
    async cancel(jobId) {
      const job = await getJob(target, jobId);
      if (job.status !== 'running') return job;
      const firstExecutionRunId = jobId.slice(job.kind.length + 1);
      await client.workflow.getHandle(jobWorkflowId(taskQueue, job.kind), undefined, { firstExecutionRunId }).cancel();
      return job;
    },
  };
}
