/**
 * The account's two clocks as tables: given a state and settings, when something happens at time T, then the
 * next wake-up and the next notice. Written against `Account`'s public surface so that they hold the
 * behaviour steady while its parts move into their own modules.
 */
import { drainNotices, runReauthTimers, testAccount } from '../helpers/account.js';
import { describe, expect, it } from 'vitest';
import type { Account } from '../../src/workflows/account-lifecycle/model/account.js';
import type { SyncOutcome } from '../../src/workflows/account-lifecycle/model/syncs.js';
import { withDefaults, type LifecycleSettings } from '../../src/workflows/account-lifecycle/model/settings.js';
import type { AccountEvent } from '../../src/workflows/account-lifecycle/model/types.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** 2026-01-05 10:00 UTC = 11:00 in Lagos (UTC+1, no daylight saving). */
const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);

const base: LifecycleSettings = { dedupeWindowMs: HOUR, historyEventsPerRun: 1_000 };
let keys = 0;
const ev = (kind: AccountEvent['kind'], extra: Partial<AccountEvent> = {}): AccountEvent => ({
  kind,
  accountId: 'acc1',
  deliveryKey: `k${++keys}`,
  receivedAt: new Date(T0).toISOString(),
  ...extra,
});

function accountIn(
  kind: AccountEvent['kind'],
  at: number,
  settings: Partial<LifecycleSettings> = {},
  extra: Partial<AccountEvent> = {}
) {
  const account = testAccount(withDefaults({ ...base, ...settings }));
  account.apply(ev('account_connected'), at - MIN);
  account.apply(ev(kind, extra), at);
  return account;
}

/** Runs every sync that is due at `at` with the given outcome (as the workflow's loop does). */
function syncAt(account: Account, at: number, outcome: SyncOutcome): void {
  expect(account.syncs.isDue(at)).toBe(true);
  const startedIn = account.syncs.begin(at);
  account.syncs.finish(outcome, startedIn, at + 1_000);
}

