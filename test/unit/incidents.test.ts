/**
 * Bank-wide incidents, the pure parts: an account held by its institution's incident (no re-auth notice, reminder
 * or escalation goes out; syncs on the shared schedule; released, only what is still true), the shared schedule,
 * and the incident's decisions (open, close with hysteresis, release spread, queries, ids).
 */
import { describe, expect, it } from 'vitest';
import {
  closeDecision,
  incidentWorkflowId,
  institutionQuery,
  institutionsToCount,
  isQueryableInstitution,
  opensIncident,
  recentlyFailingQuery,
  releaseTimes,
  type IncidentSettings,
} from '../../src/incidents/detect.js';
import {
  isHoldRequest,
  sharedSyncAtMs,
  type HoldRequest,
} from '../../src/workflows/account-lifecycle/model/incident-hold.js';
import { withDefaults } from '../../src/workflows/account-lifecycle/model/settings.js';
import type { AccountEvent } from '../../src/workflows/account-lifecycle/model/types.js';
import { runReauthTimers, testAccount } from '../helpers/account.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 1);
const settings = withDefaults({ dedupeWindowMs: HOUR, historyEventsPerRun: 1_000 });
let keys = 0;
const ev = (kind: AccountEvent['kind'], extra: Partial<AccountEvent> = {}): AccountEvent => ({
  kind,
  accountId: 'acc1',
  deliveryKey: `k${++keys}`,
  receivedAt: new Date(T0).toISOString(),
  institution: 'Bank A',
  ...extra,
});
const hold: HoldRequest = {
  institution: 'Bank A',
  openedAtMs: T0,
  syncBackoffMs: [10 * MINUTE, 30 * MINUTE, HOUR],
  expiresAtMs: T0 + 3 * DAY,
};
const unplannedTypes = (a: ReturnType<typeof testAccount>) => a.outbox.unplanned().map((n) => n.type);

function heldAccount() {
  const a = testAccount(settings);
  a.apply(ev('account_updated', { dataStatus: 'available' }), T0 - HOUR);
  expect(a.incident.hold(hold, T0)).toBe(true);
  return a;
}

