/** What the simulated Mono API answers, in Mono's documented shapes and codes (docs/mono-events.md). */
import type { Scenario, SyncBehaviour } from './accounts.js';

/** One answer: JSON unless `html` is set; `code` is what the call log records. */
export interface MonoAnswer {
  status: number;
  body: unknown;
  code?: string;
  retryAfterSeconds?: number;
  html?: boolean;
}

/** The institution of an account whose scenario names none. */
export const DEFAULT_INSTITUTION = 'GTBank';

export const INVALID_KEY: MonoAnswer = {
  status: 401,
  body: { status: 'failed', message: 'Invalid secret key provided' },
};
export const ACCOUNT_NOT_FOUND: MonoAnswer = { status: 404, body: { status: 'failed', message: 'Account not found' } };

/** A realistic account object, PII included on purpose: the service must drop it. */
export function fakeAccountV1(accountId: string, institution: string) {
  return {
    _id: accountId,
    name: 'Ada Simulated',
    accountNumber: '0123456789',
    currency: 'NGN',
    balance: 1_234_500,
    type: 'SAVINGS',
    bvn: '1234',
    authMethod: 'internet_banking',
    institution: { name: institution, bankCode: '058', type: 'PERSONAL_BANKING' },
  };
}

/** `GET /accounts/{id}`. */
export function accountDetailsV1(accountId: string, institution: string, dataStatus: string): unknown {
  return {
    meta: { data_status: dataStatus, auth_method: 'internet_banking' },
    account: fakeAccountV1(accountId, institution),
  };
}

/** `GET /v2/accounts/{id}`, PII included on purpose like `fakeAccountV1`. */
export function accountDetailsV2(accountId: string, institution: string, dataStatus: string, now: number): unknown {
  return {
    status: 'successful',
    message: 'Request was succesfully completed',
    timestamp: new Date(now).toISOString(),
    data: {
      account: {
        id: accountId,
        name: 'Ada Simulated',
        currency: 'NGN',
        type: 'SAVINGS',
        account_number: '0123456789',
        balance: 1_234_500,
        bvn: '1234',
        institution: { name: institution, bank_code: '058', type: 'PERSONAL_BANKING' },
      },
      meta: {
        data_status: dataStatus,
        auth_method: 'internet_banking',
        retrieved_data: ['balance', 'transactions'],
      },
    },
  };
}

/** A manual sync refused by the one-sync-per-2-minutes limit. */
export function tooSoonAnswer(retryAfterSeconds: number): MonoAnswer {
  return {
    status: 429,
    code: 'TOO_MANY_REQUESTS',
    retryAfterSeconds,
    body: { status: 'failed', message: 'Only one manual sync per account every 2 minutes' },
  };
}

/** The answer of a manual sync that runs with `behaviour` (`slow` answers as `success`, late). */
export function syncAnswer(behaviour: SyncBehaviour, scenario: Scenario): MonoAnswer {
  const failed = (code: string, message: string | null, extra: object = {}): MonoAnswer => ({
    status: 200,
    code,
    body: { status: 'failed', ...extra, code, message },
  });
  switch (behaviour) {
    case 'success':
    case 'slow':
      return synced('SYNC_SUCCESSFUL', true);
    case 'success_legacy_spelling':
      return synced('SYNCED_SUCCESSFULLY', false);
    case 'reauth_required':
      return failed('REAUTHORISATION_REQUIRED', 'Account requires reauthorisation', { hasNewData: false });
    case 'sync_error':
      return failed('SYNC_ERROR', 'Data sync failed, please try again later');
    case 'incomplete_statement':
      return failed('INCOMPLETE_STATEMENT_ERROR', 'Incomplete statement');
    case 'rate_limited':
      return {
        status: 429,
        retryAfterSeconds: scenario.retryAfterSeconds ?? 120,
        body: { status: 'failed', message: 'Too many requests' },
      };
    case 'server_error':
      return { status: 500, body: { status: 'failed', message: 'Internal server error' } };
    case 'malformed':
      return { status: 200, html: true, body: '<html>gateway hiccup</html>' };
    case 'not_found':
      return ACCOUNT_NOT_FOUND;
  }
}

function synced(code: string, hasNewData: boolean): MonoAnswer {
  return { status: 200, code, body: { status: 'successful', hasNewData, code, message: null } };
}
