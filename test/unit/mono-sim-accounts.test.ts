/**
 * The simulator's pure parts: the per-account scenario and state store (src/mono-sim/accounts.ts), the sync
 * answers (src/mono-sim/answers.ts) and the call log and rate (src/mono-sim/traffic.ts).
 */
import { describe, expect, it } from 'vitest';
import { ChangeRequest, SimAccounts, SYNC_INTERVAL_MS, type SyncStart } from '../../src/mono-sim/accounts.js';
import { syncAnswer, tooSoonAnswer } from '../../src/mono-sim/answers.js';
import { SimTraffic } from '../../src/mono-sim/traffic.js';

const T0 = Date.UTC(2026, 0, 1);
const behaviourOf = (start: SyncStart): string => (start.kind === 'run' ? start.behaviour : start.kind);

describe('SimAccounts', () => {
  it('starts every account linked, AVAILABLE and authorised, and hands out its live state', () => {
    const accounts = new SimAccounts(true);
    expect(accounts.state('a')).toEqual({ linked: true, dataStatus: 'AVAILABLE', needsReauth: false });
    accounts.unlink('a');
    expect(accounts.state('a').linked).toBe(false);
    expect(accounts.state('b').linked).toBe(true);
  });

  it('takes the scenario’s sync behaviours in order and repeats the last one', () => {
    const accounts = new SimAccounts(false);
    accounts.setScenario('a', { sync: ['sync_error', 'reauth_required', 'success'] });
    const taken = Array.from({ length: 5 }, () => behaviourOf(accounts.startSync('a', T0)));
    expect(taken).toEqual(['sync_error', 'reauth_required', 'success', 'success', 'success']);
  });

  it('without a sync scenario, answers from the state: success, or reauth_required while re-auth is needed', () => {
    const accounts = new SimAccounts(false);
    accounts.setScenario('a', { institution: 'Kuda' });
    expect(behaviourOf(accounts.startSync('a', T0))).toBe('success');
    accounts.change('a', ChangeRequest.parse({ change: 'require_reauth' }));
    expect(behaviourOf(accounts.startSync('a', T0))).toBe('reauth_required');
    accounts.change('a', ChangeRequest.parse({ change: 'reauthorise' }));
    expect(behaviourOf(accounts.startSync('a', T0))).toBe('success');
  });

  it('refuses a second sync within 2 minutes with the seconds left, except a rate_limited one', () => {
    const accounts = new SimAccounts(true);
    expect(accounts.startSync('a', T0).kind).toBe('run');
    expect(accounts.startSync('a', T0 + 30_000)).toEqual({ kind: 'too_soon', retryAfterSeconds: 90 });
    expect(accounts.startSync('a', T0 + SYNC_INTERVAL_MS - 1)).toEqual({ kind: 'too_soon', retryAfterSeconds: 1 });
    expect(accounts.startSync('a', T0 + SYNC_INTERVAL_MS).kind).toBe('run');
    expect(accounts.startSync('b', T0).kind).toBe('run');
    accounts.setScenario('c', { sync: ['rate_limited'] });
    expect(behaviourOf(accounts.startSync('c', T0))).toBe('rate_limited');
    expect(behaviourOf(accounts.startSync('c', T0 + 1))).toBe('rate_limited');
    expect(new SimAccounts(false).startSync('a', T0).kind).toBe('run');
  });

  it('marks the data AVAILABLE after a successful sync only', () => {
    const accounts = new SimAccounts(false);
    accounts.change('a', ChangeRequest.parse({ change: 'data_status', dataStatus: 'failed' }));
    accounts.setScenario('a', { sync: ['sync_error', 'success_legacy_spelling'] });
    accounts.startSync('a', T0);
    expect(accounts.state('a').dataStatus).toBe('FAILED');
    accounts.startSync('a', T0);
    expect(accounts.state('a').dataStatus).toBe('AVAILABLE');
  });

  it('applies each change and returns the webhook Mono would send for it', () => {
    const accounts = new SimAccounts(true);
    const change = (request: unknown) => accounts.change('a', ChangeRequest.parse(request));
    expect(change({ change: 'require_reauth' })).toEqual({ event: 'reauthorisation_required', accountId: 'a' });
    expect(accounts.state('a').needsReauth).toBe(true);
    expect(change({ change: 'data_status', dataStatus: 'partial' })).toEqual({
      event: 'account_updated',
      accountId: 'a',
      dataStatus: 'PARTIAL',
    });
    expect(change({ change: 'reauthorise', webhook: false })).toEqual({
      event: 'account_reauthorized',
      accountId: 'a',
    });
    expect(accounts.state('a')).toEqual({ linked: true, dataStatus: 'AVAILABLE', needsReauth: false });
    expect(change({ change: 'unlink' })).toEqual({ event: 'account_unlinked', accountId: 'a' });
    expect(accounts.state('a').linked).toBe(false);
  });
});

describe('sync answers', () => {
  it('answers each behaviour with Mono’s status and code', () => {
    expect(syncAnswer('success', {})).toMatchObject({ status: 200, code: 'SYNC_SUCCESSFUL' });
    expect(syncAnswer('slow', {})).toEqual(syncAnswer('success', {}));
    expect(syncAnswer('reauth_required', {}).body).toEqual({
      status: 'failed',
      hasNewData: false,
      code: 'REAUTHORISATION_REQUIRED',
      message: 'Account requires reauthorisation',
    });
    expect(syncAnswer('rate_limited', {})).toMatchObject({ status: 429, retryAfterSeconds: 120 });
    expect(syncAnswer('rate_limited', { retryAfterSeconds: 7 }).retryAfterSeconds).toBe(7);
    expect(syncAnswer('malformed', {})).toMatchObject({ status: 200, html: true });
    expect(tooSoonAnswer(90)).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS', retryAfterSeconds: 90 });
  });
});

describe('SimTraffic', () => {
  it('logs calls with the time and counts requests per second', () => {
    let clock = T0;
    const traffic = new SimTraffic(() => clock);
    const calls = traffic.calls;
    traffic.record({ method: 'POST', path: '/accounts/a/sync', accountId: 'a', status: 200, code: 'SYNC_ERROR' });
    traffic.record({ method: 'GET', path: '/x', accountId: null, status: 401 });
    expect(traffic.calls).toEqual([
      {
        at: new Date(T0).toISOString(),
        method: 'POST',
        path: '/accounts/a/sync',
        accountId: 'a',
        status: 200,
        code: 'SYNC_ERROR',
      },
      { at: new Date(T0).toISOString(), method: 'GET', path: '/x', accountId: null, status: 401 },
    ]);
    traffic.clearCalls();
    expect(traffic.calls).toBe(calls);
    expect(calls).toEqual([]);

    traffic.countRequest();
    traffic.countRequest();
    clock += 2_500;
    traffic.countRequest();
    const second = Math.floor(T0 / 1000);
    expect(traffic.rate()).toEqual({
      total: 3,
      maxPerSecond: 2,
      seconds: 2,
      perSecond: [
        [second, 2],
        [second + 2, 1],
      ],
    });
    traffic.resetRate();
    expect(traffic.rate()).toEqual({ total: 0, maxPerSecond: 0, seconds: 0, perSecond: [] });
  });

  it('keeps the latest 10,000 calls', () => {
    const traffic = new SimTraffic(() => T0);
    for (let i = 0; i < 10_005; i++) traffic.record({ method: 'GET', path: `/${i}`, accountId: null, status: 200 });
    expect(traffic.calls).toHaveLength(10_000);
    expect(traffic.calls[0]?.path).toBe('/5');
  });
});
