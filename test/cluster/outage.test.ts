/**
 * Outages of Temporal's own server and its database, on a cluster of this file's own: the frontend (the whole
 * server) killed mid-traffic and restarted, and PostgreSQL restarted. A webhook either gets 200 — and then its
 * account shows it — or 503, and is redelivered as Mono would; nothing acknowledged is ever lost.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../../scripts/cluster/temporal-cluster.js';
import { eventually, startStack, type Stack } from '../helpers/stack.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

let cluster: Cluster;
let stack: Stack;

beforeAll(async () => {
  cluster = await startCluster();
  stack = await startStack({ address: cluster.address, ingressTimeoutMs: 2_000 });
});

afterAll(async () => {
  await stack?.stop();
  await cluster?.stop();
});

/** Posts until Temporal acknowledges (200), as Mono redelivers after a 503; returns the statuses seen. */
async function deliverUntilAccepted(body: unknown, deadlineMs: number): Promise<number[]> {
  const statuses: number[] = [];
  for (;;) {
    const { status } = await stack.post(body);
    statuses.push(status);
    if (status === 200) return statuses;
    expect(status).toBe(503);
    if (Date.now() > deadlineMs) throw new Error(`never accepted: ${statuses.join(',')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

it('the server killed and restarted mid-traffic: 503 while it is down, then every account shows its event', async () => {
  const ids = Array.from({ length: 30 }, () => newAccountId());
  const statuses: number[][] = [];
  const sending = (async () => {
    for (const id of ids) {
      statuses.push(
        await deliverUntilAccepted(webhookBody(id, { kind: 'reauthorisation_required' }), Date.now() + 90_000)
      );
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  await new Promise((r) => setTimeout(r, 700));
  await cluster.killServer();
  await new Promise((r) => setTimeout(r, 3_000));
  await cluster.startServer();
  await sending;
  expect(statuses.flat()).toContain(503);
  for (const id of ids) {
    await eventually(
      () => stack.state(id),
      (v) => v.state === 'reauth_required',
      60_000
    );
  }
});

it('PostgreSQL restarted: webhooks are refused or accepted, never lost, and the accounts keep their state', async () => {
  const before = newAccountId();
  expect((await stack.post(webhookBody(before, { kind: 'sync_failed' }))).status).toBe(200);
  await eventually(
    () => stack.state(before),
    (v) => v.state === 'sync_failed'
  );
  await cluster.restartPostgres();
  const after = newAccountId();
  await deliverUntilAccepted(webhookBody(after, { kind: 'account_synced' }), Date.now() + 90_000);
  await eventually(
    () => stack.state(after),
    (v) => v.state === 'synced',
    60_000
  );
  expect((await stack.state(before)).state).toBe('sync_failed');
});
