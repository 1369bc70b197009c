/**
 * Telling people, at real lengths on the time-skipping server: the immediate re-auth notice, reminders at 1d, 3d
 * and 7d, escalation to operators at 7d, everything cancelled when the owner acts or fresh data arrives, operator
 * resends, and webhook signatures checked by a verifier written here from the Standard Webhooks spec.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createReauthLinks } from '../../src/lib/reauth-link.js';
import { resendReauthLinkUpdate, workflowIdFor } from '../../src/workflows/account-lifecycle/api/messages.js';
import { eventually, TEST_LINK_SECRET, type Stack } from '../helpers/stack.js';
import { sleepUntilJustBefore, startTimeSkippingEnv, startTimeSkippingStack } from '../helpers/time-skipping.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

const SECRET_BYTES = Buffer.from('a-32-byte-secret-for-the-tests!!');
const WEBHOOK_SECRET = `whsec_${SECRET_BYTES.toString('base64')}`;
const DAY = 86_400_000;

interface Received {
  id: string;
  timestamp: string;
  signatureValid: boolean;
  body: { type: string; timestamp: string; data: Record<string, any> };
}

/** Standard Webhooks: base64(HMAC-SHA256(secret, `${id}.${timestamp}.${body}`)), sent as `v1,<sig>` (space-separated list). */
function verify(id: string, timestamp: string, body: string, header: string): boolean {
  const expected = createHmac('sha256', SECRET_BYTES).update(`${id}.${timestamp}.${body}`).digest();
  return header.split(' ').some((entry) => {
    const [version, sig] = entry.split(',');
    const given = Buffer.from(sig ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

let env: TestWorkflowEnvironment;
let stack: Stack;
let receiver: Server;
let received: Received[] = [];
let failNext = 0;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      const timestamp = String(req.headers['webhook-timestamp']);
      received.push({
        id,
        timestamp,
        signatureValid: verify(id, timestamp, raw, String(req.headers['webhook-signature'])),
        body: JSON.parse(raw),
      });
      if (failNext > 0) {
        failNext -= 1;
        res.writeHead(500).end();
      } else res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  env = await startTimeSkippingEnv(inject('temporalTestServerPath'));
  stack = await startTimeSkippingStack(env, {
    settings: {
      reauthRemindersMs: [1 * DAY, 3 * DAY, 7 * DAY],
      reauthEscalateAfterMs: 7 * DAY,
      reminderMinGapMs: 12 * 3_600_000,
    },
    notify: {
      channels: ['log', 'webhook'],
      webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
      webhookSecret: WEBHOOK_SECRET,
    },
  });
});
afterAll(async () => {
  await stack?.stop();
  await env?.teardown();
  await new Promise<void>((r) => receiver?.close(() => r()));
});
beforeEach(() => {
  received = [];
});

const typesFor = (id: string): string[] =>
  received
    .filter((m) => m.body.data.accountId === id)
    .map((m) => `${m.body.type}${m.body.data.reminder ? `#${m.body.data.reminder}` : ''}`);
const settle = (id: string, n: number) =>
  eventually(
    () => Promise.resolve(typesFor(id)),
    (t) => t.length === n
  );
async function quiet(id: string, n: number): Promise<void> {
  await new Promise((r) => setTimeout(r, 300));
  expect(typesFor(id)).toHaveLength(n);
}

describe('reauth_required cadence', () => {
  it('notifies at once, reminds at 1d, 3d and 7d, escalates at 7d, then stays quiet', async () => {
    const id = newAccountId();
    await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }));
    await settle(id, 1);
    const first = received[0]!;
    expect(first.body).toMatchObject({ type: 'account.reauth_required', data: { accountId: id } });
    expect(first.signatureValid).toBe(true);
    const link = new URL(first.body.data.reauthUrl as string);
    expect(link.origin + link.pathname).toBe(`http://reauth.test/reauth/${id}`);
    const links = createReauthLinks({ baseUrl: 'http://reauth.test', secrets: [TEST_LINK_SECRET], ttlMs: 7 * DAY });
    const param = (name: string) => link.searchParams.get(name) ?? undefined;
    expect(links.check(id, { exp: param('exp'), kid: param('kid'), sig: param('sig') }, Date.now())).toBe('valid');

    const entered = Date.parse((await stack.state(id)).since!);
    for (const [n, offset] of [
      [1, 1 * DAY],
      [2, 3 * DAY],
      [3, 7 * DAY],
    ] as const) {
      const view = await stack.state(id);
      expect(Date.parse(view.reauth!.nextReminderAt!) - entered).toBe(offset);
      await sleepUntilJustBefore(env, view.reauth!.nextReminderAt!, 60_000);
      await quiet(id, n);
      await env.sleep('2m');
      await settle(id, n === 3 ? 5 : n + 1);
    }
    // The last reminder and the escalation are due at the same moment and are delivered side by side.
    const types = typesFor(id);
    expect(types.slice(0, 3)).toEqual([
      'account.reauth_required',
      'account.reauth_reminder#1',
      'account.reauth_reminder#2',
    ]);
    expect(types.slice(3).sort()).toEqual(['account.escalated', 'account.reauth_reminder#3']);
    const escalated = received.find((m) => m.body.type === 'account.escalated')!;
    expect(escalated.body.data).toMatchObject({
      state: 'reauth_required',
      reason: 'the owner has not re-authorised in 7 days',
    });
    expect(await stack.state(id)).toMatchObject({
      escalated: true,
      reauth: { remindersSent: 3, nextReminderAt: null, escalateAt: null },
    });
    expect(received.every((m) => m.signatureValid)).toBe(true);
    expect(new Set(received.map((m) => m.id)).size).toBe(received.length);

    await env.sleep('30d');
    await quiet(id, 5);
  });

  it('when the owner re-authorises after the first reminder, reminders and escalation are cancelled', async () => {
    const id = newAccountId();
    await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }));
    await env.sleep(DAY + 60_000);
    await settle(id, 2);
    await stack.post(webhookBody(id, { kind: 'account_reauthorized' }));
    await settle(id, 3);
    expect(typesFor(id)).toEqual(['account.reauth_required', 'account.reauth_reminder#1', 'account.recovered']);
    await stack.post(webhookBody(id, { kind: 'account_updated', dataStatus: 'available' }));
    await env.sleep(10 * DAY);
    await quiet(id, 3);
    expect(await stack.state(id)).toMatchObject({ state: 'synced', escalated: false, reauth: null });
  });

  it('when fresh data arrives instead, everything pending is cancelled too', async () => {
    const id = newAccountId();
    await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }));
    await settle(id, 1);
    await stack.post(webhookBody(id, { kind: 'account_synced' }));
    await settle(id, 2);
    await env.sleep(8 * DAY);
    await quiet(id, 2);
    expect(typesFor(id)).toEqual(['account.reauth_required', 'account.recovered']);
  });
});

