/**
 * Nothing lost at the end, nothing sent that is no longer true (real dev server, receivers on real ports): an
 * account unlinked while an operator notice is still being retried stays open until the notice is delivered, then
 * completes with MonoUndelivered cleared; one whose notice gives up completes with its dead letter kept, listable
 * by operators; and a delivery attempt in flight is cancelled once the owner has fixed the account.
 */
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { MonoUndelivered } from '../../src/workflows/account-lifecycle/api/search-attributes.js';
import { workflowIdFor } from '../../src/workflows/account-lifecycle/api/messages.js';
import { receiver, TEST_WHSEC, type Receiver } from '../helpers/receiver.js';
import { eventually, startStack, TEST_ADMIN_TOKEN, type Stack } from '../helpers/stack.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

let operators: Receiver;
let stack: Stack;
const answers = new Map<string, number>();

beforeAll(async () => {
  operators = await receiver((accountId) => answers.get(accountId) ?? 500);
  stack = await startStack({
    address: inject('temporalAddress'),
    // The owner never re-authorises: operators are told after a second.
    settings: { reauthRemindersMs: [], reauthEscalateAfterMs: 1_000 },
    notify: { channels: ['log'], operatorWebhookUrl: operators.url, operatorWebhookSecret: TEST_WHSEC },
  });
});
afterAll(async () => {
  await stack?.stop();
  await operators?.close();
});

/** An escalated account whose operator notice the receiver has refused once; then unlinked. */
async function unlinkWhileNotifying(accountId: string): Promise<void> {
  expect((await stack.post(webhookBody(accountId, { kind: 'reauthorisation_required' }))).status).toBe(200);
  await eventually(
    () => Promise.resolve(operators.hits.filter((h) => h.accountId === accountId).length),
    (n) => n >= 1
  );
  expect((await stack.post(webhookBody(accountId, { kind: 'account_unlinked' }))).status).toBe(200);
  await eventually(
    () => stack.state(accountId),
    (v) => v.state === 'unlinked'
  );
}

const described = (accountId: string) => stack.client.workflow.getHandle(workflowIdFor(accountId)).describe();

it('delivers the operator notice still being retried before the unlinked account completes', async () => {
  const id = newAccountId();
  await unlinkWhileNotifying(id);
  expect((await described(id)).status.name).toBe('RUNNING');
  expect((await stack.state(id)).notices.pending.map((n) => n.type)).toEqual(['account.escalated']);
  answers.set(id, 204);
  const done = await eventually(
    () => described(id),
    (d) => d.status.name === 'COMPLETED',
    30_000
  );
  expect(done.typedSearchAttributes.get(MonoUndelivered)).toBe(false);
  expect(operators.hits.filter((h) => h.accountId === id).map((h) => h.status)).toEqual([500, 204]);
});

it('keeps a notice that gave up as a dead letter an operator can list after the account completed', async () => {
  const id = newAccountId();
  await unlinkWhileNotifying(id);
  answers.set(id, 400);
  const done = await eventually(
    () => described(id),
    (d) => d.status.name === 'COMPLETED',
    30_000
  );
  expect(done.typedSearchAttributes.get(MonoUndelivered)).toBe(true);
  const listed = await eventually(
    async () => {
      const res = await fetch(`${stack.adminUrl}/notices/undelivered`, {
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      });
      return (await res.json()) as { notices: Array<{ accountId: string; type: string }> };
    },
    (body) => body.notices.some((n) => n.accountId === id)
  );
  expect(listed.notices.find((n) => n.accountId === id)?.type).toBe('account.escalated');
});

it('cancels a delivery attempt in flight once its notice is no longer wanted', async () => {
  const slow = await import('node:http').then(({ createServer }) =>
    createServer((_req, res) => void setTimeout(() => res.writeHead(204).end(), 20_000).unref())
  );
  await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
  const port = (slow.address() as { port: number }).port;
  const owner = await startStack({
    address: inject('temporalAddress'),
    notify: { channels: ['log', 'webhook'], webhookUrl: `http://127.0.0.1:${port}/hook`, webhookSecret: TEST_WHSEC },
  });
  try {
    const id = newAccountId();
    expect((await owner.post(webhookBody(id, { kind: 'reauthorisation_required' }))).status).toBe(200);
    const history = () => owner.client.workflow.getHandle(workflowIdFor(id)).fetchHistory();
    await eventually(history, (h) => (h.events ?? []).some((e) => e.activityTaskStartedEventAttributes));
    expect((await owner.post(webhookBody(id, { kind: 'account_synced' }))).status).toBe(200);
    const after = await eventually(
      history,
      (h) => (h.events ?? []).some((e) => e.activityTaskCancelRequestedEventAttributes),
      10_000
    );
    expect(after.events?.some((e) => e.activityTaskCancelRequestedEventAttributes)).toBe(true);
    const view = await owner.state(id);
    expect(view.notices.pending.map((n) => n.type)).not.toContain('account.reauth_required');
  } finally {
    await owner.stop();
    slow.closeAllConnections();
    slow.close();
  }
});
