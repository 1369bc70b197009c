/**
 * The bulk jobs' workflows (src/jobs/api.ts): `redeliverNoticesJob` pages through the accounts that have dead
 * letters and asks each to redeliver them, spreading the accounts over a window with jitter so that a receiver
 * that just recovered is not hit by every requeued first attempt at once; `importAccountsJob` enrols account ids
 * a chunk at a time. Both answer the `progress` query, stop cleanly when cancelled (what was done stays done) and
 * continue-as-new so their histories stay small however many accounts there are. Deterministic: the jitter comes
 * from the workflow's seeded Math.random, time from the SDK's clock.
 */
import {
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  setWorkflowOptions,
  sleep,
} from '@temporalio/workflow';
import type { JobActivities } from '../jobs/activities.js';
import {
  addOutcome,
  IMPORT_CHUNK,
  jobProgressQuery,
  newProgress,
  type ImportJobInput,
  type JobProgress,
  type RedeliverJobInput,
} from '../jobs/api.js';

const PAGE_SIZE = 100;
const PAGES_PER_RUN = 10;
const CHUNKS_PER_RUN = 20;

const { countUndeliveredAccounts, findUndeliveredAccounts } = proxyActivities<JobActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumAttempts: 5 },
});
// One account's redelivery waits for the account's `redeliverNotices` update.
const { redeliverAccountNotices } = proxyActivities<JobActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumAttempts: 3 },
});
// A chunk of enrolments: a visibility query and up to IMPORT_CHUNK signal-with-starts; enrolment is idempotent.
const { enrolAccounts } = proxyActivities<JobActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', maximumAttempts: 5 },
});

const message = (err: unknown): string =>
  err instanceof Error ? ((err.cause as Error)?.message ?? err.message) : String(err);

export async function redeliverNoticesJob(input: RedeliverJobInput): Promise<JobProgress> {
  const progress = input.carried?.progress ?? newProgress('redeliver', input.dryRun, Date.now());
  setHandler(jobProgressQuery, () => progress);
  let pageToken = input.carried?.pageToken ?? null;
  let position = input.carried?.position ?? 0;
  let inFlight = 0;
  const redeliver = (accountId: string): void => {
    inFlight += 1;
    redeliverAccountNotices({ accountId, since: input.since ?? null, dryRun: input.dryRun })
      .then(
        (outcome) => addOutcome(progress, outcome),
        (err) => {
          if (!isCancellation(err)) {
            addOutcome(progress, { done: 1, counts: { failed: 1 }, failures: [{ accountId, error: message(err) }] });
          }
        }
      )
      .finally(() => (inFlight -= 1));
  };
  try {
    progress.planned ??= await countUndeliveredAccounts();
    const gapMs = progress.planned > 0 ? input.spreadMs / progress.planned : 0;
    const startMs = Date.parse(progress.startedAt);
    for (let pages = 0; ; pages++) {
      if (pages === (input.pagesPerRun ?? PAGES_PER_RUN)) {
        await condition(() => inFlight === 0);
        return await continueAsNew<typeof redeliverNoticesJob>({
          ...input,
          carried: { progress, pageToken, position },
        });
      }
      const page = await findUndeliveredAccounts({ pageToken, pageSize: PAGE_SIZE });
      for (const accountId of page.accountIds) {
        const dueMs = startMs + (position + Math.random()) * gapMs;
        position += 1;
        if (dueMs > Date.now()) await sleep(dueMs - Date.now());
        await condition(() => inFlight < input.concurrency);
        redeliver(accountId);
      }
      pageToken = page.nextPageToken;
      if (!pageToken) break;
    }
    await condition(() => inFlight === 0);
  } catch (err) {
    if (!isCancellation(err)) throw err;
    progress.cancelled = true;
  }
  return finished(progress);
}

export async function importAccountsJob(input: ImportJobInput): Promise<JobProgress> {
  const progress = input.carried?.progress ?? {
    ...newProgress('import', false, Date.now()),
    planned: input.accountIds.length,
  };
  setHandler(jobProgressQuery, () => progress);
  let offset = 0;
  try {
    for (let chunks = 0; offset < input.accountIds.length; chunks++) {
      if (chunks === (input.chunksPerRun ?? CHUNKS_PER_RUN)) {
        const rest = input.accountIds.slice(offset);
        return await continueAsNew<typeof importAccountsJob>({ ...input, accountIds: rest, carried: { progress } });
      }
      const chunk = input.accountIds.slice(offset, offset + IMPORT_CHUNK);
      addOutcome(progress, await enrolAccounts({ accountIds: chunk, source: input.source }));
      offset += chunk.length;
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    progress.cancelled = true;
  }
  return finished(progress);
}

function finished(progress: JobProgress): JobProgress {
  progress.finishedAt = new Date(Date.now()).toISOString();
  log.info('job finished', { kind: progress.kind, done: progress.done, cancelled: progress.cancelled });
  return progress;
}

// A job holds no account's state: it follows the deployment's current build.
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, redeliverNoticesJob);
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, importAccountsJob);