describe('delivery', () => {
  it('a failed delivery is retried with the same webhook-id', async () => {
    const id = newAccountId();
    failNext = 1;
    await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }));
    await settle(id, 1);
    await env.sleep('1m');
    await settle(id, 2);
    const [a, b] = received.filter((m) => m.body.data.accountId === id);
    expect(a!.id).toBe(b!.id);
    expect(a!.body.type).toBe('account.reauth_required');
  });
});

describe('resendReauthLink', () => {
  it('sends a fresh link at once, refuses a second within a minute, and later reminders keep their minimum gap', async () => {
    const id = newAccountId();
    const handle = stack.client.workflow.getHandle(workflowIdFor(id));
    await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }));
    await settle(id, 1);
    const tooSoon = await handle.executeUpdate(resendReauthLinkUpdate, { args: [{}] }).catch((e: unknown) => e);
    expect(tooSoon).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(String((tooSoon as WorkflowUpdateFailedError).cause?.message)).toMatch(
      /^a link was sent at .*; resend after /
    );

    await env.sleep(23 * 3_600_000);
    const accepted = await handle.executeUpdate(resendReauthLinkUpdate, { args: [{ reason: 'owner asked' }] });
    await settle(id, 2);
    expect(received.at(-1)!.body).toMatchObject({
      type: 'account.reauth_required',
      data: { resent: true, reauthUrl: expect.any(String) },
    });
    expect(received.at(-1)!.id).toBe(accepted.noticeId);

    // The 1-day reminder is due an hour later, but must wait 12 h after the resend.
    await env.sleep(2 * 3_600_000);
    await quiet(id, 2);
    await env.sleep(11 * 3_600_000);
    await settle(id, 3);
    expect(typesFor(id).at(-1)).toBe('account.reauth_reminder#1');
  });

  it('is refused where there is nothing to re-authorise', async () => {
    const id = newAccountId();
    await stack.post(webhookBody(id, { kind: 'account_synced' }));
    const refused = await stack.client.workflow
      .getHandle(workflowIdFor(id))
      .executeUpdate(resendReauthLinkUpdate, { args: [{}] })
      .catch((e: unknown) => e);
    expect(String((refused as WorkflowUpdateFailedError).cause?.message)).toBe(
      'the account is synced; there is no re-authorisation to ask for'
    );
  });
});
