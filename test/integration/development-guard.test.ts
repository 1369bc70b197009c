/**
 * Development mode's request guard (src/server/development-guard.ts) on the real Express apps and a real port:
 * requests addressed to loopback pass; another Host (DNS rebinding) or a proxy's forwarding headers get 421 before
 * any route, the admin API with the published development token included.
 */
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountWorkflows } from '../../src/accounts/client.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { createApp, createOperatorApp, createWorkerApp } from '../../src/server/app.js';
import { hostnameOf } from '../../src/server/development-guard.js';
import { createReauthLinks } from '../../src/lib/reauth-link.js';
import { createDeliveryKey } from '../../src/server/webhooks/delivery-key.js';
import { tokensFor, unusedJobs } from '../helpers/access.js';

const DEV_ADMIN_TOKEN = 'dev-admin-token';
const servers: Server[] = [];

/** Listens on 127.0.0.1 and returns the port. */
async function listen(app: ReturnType<typeof createWorkerApp>): Promise<number> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

/** A GET with exactly these headers; unlike fetch, node:http sends the Host header it is given. */
function get(
  port: number,
  path: string,
  headers: Record<string, string>
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text || '{}') }));
    });
    req.on('error', reject);
    req.end();
  });
}

const accounts = { list: () => Promise.resolve({ accounts: [], nextPageToken: null }) } as unknown as AccountWorkflows;
const admin = {
  tokens: tokensFor({ operator: [DEV_ADMIN_TOKEN] }),
  accounts,
  jobs: unusedJobs,
  redeliverSpreadMs: 0,
  links: createReauthLinks({ baseUrl: 'http://localhost:3000', secrets: ['guard-test-link-key'], ttlMs: 60_000 }),
};
const base = {
  metrics: createMetrics(),
  logger: createLogger('silent'),
  isReady: () => Promise.resolve(true),
  webhookSecrets: ['dev-webhook-secret'],
  deliveryKey: createDeliveryKey('guard-test'),
  deliver: () => Promise.reject(new Error('not used')),
};
let dev: number;
let operator: number;
let worker: number;
let production: number;

beforeAll(async () => {
  dev = await listen(createApp({ ...base, admin, development: true }));
  operator = await listen(createOperatorApp({ ...base, admin, development: true }));
  worker = await listen(createWorkerApp({ ...base, development: true }));
  production = await listen(createApp(base));
});
afterAll(() => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))));

describe('in development', () => {
  it.each(['localhost', '127.0.0.1', '[::1]', 'LOCALHOST', '127.0.0.2'])('answers a request for %s', async (name) => {
    expect((await get(dev, '/healthz', { host: `${name}:${dev}` })).status).toBe(200);
    expect((await get(dev, '/healthz', { host: name })).status).toBe(200);
  });

  it.each(['attacker.example', 'attacker.example:80', '0.0.0.0:3000', '192.168.1.20', 'localhost.attacker.example'])(
    'answers 421 to a request for %s (DNS rebinding)',
    async (host) => {
      const res = await get(dev, '/healthz', { host });
      expect(res.status).toBe(421);
      expect(res.body.error).toMatch(/answers only requests addressed to localhost, 127\.0\.0\.1 or \[::1\]/);
    }
  );

  it.each(['Forwarded', 'X-Forwarded-For', 'X-Forwarded-Host', 'X-Real-IP'])(
    'answers 421 to a request that carries %s (a proxy or tunnel)',
    async (header) => {
      const res = await get(dev, '/healthz', { host: `localhost:${dev}`, [header]: 'for=203.0.113.7' });
      expect(res.status).toBe(421);
      expect(res.body.error).toContain(`forwarded by a proxy (${header.toLowerCase()})`);
    }
  );

  it('keeps the admin API with the published token from a rebound page, and serves it on this machine', async () => {
    const auth = { authorization: `Bearer ${DEV_ADMIN_TOKEN}` };
    expect((await get(dev, '/accounts', { ...auth, host: `attacker.example:${dev}` })).status).toBe(421);
    expect((await get(dev, '/accounts', { ...auth, host: `127.0.0.1:${dev}` })).status).toBe(200);
  });

  it('guards the operator and worker listeners too', async () => {
    for (const port of [operator, worker]) {
      expect((await get(port, '/healthz', { host: `attacker.example:${port}` })).status).toBe(421);
      expect((await get(port, '/healthz', { host: `127.0.0.1:${port}`, 'x-real-ip': '203.0.113.7' })).status).toBe(421);
      expect((await get(port, '/healthz', { host: `localhost:${port}` })).status).toBe(200);
    }
  });
});

it('outside development the guard is not there: a proxy forwards requests for the public name', async () => {
  const res = await get(production, '/healthz', { host: 'reauth.example.com', 'x-forwarded-for': '203.0.113.7' });
  expect(res.status).toBe(200);
});

it('reads the name out of a Host header', () => {
  expect(hostnameOf('localhost:3000')).toBe('localhost');
  expect(hostnameOf('[::1]:3000')).toBe('[::1]');
  expect(hostnameOf('[::1]')).toBe('[::1]');
  expect(hostnameOf('127.0.0.1')).toBe('127.0.0.1');
  expect(hostnameOf('')).toBe('');
});
