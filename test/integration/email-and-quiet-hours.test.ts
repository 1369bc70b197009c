/**
 * Email to the owner's registered address through a real SMTP server started here (smtp-server), and quiet
 * hours deferring — not dropping — a reminder, at real lengths on the time-skipping server.
 */
import type { AddressInfo } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { workflowIdFor } from '../../src/workflows/account-lifecycle/api/messages.js';
import { eventually, TEST_ADMIN_TOKEN, type Stack } from '../helpers/stack.js';
import { startTimeSkippingEnv, startTimeSkippingStack } from '../helpers/time-skipping.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

interface Mail {
  to: string[];
  raw: string;
}

let env: TestWorkflowEnvironment;
let stack: Stack;
let smtp: SMTPServer;
const mails: Mail[] = [];

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, done) {
      let raw = '';
      stream.on('data', (c: Buffer) => (raw += c.toString()));
      stream.on('end', () => {
        // Undo quoted-printable soft line breaks and escapes, enough to read links.
        raw = raw
          .replace(/=\r?\n/g, '')
          .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
        done();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  const port = (smtp.server.address() as AddressInfo).port;
  env = await startTimeSkippingEnv(inject('temporalTestServerPath'));
  stack = await startTimeSkippingStack(env, {
    settings: { reauthRemindersMs: [86_400_000], quietHours: '21:00-08:00', defaultTimeZone: 'Africa/Lagos' },
    notify: { channels: ['log', 'email'], smtpUrl: `smtp://127.0.0.1:${port}`, from: 'Reauth <reauth@example.com>' },
  });
});
afterAll(async () => {
  await stack?.stop();
  await env?.teardown();
  await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
});

const putContact = (id: string, body: unknown) =>
  fetch(`${stack.baseUrl}/accounts/${id}/contact`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const mailsTo = (address: string) => mails.filter((m) => m.to.includes(address));
/** Lagos is UTC+1 all year: ms until the next `hour`:00 there. */
async function untilLagosHour(hour: number): Promise<number> {
  const now = await env.currentTimeMs();
  const lagos = new Date(now + 3_600_000);
  const target = Date.UTC(lagos.getUTCFullYear(), lagos.getUTCMonth(), lagos.getUTCDate(), hour) - 3_600_000;
  return (target > now ? target : target + 86_400_000) - now;
}

it('refuses a bad contact with 400 and registers a good one before the first webhook', async () => {
  const id = newAccountId();
  expect((await putContact(id, { email: 'not-an-email' })).status).toBe(400);
  expect((await putContact(id, { timeZone: 'Lagos' })).status).toBe(400);
  expect((await putContact(id, {})).status).toBe(400);
  expect((await putContact(id, { email: 'owner@example.com' })).status).toBe(202);
  const view = await eventually(
    () => stack.state(id),
    (v) => v.contact.email
  );
  expect(view).toMatchObject({ state: null, contact: { email: true, timeZone: null } });
  expect(JSON.stringify(view)).not.toContain('owner@example.com'); // the query shows whether, not what
});

it('emails the owner the re-auth link, and defers a reminder due in quiet hours to 08:00 local', async () => {
  const id = newAccountId();
  const address = `owner-${id}@example.com`;
  expect((await putContact(id, { email: address })).status).toBe(202);
  // Enter reauth_required at 22:00 in Lagos, so the 1-day reminder falls due at 22:00 the next day.
  await env.sleep(await untilLagosHour(22));
  await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }));
  await eventually(
    () => Promise.resolve(mailsTo(address)),
    (m) => m.length === 1
  );
  const first = mailsTo(address)[0]!.raw;
  expect(first).toMatch(/Subject: Please reconnect your bank account/);
  // Ids unique for all time (the workflow's uuid), never a per-account count that restarts with a new run.
  expect(first).toMatch(/Message-ID: <msg_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}@mono-reauth>/);
  expect(first).toContain(`http://reauth.test/reauth/${id}?exp=`);

  await env.sleep(86_400_000 + 60_000); // 22:01 next day: due, but quiet
  const deferred = await eventually(
    () => stack.state(id),
    (v) => v.reauth?.nextReminderAt !== undefined
  );
  expect(mailsTo(address)).toHaveLength(1);
  const lagosTime = new Date(Date.parse(deferred.reauth!.nextReminderAt!) + 3_600_000).toISOString().slice(11, 16);
  expect(lagosTime).toBe('08:00');
  // The deferral was worked out by a local activity, its answer recorded in history: a replay never asks the
  // worker's time-zone data again (a Node or tzdata upgrade cannot make it diverge).
  const history = await stack.client.workflow.getHandle(workflowIdFor(id)).fetchHistory();
  const localActivities = (history.events ?? [])
    .map((e) => e.markerRecordedEventAttributes)
    .filter((m) => m?.markerName === 'core_local_activity')
    .map((m) => JSON.parse(Buffer.from(m!.details!.data!.payloads![0]!.data!).toString()) as { activity_type: string });
  expect(localActivities.map((la) => la.activity_type)).toContain('quietHoursEnd');

  await env.sleep(await untilLagosHour(8));
  await env.sleep(60_000);
  await eventually(
    () => Promise.resolve(mailsTo(address)),
    (m) => m.length === 2
  );
  expect(mailsTo(address)[1]!.raw).toMatch(/Subject: Reminder: please reconnect your bank account/);
});

it('skips email for an owner with no registered address (and still tells the log)', async () => {
  const id = newAccountId();
  await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }));
  await eventually(
    () => stack.state(id),
    (v) => v.pendingNotices === 0 && v.state === 'reauth_required'
  );
  expect(mails.filter((m) => m.raw.includes(id))).toHaveLength(0);
});
