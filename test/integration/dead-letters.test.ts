/**
 * Per-channel delivery, dead letters and redelivery on real parts (dev server, simulator, receivers on real
 * ports, the admin API and the CLI as a child process): one channel's permanent failure never stops another;
 * the failed channel is kept as a dead letter, visible in the account and across accounts (MonoUndelivered), and
 * redelivered by an operator under the same webhook-id; notice ids never repeat across runs; and search attributes
 * follow the state while a Mono call is still running.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { workflowIdFor } from '../../src/workflows/account-lifecycle/api/messages.js';
import type { UndeliveredNotice } from '../../src/workflows/account-lifecycle/model/types.js';
import { eventually, startStack, TEST_ADMIN_TOKEN, type Stack } from '../helpers/stack.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';
import { runCliOnStack } from '../helpers/cli.js';
import { receiver, TEST_WHSEC } from '../helpers/receiver.js';

const SECRET = TEST_WHSEC;
/** The operators' own secret: operator notices are never signed with the customer's. */
const OPERATORS_SECRET = `whsec_${Buffer.alloc(32, 'p').toString('base64')}`;

const refusing = new Set<string>();
let customer: Awaited<ReturnType<typeof receiver>>;
let operators: Awaited<ReturnType<typeof receiver>>;
let stack: Stack;

const cli = (args: string[], stdin = '') => runCliOnStack(stack.taskQueue, args, stdin);

