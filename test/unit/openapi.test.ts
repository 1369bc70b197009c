/**
 * The OpenAPI document (src/server/openapi.ts), served at GET /openapi.json on the operator listener: valid
 * OpenAPI 3.1 by a real validator, describing every route the apps mount, and each route accepting exactly the
 * roles the document lists (a token of another role: 403; none or a wrong one: 401).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compileErrors, validate } from '@readme/openapi-parser';
import type { Express } from 'express';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountNotFound, type AccountWorkflows } from '../../src/accounts/client.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { createReauthLinks } from '../../src/lib/reauth-link.js';
import { ROLES, type Role } from '../../src/server/access.js';
import { createApp, createOperatorApp } from '../../src/server/app.js';
import { OPERATIONS } from '../../src/server/openapi.js';
import { createDeliveryKey } from '../../src/server/webhooks/delivery-key.js';
import { AesGcmCodec, generateCodecKeyEntry, parseCodecKeys } from '../../src/temporal/codec.js';
import { tokensFor, unusedJobs } from '../helpers/access.js';
import { TEST_SECRET } from '../helpers/webhooks.js';

const TOKENS: Record<Role, string> = {
  operator: 'openapi-test-operator-token-0123456789',
  integration: 'openapi-test-integration-token-0123456',
  codec: 'openapi-test-codec-token-0123456789abcd',
};
/** Every account is unknown: the routes answer 404 (or 400, 500), never 401 or 403, once the token is accepted. */
const accounts = new Proxy({} as AccountWorkflows, {
  get: (_target, name) =>
    name === 'listAll' || name === 'undeliveredAll'
      ? async function* () {}
      : () => Promise.reject(new AccountNotFound('acc1')),
});
const links = createReauthLinks({ baseUrl: 'http://localhost:3000', secrets: ['openapi-link-key'], ttlMs: 60_000 });
const base = {
  metrics: createMetrics(),
  logger: createLogger('silent'),
  isReady: () => Promise.resolve(true),
};
const optOuts = {
  isOptedOut: () => Promise.resolve(false),
  optOut: () => Promise.resolve(true),
  optIn: () => Promise.resolve(true),
};
const admin = {
  tokens: tokensFor({ operator: [TOKENS.operator], integration: [TOKENS.integration], codec: [TOKENS.codec] }),
  accounts,
  jobs: unusedJobs,
  incidents: { list: () => Promise.resolve([]), openCount: () => Promise.resolve(0) },
  redeliverSpreadMs: 0,
  accountGauges: { registry: new Registry(), inMetrics: false },
  links,
  codec: { codec: new AesGcmCodec(parseCodecKeys(generateCodecKeyEntry('k1'))) },
  optOuts,
};
// Behind one trusted hop, so that each route's refusals count for a source of their own (20 a minute per source).
const operatorApp = createOperatorApp({ ...base, admin, trustProxy: 1 });
const publicApp = createApp({
  ...base,
  webhookSecrets: [TEST_SECRET],
  deliveryKey: createDeliveryKey('openapi-test'),
  deliver: () => Promise.reject(new Error('not used')),
  reauthPage: { links, accounts, monoPublicKey: 'test_pk' },
  phoneCallbacks: { optOuts, atCallbackKey: 'k', waAppSecret: 's', waVerifyToken: 't' },
});
let server: Server;
let url: string;

beforeAll(async () => {
  server = await new Promise<Server>((resolve) => {
    const s = operatorApp.listen(0, '127.0.0.1', () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** `METHOD path` of every route an Express app mounts, nested routers included. */
function mountedRoutes(app: Express): string[] {
  const walk = (stack: Layer[]): string[] =>
    stack.flatMap((layer) =>
      layer.route
        ? Object.keys(layer.route.methods).map((m) => `${m.toUpperCase()} ${layer.route!.path}`)
        : layer.handle?.stack
          ? walk(layer.handle.stack)
          : []
    );
  return walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
}

describe('GET /openapi.json', () => {
  it('serves a valid OpenAPI 3.1 document', async () => {
    const res = await fetch(`${url}/openapi.json`);
    expect(res.status).toBe(200);
    const document = (await res.json()) as Record<string, any>;
    expect(document.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(document) as never);
    expect(result.valid ? 'valid' : compileErrors(result)).toBe('valid');
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/accounts/{accountId}/status', '/accounts/{accountId}/reauth-link', '/codec/decode'])
    );
    expect(document.paths['/accounts/{accountId}/status'].get.security).toEqual([
      { integration: [] },
      { operator: [] },
    ]);
  });

  it('describes every route the operator and public apps mount', () => {
    const documented = new Set(OPERATIONS.map((op) => `${op.method.toUpperCase()} ${op.path}`));
    const mounted = new Set([...mountedRoutes(operatorApp), ...mountedRoutes(publicApp)]);
    // The Connect widget's script is a static asset of the page, not an interface.
    mounted.delete('GET /reauth/assets/connect.js');
    expect([...mounted].filter((route) => !documented.has(route))).toEqual([]);
    expect([...documented].filter((route) => !mounted.has(route))).toEqual([]);
  });
});

describe('each route accepts exactly the roles the document lists', () => {
  const secured = OPERATIONS.filter((op) => Array.isArray(op.roles));
  const sourceOf = (op: (typeof OPERATIONS)[number]): string => `198.51.100.${secured.indexOf(op) + 1}`;
  const call = async (op: (typeof OPERATIONS)[number], token: string | null): Promise<number> => {
    const res = await fetch(`${url}${op.path.replace(':accountId', 'acc1')}`, {
      method: op.method.toUpperCase(),
      headers: {
        'content-type': 'application/json',
        'x-forwarded-for': sourceOf(op),
        ...(token !== null && { authorization: `Bearer ${token}` }),
      },
      body: op.method === 'get' ? undefined : JSON.stringify(op.path.startsWith('/codec') ? { payloads: [] } : {}),
    });
    await res.arrayBuffer();
    return res.status;
  };

  it.each(secured.map((op) => [`${op.method.toUpperCase()} ${op.path}`, op] as const))('%s', async (_name, op) => {
    const roles = op.roles as readonly Role[];
    for (const role of ROLES) {
      const status = await call(op, TOKENS[role]);
      if (roles.includes(role)) expect([401, 403], `${role} token`).not.toContain(status);
      else expect(status, `${role} token`).toBe(403);
    }
    expect(await call(op, null)).toBe(401);
  });
});
