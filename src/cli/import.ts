/**
 * `mono-reauth accounts import [file] [--column C] [--dry-run] [--yes] [--json]`: reads Mono account ids (one a
 * line, or a CSV column) from the file or stdin, previews how many are new and how many already known, asks for
 * confirmation (unless --yes), enrols the new ones as import jobs (src/jobs/; 10,000 ids a job) while showing
 * their progress, and prints the outcome. Running it again skips every id already enrolled, so an interrupted import resumes.
 */
import { readFile } from 'node:fs/promises';
import type { AccountWorkflows } from '../accounts/client.js';
import { MAX_IDS_PER_REQUEST, parseAccountIds, planImport } from '../accounts/import.js';
import type { JobFailure } from '../jobs/api.js';
import { JobAlreadyRunning, type Jobs, type JobView } from '../jobs/client.js';
import { followJob } from './jobs.js';

export interface ImportOptions {
  file: string | undefined;
  column?: string;
  dryRun: boolean;
  yes: boolean;
  json: boolean;
  confirm: (question: string) => Promise<boolean>;
  print: (text: string) => void;
  /** Progress lines (stderr). */
  progress: (text: string) => void;
}

/** A problem with the input or the command line (exit code 2). */
export class ImportUsageError extends Error {}

async function readInput(file: string | undefined): Promise<string> {
  if (file && file !== '-') {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      throw new ImportUsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  if (process.stdin.isTTY) throw new ImportUsageError('import needs a file of account ids, or ids on stdin');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function importAccounts(
  accounts: Pick<AccountWorkflows, 'knownIds'>,
  jobs: Jobs,
  o: ImportOptions
): Promise<number> {
  const fromStdin = !o.file || o.file === '-';
  let parsed;
  try {
    parsed = parseAccountIds(await readInput(o.file), o.column);
  } catch (err) {
    if (err instanceof ImportUsageError) throw err;
    throw new ImportUsageError((err as Error).message);
  }
  const plan = await planImport(accounts, parsed.ids);
  const preview = {
    total: plan.total,
    new: plan.newIds.length,
    known: plan.known,
    invalid: parsed.invalid.length,
    repeated: parsed.repeated,
  };
  const invalidLines = parsed.invalid.slice(0, 100);
  if (!o.json) {
    o.print(
      `${plan.total} account id${plan.total === 1 ? '' : 's'}: ${preview.new} new, ${preview.known} already known` +
        (preview.invalid ? `, ${preview.invalid} invalid line${preview.invalid === 1 ? '' : 's'} skipped` : '') +
        (preview.repeated ? `, ${preview.repeated} repeated` : '')
    );
    for (const { line, reason } of invalidLines) o.print(`  line ${line}: ${reason}`);
  }
  if (o.dryRun || preview.new === 0) {
    if (o.json) o.print(JSON.stringify({ dryRun: o.dryRun, ...preview, started: 0, failed: 0, invalidLines }, null, 2));
    else o.print(preview.new === 0 ? 'Nothing to enrol.' : 'Dry run: nothing was enrolled.');
    return 0;
  }
  if (!o.yes) {
    if (fromStdin) throw new ImportUsageError('the ids came from stdin, so there is no one to confirm: add --yes');
    const question = `Enrol ${preview.new} account${preview.new === 1 ? '' : 's'}? Each asks Mono for its state, paced by MONO_MAX_RPS. [y/N] `;
    if (!(await o.confirm(question))) {
      o.progress('Aborted; nothing was enrolled.');
      return 1;
    }
  }
  const startedAt = Date.now();
  const result = await enrolAsJobs(jobs, plan.newIds, o);
  const seconds = (Date.now() - startedAt) / 1000;
  const ratePerSecond = Math.round(((result.started + result.closed) / Math.max(seconds, 0.001)) * 10) / 10;
  if (o.json) {
    o.print(
      JSON.stringify(
        {
          dryRun: false,
          ...preview,
          started: result.started,
          closed: result.closed,
          failed: result.failed,
          seconds,
          ratePerSecond,
          jobs: result.jobs,
          invalidLines,
          failures: result.failures.slice(0, 100),
        },
        null,
        2
      )
    );
  } else {
    o.print(
      `${result.started} enrolled, ${result.closed} already closed (unlinked), ${result.failed} failed in ${seconds.toFixed(1)}s ` +
        `(${ratePerSecond}/s). Each account now asks Mono for its state; see them with: mono-reauth accounts list`
    );
    for (const f of result.failures.slice(0, 20)) o.print(`  ${f.accountId}: ${f.error}`);
    if (result.failed > 0) o.print('Run the same command again to retry the failed ones (enrolled ids are skipped).');
  }
  return result.failed > 0 ? 1 : 0;
}

/** Enrols `ids` as import jobs of at most MAX_IDS_PER_REQUEST ids, one after another, following each. */
async function enrolAsJobs(jobs: Jobs, ids: string[], o: ImportOptions) {
  const result = { started: 0, closed: 0, failed: 0, failures: [] as JobFailure[], jobs: [] as string[] };
  // One job takes at most MAX_IDS_PER_REQUEST ids (its input stays small); a longer list runs as jobs in turn.
  for (let offset = 0; offset < ids.length; offset += MAX_IDS_PER_REQUEST) {
    const accountIds = ids.slice(offset, offset + MAX_IDS_PER_REQUEST);
    const job = await startImportJob(jobs, accountIds);
    result.jobs.push(job.id);
    const finished = await followJob(jobs, job, { json: o.json, print: o.print, progress: o.progress });
    const counts = finished.progress?.counts ?? {};
    result.started += counts.started ?? 0;
    result.closed += counts.closed ?? 0;
    result.failed +=
      (counts.failed ?? 0) + (finished.status === 'completed' ? 0 : accountIds.length - (finished.progress?.done ?? 0));
    result.failures.push(...(finished.progress?.failures ?? []));
    if (finished.status !== 'completed') {
      o.progress(
        `The import job ${job.id} ${finished.status}${finished.error ? `: ${finished.error}` : ''}; run the same command again to go on.`
      );
      break;
    }
  }
  return result;
}

async function startImportJob(jobs: Jobs, accountIds: string[]): Promise<JobView> {
  try {
    return await jobs.start('import', { accountIds, source: 'cli' });
  } catch (err) {
    if (!(err instanceof JobAlreadyRunning)) throw err;
    throw new ImportUsageError(`${err.message}; follow it with: mono-reauth jobs show ${err.running.id}`);
  }
}
