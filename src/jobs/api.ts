/**
 * Bulk jobs (docs/operating.md, "Bulk jobs"): redelivering every account's dead letters and importing accounts
 * run as Temporal workflows, one of each kind at a time, so that the work survives the request that asked for it,
 * shows its progress and can be cancelled. This module is shared by the workflows (sandbox code: no Node imports)
 * and the clients that start and read them.
 */
import { defineQuery } from '@temporalio/workflow';

export const JOB_KINDS = ['redeliver', 'import'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const JOB_WORKFLOW_TYPES: Record<JobKind, string> = {
  redeliver: 'redeliverNoticesJob',
  import: 'importAccountsJob',
};

/** One workflow id per kind and task queue: Temporal itself refuses a second job of a kind while one runs. */
export function jobWorkflowId(taskQueue: string, kind: JobKind): string {
  return `${taskQueue}-job-${kind}`;
}

export interface JobFailure {
  accountId: string;
  error: string;
}

export interface JobProgress {
  kind: JobKind;
  dryRun: boolean;
  startedAt: string;
  /** Accounts the job expects to go through (counted when it started); null until counted. */
  planned: number | null;
  /** Accounts gone through so far. */
  done: number;
  /** What happened to them, by outcome (redeliver: requeued, refused, failed, notices; import: started, known, …). */
  counts: Record<string, number>;
  /** The first failures (at most MAX_FAILURES_KEPT), with the account they concern. */
  failures: JobFailure[];
  /** Set when the job stopped because it was cancelled. */
  cancelled: boolean;
  finishedAt: string | null;
}

export const MAX_FAILURES_KEPT = 20;

/** The running job's progress. */
export const jobProgressQuery = defineQuery<JobProgress>('progress');

export interface RedeliverJobInput {
  /** Only dead letters that failed at or after this time (ISO 8601). */
  since?: string;
  /** Requeued first attempts are spread over this window, each account at a jittered place in it. */
  spreadMs: number;
  /** Count the accounts and dead letters that would be redelivered; requeue nothing. */
  dryRun: boolean;
  /** Accounts asked at the same time. */
  concurrency: number;
  /** Pages of accounts per run before it continues as new (10 pages of 100). */
  pagesPerRun?: number;
  /** Set when the run continues as new. */
  carried?: { progress: JobProgress; pageToken: string | null; position: number };
}

export interface ImportJobInput {
  /** Mono account ids, valid and without repeats (the edge checked them). */
  accountIds: string[];
  /** Recorded with each enrolment (`admin-api`, `cli`). */
  source: string;
  /** Chunks of IMPORT_CHUNK ids per run before it continues as new (20). */
  chunksPerRun?: number;
  /** Set when the run continues as new: the ids not yet gone through are `accountIds`. */
  carried?: { progress: JobProgress };
}

/** Ids enrolled by one activity (its previews and enrolments are paced by MONO_MAX_RPS downstream). */
export const IMPORT_CHUNK = 100;

export function newProgress(kind: JobKind, dryRun: boolean, nowMs: number): JobProgress {
  return {
    kind,
    dryRun,
    startedAt: new Date(nowMs).toISOString(),
    planned: null,
    done: 0,
    counts: {},
    failures: [],
    cancelled: false,
    finishedAt: null,
  };
}

/** Adds what one account or chunk came to. */
export function addOutcome(
  progress: JobProgress,
  outcome: { done: number; counts: Record<string, number>; failures?: JobFailure[] }
): void {
  progress.done += outcome.done;
  for (const [name, n] of Object.entries(outcome.counts)) progress.counts[name] = (progress.counts[name] ?? 0) + n;
  for (const failure of outcome.failures ?? []) {
    if (progress.failures.length < MAX_FAILURES_KEPT) progress.failures.push(failure);
  }
}
