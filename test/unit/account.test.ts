/** The pure account record: dedupe window, bounded history and delivery memory, snapshot/restore. */
import { testAccount } from '../helpers/account.js';
import { describe, expect, it } from 'vitest';
import { HISTORY_LIMIT } from '../../src/workflows/account-lifecycle/model/record.js';
import { DELIVERY_MEMORY_LIMIT } from '../../src/workflows/account-lifecycle/model/delivery-memory.js';
import { withDefaults } from '../../src/workflows/account-lifecycle/model/settings.js';
import type { AccountEvent } from '../../src/workflows/account-lifecycle/model/types.js';

const HOUR = 3_600_000;
const settings = (dedupeWindowMs: number) => withDefaults({ dedupeWindowMs, historyEventsPerRun: 1_000 });
const T0 = Date.UTC(2026, 0, 1);
const ev = (kind: AccountEvent['kind'], deliveryKey: string, extra: Partial<AccountEvent> = {}): AccountEvent => ({
  kind,
  accountId: 'acc1',
  deliveryKey,
  receivedAt: new Date(T0).toISOString(),
  ...extra,
});

describe('Account.apply', () => {
  it('when a delivery repeats within the window, then it is a duplicate and changes nothing', () => {
    const a = testAccount(settings(HOUR));
    expect(a.apply(ev('sync_failed', 'k1'), T0).outcome).toBe('changed');
    expect(a.apply(ev('sync_failed', 'k1'), T0 + HOUR - 1)).toEqual({ outcome: 'duplicate' });
    expect(a.state).toBe('sync_failed');
    expect(a.view(0).counts).toEqual({ events: 2, unchanged: 0, duplicates: 1 });
  });

  it('when the same event comes again after the state moved on, then it is applied again', () => {
    const a = testAccount(settings(HOUR));
    a.apply(ev('sync_failed', 'k1'), T0);
    a.apply(ev('account_synced', 'k2'), T0 + 1);
    expect(a.apply(ev('sync_failed', 'k1'), T0 + 2).outcome).toBe('changed');
    expect(a.state).toBe('sync_failed');
  });

  it('when the same body comes back after the window, then it is a new event', () => {
    const a = testAccount(settings(HOUR));
    a.apply(ev('sync_failed', 'k1'), T0);
    a.apply(ev('account_synced', 'k2'), T0 + 1);
    expect(a.apply(ev('sync_failed', 'k1'), T0 + HOUR).outcome).toBe('changed');
    expect(a.state).toBe('sync_failed');
  });

  it('records a no-change event as unchanged with its cause, without a history entry', () => {
    const a = testAccount(settings(HOUR));
    a.apply(ev('account_connected', 'k1'), T0);
    expect(a.apply(ev('account_connected', 'k2'), T0 + 5)).toEqual({ outcome: 'unchanged', state: 'connected' });
    expect(a.view(0).history).toHaveLength(1);
    expect(a.view(0).lastEvent).toEqual({
      at: new Date(T0 + 5).toISOString(),
      cause: 'account_connected',
      outcome: 'unchanged',
    });
  });

  it('keeps the institution from account_updated and the time the state began', () => {
    const a = testAccount(settings(HOUR));
    a.apply(ev('account_updated', 'k1', { dataStatus: 'processing', institution: 'GTBank' }), T0);
    expect(a.view(0)).toMatchObject({ state: 'connected', institution: 'GTBank', since: new Date(T0).toISOString() });
  });

  it('bounds the history to the most recent transitions', () => {
    const a = testAccount(settings(HOUR));
    for (let i = 0; i < HISTORY_LIMIT + 20; i++) a.apply(ev(i % 2 ? 'sync_failed' : 'account_synced', `k${i}`), T0 + i);
    const { history } = a.view(0);
    expect(history).toHaveLength(HISTORY_LIMIT);
    expect(history.at(-1)?.at).toBe(new Date(T0 + HISTORY_LIMIT + 19).toISOString());
  });

  it('bounds the delivery memory, forgetting the oldest keys first', () => {
    const a = testAccount(settings(100 * HOUR));
    for (let i = 0; i < DELIVERY_MEMORY_LIMIT + 10; i++) a.apply(ev('account_synced', `k${i}`), T0 + i);
    const snap = a.snapshot(T0 + 1_000);
    expect(snap.recentDeliveries).toHaveLength(DELIVERY_MEMORY_LIMIT);
    expect(snap.recentDeliveries[0]?.[0]).toBe('k10');
  });
});

describe('snapshot and restore (continue-as-new)', () => {
  it('carries state, history, counters and unexpired delivery keys into the next run', () => {
    const a = testAccount(settings(HOUR));
    a.apply(ev('reauthorisation_required', 'old'), T0);
    a.apply(ev('account_reauthorized', 'recent'), T0 + HOUR / 2);
    const snap = a.snapshot(T0 + HOUR);
    expect(snap.recentDeliveries.map(([k]) => k)).toEqual(['recent']);

    const b = testAccount(settings(HOUR), snap);
    expect(b.core.runNumber).toBe(2);
    expect(b.view(0)).toMatchObject({ state: 'reauthorised', counts: { events: 2 } });
    expect(b.apply(ev('account_reauthorized', 'recent'), T0 + HOUR).outcome).toBe('duplicate');
    expect(JSON.stringify(snap).length).toBeLessThan(32 * 1024);
  });

  it('carries the owner contact, pending messages and the re-auth schedule', () => {
    const a = testAccount(settings(HOUR));
    a.setContact({ email: 'o@example.com', timeZone: 'Africa/Nairobi' });
    a.apply(ev('reauthorisation_required', 'k1'), T0);
    const b = testAccount(settings(HOUR), a.snapshot(T0 + 1));
    expect(b.contact).toEqual({ email: 'o@example.com', timeZone: 'Africa/Nairobi' });
    expect(b.outbox.unplanned()[0]).toMatchObject({
      id: 'msg_acc1_1',
      type: 'account.reauth_required',
      audience: 'owner',
    });
    expect(b.view(0).reauth).toMatchObject({
      remindersSent: 0,
      nextReminderAt: new Date(T0 + 86_400_000).toISOString(),
    });
  });
});
