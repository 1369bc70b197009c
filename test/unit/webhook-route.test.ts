/**
 * The webhook contract on the real Express app and a real port, with the hand-off to Temporal injected: every
 * answer the ingress can give without a Temporal server (401, 400, 413, unknown events, the 503/500 mapping of
 * Temporal's errors), and what an accepted event carries.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DeliveryResult } from '../../src/accounts/client.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { createApp } from '../../src/server/app.js';
import { createDeliveryKey } from '../../src/server/webhooks/delivery-key.js';
import type { AccountEvent } from '../../src/workflows/account-lifecycle/model/types.js';
import { SEED_ACCOUNT_SYNCED, SEED_REAUTH_REQUIRED, TEST_SECRET } from '../helpers/webhooks.js';

let server: Server;
const metrics = createMetrics();
let url: string;
const delivered: AccountEvent[] = [];
/** The service's log lines, parsed. */
const logLines: Array<Record<string, unknown>> = [];
let answer: () => Promise<DeliveryResult> = () =>
  Promise.resolve({ status: 'accepted', workflowId: 'mono-account-x', runId: 'r1' });

beforeAll(async () => {
  const app = createApp({
    metrics,
    webhookSecrets: ['old-secret', TEST_SECRET],
    deliveryKey: createDeliveryKey('unit'),
    deliver: (event) => {
      delivered.push(event);
      return answer();
    },
    logger: createLogger(
      'info',
      new Writable({
        write: (chunk: Buffer, _enc, done) => {
          for (const line of chunk.toString().trim().split('\n')) logLines.push(JSON.parse(line) as never);
          done();
        },
      })
    ),
    isReady: () => Promise.resolve(true),
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/mono`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  delivered.length = 0;
  logLines.length = 0;
  answer = () => Promise.resolve({ status: 'accepted', workflowId: 'mono-account-x', runId: 'r1' });
});

async function post(body: string, headers: Record<string, string> = { 'mono-webhook-secret': TEST_SECRET }) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return {
    status: res.status,
    json: (await res.json()) as Record<string, unknown>,
    retryAfter: res.headers.get('retry-after'),
  };
}

describe('POST /webhooks/mono without Temporal', () => {
  it.each<{ why: string; headers: Record<string, string> }>([
    { why: 'no secret header', headers: {} },
    { why: 'a wrong secret', headers: { 'mono-webhook-secret': 'nope' } },
  ])('answers 401 for $why and hands nothing over', async ({ headers }) => {
    const res = await post(JSON.stringify(SEED_REAUTH_REQUIRED), headers);
    expect(res.status).toBe(401);
    expect(res.json.error).toMatch(/mono-webhook-secret/);
    expect(delivered).toHaveLength(0);
  });

  it('accepts any secret of the rotation list', async () => {
    expect((await post(JSON.stringify(SEED_REAUTH_REQUIRED), { 'mono-webhook-secret': 'old-secret' })).status).toBe(
      200
    );
  });

  it.each([
    { why: 'invalid JSON', body: '{"event":', error: /not valid JSON/ },
    { why: 'an empty body', body: '', error: /not valid JSON/ },
    {
      why: 'a known event without an account id',
      body: '{"event":"mono.events.sync_failed","data":{}}',
      error: /account/,
    },
    { why: 'a malformed id', body: '{"event":"mono.events.sync_failed","data":{"account":"a b"}}', error: /id/ },
  ])('answers 400 for $why', async ({ body, error }) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(String(res.json.error)).toMatch(error);
    expect(delivered).toHaveLength(0);
  });

  it('answers 413 above 256 KiB', async () => {
    const big = JSON.stringify({ event: 'mono.events.sync_failed', data: { account: 'a1', pad: 'x'.repeat(300_000) } });
    expect((await post(big)).status).toBe(413);
    expect(delivered).toHaveLength(0);
  });

  it('acknowledges an unknown event so Mono does not retry it, and hands nothing over', async () => {
    const res = await post(JSON.stringify({ event: 'mono.events.something_new', data: {} }));
    expect(res).toMatchObject({ status: 200, json: { ignored: true } });
    expect(delivered).toHaveLength(0);
  });

  it('hands over only what Mono said: the normalised event, keyed by its delivery', async () => {
    const res = await post(JSON.stringify(SEED_ACCOUNT_SYNCED));
    expect(res).toMatchObject({ status: 200, json: { ok: true, workflowId: 'mono-account-x' } });
    expect(delivered).toHaveLength(1);
    expect(Object.keys(delivered[0]!).sort()).toEqual(['accountId', 'deliveryKey', 'kind', 'receivedAt', 'updated']);
    expect(delivered[0]).toMatchObject({
      kind: 'account_synced',
      accountId: '6176846672402e538139971b',
      updated: true,
    });
  });

  it('logs one line per accepted event: its kind, account, delivery key and workflow, nothing of the body', async () => {
    await post(JSON.stringify(SEED_ACCOUNT_SYNCED));
    expect(logLines).toEqual([
      {
        level: 'info',
        time: expect.any(String) as string,
        service: 'mono-reauth',
        event: 'account_synced',
        accountId: '6176846672402e538139971b',
        deliveryKey: delivered[0]!.deliveryKey,
        workflowId: 'mono-account-x',
        runId: 'r1',
        msg: 'webhook handed to workflow',
      },
    ]);
  });

  it('logs why an event was not handed over, with the event it was', async () => {
    answer = () => Promise.reject(Object.assign(new Error('unavailable'), { code: 14 }));
    await post(JSON.stringify(SEED_REAUTH_REQUIRED));
    expect(logLines).toEqual([
      expect.objectContaining({
        level: 'error',
        event: 'reauthorisation_required',
        accountId: '5fbcde8f8699984153e65537',
        deliveryKey: delivered[0]!.deliveryKey,
        err: expect.objectContaining({ message: 'unavailable' }) as unknown,
        msg: 'webhook not handed over: Temporal unavailable or slow',
      }),
    ]);
  });

  it('answers 200 ignored for an account whose workflow has completed', async () => {
    answer = () => Promise.resolve({ status: 'closed', workflowId: 'mono-account-x' });
    const res = await post(JSON.stringify(SEED_REAUTH_REQUIRED));
    expect(res).toMatchObject({ status: 200, json: { ignored: true, reason: 'account is unlinked' } });
  });

  it.each([
    {
      why: 'Temporal unavailable (gRPC 14)',
      error: Object.assign(new Error('unavailable'), { code: 14 }),
      status: 503,
    },
    { why: 'the deadline passing (gRPC 4)', error: Object.assign(new Error('deadline'), { code: 4 }), status: 503 },
    {
      why: 'an error whose cause is unavailable',
      error: Object.assign(new Error('wrapped'), { cause: { code: 14 } }),
      status: 503,
    },
    { why: 'an unknown failure', error: new Error('boom'), status: 503 },
    { why: 'permission denied (gRPC 7)', error: Object.assign(new Error('denied'), { code: 7 }), status: 500 },
    { why: 'an unknown namespace (gRPC 5)', error: Object.assign(new Error('not found'), { code: 5 }), status: 500 },
  ])('maps $why to $status, never 200', async ({ error, status }) => {
    answer = () => Promise.reject(error);
    const res = await post(JSON.stringify(SEED_REAUTH_REQUIRED));
    expect(res.status).toBe(status);
    if (status === 503) expect(res.retryAfter).toBe('10');
    expect(JSON.stringify(res.json)).not.toMatch(/5fbcde8f8699984153e65537/);
  });
});

describe('refused requests are limited per source', () => {
  it('answers 429 unlogged once a source has used up its refusals, and counts both kinds', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      statuses.push((await post(JSON.stringify(SEED_REAUTH_REQUIRED), { 'mono-webhook-secret': `wrong-${i}` })).status);
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(5);
    expect(statuses.slice(-5)).toEqual([429, 429, 429, 429, 429]);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/mono_reauth_refused_requests_total\{surface="webhook",reason="rate_limited"\} [1-9]/);
    expect(text).toMatch(/mono_reauth_refused_requests_total\{surface="webhook",reason="unauthorized"\} [1-9]/);
    expect(delivered).toHaveLength(0);
  });

  it('never limits a request with the right secret: 25 wrong-secret requests, then the right one gets 200', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      statuses.push((await post(JSON.stringify(SEED_REAUTH_REQUIRED), { 'mono-webhook-secret': `wrong-${i}` })).status);
    }
    expect(statuses.at(-1)).toBe(429);
    const right = await post(JSON.stringify(SEED_REAUTH_REQUIRED));
    expect(right.status).toBe(200);
    expect(delivered).toHaveLength(1);
  });
});
