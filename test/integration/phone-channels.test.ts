/**
 * SMS and WhatsApp on real parts: the service's stack on the Temporal dev server, the simulator's fake Africa's
 * Talking and WhatsApp Cloud API on its real port, the owners' STOP replies through the providers' callbacks
 * (authenticated as each provider documents), opt-outs through the API, a refused key, a retry after a 429 and
 * quiet hours holding the first SMS back. No number ever appears in a log line.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SIM_PHONE_CREDENTIALS } from '../../src/mono-sim/phone-credentials.js';
import type { SimMessage } from '../../src/mono-sim/simulator.js';
import type { AccountView } from '../../src/workflows/account-lifecycle/model/types.js';
import { eventually, startStack, TEST_ADMIN_TOKEN, type Stack } from '../helpers/stack.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

const PHONE_NOTIFY = {
  channels: ['log', 'sms', 'whatsapp'] as Array<'log' | 'sms' | 'whatsapp'>,
  sms: { apiUrl: '', username: SIM_PHONE_CREDENTIALS.atUsername, apiKey: SIM_PHONE_CREDENTIALS.atApiKey },
  whatsapp: {
    apiUrl: '',
    phoneNumberId: SIM_PHONE_CREDENTIALS.waPhoneNumberId,
    accessToken: SIM_PHONE_CREDENTIALS.waAccessToken,
    language: 'en',
  },
};

let stack: Stack;
const logs: string[] = [];
let counter = 0;
/** A fresh valid Nigerian mobile number per test (opt-outs are durable and shared by every stack). */
const newPhone = (): string =>
  `+234803${String(Date.now() % 10_000).padStart(4, '0')}${String(counter++ % 1000).padStart(3, '0')}`;

beforeAll(async () => {
  stack = await startStack({ address: inject('temporalAddress'), notify: PHONE_NOTIFY, logs });
});
afterAll(async () => {
  await stack?.stop();
});

