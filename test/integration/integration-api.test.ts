/**
 * What a customer's app backend does with an integration token, against a real dev server: register the owner's
 * contact, read an account's status, and get a freshly signed re-auth link that opens the re-auth page. The same
 * token is refused (403) on the operator's routes, and a codec token may decode but not encode.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, startStack, TEST_ADMIN_TOKEN, type Stack } from '../helpers/stack.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

const INTEGRATION_TOKEN = 'integration-test-token';
const CODEC_TOKEN = 'codec-test-token';
let stack: Stack;
const needsReauth = newAccountId();
const synced = newAccountId();

beforeAll(async () => {
  stack = await startStack({
    address: inject('temporalAddress'),
    env: { INTEGRATION_TOKENS: `old-integration-token,${INTEGRATION_TOKEN}`, CODEC_TOKENS: CODEC_TOKEN },
  });
  stack.sim.setScenario(needsReauth, { institution: 'GTBank' });
  await stack.post(webhookBody(needsReauth, { kind: 'reauthorisation_required' }));
  await stack.post(webhookBody(synced, { kind: 'account_synced' }));
});
afterAll(async () => {
  await stack?.stop();
});

async function call(path: string, token: string | null, init: RequestInit = {}) {
  const res = await fetch(`${stack.adminUrl}${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', ...(token !== null && { authorization: `Bearer ${token}` }) },
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

describe('with an integration token', () => {
  it('reads an account’s status: { state, since, needsReauth }', async () => {
    const res = await call(`/accounts/${needsReauth}/status`, INTEGRATION_TOKEN);
    expect(res).toEqual({
      status: 200,
      json: { state: 'reauth_required', since: expect.any(String), needsReauth: true },
    });
    expect((await call(`/accounts/${synced}/status`, 'old-integration-token')).json).toMatchObject({
      state: 'synced',
      needsReauth: false,
    });
    expect((await call(`/accounts/${newAccountId()}/status`, INTEGRATION_TOKEN)).status).toBe(404);
  });

  it('gets a freshly signed re-auth link that opens the re-auth page, while the account needs re-auth', async () => {
    const res = await eventually(
      () => call(`/accounts/${needsReauth}/reauth-link`, INTEGRATION_TOKEN),
      (r) => r.json.institution === 'GTBank'
    );
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      url: expect.stringMatching(new RegExp(`^http://reauth\\.test/reauth/${needsReauth}\\?exp=\\d+&kid=`)),
      expiresAt: expect.any(String),
      state: 'reauth_required',
      institution: 'GTBank',
    });
    const expiresIn = Date.parse(res.json.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(6 * 86_400_000); // REAUTH_LINK_TTL, 7 days by default
    const link = new URL(res.json.url);
    const page = await fetch(`${stack.baseUrl}${link.pathname}${link.search}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Reconnect your bank account');
  });

  it('gets 409 for an account that does not need re-auth, 404 for no account', async () => {
    const fine = await call(`/accounts/${synced}/reauth-link`, INTEGRATION_TOKEN);
    expect(fine).toEqual({ status: 409, json: { error: expect.stringMatching(/state is synced/) } });
    expect((await call(`/accounts/${newAccountId()}/reauth-link`, INTEGRATION_TOKEN)).status).toBe(404);
  });

  it('registers a contact', async () => {
    const res = await call(`/accounts/${needsReauth}/contact`, INTEGRATION_TOKEN, {
      method: 'PUT',
      body: JSON.stringify({ email: 'owner@example.com', timeZone: 'Africa/Lagos' }),
    });
    expect(res).toEqual({ status: 202, json: { accepted: true } });
  });

  it('is refused with 403 on the operator’s routes; a wrong token gets 401', async () => {
    for (const [path, method] of [
      ['/accounts', 'GET'],
      [`/accounts/${needsReauth}`, 'GET'],
      [`/accounts/${needsReauth}/reauth-link`, 'POST'],
      ['/accounts/import', 'POST'],
    ] as const) {
      const res = await call(path, INTEGRATION_TOKEN, { method, body: method === 'POST' ? '{}' : undefined });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.json.error).toBe('an integration token may not use this route; it needs an operator token');
    }
    expect((await call(`/accounts/${needsReauth}/status`, 'wrong-token')).status).toBe(401);
    expect((await call(`/accounts/${needsReauth}/status`, null)).status).toBe(401);
  });
});

describe('an operator token', () => {
  it('uses the integration routes too', async () => {
    expect((await call(`/accounts/${needsReauth}/status`, TEST_ADMIN_TOKEN)).status).toBe(200);
    expect((await call(`/accounts/${needsReauth}/reauth-link`, TEST_ADMIN_TOKEN)).status).toBe(200);
  });
});

describe('a codec token', () => {
  const codec = (direction: string, token: string) =>
    call(`/codec/${direction}`, token, { method: 'POST', body: JSON.stringify({ payloads: [] }) });

  it('may decode, not encode, and nothing of the admin API', async () => {
    expect((await codec('decode', CODEC_TOKEN)).status).toBe(200);
    expect(await codec('encode', CODEC_TOKEN)).toEqual({
      status: 403,
      json: { error: 'a codec token may not use this route; it needs an operator token' },
    });
    expect((await codec('encode', TEST_ADMIN_TOKEN)).status).toBe(200);
    expect((await call(`/accounts/${needsReauth}/status`, CODEC_TOKEN)).status).toBe(403);
    expect((await codec('decode', INTEGRATION_TOKEN)).status).toBe(403);
  });
});
