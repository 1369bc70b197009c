/** The re-auth page over HTTP: valid, expired, tampered, already fixed and unknown links; the widget asset. */
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { eventually, startStack, TEST_ADMIN_TOKEN, type Stack } from '../helpers/stack.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

let stack: Stack;
const needsReauth = newAccountId();
const fixed = newAccountId();
const unlinked = newAccountId();
const contactOnly = newAccountId();
beforeAll(async () => {
  stack = await startStack({ address: inject('temporalAddress') });
  await stack.post(webhookBody(unlinked, { kind: 'reauthorisation_required' }));
  await stack.post(webhookBody(unlinked, { kind: 'account_unlinked' }));
  await fetch(`${stack.adminUrl}/accounts/${contactOnly}/contact`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ timeZone: 'Africa/Lagos' }),
  });
  await stack.post(webhookBody(needsReauth, { kind: 'reauthorisation_required' }));
  await stack.post(webhookBody(fixed, { kind: 'reauthorisation_required' }));
  await stack.post(webhookBody(fixed, { kind: 'account_reauthorized' }));
});
afterAll(async () => {
  await stack?.stop();
});

/** Opens a link the way the owner would: the path and query of a link made for the test's base URL. */
async function open(link: string): Promise<{ status: number; html: string; headers: Headers }> {
  const url = new URL(link);
  const res = await fetch(`${stack.baseUrl}${url.pathname}${url.search}`);
  return { status: res.status, html: await res.text(), headers: res.headers };
}

it('a valid link for an account needing re-auth renders the widget page for that account, and changes nothing', async () => {
  const link = stack.links.create(needsReauth, Date.now());
  const first = await open(link);
  expect(first.status).toBe(200);
  expect(first.html).toContain('Reconnect your bank account');
  expect(first.html).toContain(`"accountId":"${needsReauth}"`);
  expect(first.html).toContain('connect.reauthorise(config.accountId)');
  expect(first.headers.get('cache-control')).toBe('no-store');
  expect(first.headers.get('referrer-policy')).toBe('no-referrer');
  const before = await stack.state(needsReauth);
  expect((await open(link)).status).toBe(200); // clicking twice is harmless
  expect((await stack.state(needsReauth)).history).toEqual(before.history);
});

it('an expired link says so (410) and what to do', async () => {
  const res = await open(stack.links.create(needsReauth, Date.now() - 8 * 86_400_000));
  expect(res.status).toBe(410);
  expect(res.html).toContain('This link has expired');
});

it('a tampered link is refused (403): changed signature, changed account, changed expiry, missing parts', async () => {
  const link = new URL(stack.links.create(needsReauth, Date.now()));
  const variants = [
    `${link.pathname}?exp=${link.searchParams.get('exp')}&sig=${'A'.repeat(43)}`,
    `/reauth/${fixed}${link.search}`,
    `${link.pathname}?exp=${Number(link.searchParams.get('exp')) + 86_400}&sig=${link.searchParams.get('sig')}`,
    link.pathname,
  ];
  for (const path of variants) {
    const res = await fetch(`${stack.baseUrl}${path}`);
    expect(res.status, path).toBe(403);
    expect(await res.text()).toContain('This link is not valid');
  }
});

it('a link for an account that is already fixed says there is nothing to do', async () => {
  const res = await open(stack.links.create(fixed, Date.now()));
  expect(res.status).toBe(200);
  expect(res.html).toContain('Your bank account is already connected');
  expect(res.html).not.toContain('reauthorise');
});

it('a link for an unlinked account says it was disconnected, not that it is connected', async () => {
  await eventually(
    () => open(stack.links.create(unlinked, Date.now())),
    (r) => r.status === 410
  );
  const res = await open(stack.links.create(unlinked, Date.now()));
  expect(res.html).toContain('This bank account was disconnected');
  expect(res.html).not.toContain('already connected');
  expect(res.html).not.toContain('reauthorise');
});

it('a link for an account known only by its registered contact (no event yet) says it cannot be found', async () => {
  const res = await open(stack.links.create(contactOnly, Date.now()));
  expect(res.status).toBe(404);
  expect(res.html).not.toContain('already connected');
});

it('a valid link for an unknown account answers 404', async () => {
  const res = await open(stack.links.create('unknownaccount42', Date.now()));
  expect(res.status).toBe(404);
});

it('serves the Mono Connect widget script', async () => {
  const res = await fetch(`${stack.baseUrl}/reauth/assets/connect.js`);
  expect(res.status).toBe(200);
  expect(await res.text()).toContain('@mono.co/connect.js');
});
