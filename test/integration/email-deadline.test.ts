/**
 * An email attempt has an overall deadline, under the activity's 30 s start-to-close, across connecting, the
 * greeting and the whole send, and honours the activity's cancellation: either way the SMTP session is closed and
 * the attempt is a transient failure. The activity heartbeats while the attempt is in flight, so that Temporal can
 * deliver a cancellation to it. Against smtp-server, stalling in the middle of DATA.
 */
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FAILURE } from '../../src/activities/failures.js';
import { createNotifyActivities } from '../../src/activities/notify/activities.js';
import { EMAIL_DEADLINE_MS, Notifier } from '../../src/activities/notify/notifier.js';
import { createLogger } from '../../src/lib/logger.js';
import { DEVELOPMENT_OUTBOUND } from '../../src/lib/outbound.js';
import { createReauthLinks } from '../../src/lib/reauth-link.js';
import type { Notice } from '../../src/workflows/account-lifecycle/model/types.js';

const DEADLINE_MS = 1_500;
/** How long the server sits on the message before it reads the rest and answers: well past the deadline. */
const STALL_MS = 8_000;
const links = createReauthLinks({ baseUrl: 'http://reauth.test', secrets: ['k'.repeat(40)], ttlMs: 60_000 });
const notice: Notice = {
  id: 'msg_slow_1',
  type: 'account.reauth_required',
  audience: 'owner',
  at: new Date().toISOString(),
  data: { accountId: 'acc1' },
};
const owner = { email: 'owner@example.com' };

let smtp: SMTPServer;
let port: number;
let messages = 0;
let closed = 0;
let accepted = 0;
let onMessage: () => void = () => undefined;

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, done) {
      messages++;
      onMessage();
      stream.pause();
      setTimeout(() => {
        stream.resume();
        stream.on('end', () => {
          accepted++;
          done();
        });
      }, STALL_MS);
    },
    onClose() {
      closed++;
    },
  });
  smtp.on('error', () => undefined); // a client closing mid-DATA is reported here too
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  port = (smtp.server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => smtp.close(() => r())));
beforeEach(() => {
  messages = 0;
  closed = 0;
  accepted = 0;
  onMessage = () => undefined;
});

const activities = (emailDeadlineMs?: number) =>
  createNotifyActivities({
    notifier: new Notifier(
      {
        channels: ['email'],
        smtpUrl: `smtp://127.0.0.1:${port}`,
        from: 'reauth@example.com',
        outbound: DEVELOPMENT_OUTBOUND,
        smtpRequireTls: false,
        ...(emailDeadlineMs !== undefined ? { emailDeadlineMs } : {}),
      },
      links,
      createLogger('silent')
    ),
  });

const until = async (condition: () => boolean, ms = 3_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!condition() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
};

describe('an email attempt against a server that stalls mid-DATA', () => {
  it('fails as transient within its deadline, one message attempt, and the session is closed', async () => {
    const env = new MockActivityEnvironment();
    const started = Date.now();
    const err = await env
      .run(() => activities(DEADLINE_MS).deliverNoticeOn(notice, 'email', owner, false))
      .catch((e: unknown) => e);
    const took = Date.now() - started;
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: FAILURE.notifyTransient });
    expect((err as Error).message).toMatch(/did not finish within 1\.5 s/);
    expect((err as Error).message).not.toContain('owner@example.com');
    expect(took).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(took).toBeLessThan(DEADLINE_MS + 1_000);
    await until(() => closed === 1);
    expect(closed).toBe(1);
    expect(messages).toBe(1);
    expect(accepted).toBe(0);
  });

  it('by default the deadline is 20 s, under the activity start-to-close of 30 s (src/workflows/account-lifecycle/effects.ts)', () => {
    expect(EMAIL_DEADLINE_MS).toBe(20_000);
  });
});

describe('a cancelled email attempt', () => {
  it('heartbeats while in flight, and on cancellation closes the SMTP session and fails as transient', async () => {
    const env = new MockActivityEnvironment();
    let heartbeats = 0;
    env.on('heartbeat', () => heartbeats++);
    let cancelledAt = 0;
    onMessage = () =>
      setTimeout(() => {
        cancelledAt = Date.now();
        env.cancel();
      }, 300);
    const err = await env
      .run(() => activities().deliverNoticeOn(notice, 'email', owner, false))
      .catch((e: unknown) => e);
    expect(cancelledAt).toBeGreaterThan(0);
    expect(Date.now() - cancelledAt).toBeLessThan(1_000);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: FAILURE.notifyTransient });
    expect((err as Error).message).toMatch(/cancelled/);
    expect(heartbeats).toBeGreaterThanOrEqual(1);
    await until(() => closed === 1);
    expect(closed).toBe(1);
    expect(messages).toBe(1);
    expect(accepted).toBe(0);
  });
});