describe('an account held by its institution’s incident', () => {
  it('holds the re-auth notice (not dropped, not sent), pauses reminders and the deadline, and counts it', () => {
    const a = heldAccount();
    a.apply(ev('reauthorisation_required'), T0 + MINUTE);
    const [notice] = a.outbox.unplanned();
    expect(notice?.type).toBe('account.reauth_required');
    expect(a.incident.holds(notice!)).toBe(true);
    expect(a.hold?.heldNotices).toBe(1);
    // Reminders and the escalation deadline wait; the account wakes for its shared sync and the hold's end only.
    expect(runReauthTimers(a, T0 + 8 * DAY)).toBe(false);
    expect(a.escalated).toBe(false);
    expect(a.nextWakeMs()).toBe(T0 + 10 * MINUTE);
  });

  it('syncs on the shared schedule and never uses up its own backoff into an escalation', () => {
    const a = heldAccount();
    a.apply(ev('sync_failed'), T0 + MINUTE);
    expect(a.sync.nextAtMs).toBe(T0 + 10 * MINUTE);
    let now = T0 + 10 * MINUTE;
    for (let i = 0; i < 10; i++) {
      const startedIn = a.syncs.begin(now);
      a.syncs.finish({ outcome: 'failed', code: 'SYNC_ERROR' }, startedIn, now + 1_000);
      expect(a.escalated).toBe(false);
      now = a.sync.nextAtMs!;
    }
    // 10m, 40m, then every hour.
    expect(now).toBe(T0 + 40 * MINUTE + 9 * HOUR);
    expect(unplannedTypes(a)).toEqual([]);
  });

  it('released while the owner still must re-authorise: the held notice is still true, reminders start over', () => {
    const a = heldAccount();
    a.apply(ev('reauthorisation_required'), T0 + MINUTE);
    const answer = a.incident.release({ institution: 'Bank A', releaseAtMs: T0 + 2 * HOUR });
    expect(answer).toEqual({ held: 1, stillTrue: 1, releaseAt: new Date(T0 + 2 * HOUR).toISOString() });
    expect(a.incident.releaseIfDue(T0 + 2 * HOUR - 1)).toBe(false);
    expect(a.incident.releaseIfDue(T0 + 2 * HOUR)).toBe(true);
    expect(a.hold).toBeNull();
    expect(a.incident.holds(a.outbox.unplanned()[0]!)).toBe(false);
    expect(a.view(0).reauth).toMatchObject({
      nextReminderAt: new Date(T0 + 2 * HOUR + DAY).toISOString(),
      escalateAt: new Date(T0 + 2 * HOUR + 7 * DAY).toISOString(),
    });
  });

  it('recovered inside the incident: the held notice is dropped and the owner gets no "recovered" notice', () => {
    const a = heldAccount();
    a.apply(ev('reauthorisation_required'), T0 + MINUTE);
    a.apply(ev('account_updated', { dataStatus: 'available' }), T0 + HOUR);
    expect(a.state).toBe('synced');
    expect(unplannedTypes(a)).toEqual([]);
    expect(a.incident.release({ institution: 'Bank A', releaseAtMs: T0 + 2 * HOUR })).toMatchObject({
      held: 1,
      stillTrue: 0,
    });
  });

  it('a problem from before the hold still gets its "recovered" notice', () => {
    const a = testAccount(settings);
    a.apply(ev('sync_failed'), T0 - HOUR);
    a.incident.hold(hold, T0);
    a.apply(ev('account_synced'), T0 + MINUTE);
    expect(unplannedTypes(a)).toEqual(['account.recovered']);
  });

  it('ignores a repeated hold, another institution’s incident, and a release from another incident', () => {
    const a = heldAccount();
    expect(a.incident.hold(hold, T0 + MINUTE)).toBe(false);
    const other = testAccount(settings);
    other.apply(ev('sync_failed', { institution: 'Bank B' }), T0);
    expect(other.incident.hold(hold, T0)).toBe(false);
    expect(a.incident.release({ institution: 'Bank B', releaseAtMs: T0 })).toEqual({
      held: 0,
      stillTrue: 0,
      releaseAt: null,
    });
  });

  it('releases itself when the hold expires, and carries the hold across continue-as-new', () => {
    const a = heldAccount();
    const next = testAccount(settings, a.snapshot(T0 + MINUTE));
    expect(next.hold).toMatchObject({ institution: 'Bank A', heldAtMs: T0 });
    expect(next.incident.endsAtMs()).toBe(T0 + 3 * DAY);
    expect(next.incident.releaseIfDue(T0 + 3 * DAY)).toBe(true);
  });

  it('sends a link an operator resends: the operator’s request is not held', () => {
    const a = heldAccount();
    a.apply(ev('reauthorisation_required'), T0 + MINUTE);
    a.reauthReminders.resend(T0 + 2 * MINUTE);
    const [held, resent] = a.outbox.unplanned();
    expect(a.incident.holds(held!)).toBe(true);
    expect(a.incident.holds(resent!)).toBe(false);
    expect(a.hold?.heldNotices).toBe(1);
  });

  it('checks hold requests sent by hand', () => {
    expect(isHoldRequest(hold)).toBe(true);
    expect(isHoldRequest({ ...hold, syncBackoffMs: [10] })).toBe(false);
    expect(isHoldRequest({ ...hold, institution: '' })).toBe(false);
    expect(isHoldRequest(null)).toBe(false);
  });
});

describe('the shared sync schedule', () => {
  it('goes through the steps from the opening, then repeats the last, with a jitter within a tenth of the step', () => {
    expect(sharedSyncAtMs(hold, T0, 0)).toBe(T0 + 10 * MINUTE);
    expect(sharedSyncAtMs(hold, T0 + 10 * MINUTE, 0)).toBe(T0 + 40 * MINUTE);
    expect(sharedSyncAtMs(hold, T0 + 41 * MINUTE, 0)).toBe(T0 + 100 * MINUTE);
    expect(sharedSyncAtMs(hold, T0 + 10 * HOUR, 0)).toBe(T0 + 40 * MINUTE + 10 * HOUR);
    expect(sharedSyncAtMs(hold, T0, 0.5)).toBe(T0 + 10 * MINUTE + 30_000);
  });
});

