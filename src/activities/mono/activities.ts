/**
 * Mono activities, built by a factory over a MonoClient. Client errors become ApplicationFailures whose
 * type tells the workflow whether waiting can help (MonoTransient, retried with Mono's Retry-After) or a
 * person must act (MonoNeedsOperator, never retried).
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { FAILURE } from '../failures.js';
import type { MonoClient, SyncResult } from './client.js';
import { MonoApiError } from './errors.js';
import { MIN_SYNC_INTERVAL_MS } from '../../workflows/account-lifecycle/model/settings.js';

export interface MonoActivityDeps {
  mono: MonoClient;
}

export function createMonoActivities({ mono }: MonoActivityDeps) {
  return {
    /** Triggers Mono's manual sync for the account (`POST /accounts/{id}/sync`). */
    async triggerMonoSync(accountId: string): Promise<SyncResult> {
      // A 429's Retry-After is honoured, but never below Mono's 2-minute limit between syncs.
      return classify(() => mono.syncAccount(accountId, { signal: Context.current().cancellationSignal }), {
        minRetryDelayMs: MIN_SYNC_INTERVAL_MS,
      });
    },

    /**
     * What account details say (reconciliation, enrolment): one call to one version, so that each activity is
     * one request toward Mono's rate limit. Mono not knowing the account is an answer (`found: false`), not an
     * error. Only the data status and the institution's name leave.
     */
    async inspectMonoAccount(accountId: string, version: 'v1' | 'v2' = 'v2'): Promise<MonoInspection> {
      const signal = Context.current().cancellationSignal;
      return classify(async () => {
        try {
          const details = await mono.accountDetails(accountId, { version, signal });
          return { found: true, dataStatus: details.dataStatus, institution: details.institution?.name ?? null };
        } catch (err) {
          if (err instanceof MonoApiError && err.kind === 'not_found') return { found: false };
          throw err;
        }
      });
    },

    /** The account's institution name from its details (v2, falling back to v1); nothing else leaves. */
    async fetchInstitution(accountId: string): Promise<string | null> {
      const signal = Context.current().cancellationSignal;
      return classify(async () => {
        try {
          return (await mono.accountDetails(accountId, { version: 'v2', signal })).institution?.name ?? null;
        } catch (err) {
          if (err instanceof MonoApiError && err.kind === 'not_found') {
            return (await mono.accountDetails(accountId, { version: 'v1', signal })).institution?.name ?? null;
          }
          throw err;
        }
      });
    },
  };
}

export type MonoActivities = ReturnType<typeof createMonoActivities>;

/** What `inspectMonoAccount` found: no PII, only what the lifecycle needs. */
export type MonoInspection = { found: true; dataStatus: string | null; institution: string | null } | { found: false };

async function classify<T>(call: () => Promise<T>, { minRetryDelayMs = 0 } = {}): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof MonoApiError)) throw err;
    throw ApplicationFailure.create({
      message: err.message,
      type: err.retryable ? FAILURE.monoTransient : FAILURE.monoNeedsOperator,
      nonRetryable: !err.retryable,
      details: [{ kind: err.kind, status: err.status ?? null }],
      ...(err.retryAfterMs !== undefined ? { nextRetryDelay: Math.max(err.retryAfterMs, minRetryDelayMs) } : {}),
    });
  }
}
