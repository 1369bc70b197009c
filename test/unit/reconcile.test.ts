/**
 * The pure parts of reconciliation, enrolment and the rate limit: observations mapped onto the transition table
 * (every state × every answer), the account's checks, sync jitter, the candidates query, id parsing, the pacer
 * and the configuration.
 */
import { testAccount } from '../helpers/account.js';
import { describe, expect, it, vi } from 'vitest';
import { parseAccountIds } from '../../src/accounts/import.js';
import { loadConfig } from '../../src/config.js';
import { createPacer } from '../../src/lib/pacer.js';
import { candidatesQuery } from '../../src/reconcile/query.js';
import { type Account } from '../../src/workflows/account-lifecycle/model/account.js';
import { transition } from '../../src/workflows/account-lifecycle/model/machine.js';
import {
  decide,
  lastHeardMs,
  mayProbe,
  probeStarted,
  type Observation,
} from '../../src/workflows/account-lifecycle/model/observations.js';
import { withDefaults } from '../../src/workflows/account-lifecycle/model/settings.js';
import {
  jittered,
  nextRetryAtMs,
  NO_SYNC,
  SYNC_JITTER_SPREAD,
} from '../../src/workflows/account-lifecycle/model/sync-schedule.js';
import {
  ACCOUNT_STATES,
  type AccountEvent,
  type AccountState,
} from '../../src/workflows/account-lifecycle/model/types.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1);
const settings = withDefaults({ dedupeWindowMs: 3_600_000, historyEventsPerRun: 1_000 });
const details = (dataStatus: string | null): Observation => ({
  source: 'details',
  found: true,
  dataStatus,
  institution: 'GTBank',
});
const STATES: Array<AccountState | null> = [null, ...ACCOUNT_STATES.filter((s) => s !== 'unlinked')];

describe('observations through the transition table', () => {
  // What each answer means, as the webhook Mono would have sent, in every state but reauth_required.
  const expected: Array<[Observation, string, AccountEvent['kind'], string?]> = [
    [details('AVAILABLE'), 'details:available', 'account_updated', 'available'],
    [details('partial'), 'details:partial', 'account_updated', 'partial'],
    [details('FAILED'), 'details:failed', 'account_updated', 'failed'],
    [details('unavailable'), 'details:unavailable', 'account_updated', 'unavailable'],
    [{ source: 'details', found: false }, 'details:not_found', 'account_unlinked'],
    [{ source: 'sync', outcome: 'synced', code: 'SYNC_SUCCESSFUL' }, 'sync:SYNC_SUCCESSFUL', 'account_synced'],
    [
      { source: 'sync', outcome: 'reauth_required', code: 'REAUTHORISATION_REQUIRED' },
      'sync:REAUTHORISATION_REQUIRED',
      'reauthorisation_required',
    ],
    [{ source: 'sync', outcome: 'failed', code: 'SYNC_ERROR' }, 'sync:SYNC_ERROR', 'sync_failed'],
  ];
  for (const state of STATES) {
    for (const [observation, cause, kind, dataStatus] of expected) {
      const detailsInReauth = state === 'reauth_required' && observation.source === 'details' && observation.found;
      it(`in ${state ?? 'a new account'}, ${cause} ${detailsInReauth ? 'asks for a sync' : `is ${kind}`}`, () => {
        const decision = decide(state, observation);
        if (detailsInReauth) return expect(decision).toEqual({ kind: 'sync', cause });
        expect(decision).toEqual({ kind: 'event', event: { kind, ...(dataStatus ? { dataStatus } : {}) }, cause });
      });
    }
  }

  it('asks for a sync when details cannot tell (processing, no status), except for a new account', () => {
    for (const status of ['PROCESSING', null, 'SOMETHING_NEW']) {
      expect(decide('synced', details(status)).kind).toBe('sync');
      expect(decide('sync_failed', details(status)).kind).toBe('sync');
      expect(decide(null, details(status))).toMatchObject({ kind: 'event', event: { dataStatus: 'processing' } });
    }
    expect(transition(null, { kind: 'account_updated', dataStatus: 'processing' })).toEqual({
      to: 'connected',
      changed: true,
    });
  });

  it('keeps Mono’s 2-minute limit: no sync within 2 minutes of the last, nor 2 minutes before one due', () => {
    expect(mayProbe(NO_SYNC, T0)).toBe(true);
    expect(mayProbe({ ...NO_SYNC, lastAtMs: T0 - 2 * MIN + 1 }, T0)).toBe(false);
    expect(mayProbe({ ...NO_SYNC, lastAtMs: T0 - 2 * MIN }, T0)).toBe(true);
    expect(mayProbe({ ...NO_SYNC, nextAtMs: T0 + MIN }, T0)).toBe(false);
    expect(mayProbe({ ...NO_SYNC, nextAtMs: T0 + 2 * MIN }, T0)).toBe(true);
    expect(probeStarted({ ...NO_SYNC, nextAtMs: T0 + 30_000 }, T0)).toMatchObject({
      lastAtMs: T0,
      nextAtMs: T0 + 2 * MIN,
    });
  });

  it('takes the latest of a webhook, a sync’s answer (not a failed call) and a check as last heard', () => {
    const at = (ms: number) => new Date(T0 + ms).toISOString();
    expect(lastHeardMs({ lastEventAt: null, lastSyncAt: null, lastSyncOutcome: null, lastCheckAt: null })).toBeNull();
    expect(lastHeardMs({ lastEventAt: at(1), lastSyncAt: at(5), lastSyncOutcome: 'error', lastCheckAt: at(3) })).toBe(
      T0 + 3
    );
    expect(lastHeardMs({ lastEventAt: at(1), lastSyncAt: at(5), lastSyncOutcome: 'failed', lastCheckAt: null })).toBe(
      T0 + 5
    );
  });
});