const incidentSettings: IncidentSettings = {
  checkEveryMs: MINUTE,
  windowMs: 30 * MINUTE,
  openShare: 0.5,
  minAccounts: 20,
  closeShare: 0.1,
  closeAfterMs: 15 * MINUTE,
  syncBackoffMs: [10 * MINUTE],
  releaseSpreadMs: HOUR,
  maxOpenMs: 3 * DAY,
};

describe('incident decisions', () => {
  it('opens at the threshold share, never below the minimum number of accounts', () => {
    expect(opensIncident({ institution: 'A', accounts: 40, failing: 20 }, incidentSettings)).toBe(true);
    expect(opensIncident({ institution: 'A', accounts: 40, failing: 19 }, incidentSettings)).toBe(false);
    expect(opensIncident({ institution: 'A', accounts: 19, failing: 19 }, incidentSettings)).toBe(false);
  });

  it('counts in full only institutions whose failing accounts alone could cross the thresholds', () => {
    const seen = new Map([
      ['Bank A', 10],
      ['Bank B', 9],
    ]);
    expect(institutionsToCount(seen, incidentSettings)).toEqual(['Bank A']);
  });

  it('closes once the share failing stays below the close share long enough (hysteresis), or when open too long', () => {
    const open = { openedAtMs: T0, belowSinceMs: null };
    const counts = (failing: number) => ({ institution: 'A', accounts: 100, failing });
    expect(closeDecision(counts(30), open, incidentSettings, T0 + HOUR)).toEqual({ kind: 'open', belowSinceMs: null });
    expect(closeDecision(counts(9), open, incidentSettings, T0 + HOUR)).toEqual({
      kind: 'open',
      belowSinceMs: T0 + HOUR,
    });
    const below = { openedAtMs: T0, belowSinceMs: T0 + HOUR };
    expect(closeDecision(counts(9), below, incidentSettings, T0 + HOUR + 15 * MINUTE)).toEqual({
      kind: 'close',
      reason: 'recovered',
    });
    expect(closeDecision(counts(10), below, incidentSettings, T0 + 2 * HOUR)).toMatchObject({ kind: 'open' });
    expect(closeDecision(counts(90), open, incidentSettings, T0 + 3 * DAY)).toEqual({
      kind: 'close',
      reason: 'expired',
    });
  });

  it('spreads releases over the window, each within its own gap', () => {
    const times = releaseTimes(4, T0, HOUR, () => 0.5);
    expect(times).toEqual([0.5, 1.5, 2.5, 3.5].map((k) => T0 + k * 15 * MINUTE));
    expect(releaseTimes(0, T0, HOUR, Math.random)).toEqual([]);
  });

  it('writes only safe names into queries and ids', () => {
    expect(isQueryableInstitution('Guaranty Trust Bank (GTBank)')).toBe(true);
    expect(isQueryableInstitution("Bank' OR 1=1")).toBe(false);
    expect(() => institutionQuery('q', "x' OR 'a'='a")).toThrow();
    expect(institutionQuery('mono-reauth', 'Bank A', true)).toBe(
      "WorkflowType = 'accountLifecycle' AND ExecutionStatus = 'Running' AND TaskQueue = 'mono-reauth' AND " +
        "MonoInstitution = 'Bank A' AND MonoAccountState IN ('sync_failed', 'reauth_required')"
    );
    expect(recentlyFailingQuery('mono-reauth', T0)).toContain(
      `MonoStateSince >= '${new Date(T0).toISOString()}' AND MonoInstitution IS NOT NULL AND MonoIncident IS NULL`
    );
    const id = incidentWorkflowId('mono-reauth', 'First Bank of Nigeria');
    expect(id).toMatch(/^mono-reauth-incident-first-bank-of-nigeria-[0-9a-f]{8}$/);
    expect(incidentWorkflowId('mono-reauth', 'First-Bank of Nigeria')).not.toBe(id);
  });
});