const admin = (path: string, init: { method?: string; body?: unknown } = {}) =>
  fetch(`${stack.adminUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });

beforeAll(async () => {
  customer = await receiver((accountId) => (refusing.has(accountId) ? 400 : 204));
  operators = await receiver(() => 204);
  stack = await startStack({
    address: inject('temporalAddress'),
    settings: { syncRetryBackoffMs: [1_000] },
    notify: {
      channels: ['log', 'webhook'],
      webhookUrl: customer.url,
      webhookSecret: SECRET,
      operatorWebhookUrl: operators.url,
      operatorWebhookSecret: OPERATORS_SECRET,
    },
  });
});
afterAll(async () => {
  await stack?.stop();
  for (const r of [customer, operators]) await new Promise<void>((done) => r?.server.close(() => done()));
});

/** An account escalated at once (Mono does not know it), so an `account.escalated` notice goes to every channel. */
async function escalatedAccount(): Promise<string> {
  const id = newAccountId();
  stack.sim.setScenario(id, { sync: ['not_found'] });
  refusing.add(id);
  expect((await stack.post(webhookBody(id, { kind: 'sync_failed' }))).status).toBe(200);
  await eventually(
    () => stack.state(id),
    (v) => v.escalated && v.pendingNotices === 0,
    30_000
  );
  return id;
}

describe('one channel never blocks another', () => {
  it('a permanent 4xx on the customer webhook leaves the log and the operator webhook delivered', async () => {
    const id = await escalatedAccount();
    expect(operators.hits.filter((h) => h.accountId === id).map((h) => h.type)).toEqual(['account.escalated']);
    expect(customer.hits.filter((h) => h.accountId === id).map((h) => h.status)).toEqual([400]);
    const view = await stack.state(id);
    expect(view.notices.undelivered).toHaveLength(1);
    expect(view.notices.undelivered[0]).toMatchObject({
      type: 'account.escalated',
      channel: 'webhook',
      error: 'the notification webhook answered 400; fix the receiver',
    });
  });
});

describe('dead letters and redelivery', () => {
  it('lists an account’s dead letters and those of every account, by the admin API and the CLI', async () => {
    const id = await escalatedAccount();
    const own = (await (await admin(`/accounts/${id}/notices`)).json()) as { undelivered: UndeliveredNotice[] };
    expect(own.undelivered.map((u) => u.channel)).toEqual(['webhook']);
    const everywhere = await eventually(
      async () =>
        (await (await admin('/notices/undelivered')).json()) as {
          notices: Array<UndeliveredNotice & { accountId: string }>;
        },
      (r) => r.notices.some((n) => n.accountId === id),
      20_000
    );
    expect(everywhere.notices.find((n) => n.accountId === id)).toMatchObject({ id: own.undelivered[0]!.id });
    const listed = await cli(['notices', 'list', '--json']);
    expect(listed.code).toBe(0);
    expect(
      (JSON.parse(listed.stdout) as { notices: Array<{ accountId: string }> }).notices.map((n) => n.accountId)
    ).toContain(id);
    const table = await cli(['notices', 'list', '--account', id]);
    expect(table.stdout).toMatch(/ACCOUNT\s+NOTICE\s+TYPE\s+CHANNEL/);
    expect(table.stdout).toContain('1 undelivered notice in 1 account');
    expect((await admin('/notices/undelivered?since=yesterday')).status).toBe(400);
  });

  it('redelivers with the CLI after a preview and confirmation, under the same webhook-id', async () => {
    const id = await escalatedAccount();
    const [letter] = (await stack.state(id)).notices.undelivered;
    refusing.delete(id); // the receiver is fixed
    const declined = await cli(['notices', 'redeliver', '--account', id], 'n\n');
    expect(declined).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/Redeliver 1 undelivered notice in 1 account[\s\S]*Aborted/),
    });
    expect((await stack.state(id)).notices.undelivered).toHaveLength(1);

    const done = await cli(['notices', 'redeliver', '--account', id, '--yes', '--json']);
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ total: 1, requeued: 1, failed: 0 });
    await eventually(
      () => stack.state(id),
      (v) => v.notices.undelivered.length === 0 && v.pendingNotices === 0,
      20_000
    );
    const hits = customer.hits.filter((h) => h.accountId === id);
    expect(hits.map((h) => [h.id, h.status])).toEqual([
      [letter!.id, 400],
      [letter!.id, 204],
    ]);
    await eventually(
      async () =>
        (await stack.client.workflow.getHandle(workflowIdFor(id)).describe()).searchAttributes.MonoUndelivered,
      (v) => Array.isArray(v) && v[0] === false,
      10_000
    );
  });

  it('redelivers by the admin API: one account (409 when nothing matches) and every account since a time', async () => {
    const a = await escalatedAccount();
    const since = new Date().toISOString();
    const b = await escalatedAccount();
    refusing.delete(a);
    refusing.delete(b);
    expect(
      (await admin(`/accounts/${a}/notices/redeliver`, { method: 'POST', body: { noticeIds: ['nope'] } })).status
    ).toBe(409);
    expect((await admin(`/accounts/${a}/notices/redeliver`, { method: 'POST', body: { since: 'soon' } })).status).toBe(
      400
    );
    const one = await admin(`/accounts/${a}/notices/redeliver`, { method: 'POST', body: {} });
    expect(one.status).toBe(202);
    expect(((await one.json()) as { requeued: string[] }).requeued).toHaveLength(1);
    await eventually(
      async () => (await (await admin('/notices/undelivered')).json()) as { notices: Array<{ accountId: string }> },
      (r) => r.notices.some((n) => n.accountId === b),
      20_000
    );
    const all = await admin('/notices/redeliver', { method: 'POST', body: { since, spreadOver: '0s' } });
    expect(all.status).toBe(202);
    const job = (await all.json()) as { id: string };
    const done = await eventually(
      async () => (await (await admin(`/jobs/${job.id}`)).json()) as { status: string },
      (j) => j.status !== 'running',
      20_000
    );
    // a's notices were requeued a moment ago, so only b still has a dead letter failed since then.
    expect(done).toMatchObject({ status: 'completed', progress: { counts: { requeued: 1 } } });
    for (const id of [a, b]) {
      await eventually(
        () => stack.state(id),
        (v) => v.notices.undelivered.length === 0 && v.pendingNotices === 0,
        20_000
      );
      expect(customer.hits.filter((h) => h.accountId === id).map((h) => h.status)).toEqual([400, 204]);
    }
  });
});

describe('ids that never repeat', () => {
  it('a new run after a terminate sends new message ids', async () => {
    const id = newAccountId();
    const ids = async (n: number) =>
      (
        await eventually(
          () => Promise.resolve(customer.hits.filter((h) => h.accountId === id)),
          (hits) => hits.length >= n,
          20_000
        )
      ).map((h) => h.id);
    await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }));
    const [first] = await ids(1);
    await stack.client.workflow.getHandle(workflowIdFor(id)).terminate('testing a new run');
    await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }));
    const [, second] = await ids(2);
    expect(second).toMatch(/^msg_[0-9a-f-]{36}$/);
    expect(second).not.toBe(first);
  });
});

describe('search attributes follow the state', () => {
  it('while the institution lookup is still waiting on a slow Mono', async () => {
    const id = newAccountId();
    stack.sim.setScenario(id, { delayMs: 6_000 });
    await stack.post(webhookBody(id, { kind: 'account_connected' }));
    await new Promise((r) => setTimeout(r, 500)); // the lookup is in flight
    await stack.post(webhookBody(id, { kind: 'account_updated', dataStatus: 'failed' }));
    const sent = Date.now();
    await eventually(
      async () =>
        (await stack.client.workflow.getHandle(workflowIdFor(id)).describe()).searchAttributes.MonoAccountState,
      (v) => Array.isArray(v) && v[0] === 'sync_failed',
      10_000
    );
    expect(Date.now() - sent).toBeLessThan(3_000);
  });
});