describe('Account checks', () => {
  const reauthRequired = (): Account => {
    const a = testAccount(settings);
    a.apply({ kind: 'reauthorisation_required', accountId: 'acc1', deliveryKey: 'k1', receivedAt: '' }, T0);
    return a;
  };

  it('shares a waiting check, and answers a ticket once its check has run', () => {
    const a = reauthRequired();
    const ticket = a.checks.request('reconcile', T0);
    expect(a.checks.request('reconcile', T0 + 1)).toBe(ticket);
    expect(a.checks.result(ticket)).toBeNull();
    expect(a.checks.observe(details('AVAILABLE'), T0 + 2, 'reauth_required')).toEqual({ sync: ['details:available'] });
    a.checks.beginProbe(T0 + 2);
    const record = a.checks.observe(
      { source: 'sync', outcome: 'synced', code: 'SYNC_SUCCESSFUL' },
      T0 + 3,
      'reauth_required',
      ['details:available']
    );
    expect(record).toMatchObject({ outcome: 'corrected', from: 'reauth_required', to: 'synced', ticket });
    expect(a.checks.result(ticket)).toEqual(record);
    expect(a.view(0).history.at(-2)).toMatchObject({
      from: 'reauth_required',
      to: 'synced',
      cause: 'reconcile:details:available → sync:SYNC_SUCCESSFUL',
    });
    expect(a.view(0).history.at(-1)!.cause).toMatch(/^re-auth notices dropped/);
    expect(a.view(0).reauth).toBeNull();
    expect(a.view(0).lastSync).toMatchObject({ outcome: 'synced', code: 'SYNC_SUCCESSFUL' });
    expect(a.checks.pending()).toBeNull();
  });

  it('lets a webhook that arrived while Mono was asked win over the observation', () => {
    const a = reauthRequired();
    a.checks.request('reconcile', T0);
    a.apply({ kind: 'account_reauthorized', accountId: 'acc1', deliveryKey: 'k2', receivedAt: '' }, T0 + 1);
    const record = a.checks.observe(details('FAILED'), T0 + 2, 'reauth_required');
    expect(record).toMatchObject({ outcome: 'confirmed', to: 'reauthorised' });
    expect(a.state).toBe('reauthorised');
  });

  it('defers a sync within Mono’s limit, and records a failed check without counting it as heard', () => {
    const a = reauthRequired();
    a.syncs.begin(T0);
    a.checks.request('reconcile', T0 + MIN);
    expect(a.checks.observe(details('AVAILABLE'), T0 + MIN, 'reauth_required')).toMatchObject({ outcome: 'deferred' });
    a.checks.request('reconcile', T0 + 3 * MIN);
    const heard = a.checks.lastHeardMs();
    expect(a.checks.failed(T0 + 3 * MIN, [], 'Mono answered 500')).toMatchObject({ outcome: 'failed' });
    expect(a.checks.lastHeardMs()).toBe(heard);
  });

  it('enrols a new account from details, and carries the check across continue-as-new', () => {
    const a = testAccount(settings);
    a.checks.request('enrol', T0);
    expect(a.checks.observe(details('available'), T0 + 1, null)).toMatchObject({
      outcome: 'corrected',
      from: null,
      to: 'synced',
    });
    expect(a.institution).toBe('GTBank');
    const next = testAccount(settings, a.snapshot(T0 + 2));
    expect(next.view(0).check).toEqual({ last: a.view(0).check?.last, pending: false });
    expect(next.checks.request('reconcile', T0 + 3)).toBe(2);
  });
});

