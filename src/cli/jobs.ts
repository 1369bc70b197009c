/**
 * Bulk jobs from the CLI (src/jobs/): `mono-reauth jobs [list] | show <jobId> | cancel <jobId>` [--json], and
 * following a job just started (import, redeliver everything) with a progress line until it finishes. Ctrl-C
 * stops following, not the job; the message says how to follow or cancel it later.
 */
import { JobNotFound, type Jobs, type JobView } from '../jobs/client.js';
import { table } from './format.js';

export const JOBS_USAGE = `  mono-reauth jobs [list] [--json]
  mono-reauth jobs show <jobId> [--json]
  mono-reauth jobs cancel <jobId> [--json]`;

export class JobsUsageError extends Error {}

interface Output {
  json: boolean;
  print: (text: string) => void;
  /** Progress lines (stderr). */
  progress: (text: string) => void;
}

/** `accounts 120/400 (30%): requeued 118, refused 2` */
export function describeProgress(job: JobView): string {
  const p = job.progress;
  if (!p) return job.error ? `failed: ${job.error}` : 'no progress known yet';
  const of = p.planned === null ? `${p.done}` : `${p.done}/${p.planned}`;
  const percent = p.planned ? ` (${Math.floor((100 * p.done) / p.planned)}%)` : '';
  const counts = Object.entries(p.counts)
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
  return `${p.dryRun ? 'dry run, ' : ''}accounts ${of}${percent}${counts ? `: ${counts}` : ''}`;
}

/** Polls the job every second, printing its progress when it changes, until it is no longer running. */
export async function followJob(jobs: Jobs, started: JobView, out: Output, pollMs = 1_000): Promise<JobView> {
  const stopFollowing = (): never => {
    out.progress(
      `\nStopped following; the job keeps running. Follow it: mono-reauth jobs show ${started.id}; stop it: mono-reauth jobs cancel ${started.id}`
    );
    process.exit(130);
  };
  process.once('SIGINT', stopFollowing);
  try {
    let job = started;
    let last = '';
    for (;;) {
      const line = `[${job.id}] ${job.status}, ${describeProgress(job)}`;
      if (!out.json && line !== last) out.progress(line);
      last = line;
      if (job.status !== 'running') return job;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      job = await jobs.get(job.id);
    }
  } finally {
    process.off('SIGINT', stopFollowing);
  }
}

export async function jobsCommand(args: string[], jobs: Jobs, out: Output): Promise<number> {
  const [command = 'list', jobId, ...extra] = args;
  if (extra.length > 0 || (command === 'list' && jobId !== undefined)) {
    throw new JobsUsageError(`unknown command: jobs ${args.join(' ')}`);
  }
  if (command === 'list') {
    const list = await jobs.list();
    if (out.json) return (out.print(JSON.stringify({ jobs: list }, null, 2)), 0);
    out.print(
      table(
        ['JOB', 'STATUS', 'STARTED', 'PROGRESS'],
        list.map((j) => [j.id, j.status, j.startedAt, describeProgress(j)])
      )
    );
    return 0;
  }
  if (command !== 'show' && command !== 'cancel') throw new JobsUsageError(`unknown command: jobs ${command}`);
  if (!jobId) throw new JobsUsageError(`jobs ${command} needs a job id (see: mono-reauth jobs list)`);
  try {
    const job = command === 'show' ? await jobs.get(jobId) : await jobs.cancel(jobId);
    if (out.json) out.print(JSON.stringify(job, null, 2));
    else if (command === 'cancel') {
      out.print(
        job.status === 'running'
          ? `cancel requested: ${job.id} stops after what it is doing now (${describeProgress(job)})`
          : `${job.id} has already finished (${job.status})`
      );
    } else printJob(job, out.print);
    return command === 'cancel' && job.status !== 'running' ? 1 : 0;
  } catch (err) {
    if (err instanceof JobNotFound) throw new JobsUsageError(err.message);
    throw err;
  }
}

function printJob(job: JobView, print: (text: string) => void): void {
  print(`Job       ${job.id}`);
  print(`Status    ${job.status}`);
  print(`Started   ${job.startedAt}${job.closedAt ? `, closed ${job.closedAt}` : ''}`);
  print(`Progress  ${describeProgress(job)}`);
  for (const f of job.progress?.failures ?? []) print(`  ${f.accountId}: ${f.error}`);
}