const admin = (path: string, method: string, body: unknown) =>
  fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const sim = (path: string, body: unknown) =>
  fetch(`${stack.sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const messagesTo = (phone: string): SimMessage[] => stack.sim.messages.filter((m) => m.to === phone);
/** Waits until the fake providers have received `count` messages for `phone`. */
const received = (phone: string, count: number) =>
  eventually(
    () => Promise.resolve(messagesTo(phone)),
    (m) => m.length === count,
    20_000
  );
const optedOut = async (phone: string): Promise<boolean> =>
  ((await (await admin('/phone-opt-outs/lookup', 'POST', { phone })).json()) as { optedOut: boolean }).optedOut;
const settled = (id: string) =>
  eventually(
    () => stack.state(id),
    (v: AccountView) => v.state === 'reauth_required' && v.pendingNotices === 0,
    20_000
  );

async function ownerInReauth(phone: string, whatsApp = true): Promise<string> {
  const id = newAccountId();
  expect((await admin(`/accounts/${id}/contact`, 'PUT', { phone, whatsApp })).status).toBe(202);
  await eventually(
    () => stack.state(id),
    (v) => v.contact.phone === true
  );
  await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }));
  return id;
}

describe('sms and whatsapp', () => {
  it('refuses a phone that is not a valid E.164 number, without echoing it', async () => {
    const id = newAccountId();
    for (const phone of ['08031234567', '+234 803 123 4567', '+2340000000000']) {
      const res = await admin(`/accounts/${id}/contact`, 'PUT', { phone });
      expect(res.status).toBe(400);
      expect(await res.text()).not.toContain(phone);
    }
  });

  it("sends the re-auth link by SMS (one segment) and as a WhatsApp template, through the providers' APIs", async () => {
    const phone = newPhone();
    const id = await ownerInReauth(phone);
    await received(phone, 2);
    const sms = messagesTo(phone).find((m) => m.channel === 'sms')!;
    const whatsapp = messagesTo(phone).find((m) => m.channel === 'whatsapp')!;
    expect(sms).toMatchObject({ encoding: 'GSM-7', segments: 1 });
    expect(sms.text).toContain(`http://reauth.test/reauth/${id}?exp=`);
    // The built-in template (templates/en/reauth_required/whatsapp.json): the app's name, then the link.
    expect(whatsapp).toMatchObject({ template: 'account_reauth_required', language: 'en' });
    expect(whatsapp.parameters?.[1]).toContain(`http://reauth.test/reauth/${id}?exp=`);
    const view = await settled(id);
    expect(JSON.stringify(view)).not.toContain(phone.slice(1));
    // The simulator's log shows each message with the number masked; no log line has the number.
    const all = logs.join('');
    expect(all).toContain(`SMS to ${phone.slice(0, 4)}`);
    expect(all).toMatch(/fake WhatsApp Cloud API: template account_reauth_required \(en\)/);
    expect(all).not.toContain(phone.slice(4));
  });

  it('skips the phone channels for an owner without a number, and WhatsApp without consent', async () => {
    const id = newAccountId();
    await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }));
    await settled(id);
    const phone = newPhone();
    const noConsent = await ownerInReauth(phone, false);
    await received(phone, 1);
    expect(messagesTo(phone)[0]!.channel).toBe('sms');
    await settled(noConsent);
  });

  it('a STOP reply by SMS opts the number out of both channels durably; the API opts it back in', async () => {
    const phone = newPhone();
    const id = await ownerInReauth(phone);
    await received(phone, 2);
    await settled(id);
    expect(await (await sim('/_sim/sms/inbound', { from: phone, text: 'STOP' })).json()).toMatchObject({
      delivered: true,
    });
    await eventually(() => optedOut(phone), Boolean);
    // The owner re-authorises: the "connected again" message is not sent to the opted-out number.
    await stack.post(webhookBody(id, { kind: 'account_reauthorized' }));
    const view = await eventually(
      () => stack.state(id),
      (v) => v.history.some((h) => h.cause.includes('skipped on whatsapp')) && v.pendingNotices === 0,
      20_000
    );
    const skipped = view.history.filter((h) => h.cause.includes('skipped on'));
    expect(skipped.map((h) => h.cause).join('\n')).toMatch(/skipped on sms: the owner opted out of SMS and WhatsApp/);
    expect(messagesTo(phone)).toHaveLength(2);

    const back = await admin('/phone-opt-outs', 'PUT', { phone, optedOut: false });
    expect(await back.json()).toEqual({ optedOut: false, changed: true });
    await eventually(
      () => optedOut(phone),
      (o) => !o
    );
  });

  it('a signed WhatsApp STOP opts out; a forged signature or a wrong callback key is refused', async () => {
    const phone = newPhone();
    expect(await (await sim('/_sim/whatsapp/inbound', { from: phone, text: 'stop' })).json()).toMatchObject({
      delivered: true,
    });
    await eventually(() => optedOut(phone), Boolean);

    const other = newPhone();
    const body = JSON.stringify({
      entry: [{ changes: [{ value: { messages: [{ from: other.slice(1), text: { body: 'STOP' } }] } }] }],
    });
    const forged = await fetch(`${stack.baseUrl}/webhooks/whatsapp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': `sha256=${createHmac('sha256', 'not-the-app-secret').update(body).digest('hex')}`,
      },
      body,
    });
    expect(forged.status).toBe(401);
    const wrongKey = await fetch(`${stack.baseUrl}/webhooks/africastalking/incoming?key=guess`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ from: other, text: 'STOP' }).toString(),
    });
    expect(wrongKey.status).toBe(401);
    expect(await optedOut(other)).toBe(false);

    const handshake = new URLSearchParams({
      'hub.mode': 'subscribe',
      'hub.verify_token': SIM_PHONE_CREDENTIALS.waVerifyToken,
      'hub.challenge': '1158201444',
    });
    const verified = await fetch(`${stack.baseUrl}/webhooks/whatsapp?${handshake.toString()}`);
    expect(await verified.text()).toBe('1158201444');
    handshake.set('hub.verify_token', 'guess');
    expect((await fetch(`${stack.baseUrl}/webhooks/whatsapp?${handshake.toString()}`)).status).toBe(403);
  });

  it("honours a 429's Retry-After from the WhatsApp API and sends on the next attempt", async () => {
    await sim('/_sim/phone-failures', { channel: 'whatsapp', status: 429, code: 130429, retryAfter: '1' });
    const phone = newPhone();
    const id = await ownerInReauth(phone);
    await eventually(
      () => Promise.resolve(messagesTo(phone).filter((m) => m.channel === 'whatsapp')),
      (m) => m.length === 1,
      20_000
    );
    await settled(id);
  });
});

describe('a refused key, and quiet hours', () => {
  let other: Stack;
  const otherLogs: string[] = [];
  beforeAll(async () => {
    const now = new Date();
    const hhmm = (d: Date) => d.toISOString().slice(11, 16);
    // A quiet window around now (UTC), ending in about ten minutes.
    const window = `${hhmm(new Date(now.getTime() - 60_000))}-${hhmm(new Date(now.getTime() + 600_000))}`;
    other = await startStack({
      address: inject('temporalAddress'),
      notify: { ...PHONE_NOTIFY, sms: { ...PHONE_NOTIFY.sms, apiKey: 'wrong-key' } },
      settings: { quietHours: window, defaultTimeZone: 'UTC' },
      logs: otherLogs,
    });
  });
  afterAll(async () => {
    await other?.stop();
  });

  it('holds the first SMS and WhatsApp message to the end of quiet hours; the log channel goes at once', async () => {
    const id = newAccountId();
    const phone = newPhone();
    const res = await fetch(`${other.baseUrl}/accounts/${id}/contact`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ phone, whatsApp: true }),
    });
    expect(res.status).toBe(202);
    await other.post(webhookBody(id, { kind: 'reauthorisation_required' }));
    const view = await eventually(
      () => other.state(id),
      (v) =>
        !!v.notices.pending[0]?.channels.sms?.nextAttemptAt && !!v.notices.pending[0]?.channels.whatsapp?.nextAttemptAt
    );
    const channels = view.notices.pending[0]!.channels;
    expect(channels.log?.status).toBe('sent');
    expect(channels.sms).toMatchObject({ status: 'pending' });
    expect(channels.sms?.attempts).toBeUndefined();
    expect(Date.parse(channels.sms!.nextAttemptAt!)).toBeGreaterThan(Date.now() + 60_000);
    expect(other.sim.messages.filter((m) => m.to === phone)).toHaveLength(0);
  });

  it("makes a dead letter of an SMS that Africa's Talking refuses for a wrong key (an owner outside quiet hours)", async () => {
    const id = newAccountId();
    const phone = newPhone();
    // UTC+14: the window around now in UTC is not quiet there.
    const res = await fetch(`${other.baseUrl}/accounts/${id}/contact`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ phone, whatsApp: true, timeZone: 'Pacific/Kiritimati' }),
    });
    expect(res.status).toBe(202);
    await eventually(
      () => other.state(id),
      (v) => v.contact.phone === true
    );
    await other.post(webhookBody(id, { kind: 'reauthorisation_required' }));
    const view = await eventually(
      () => other.state(id),
      (v) => v.notices.undelivered.length === 1 && v.pendingNotices === 0,
      20_000
    );
    expect(view.notices.undelivered[0]).toMatchObject({ channel: 'sms' });
    expect(view.notices.undelivered[0]!.error).toMatch(/Africa's Talking refused the credentials \(401\)/);
    expect(other.sim.messages.filter((m) => m.to === phone).map((m) => m.channel)).toEqual(['whatsapp']);
    expect(otherLogs.join('')).not.toContain('wrong-key');
  });
});