describe('sync retry jitter', () => {
  it('lengthens a wait by up to 25%, never shortens it, and ignores a number out of range', () => {
    expect(SYNC_JITTER_SPREAD).toBe(0.25);
    expect(jittered(120_000, 0)).toBe(120_000);
    expect(jittered(120_000, 0.5)).toBe(135_000);
    expect(jittered(120_000, 0.999_999)).toBeLessThanOrEqual(150_000);
    expect(jittered(120_000, 1)).toBe(120_000); // out of range: ignored
    expect(nextRetryAtMs(1, T0, settings, 0.5)).toBe(T0 + 10 * MIN * 1.125);
    expect(nextRetryAtMs(5, T0, settings, 0.5)).toBeNull();
  });

  it('spreads a thousand accounts failed in the same second over the retry step', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const seconds = new Set(Array.from({ length: 1000 }, () => Math.floor(jittered(2 * MIN, random()) / 1000)));
    expect(seconds.size).toBeGreaterThan(25); // of the 30 seconds between 2m and 2m30s
  });
});

describe('candidates query', () => {
  it('looks at stuck and silent running accounts of this task queue only, from fixed thresholds', () => {
    const q = candidatesQuery({
      taskQueue: 'mono-reauth',
      nowMs: T0,
      stuckAfterMs: 6 * 3600_000,
      silentAfterMs: 36 * 3600_000,
    });
    expect(q).toContain(`ExecutionStatus = 'Running' AND TaskQueue = 'mono-reauth'`);
    expect(q).toContain(
      `MonoAccountState IN ('sync_failed', 'reauth_required', 'reauthorised') AND MonoStateSince < '2025-12-31T18:00:00.000Z'`
    );
    expect(q).toContain(`MonoLastHeard < '2025-12-30T12:00:00.000Z'`);
    expect(() =>
      candidatesQuery({ taskQueue: "x' OR '1'='1", nowMs: T0, stuckAfterMs: 1, silentAfterMs: 1 })
    ).toThrow();
  });
});

describe('parseAccountIds', () => {
  it('reads one id a line, skipping comments and blanks, reporting bad lines by number and repeats', () => {
    expect(parseAccountIds('# header\nabc123\n\nabc123\nnot valid!\n def456 \n')).toEqual({
      ids: ['abc123', 'def456'],
      invalid: [{ line: 5, reason: 'not a Mono account id' }],
      repeated: 1,
    });
  });

  it('reads a CSV by an id header, a named column or a column number', () => {
    expect(parseAccountIds('name,account_id\n"Doe, J",a1\nB,a2\n').ids).toEqual(['a1', 'a2']);
    expect(parseAccountIds('x,mono\n1,a1\n', 'mono').ids).toEqual(['a1']);
    expect(parseAccountIds('a1,x\na2,y\n', '1').ids).toEqual(['a1', 'a2']);
    expect(() => parseAccountIds('x,y\n1,2\n', 'missing')).toThrow(/no column "missing"/);
  });
});

describe('pacer', () => {
  it('spaces calls evenly at 90% of rps, with no burst at the start', async () => {
    vi.useFakeTimers({ now: T0 });
    try {
      const pacer = createPacer(20);
      const released: number[] = [];
      for (let i = 0; i < 6; i++) void pacer.wait().then(() => released.push(Date.now() - T0));
      await vi.advanceTimersByTimeAsync(1_000);
      // 20/s with 10% headroom: one at once, then every 1000 / 18 ms (rounded up to the millisecond).
      expect(released).toEqual([0, 56, 112, 167, 223, 278]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('gives up a wait when its call is cancelled', async () => {
    const pacer = createPacer(1);
    await pacer.wait();
    const abort = new AbortController();
    const waiting = pacer.wait(abort.signal);
    abort.abort(new Error('activity cancelled'));
    await expect(waiting).rejects.toThrow('activity cancelled');
  });
});

describe('configuration', () => {
  it('has the documented defaults and refuses bad values with what to write', () => {
    const c = loadConfig({});
    expect(c.reconcile).toEqual({
      everyMs: 6 * 3600_000,
      stuckAfterMs: 6 * 3600_000,
      silentAfterMs: 36 * 3600_000,
      concurrency: 20,
    });
    expect(c.monoMaxRps).toBe(10);
    expect(loadConfig({ MONO_MAX_RPS: '0.5' }).monoMaxRps).toBe(0.5);
    expect(() => loadConfig({ MONO_MAX_RPS: '0' })).toThrow(/MONO_MAX_RPS: must be more than 0/);
    expect(() => loadConfig({ MONO_MAX_RPS: 'fast' })).toThrow(/MONO_MAX_RPS/);
    expect(() => loadConfig({ RECONCILE_EVERY: 'often' })).toThrow(/RECONCILE_EVERY: is not a duration/);
    expect(() => loadConfig({ RECONCILE_EVERY: '10s' })).toThrow(/RECONCILE_EVERY: must be at least 1m/);
  });
});
