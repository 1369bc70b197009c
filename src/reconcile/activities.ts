/**
 * Activities of the reconcile workflow (main task queue; they call Temporal, never Mono): a page of accounts
 * that need a look, and one account's check — the `reconcile` update, which the account answers once it has
 * asked Mono. Corrections are logged and counted here (`mono_reauth_reconcile_corrections_total{from,to}`).
 */
import { AccountNotFound, RequestRefused, type AccountWorkflows } from '../accounts/client.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import { candidatesQuery, type CandidateCriteria } from './query.js';

export interface ReconcileActivityDeps {
  accounts: Pick<AccountWorkflows, 'reconcile' | 'listIds'>;
  metrics: Metrics;
  logger: Logger;
}

export type ReconcileOutcome = 'corrected' | 'confirmed' | 'deferred' | 'failed' | 'skipped';

export function createReconcileActivities({ accounts, metrics, logger }: ReconcileActivityDeps) {
  return {
    /** One page of accounts that need a look (visibility). */
    async findReconcileCandidates(
      request: CandidateCriteria & { pageSize: number; pageToken: string | null }
    ): Promise<{ accountIds: string[]; nextPageToken: string | null }> {
      return accounts.listIds(candidatesQuery(request), request.pageSize, request.pageToken);
    },

    /** Asks one account to check itself with Mono and reports what changed. */
    async reconcileAccount(accountId: string, source: string): Promise<ReconcileOutcome> {
      let outcome: ReconcileOutcome;
      try {
        const answer = await accounts.reconcile(accountId, source);
        outcome = answer.outcome === 'pending' ? 'deferred' : answer.outcome;
        if (answer.outcome === 'corrected') {
          metrics.reconcileCorrections.inc({ from: answer.from ?? 'none', to: answer.to ?? 'none' });
          logger.info(
            { accountId, from: answer.from, to: answer.to, observed: answer.observed },
            'reconcile corrected an account'
          );
        } else if (answer.outcome === 'failed') {
          logger.warn({ accountId, detail: answer.detail }, 'reconcile could not check an account with Mono');
        }
      } catch (err) {
        // Unlinked or gone since the listing: nothing to reconcile.
        if (!(err instanceof RequestRefused || err instanceof AccountNotFound)) throw err;
        outcome = 'skipped';
      }
      metrics.reconcileChecks.inc({ outcome });
      return outcome;
    },
  };
}

export type ReconcileActivities = ReturnType<typeof createReconcileActivities>;
