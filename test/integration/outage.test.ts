/**
 * Temporal outage: with the server stopped, webhooks get 503 (quickly, with Retry-After) and nothing is
 * acknowledged; after a restart on the same SQLite file the redelivered webhook is accepted and the accounts
 * handled before the outage kept their state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server.js';
import { freePort } from '../helpers/ports.js';
import { eventually, startStack, type Stack } from '../helpers/stack.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

const INGRESS_TIMEOUT_MS = 2_000;
let dir: string;
let port: number;
let server: DevServer | undefined;
let stack: Stack;

const start = async (): Promise<DevServer> =>
  startDevServer({ cliPath: inject('temporalCliPath'), host: '127.0.0.1', port, dbFile: join(dir, 'temporal.sqlite') });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mono-reauth-outage-'));
  port = await freePort();
  server = await start();
  stack = await startStack({ address: server.address, ingressTimeoutMs: INGRESS_TIMEOUT_MS });
});

afterAll(async () => {
  await stack?.stop();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('when Temporal is down the webhook gets 503, and after a restart the redelivery is accepted and state was kept', async () => {
  const before = newAccountId();
  await stack.post(webhookBody(before, { kind: 'reauthorisation_required' }));
  expect((await stack.state(before)).state).toBe('reauth_required');

  await server!.stop();
  server = undefined;

  const during = newAccountId();
  const body = webhookBody(during, { kind: 'sync_failed' });
  const started = Date.now();
  const res = await fetch(`${stack.baseUrl}/webhooks/mono`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'mono-webhook-secret': 'test-webhook-secret' },
    body: JSON.stringify(body),
  });
  const elapsed = Date.now() - started;
  expect(res.status).toBe(503);
  expect(res.headers.get('retry-after')).toBe('10');
  expect(await res.json()).toEqual({
    error: 'Temporal did not confirm the event in time; retry later',
  });
  expect(elapsed).toBeLessThan(INGRESS_TIMEOUT_MS + 3_000); // bounded wait, not the client's ~30 s of retries
  expect((await fetch(`${stack.baseUrl}/readyz`)).status).toBe(503);

  server = await start();
  const redelivered = await eventually(
    () => stack.post(body),
    (r) => r.status === 200,
    30_000
  );
  expect(redelivered.json).toMatchObject({ ok: true });
  expect(
    await eventually(
      () => stack.state(during),
      (v) => v.state === 'sync_failed',
      30_000
    )
  ).toMatchObject({
    counts: { events: 1 },
  });
  expect((await stack.state(before)).state).toBe('reauth_required');
  expect((await fetch(`${stack.baseUrl}/readyz`)).status).toBe(200);
});
