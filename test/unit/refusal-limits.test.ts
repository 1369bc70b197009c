/**
 * Refusal limits behind a load balancer, on the real Express apps and a real port: every request reaches the
 * service from the balancer's address (here 127.0.0.1) and names its client in X-Forwarded-For. The credentials
 * are checked first, so a sender with the right secret or token is never limited by what others send; with
 * TRUST_PROXY the client is counted, an IPv6 client by its /64; the admin API and the codec share one allowance.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { AccountWorkflows } from '../../src/accounts/client.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { createApp, type AppDeps } from '../../src/server/app.js';
import { createReauthLinks } from '../../src/lib/reauth-link.js';
import { createDeliveryKey } from '../../src/server/webhooks/delivery-key.js';
import { AesGcmCodec, generateCodecKeyEntry, parseCodecKeys } from '../../src/temporal/codec.js';
import { tokensFor, unusedJobs } from '../helpers/access.js';
import { SEED_REAUTH_REQUIRED, TEST_SECRET } from '../helpers/webhooks.js';
import { testServers } from '../helpers/listen.js';

const ADMIN_TOKEN = 'refusal-test-operator-token';
const servers = testServers();
const accounts = { list: () => Promise.resolve({ accounts: [], nextPageToken: null }) } as unknown as AccountWorkflows;

/** A fresh app (its own allowances) on a real port; returns its base URL. */
async function start(overrides: Partial<AppDeps> = {}): Promise<string> {
  const app = createApp({
    metrics: createMetrics(),
    logger: createLogger('silent'),
    isReady: () => Promise.resolve(true),
    webhookSecrets: [TEST_SECRET],
    deliveryKey: createDeliveryKey('refusal-test'),
    deliver: () => Promise.resolve({ status: 'accepted', workflowId: 'mono-account-x', runId: 'r1' }),
    admin: {
      tokens: tokensFor({ operator: [ADMIN_TOKEN] }),
      accounts,
      jobs: unusedJobs,
      redeliverSpreadMs: 0,
      links: createReauthLinks({ baseUrl: 'http://localhost:3000', secrets: ['refusal-test-link-key'], ttlMs: 60_000 }),
      codec: { codec: new AesGcmCodec(parseCodecKeys(generateCodecKeyEntry('k1'))) },
    },
    ...overrides,
  });
  return servers.listen(app);
}
afterAll(() => servers.closeAll());

/** A webhook from `client` (X-Forwarded-For, as a load balancer sends it) with `secret`; its status. */
async function webhook(base: string, secret: string, client?: string): Promise<number> {
  const res = await fetch(`${base}/webhooks/mono`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'mono-webhook-secret': secret,
      ...(client && { 'x-forwarded-for': client }),
    },
    body: JSON.stringify(SEED_REAUTH_REQUIRED),
  });
  await res.arrayBuffer();
  return res.status;
}

async function wrongSecrets(base: string, count: number, client?: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) statuses.push(await webhook(base, `wrong-${i}`, client));
  return statuses;
}

describe('the webhook behind a load balancer', () => {
  it('without TRUST_PROXY: everyone shares the balancer’s allowance, and Mono’s right secret still gets 200', async () => {
    const base = await start();
    const attacker = await wrongSecrets(base, 25, '203.0.113.66');
    expect(attacker.slice(-5)).toEqual([429, 429, 429, 429, 429]);
    expect(await webhook(base, TEST_SECRET, '198.51.100.7')).toBe(200);
    expect(await webhook(base, 'wrong', '198.51.100.7')).toBe(429); // the same source, as far as it can tell
  });

  it('with TRUST_PROXY=1: each client has its own allowance; the right secret is never limited', async () => {
    const base = await start({ trustProxy: 1 });
    expect((await wrongSecrets(base, 25, '203.0.113.66')).slice(-5)).toEqual([429, 429, 429, 429, 429]);
    expect(await webhook(base, 'wrong', '198.51.100.7')).toBe(401);
    expect(await webhook(base, TEST_SECRET, '203.0.113.66')).toBe(200);
    // The balancer appends the address it saw: an address the client wrote before it is not believed.
    expect(await webhook(base, 'wrong', '198.51.100.7, 203.0.113.66')).toBe(429);
  });

  it('with proxy CIDRs: a request from outside them is counted by its socket address, whatever it claims', async () => {
    const base = await start({ trustProxy: ['10.0.0.0/8'] });
    await wrongSecrets(base, 20, '203.0.113.66');
    expect(await webhook(base, 'wrong', '198.51.100.7')).toBe(429);
  });

  it('counts an IPv6 client by its /64', async () => {
    const base = await start({ trustProxy: 1 });
    await wrongSecrets(base, 20, '2001:db8:1:2::1');
    expect(await webhook(base, 'wrong', '2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe(429);
    expect(await webhook(base, 'wrong', '2001:db8:1:3::1')).toBe(401);
    expect(await webhook(base, TEST_SECRET, '2001:db8:1:2::1')).toBe(200);
  });
});

describe('the operator surfaces', () => {
  const call = async (base: string, path: string, token: string | null, client: string): Promise<number> => {
    const res = await fetch(`${base}${path}`, {
      method: path.startsWith('/codec') ? 'POST' : 'GET',
      headers: {
        'content-type': 'application/json',
        'x-forwarded-for': client,
        ...(token !== null && { authorization: `Bearer ${token}` }),
      },
      body: path.startsWith('/codec') ? JSON.stringify({ payloads: [] }) : undefined,
    });
    await res.arrayBuffer();
    return res.status;
  };

  it('share one allowance (admin API and codec), count only failures, and never limit the right token', async () => {
    const base = await start({ trustProxy: 1 });
    const client = '203.0.113.9';
    for (let i = 0; i < 10; i++) expect(await call(base, '/accounts', `wrong-${i}`, client)).toBe(401);
    for (let i = 0; i < 10; i++) expect(await call(base, '/codec/decode', null, client)).toBe(401);
    expect(await call(base, '/codec/decode', 'wrong', client)).toBe(429);
    expect(await call(base, '/accounts', 'wrong', client)).toBe(429);
    expect(await call(base, '/accounts/import', 'wrong', client)).toBe(429);
    expect(await call(base, '/accounts', ADMIN_TOKEN, client)).toBe(200);
    expect(await call(base, '/codec/decode', ADMIN_TOKEN, client)).toBe(200);
    expect(await call(base, '/accounts', 'wrong', '198.51.100.7')).toBe(401);
  });
});
