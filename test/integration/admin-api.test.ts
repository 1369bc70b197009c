/**
 * The admin API and /metrics against a real dev server: bearer auth, listing from visibility with
 * filters and pagination, account detail, retry through the update (202 / 409 with the validator's reason),
 * clear 404s, and the counters moving with real traffic.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, startStack, TEST_ADMIN_TOKEN, type Stack } from '../helpers/stack.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';
import { UNAUTHORIZED_ERROR } from '../../src/server/access.js';

let stack: Stack;
const institution = `Test Bank ${process.pid}`;
const ids = {
  failedA: newAccountId(),
  failedB: newAccountId(),
  failedC: newAccountId(),
  synced: newAccountId(),
  unlinked: newAccountId(),
};

beforeAll(async () => {
  stack = await startStack({ address: inject('temporalAddress'), gaugeRefreshMs: 500 });
  for (const id of [ids.failedA, ids.failedB, ids.failedC, ids.synced, ids.unlinked])
    stack.sim.setScenario(id, { institution });
  for (const id of [ids.failedA, ids.failedB, ids.failedC]) await stack.post(webhookBody(id, { kind: 'sync_failed' }));
  await stack.post(webhookBody(ids.synced, { kind: 'account_synced' }));
  // Connected first, so the institution is looked up before the account is unlinked.
  await stack.post(webhookBody(ids.unlinked, { kind: 'account_connected' }));
  await eventually(
    () => stack.state(ids.unlinked),
    (v) => v.institution === institution
  );
  await stack.post(webhookBody(ids.unlinked, { kind: 'account_unlinked' }));
});
afterAll(async () => {
  await stack?.stop();
});

async function admin(path: string, init: RequestInit & { token?: string | null } = {}) {
  const { token = TEST_ADMIN_TOKEN, ...rest } = init;
  const res = await fetch(`${stack.baseUrl}${path}`, {
    ...rest,
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

const byInstitution = `institution=${encodeURIComponent(institution)}`;

describe('auth', () => {
  it('refuses a missing or wrong bearer token with 401', async () => {
    expect((await admin('/accounts', { token: null })).status).toBe(401);
    const wrong = await admin(`/accounts/${ids.synced}`, { token: 'nope' });
    expect(wrong).toEqual({
      status: 401,
      json: { error: UNAUTHORIZED_ERROR },
    });
  });
});

describe('GET /accounts', () => {
  it('lists accounts in a state from visibility, filtered by institution', async () => {
    const res = await eventually(
      () => admin(`/accounts?state=sync_failed&${byInstitution}`),
      (r) => r.json.accounts?.length === 3
    );
    expect(res.status).toBe(200);
    expect(res.json.accounts.map((a: { accountId: string }) => a.accountId).sort()).toEqual(
      [ids.failedA, ids.failedB, ids.failedC].sort()
    );
    expect(res.json.accounts[0]).toMatchObject({
      state: 'sync_failed',
      escalated: false,
      institution,
      since: expect.any(String),
    });
  });

  it('pages with pageSize and pageToken', async () => {
    await eventually(
      () => admin(`/accounts?state=sync_failed&${byInstitution}`),
      (r) => r.json.accounts?.length === 3
    );
    const first = await admin(`/accounts?state=sync_failed&${byInstitution}&pageSize=2`);
    expect(first.json.accounts).toHaveLength(2);
    expect(first.json.nextPageToken).toEqual(expect.any(String));
    const second = await admin(
      `/accounts?state=sync_failed&${byInstitution}&pageSize=2&pageToken=${first.json.nextPageToken}`
    );
    const all = [...first.json.accounts, ...second.json.accounts].map((a: { accountId: string }) => a.accountId);
    expect(new Set(all).size).toBe(3);
  });

  it.each([
    { what: 'garbage', token: 'garbage-token' },
    { what: 'a truncated token', token: 'AAAA' },
  ])('answers a garbled pageToken ($what) with an immediate 400, not a 503 after the deadline', async ({ token }) => {
    const started = Date.now();
    const res = await admin(`/accounts?state=sync_failed&pageToken=${token}`);
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(/pageToken is not one this service issued/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('finds an unlinked (completed) account and filters on escalated', async () => {
    await eventually(
      () => admin(`/accounts?state=unlinked&${byInstitution}`),
      (r) => r.json.accounts?.length === 1
    );
    const notEscalated = await eventually(
      () => admin(`/accounts?escalated=false&${byInstitution}`),
      (r) => r.json.accounts?.length === 5
    );
    expect(notEscalated.status).toBe(200);
    expect((await admin(`/accounts?escalated=true&${byInstitution}`)).json.accounts).toEqual([]);
  });

  it('refuses bad filters with 400 instead of passing them into the query', async () => {
    const res = await admin(`/accounts?state=broken`);
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(/^state: /);
    expect((await admin(`/accounts?institution=${encodeURIComponent("x' OR 1=1")}`)).status).toBe(400);
  });
});

describe('GET /accounts/:id', () => {
  it('answers the state query, and 404 for an unknown account', async () => {
    const res = await admin(`/accounts/${ids.failedA}`);
    expect(res).toMatchObject({
      status: 200,
      json: { accountId: ids.failedA, state: 'sync_failed', escalated: false, attempts: 0 },
    });
    expect(res.json.history).toHaveLength(1);
    const missing = await admin('/accounts/doesnotexist123');
    expect(missing).toEqual({
      status: 404,
      json: { error: 'no account doesnotexist123: no workflow mono-account-doesnotexist123 exists' },
    });
  });
});

describe('POST /accounts/:id/retry', () => {
  it('202 with when the sync will run; the workflow calls Mono', async () => {
    stack.sim.setScenario(ids.failedB, { institution, sync: ['success'] });
    const res = await admin(`/accounts/${ids.failedB}/retry`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'bank is back' }),
    });
    expect(res).toMatchObject({ status: 202, json: { state: 'sync_failed', syncAt: expect.any(String) } });
    const view = await eventually(
      () => admin(`/accounts/${ids.failedB}`),
      (r) => r.json.state === 'synced'
    );
    expect(view.json.history.map((t: { cause: string }) => t.cause)).toContain('operator:retrySync (bank is back)');
  });

  it('409 with the validator’s reason when refused, 404 when unknown, 400 on a bad body', async () => {
    expect(await admin(`/accounts/${ids.synced}/retry`, { method: 'POST', body: '{}' })).toEqual({
      status: 409,
      json: { error: 'the account is synced; there is nothing to retry' },
    });
    expect(await admin(`/accounts/${ids.unlinked}/retry`, { method: 'POST', body: '{}' })).toEqual({
      status: 409,
      json: { error: 'the account is unlinked; its workflow has completed' },
    });
    expect((await admin('/accounts/doesnotexist123/retry', { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await admin(`/accounts/${ids.failedA}/retry`, { method: 'POST', body: '{"force":true}' })).status).toBe(
      400
    );
  });
});

describe('POST /accounts/:id/reauth-link', () => {
  it('202 with the message id in reauth_required; 409 with the reason elsewhere; 404 when unknown', async () => {
    const id = newAccountId();
    await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }));
    // The first notice went out just now; an operator resend must wait a minute, and says so.
    const tooSoon = await admin(`/accounts/${id}/reauth-link`, { method: 'POST', body: '{}' });
    expect(tooSoon.status).toBe(409);
    expect(tooSoon.json.error).toMatch(/^a link was sent at .*; resend after /);
    expect(await admin(`/accounts/${ids.failedA}/reauth-link`, { method: 'POST', body: '{}' })).toEqual({
      status: 409,
      json: { error: 'the account is sync_failed; there is no re-authorisation to ask for' },
    });
    expect((await admin('/accounts/doesnotexist123/reauth-link', { method: 'POST', body: '{}' })).status).toBe(404);
  });
});

describe('GET /metrics', () => {
  it('exposes webhook, latency and Mono call metrics that moved with this test’s traffic', async () => {
    await stack.post(webhookBody(ids.failedC, { kind: 'sync_failed' }), { 'mono-webhook-secret': 'wrong' });
    const text = await (await fetch(`${stack.baseUrl}/metrics`)).text();
    expect(text).toMatch(/mono_reauth_webhooks_total\{event="sync_failed",outcome="accepted"\} 3/);
    expect(text).toMatch(/mono_reauth_webhooks_total\{event="unknown",outcome="unauthorized"\} 1/);
    expect(text).toMatch(/mono_reauth_ingress_duration_seconds_count\{outcome="accepted"\} \d+/);
    expect(text).toMatch(/mono_reauth_mono_api_calls_total\{endpoint="POST \/accounts\/\{id\}\/sync",outcome="ok"\} 1/);
    expect(text).toMatch(/mono_reauth_mono_api_calls_total\{endpoint="GET \/v2\/accounts\/\{id\}",outcome="ok"\} \d+/);
  });

  it('keeps the accounts-by-state gauges current while the service runs', async () => {
    const gauge = (text: string, state: string): number =>
      Number(new RegExp(`mono_reauth_accounts\\{state="${state}"\\} (\\d+)`).exec(text)?.[1] ?? -1);
    const text = await eventually(
      async () => (await fetch(`${stack.baseUrl}/metrics`)).text(),
      (t) => gauge(t, 'sync_failed') >= 1 && gauge(t, 'unlinked') >= 1 && gauge(t, 'synced') >= 1
    );
    expect(gauge(text, 'sync_failed')).toBeGreaterThanOrEqual(1);
  });
});
