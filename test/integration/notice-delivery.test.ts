/**
 * Delivering notices at real lengths on the time-skipping server, to a receiver on a real port: retries on the
 * Standard Webhooks schedule with jitter until NOTIFY_RETRY_FOR (a day) has passed, then a dead letter with the
 * same webhook-id on every attempt; a receiver's Retry-After honoured; a notice being retried never holds up the
 * account's own work; and an escalation that an operator's retry does not forget.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { retrySyncUpdate, workflowIdFor } from '../../src/workflows/account-lifecycle/api/messages.js';
import { MonoUndelivered } from '../../src/workflows/account-lifecycle/api/search-attributes.js';
import { eventually, type Stack } from '../helpers/stack.js';
import { startTimeSkippingEnv, startTimeSkippingStack } from '../helpers/time-skipping.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

const SECRET = `whsec_${Buffer.from('a-32-byte-secret-for-the-tests!!').toString('base64')}`;
const DAY = 86_400_000;

type Answer = { status: number; retryAfter?: string };
const answers = new Map<string, Answer>();
const received: Array<{ accountId: string; id: string; type: string; status: number }> = [];
let receiver: Server;
let env: TestWorkflowEnvironment;
let stack: Stack;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw) as { type: string; data: { accountId: string } };
      const answer = answers.get(body.data.accountId) ?? { status: 204 };
      received.push({
        accountId: body.data.accountId,
        id: String(req.headers['webhook-id']),
        type: body.type,
        status: answer.status,
      });
      res.writeHead(answer.status, answer.retryAfter ? { 'retry-after': answer.retryAfter } : {}).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  env = await startTimeSkippingEnv(inject('temporalTestServerPath'));
  stack = await startTimeSkippingStack(env, {
    settings: { reauthRemindersMs: [], reauthEscalateAfterMs: 7 * DAY, notifyRetryForMs: DAY },
    notify: {
      channels: ['webhook'],
      webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
      webhookSecret: SECRET,
    },
  });
});
afterAll(async () => {
  await stack?.stop();
  await env?.teardown();
  await new Promise<void>((r) => receiver.close(() => r()));
});

const of = (id: string) => received.filter((m) => m.accountId === id);
const webhookDelivery = async (id: string) => (await stack.state(id)).notices?.pending[0]?.channels.webhook;

describe('retries and dead letters', () => {
  it('retries a failing receiver on the Standard Webhooks schedule for a day, then keeps a dead letter', async () => {
    const id = newAccountId();
    answers.set(id, { status: 500 });
    await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }));
    const first = await eventually(
      () => webhookDelivery(id),
      (d) => d?.nextAttemptAt !== undefined
    );
    // The first retry is 5 seconds after the failed attempt, ±20 % jitter (measured from the attempt's start, so the
    // attempt's own round trip is inside the figure).
    const wait = Date.parse(first!.nextAttemptAt!) - Date.parse(first!.firstAttemptAt!);
    expect(wait).toBeGreaterThanOrEqual(4_000);
    expect(wait).toBeLessThanOrEqual(8_000);

    await env.sleep(DAY + 3_600_000);
    const view = await eventually(
      () => stack.state(id),
      (v) => (v.notices?.undelivered.length ?? 0) === 1
    );
    const letter = view.notices.undelivered[0]!;
    expect(letter).toMatchObject({ type: 'account.reauth_required', channel: 'webhook' });
    expect(letter.error).toMatch(
      /^gave up after (8|9) attempts in (23|24) hours: the notification webhook answered 500/
    );
    expect(view.pendingNotices).toBe(0);
    // Every attempt carried the same message id, so a receiver that dedupes never sees two messages.
    const attempts = of(id);
    expect(attempts.length).toBeGreaterThanOrEqual(8);
    expect(new Set(attempts.map((a) => a.id))).toEqual(new Set([letter.id]));
    expect(view.history.at(-1)!.cause).toMatch(new RegExp(`notice ${letter.id} not delivered on webhook: gave up`));

    const described = await stack.client.workflow.getHandle(workflowIdFor(id)).describe();
    expect(described.typedSearchAttributes.get(MonoUndelivered)).toBe(true);
    const metric = await stack.metrics.notifications.get();
    const count = (outcome: string) =>
      metric.values.find(
        (v) =>
          v.labels.type === 'account.reauth_required' && v.labels.channel === 'webhook' && v.labels.outcome === outcome
      )?.value ?? 0;
    expect(count('failed')).toBeGreaterThanOrEqual(1);
    expect(count('retrying')).toBeGreaterThanOrEqual(attempts.length - 1);
  });

  it("honours a 429's Retry-After", async () => {
    const id = newAccountId();
    answers.set(id, { status: 429, retryAfter: '3600' });
    await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }));
    const delivery = await eventually(
      () => webhookDelivery(id),
      (d) => d?.nextAttemptAt !== undefined
    );
    const wait = Date.parse(delivery!.nextAttemptAt!) - Date.parse(delivery!.firstAttemptAt!);
    expect(wait).toBeGreaterThanOrEqual(3_600_000);
    expect(wait).toBeLessThan(3_600_000 + 30_000);
    answers.delete(id);
    await env.sleep('61m');
    await eventually(
      () => stack.state(id),
      (v) => v.pendingNotices === 0 && v.notices.undelivered.length === 0
    );
    expect(of(id).map((m) => m.status)).toEqual([429, 204]);
  });

  it('a notice being retried never holds up the account: state changes and syncs go on', async () => {
    const id = newAccountId();
    stack.sim.setScenario(id, { sync: ['success'] });
    answers.set(id, { status: 503 });
    await stack.post(webhookBody(id, { kind: 'sync_failed' }));
    await stack.post(webhookBody(id, { kind: 'account_synced' })); // "recovered" goes out, and fails
    await eventually(
      () => webhookDelivery(id),
      (d) => d?.nextAttemptAt !== undefined
    );
    await stack.post(webhookBody(id, { kind: 'account_updated', dataStatus: 'failed' }));
    const moved = await stack.state(id);
    expect(moved.state).toBe('sync_failed');
    const described = await stack.client.workflow.getHandle(workflowIdFor(id)).describe();
    expect(described.searchAttributes.MonoAccountState).toEqual(['sync_failed']);
    await env.sleep('3m'); // the first retry is 2 minutes later, plus up to 25 % jitter
    const view = await eventually(
      () => stack.state(id),
      (v) => v.state === 'synced' && v.lastSync !== null
    );
    // The manual sync ran on time while the recovered notice was still waiting for its next attempt.
    expect(view.notices.pending.some((n) => n.type === 'account.recovered')).toBe(true);
  });
});

describe('escalation', () => {
  it('an operator retry after the 7-day escalation keeps the account escalated', async () => {
    const id = newAccountId();
    stack.sim.setScenario(id, { sync: ['reauth_required'] });
    await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }));
    await env.sleep(7 * DAY + 60_000);
    await eventually(
      () => stack.state(id),
      (v) => v.escalated
    );
    const handle = stack.client.workflow.getHandle(workflowIdFor(id));
    await handle.executeUpdate(retrySyncUpdate, { args: [{ reason: 'try once more' }] });
    expect((await stack.state(id)).escalated).toBe(true);
    await env.sleep('3m');
    const view = await eventually(
      () => stack.state(id),
      (v) => v.lastSync !== null
    );
    expect(view).toMatchObject({ state: 'reauth_required', escalated: true });
    expect(view.escalation?.reason).toMatch(/has not re-authorised in 7 days/);
  });
});
