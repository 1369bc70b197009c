/**
 * End to end on the real dev server: an email attempt stuck mid-DATA for a notice that becomes stale (the owner
 * re-authorised) is cancelled by the workflow, and the worker learns of it from a heartbeat within seconds, not at
 * the attempt's 20 s deadline: the SMTP session is closed and no second message is attempted.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { eventually, startStack, TEST_ADMIN_TOKEN, type Stack } from '../helpers/stack.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

let stack: Stack;
let smtp: SMTPServer;
/** Each message's subject and SMTP session, as DATA arrives; and when each session was closed. */
const messages: Array<{ subject: string; session: string }> = [];
const closedAt = new Map<string, number>();

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, done) {
      let raw = '';
      stream.on('data', (c: Buffer) => {
        raw += c.toString();
        const subject = /^Subject: (.*)$/m.exec(raw)?.[1];
        if (subject && !messages.some((m) => m.session === session.id)) messages.push({ subject, session: session.id });
      });
      // No answer to DATA for longer than the attempt's deadline.
      stream.on('end', () => setTimeout(() => done(), 40_000).unref());
    },
    onClose(session) {
      closedAt.set(session.id, Date.now());
    },
  });
  smtp.on('error', () => undefined);
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  const port = (smtp.server.address() as AddressInfo).port;
  stack = await startStack({
    address: inject('temporalAddress'),
    notify: { channels: ['log', 'email'], smtpUrl: `smtp://127.0.0.1:${port}`, from: 'reauth@example.com' },
  });
});
afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
});

it('a stale notice: its email attempt in flight is cancelled and its SMTP session closed within seconds', async () => {
  const id = newAccountId();
  const contact = await fetch(`${stack.baseUrl}/accounts/${id}/contact`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email: `owner-${id}@example.com` }),
  });
  expect(contact.status).toBe(202);
  await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }));
  const reauth = () => messages.filter((m) => m.subject === 'Please reconnect your bank account');
  const [stuck] = await eventually(
    () => Promise.resolve(reauth()),
    (found) => found.length === 1,
    30_000
  );
  const staleAt = Date.now();
  await stack.post(webhookBody(id, { kind: 'account_reauthorized' }));
  const closed = await eventually(
    () => Promise.resolve(closedAt.get(stuck!.session)),
    (at) => at !== undefined,
    30_000
  );
  expect(closed! - staleAt).toBeLessThan(8_000);
  await new Promise((r) => setTimeout(r, 1_000));
  expect(reauth()).toHaveLength(1); // the stale notice is not tried again (the owner may get "connected again")
});