describe('sync schedule', () => {
  it.each([
    { when: 'sync_failed arrives', kind: 'sync_failed' as const, settings: {}, wake: T0 + 2 * MIN },
    {
      when: 'sync_failed arrives with a custom backoff',
      kind: 'sync_failed' as const,
      settings: { syncRetryBackoffMs: [5 * MIN, HOUR] },
      wake: T0 + 5 * MIN,
    },
    { when: 'the owner re-authorises', kind: 'account_reauthorized' as const, settings: {}, wake: T0 + 10 * MIN },
    {
      when: 'the owner re-authorises with a 30m grace',
      kind: 'account_reauthorized' as const,
      settings: { reauthSyncGraceMs: 30 * MIN },
      wake: T0 + 30 * MIN,
    },
    { when: 'the account syncs', kind: 'account_synced' as const, settings: {}, wake: null },
  ])('when $when at T, the next wake-up is $wake', ({ kind, settings, wake }) => {
    const account = accountIn(kind, T0, settings);
    expect(account.nextWakeMs()).toBe(wake);
    expect(account.view(0).nextSyncAt).toBe(wake === null ? null : new Date(wake).toISOString());
  });

  it.each([
    { attempt: 1, failedAt: T0 + 2 * MIN, next: T0 + 2 * MIN + 1_000 + 10 * MIN },
    { attempt: 2, failedAt: T0 + 13 * MIN, next: T0 + 13 * MIN + 1_000 + 30 * MIN },
  ])('given sync_failed, when attempt $attempt fails, the next sync waits the next backoff step', (row) => {
    const account = accountIn('sync_failed', T0);
    let at = T0 + 2 * MIN;
    for (let i = 1; i <= row.attempt; i++) {
      syncAt(account, at, { outcome: 'failed', code: 'SYNC_ERROR' });
      at = account.nextWakeMs()!;
    }
    expect(account.view(0).attempts).toBe(row.attempt);
    expect(account.nextWakeMs()).toBe(at);
    if (row.attempt === 1) expect(at).toBe(row.next);
  });

  it('given sync_failed, when the last backoff step fails, it escalates to operators and stops waking', () => {
    const account = accountIn('sync_failed', T0, { syncRetryBackoffMs: [2 * MIN, 5 * MIN] });
    syncAt(account, T0 + 2 * MIN, { outcome: 'failed', code: 'SYNC_ERROR' });
    syncAt(account, account.nextWakeMs()!, { outcome: 'error', needsOperator: false, message: 'timeout' });
    expect(account.nextWakeMs()).toBeNull();
    expect(account.escalated).toBe(true);
    expect(drainNotices(account)).toEqual(['account.escalated']);
  });

  it.each([
    { outcome: { outcome: 'synced', code: 'SYNC_SUCCESSFUL' } as const, state: 'synced', wake: null },
    { outcome: { outcome: 'reauth_required', code: 'REAUTHORISATION_REQUIRED' } as const, state: 'reauth_required' },
  ])('given sync_failed, when the sync answers $outcome.outcome, the state is $state', ({ outcome, state }) => {
    const account = accountIn('sync_failed', T0);
    syncAt(account, T0 + 2 * MIN, outcome);
    expect(account.state).toBe(state);
    if (state === 'synced') expect(account.nextWakeMs()).toBeNull();
    else expect(account.nextWakeMs()).toBe(T0 + 2 * MIN + 1_000 + DAY);
  });

  it.each([
    { when: 'long after the last sync', requestAt: T0 + 2 * MIN + HOUR, syncAt: T0 + 2 * MIN + HOUR },
    { when: '30 s after the last sync ended', requestAt: T0 + 2 * MIN + 31_000, syncAt: T0 + 4 * MIN + 1_000 },
  ])('given an operator retry $when, the sync is floored at 2 minutes after the last call', (row) => {
    const account = accountIn('sync_failed', T0);
    syncAt(account, T0 + 2 * MIN, { outcome: 'failed', code: 'SYNC_ERROR' });
    expect(account.syncs.request(row.requestAt, 'test')).toBe(row.syncAt);
    expect(account.nextWakeMs()).toBe(row.syncAt);
    expect(account.view(0).attempts).toBe(0);
  });

  it('given reauthorised, when the grace sync fails, the account moves to sync_failed and retries on backoff', () => {
    const account = accountIn('account_reauthorized', T0);
    syncAt(account, T0 + 10 * MIN, { outcome: 'failed', code: 'SYNC_ERROR' });
    expect(account.state).toBe('sync_failed');
    expect(account.nextWakeMs()).toBe(T0 + 10 * MIN + 1_000 + 2 * MIN);
  });
});

