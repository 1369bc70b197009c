/**
 * The pure parts of per-channel delivery: the retry schedule, the outbox with its dead letters and redelivery,
 * and the account rules of current runs (repeats after a move, stale re-auth notices, escalation on retry, the
 * 2-minute floor from the last call, quiet hours decided by a recorded answer).
 */
import { describe, expect, it } from 'vitest';
import { runReauthTimers, testAccount } from '../helpers/account.js';
import {
  ATTEMPT_BUDGET_MS,
  isFinalAttempt,
  nextDeliveryDelayMs,
  STANDARD_WEBHOOKS_DELAYS_MS,
} from '../../src/workflows/account-lifecycle/model/delivery-retry.js';
import { Outbox, UNDELIVERED_LIMIT } from '../../src/workflows/account-lifecycle/model/outbox.js';
import { withDefaults } from '../../src/workflows/account-lifecycle/model/settings.js';
import type { AccountEvent } from '../../src/workflows/account-lifecycle/model/types.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number): string => new Date(ms).toISOString();

describe('delivery retry schedule', () => {
  const deadline = T0 + DAY;
  it('follows the Standard Webhooks waits, jittered by at most 20 %', () => {
    STANDARD_WEBHOOKS_DELAYS_MS.forEach((base, i) => {
      const low = nextDeliveryDelayMs({ attempt: i + 1, nowMs: T0, deadlineMs: T0 + 10 * DAY, random: 0 })!;
      const high = nextDeliveryDelayMs({ attempt: i + 1, nowMs: T0, deadlineMs: T0 + 10 * DAY, random: 0.999999 })!;
      expect(low).toBe(Math.round(base * 0.8));
      expect(high).toBeLessThanOrEqual(Math.round(base * 1.2));
      expect(high).toBeGreaterThan(Math.round(base * 1.19));
    });
  });
  it('lets a Retry-After win over the schedule', () => {
    expect(nextDeliveryDelayMs({ attempt: 1, nowMs: T0, deadlineMs: deadline, retryAfterMs: HOUR, random: 0.5 })).toBe(
      HOUR
    );
  });
  it('moves the last attempt to just before the deadline, then gives up', () => {
    const late = deadline - 2 * HOUR;
    expect(nextDeliveryDelayMs({ attempt: 7, nowMs: late, deadlineMs: deadline, random: 0.5 })).toBe(
      2 * HOUR - ATTEMPT_BUDGET_MS
    );
    expect(
      nextDeliveryDelayMs({ attempt: 8, nowMs: deadline - ATTEMPT_BUDGET_MS, deadlineMs: deadline, random: 0.5 })
    ).toBe(null);
    expect(isFinalAttempt(deadline - ATTEMPT_BUDGET_MS, deadline)).toBe(true);
    expect(isFinalAttempt(T0, deadline)).toBe(false);
  });
});

describe('Outbox', () => {
  const notice = (box: Outbox, id: string) => box.add(id, 'account.escalated', 'operators', iso(T0), { reason: 'x' });

  it('completes a notice once every channel is sent or skipped, and keeps a failed channel as a dead letter', () => {
    const box = new Outbox('acc1');
    notice(box, 'n1');
    box.plan('n1', { channels: ['log', 'webhook'], skipped: [{ channel: 'email', reason: 'no email' }] }, iso(T0));
    expect(box.pendingChannels().map((t) => t.channel)).toEqual(['log', 'webhook']);
    expect(box.finishChannel('n1', 'log', undefined, iso(T0)).complete).toBe(false);
    const failed = box.finishChannel('n1', 'webhook', 'answered 500', iso(T0 + 1));
    expect(failed.complete).toBe(true);
    expect(failed.deadLetter).toMatchObject({ id: 'n1', channel: 'webhook', error: 'answered 500' });
    expect(box.size).toBe(0);
    expect(box.undeliveredCount).toBe(1);
  });

  it('redelivers only the failed channel, under the same id, and filters by ids and time', () => {
    const box = new Outbox('acc1');
    for (const [id, at] of [
      ['n1', T0],
      ['n2', T0 + HOUR],
    ] as const) {
      notice(box, id);
      box.plan(id, { channels: ['log', 'webhook'], skipped: [] }, iso(at));
      box.finishChannel(id, 'log', undefined, iso(at));
      box.finishChannel(id, 'webhook', 'answered 500', iso(at));
    }
    expect(box.undeliveredMatching({ since: iso(T0 + 1) }).map((u) => u.id)).toEqual(['n2']);
    const result = box.redeliver({ noticeIds: ['n1'] }, () => undefined);
    expect(result).toEqual({ requeued: ['n1/webhook'], skipped: [] });
    expect(box.pendingChannels().map((t) => [t.notice.id, t.channel])).toEqual([['n1', 'webhook']]);
    expect(box.undeliveredView().map((u) => u.id)).toEqual(['n2']);
  });

  it('skips dead letters that are no longer wanted, and keeps at most UNDELIVERED_LIMIT', () => {
    const box = new Outbox('acc1');
    for (let i = 0; i < UNDELIVERED_LIMIT + 5; i++) {
      notice(box, `n${i}`);
      box.plan(`n${i}`, { channels: ['webhook'], skipped: [] }, iso(T0));
      box.finishChannel(`n${i}`, 'webhook', 'answered 500', iso(T0 + i));
    }
    expect(box.undeliveredCount).toBe(UNDELIVERED_LIMIT);
    expect(box.undeliveredView()[0]!.id).toBe('n5');
    const result = box.redeliver({ noticeIds: ['n5'] }, () => 'stale');
    expect(result).toEqual({ requeued: [], skipped: [{ id: 'n5', channel: 'webhook', reason: 'stale' }] });
    expect(box.undeliveredCount).toBe(UNDELIVERED_LIMIT);
  });
});

