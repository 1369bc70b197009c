/**
 * Activities of the bulk jobs (src/workflows/jobs.ts), on the main task queue; they call Temporal, never Mono.
 * Each returns what it came to as counts the workflow adds to the job's progress.
 */
import { AccountNotFound, RequestRefused, type AccountWorkflows } from '../accounts/client.js';
import { planImport, runImport } from '../accounts/import.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { JobFailure } from './api.js';

export interface JobActivityDeps {
  accounts: Pick<AccountWorkflows, 'count' | 'list' | 'notices' | 'redeliverNotices' | 'knownIds' | 'enrol'>;
  metrics: Metrics;
  logger: Logger;
}

export interface JobStep {
  done: number;
  counts: Record<string, number>;
  failures?: JobFailure[];
}

/** Enrolments a chunk has in flight (each a signal-with-start; Mono's calls are paced by its own task queue). */
const ENROL_CONCURRENCY = 16;

export function createJobActivities({ accounts, metrics, logger }: JobActivityDeps) {
  return {
    async countUndeliveredAccounts(): Promise<number> {
      return accounts.count({ undelivered: true });
    },

    async findUndeliveredAccounts(page: {
      pageToken: string | null;
      pageSize: number;
    }): Promise<{ accountIds: string[]; nextPageToken: string | null }> {
      const found = await accounts.list({ undelivered: true }, page);
      return { accountIds: found.accounts.map((a) => a.accountId), nextPageToken: found.nextPageToken };
    },

    /** One account's dead letters redelivered (or, in a dry run, counted). */
    async redeliverAccountNotices(request: {
      accountId: string;
      since: string | null;
      dryRun: boolean;
    }): Promise<JobStep> {
      const { accountId, since, dryRun } = request;
      try {
        if (dryRun) {
          const { undelivered } = await accounts.notices(accountId);
          const matching = undelivered.filter((n) => since === null || Date.parse(n.failedAt) >= Date.parse(since));
          return { done: 1, counts: { accounts: matching.length > 0 ? 1 : 0, notices: matching.length } };
        }
        const accepted = await accounts.redeliverNotices(accountId, since === null ? {} : { since });
        return {
          done: 1,
          counts: { accounts: 1, requeued: accepted.requeued.length, skipped: accepted.skipped.length },
        };
      } catch (err) {
        // Unlinked since the listing, or nothing left that matches: nothing to redeliver there.
        if (!(err instanceof RequestRefused || err instanceof AccountNotFound)) throw err;
        return { done: 1, counts: { refused: 1 } };
      }
    },

    /** A chunk of account ids: those already known are left alone, the new ones enrolled. */
    async enrolAccounts(request: { accountIds: string[]; source: string }): Promise<JobStep> {
      const plan = await planImport(accounts, request.accountIds);
      const result = await runImport(accounts, plan.newIds, { concurrency: ENROL_CONCURRENCY, source: request.source });
      metrics.enrolments.inc({ outcome: 'known' }, plan.known);
      metrics.enrolments.inc({ outcome: 'started' }, result.started);
      metrics.enrolments.inc({ outcome: 'closed' }, result.closed);
      metrics.enrolments.inc({ outcome: 'failed' }, result.failed);
      if (result.failed > 0) logger.warn({ failed: result.failed }, 'some enrolments of an import failed');
      return {
        done: request.accountIds.length,
        counts: { known: plan.known, started: result.started, closed: result.closed, failed: result.failed },
        failures: result.failures,
      };
    },
  };
}

export type JobActivities = ReturnType<typeof createJobActivities>;