describe('re-auth reminders and escalation', () => {
  const reauth = (settings: Partial<LifecycleSettings> = {}, at = T0) => {
    const account = accountIn('reauthorisation_required', at, settings);
    expect(drainNotices(account)).toEqual(['account.reauth_required']);
    return account;
  };

  it('given reauth_required at T, the owner is told at once and the next wake-up is the first reminder', () => {
    const account = reauth();
    expect(account.nextWakeMs()).toBe(T0 + DAY);
    expect(account.view(0).reauth).toMatchObject({
      remindersSent: 0,
      escalateAt: new Date(T0 + 7 * DAY).toISOString(),
      lastNoticeAt: new Date(T0).toISOString(),
    });
  });

  it.each([
    { at: T0 + DAY, sent: 1, next: T0 + 3 * DAY },
    { at: T0 + 3 * DAY, sent: 2, next: T0 + 7 * DAY },
  ])('when reminder $sent is due at its time, it is sent and the next is at its offset', ({ at, sent, next }) => {
    const account = reauth();
    let now = T0 + DAY;
    for (;;) {
      expect(runReauthTimers(account, now)).toBe(true);
      expect(drainNotices(account)).toEqual(['account.reauth_reminder']);
      if (now === at) break;
      now = account.nextWakeMs()!;
    }
    expect(account.view(0).reauth?.remindersSent).toBe(sent);
    expect(account.nextWakeMs()).toBe(next);
  });

  it('when the escalation deadline passes, operators are told and the last reminder goes out', () => {
    const account = reauth();
    for (const at of [T0 + DAY, T0 + 3 * DAY]) {
      runReauthTimers(account, at);
      drainNotices(account);
    }
    expect(runReauthTimers(account, T0 + 7 * DAY)).toBe(true);
    expect(drainNotices(account).sort()).toEqual(['account.escalated', 'account.reauth_reminder']);
    expect(account.escalated).toBe(true);
    expect(account.nextWakeMs()).toBeNull();
  });

  it('caps reminders at their number', () => {
    const account = reauth({ reauthRemindersMs: [DAY], reauthEscalateAfterMs: 30 * DAY });
    runReauthTimers(account, T0 + DAY);
    expect(drainNotices(account)).toEqual(['account.reauth_reminder']);
    expect(account.nextWakeMs()).toBe(T0 + 30 * DAY);
  });

  it('defers a reminder that comes within the minimum gap of the last message', () => {
    const account = reauth();
    account.reauthReminders.resend(T0 + DAY - HOUR);
    expect(drainNotices(account)).toEqual(['account.reauth_required']);
    expect(runReauthTimers(account, T0 + DAY)).toBe(true);
    expect(drainNotices(account)).toEqual([]);
    expect(account.nextWakeMs()).toBe(T0 + DAY - HOUR + 12 * HOUR);
  });

  it.each([
    {
      when: 'due at 22:00 Lagos time',
      enteredAt: Date.UTC(2026, 0, 5, 21, 0, 0),
      deferredTo: Date.UTC(2026, 0, 7, 7, 0, 0),
      zone: undefined,
    },
    {
      when: 'due at 12:00 Lagos time',
      enteredAt: Date.UTC(2026, 0, 5, 11, 0, 0),
      deferredTo: null,
      zone: undefined,
    },
    {
      when: 'due at 22:30 in the owner’s zone (Nairobi, UTC+3)',
      enteredAt: Date.UTC(2026, 0, 5, 19, 30, 0),
      deferredTo: Date.UTC(2026, 0, 7, 5, 0, 0),
      zone: 'Africa/Nairobi',
    },
  ])('with quiet hours 21:00-08:00, a reminder $when is deferred to $deferredTo', (row) => {
    const account = testAccount(withDefaults({ ...base, quietHours: '21:00-08:00' }));
    if (row.zone) account.setContact({ timeZone: row.zone });
    account.apply(ev('reauthorisation_required'), row.enteredAt);
    drainNotices(account);
    const due = row.enteredAt + DAY;
    expect(account.nextWakeMs()).toBe(due);
    expect(runReauthTimers(account, due)).toBe(true);
    if (row.deferredTo === null) {
      expect(drainNotices(account)).toEqual(['account.reauth_reminder']);
    } else {
      expect(drainNotices(account)).toEqual([]);
      expect(account.nextWakeMs()).toBe(row.deferredTo);
      runReauthTimers(account, row.deferredTo);
      expect(drainNotices(account)).toEqual(['account.reauth_reminder']);
    }
  });

  it.each(['account_synced', 'account_reauthorized', 'account_unlinked'] as const)(
    'when %s arrives, the reminders and the deadline are cancelled',
    (kind) => {
      const account = reauth();
      account.apply(ev(kind), T0 + HOUR);
      expect(account.view(0).reauth).toBeNull();
      expect(runReauthTimers(account, T0 + DAY)).toBe(false);
      const wake = account.nextWakeMs();
      expect(wake === null || wake === T0 + HOUR + 10 * MIN).toBe(true);
    }
  );

  it('when the account recovers from reauth_required, the owner is told it recovered', () => {
    const account = reauth();
    account.apply(ev('account_synced'), T0 + HOUR);
    expect(drainNotices(account)).toEqual(['account.recovered']);
  });
});