describe('Account rules', () => {
  const restore = (overrides = {}) =>
    testAccount(withDefaults({ dedupeWindowMs: HOUR, historyEventsPerRun: 1_000, ...overrides }));
  const ev = (kind: AccountEvent['kind'], deliveryKey: string): AccountEvent => ({
    kind,
    accountId: 'acc1',
    deliveryKey,
    receivedAt: iso(T0),
  });

  it('applies the same event again after the state moved on, and still ignores a redelivery', () => {
    const a = restore();
    a.apply(ev('reauthorisation_required', 'k1'), T0);
    expect(a.apply(ev('reauthorisation_required', 'k1'), T0 + 1).outcome).toBe('duplicate');
    a.apply(ev('account_reauthorized', 'k2'), T0 + 2);
    expect(a.apply(ev('reauthorisation_required', 'k1'), T0 + 3).outcome).toBe('changed');
    expect(a.state).toBe('reauth_required');
  });

  it('drops queued re-auth notices when the account leaves reauth_required, and says so', () => {
    const a = restore();
    a.apply(ev('reauthorisation_required', 'k1'), T0);
    expect(a.outbox.unplanned().map((n) => n.type)).toEqual(['account.reauth_required']);
    a.apply(ev('account_synced', 'k2'), T0 + 1);
    expect(a.outbox.unplanned().map((n) => n.type)).toEqual(['account.recovered']);
    expect(a.view(0).history.at(-1)!.cause).toMatch(/re-auth notices dropped \(msg_acc1_\d+\): no longer needed/);
  });

  it('gives notices the ids it is handed', () => {
    const a = restore();
    a.apply(ev('reauthorisation_required', 'k1'), T0);
    expect(a.outbox.unplanned()[0]!.id).toMatch(/^msg_acc1_\d+$/);
  });

  it('keeps an escalation in reauth_required when an operator retries the sync', () => {
    const a = restore({ reauthRemindersMs: [], reauthEscalateAfterMs: DAY });
    a.apply(ev('reauthorisation_required', 'k1'), T0);
    runReauthTimers(a, T0 + DAY);
    expect(a.escalated).toBe(true);
    a.syncs.request(T0 + DAY + 1, 'try');
    expect(a.escalated).toBe(true);
  });

  it('counts the 2-minute limit from when the last sync ended, and again when a sync comes due', () => {
    const a = restore();
    a.apply(ev('sync_failed', 'k1'), T0);
    const started = a.syncs.begin(T0 + 2 * 60_000);
    a.syncs.finish({ outcome: 'error', needsOperator: false, message: 'down' }, started, T0 + 8 * 60_000);
    const at = a.syncs.request(T0 + 8 * 60_000 + 1_000, 'now');
    expect(at).toBe(T0 + 10 * 60_000);
    expect(a.syncs.isDue(T0 + 10 * 60_000 - 1)).toBe(false);
    expect(a.syncs.isDue(T0 + 10 * 60_000)).toBe(true);
  });

  it('decides quiet hours with the answer it is given, not its own time-zone data', () => {
    const a = restore({ quietHours: '21:00-08:00', reauthRemindersMs: [HOUR], reminderMinGapMs: 0 });
    a.apply(ev('reauthorisation_required', 'k1'), T0);
    const due = T0 + HOUR; // 13:00 UTC, 14:00 in Lagos: outside quiet hours by tzdata
    expect(a.reauthReminders.quietHoursCheck(due)).toEqual({ window: '21:00-08:00', timeZone: 'Africa/Lagos' });
    expect(a.reauthReminders.run(due, due + 5 * HOUR)).toBe(true);
    expect(a.view(0).reauth!.nextReminderAt).toBe(iso(due + 5 * HOUR));
    expect(a.view(0).reauth!.remindersSent).toBe(0);
  });
});
