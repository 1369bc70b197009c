/** Mono webhook bodies for tests: the seed documents' payloads verbatim, and builders for every event. */
import type { DataStatus, MonoEventKind } from '../../src/workflows/account-lifecycle/model/types.js';

export const TEST_SECRET = 'test-webhook-secret';

/** `shared/seeds/000` (Data Sync webhook events, May 2022), its four payloads as JSON. */
export const SEED_REAUTH_REQUIRED = {
  event: 'mono.events.reauthorisation_required',
  data: { account: { _id: '5fbcde8f8699984153e65537' } },
};
export const SEED_ACCOUNT_REAUTHORIZED = {
  event: 'mono.events.account_reauthorized',
  data: { account: { _id: '5fbcde8f8699984153e65537' } },
};
export const SEED_SYNC_FAILED = {
  event: 'mono.events.sync_failed',
  data: { account: { _id: '5fbcde8f8699984153e65537' } },
};
export const SEED_ACCOUNT_SYNCED = {
  event: 'mono.events.account_synced',
  data: { account: '6176846672402e538139971b', updated: true },
};

/** `shared/seeds/001` (account_updated), verbatim. */
export const SEED_ACCOUNT_UPDATED = {
  event: 'mono.events.account_updated',
  data: {
    meta: { data_status: 'AVAILABLE', auth_method: 'internet_banking' },
    account: {
      _id: '5f171a5301abca1153',
      name: 'Samuel Olamide',
      accountNumber: '0131883461',
      currency: 'NGN',
      balance: 22644,
      type: 'Tier 3 Savings Account',
      bvn: '9422',
      authMethod: 'internet_banking',
      institution: { name: 'ALAT by WEMA', bankCode: '035', type: 'PERSONAL_BANKING' },
      created_at: '2024-04-30T17:16:01.171Z',
      updated_at: '2024-04-30T17:16:05.463Z',
    },
  },
};

export interface EventSpec {
  kind: MonoEventKind;
  dataStatus?: DataStatus;
  updated?: boolean;
}

/** A body for `kind` in the shape Mono documents for that event (docs/mono-events.md). */
export function webhookBody(
  accountId: string,
  spec: EventSpec,
  variant = 0
): { event: string; data: Record<string, unknown> } {
  const event = `mono.events.${spec.kind}`;
  switch (spec.kind) {
    case 'account_connected':
      return { event, data: variant % 2 ? { id: accountId } : { id: accountId, customer: 'cus_1', meta: {} } };
    case 'account_updated':
      return {
        event,
        data: {
          meta: {
            data_status:
              variant % 2 ? (spec.dataStatus ?? 'available').toUpperCase() : (spec.dataStatus ?? 'available'),
          },
          account: { _id: accountId, institution: { name: 'GTBank', bankCode: '058', type: 'PERSONAL_BANKING' } },
        },
      };
    case 'account_synced':
      return { event, data: { account: accountId, updated: spec.updated ?? true } };
    case 'account_unlinked':
      return { event, data: { account: variant % 2 ? { _id: accountId } : { id: accountId } } };
    default:
      return { event, data: { account: { _id: accountId } } };
  }
}

let counter = 0;
/** A fresh Mono-like account id (24 hex characters) unique within the test run. */
export function newAccountId(): string {
  counter += 1;
  return (Date.now().toString(16) + process.pid.toString(16) + counter.toString(16).padStart(6, '0'))
    .padEnd(24, '0')
    .slice(-24);
}
