/**
 * On real parts (dev server, simulator, a receiver on a real port): the owner's re-auth notice goes out at once,
 * not after the institution lookup (Mono is made slow for the account); a re-auth notice still being retried when
 * the account recovers is dropped before its next attempt, so an owner never gets "reconnect" after "recovered";
 * and one channel's failures never hold up another channel.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { eventually, startStack, type Stack } from '../helpers/stack.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

const MONO_DELAY_MS = 4_000;
let receiver: Server;
let stack: Stack;
const received: Array<{ type: string; accountId: string; at: number; answered: number }> = [];
/** Accounts whose re-auth notices the receiver answers 500 (it is down for them). */
const failingReauth = new Set<string>();

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const parsed = JSON.parse(body) as { type: string; data: { accountId: string } };
      const fail = failingReauth.has(parsed.data.accountId) && parsed.type === 'account.reauth_required';
      received.push({
        type: parsed.type,
        accountId: parsed.data.accountId,
        at: Date.now(),
        answered: fail ? 500 : 200,
      });
      res.writeHead(fail ? 500 : 200).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  stack = await startStack({
    address: inject('temporalAddress'),
    notify: { channels: ['webhook'], webhookUrl: url, webhookSecret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
  });
});

afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((r) => receiver.close(() => r()));
});

const noticesOf = (id: string) => received.filter((n) => n.accountId === id && n.answered === 200);

it('the re-auth notice goes out at once, while the institution lookup is still waiting on Mono', async () => {
  const id = newAccountId();
  stack.sim.setScenario(id, { delayMs: MONO_DELAY_MS });
  const sent = Date.now();
  expect((await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }))).status).toBe(200);
  const [first] = await eventually(
    () => Promise.resolve(noticesOf(id)),
    (n) => n.length >= 1,
    20_000
  );
  expect(first!.type).toBe('account.reauth_required');
  expect(first!.at - sent).toBeLessThan(MONO_DELAY_MS - 1_000);
});

it('a re-auth notice still being retried when the account recovers is dropped; only "recovered" arrives', async () => {
  const id = newAccountId();
  failingReauth.add(id);
  expect((await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }))).status).toBe(200);
  // The first attempt fails; the next is due about 5 seconds later (Standard Webhooks schedule, with jitter).
  const retrying = await eventually(
    () => stack.state(id),
    (v) => v.notices?.pending[0]?.channels.webhook?.nextAttemptAt !== undefined,
    15_000
  );
  expect(retrying.notices.pending[0]!.channels.webhook).toMatchObject({ status: 'pending', attempts: 1 });
  failingReauth.delete(id); // the receiver is back: a stale notice would now get through
  expect((await stack.post(webhookBody(id, { kind: 'account_synced' }))).status).toBe(200);
  const view = await eventually(
    () => stack.state(id),
    (v) => v.state === 'synced' && v.pendingNotices === 0,
    20_000
  );
  await new Promise((r) => setTimeout(r, 8_000)); // past the time the retry was due
  expect(noticesOf(id).map((n) => n.type)).toEqual(['account.recovered']);
  expect(view.history.some((t) => /re-auth notices dropped/.test(t.cause))).toBe(true);
  expect(view.notices.undelivered).toEqual([]);
});
