/**
 * The Mono client against the simulator over real HTTP: every documented sync answer, details without PII,
 * and the failure classes — 500, 429 with Retry-After, timeouts, malformed bodies, a wrong key, 404.
 */
import { DEVELOPMENT_OUTBOUND } from '../../src/lib/outbound.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MonoClient } from '../../src/activities/mono/client.js';
import { MonoApiError } from '../../src/activities/mono/errors.js';
import { startMonoSimulator, type MonoSimulator } from '../../src/mono-sim/simulator.js';

let sim: MonoSimulator;
let mono: MonoClient;
let clock = Date.UTC(2026, 0, 1);

beforeAll(async () => {
  sim = await startMonoSimulator(0, '127.0.0.1', { now: () => clock });
  mono = new MonoClient({
    baseUrl: sim.url,
    secretKey: sim.secretKey,
    timeoutMs: 1_000,
    outbound: DEVELOPMENT_OUTBOUND,
  });
});
afterAll(async () => {
  await sim?.close();
});

const failure = async (p: Promise<unknown>): Promise<MonoApiError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e
  );
  expect(err).toBeInstanceOf(MonoApiError);
  return err as MonoApiError;
};

describe('manual sync', () => {
  it.each([
    ['success', { outcome: 'synced', code: 'SYNC_SUCCESSFUL', hasNewData: true }],
    ['success_legacy_spelling', { outcome: 'synced', code: 'SYNCED_SUCCESSFULLY', hasNewData: false }],
    ['reauth_required', { outcome: 'reauth_required', code: 'REAUTHORISATION_REQUIRED' }],
    ['sync_error', { outcome: 'failed', code: 'SYNC_ERROR', message: 'Data sync failed, please try again later' }],
    [
      'incomplete_statement',
      { outcome: 'failed', code: 'INCOMPLETE_STATEMENT_ERROR', message: 'Incomplete statement' },
    ],
  ] as const)('reads the %s answer', async (behaviour, expected) => {
    const id = `acc-${behaviour}`;
    sim.setScenario(id, { sync: [behaviour] });
    expect(await mono.syncAccount(id)).toEqual(expected);
    expect(sim.calls.at(-1)).toMatchObject({ method: 'POST', path: `/accounts/${id}/sync`, accountId: id });
  });

  it('enforces Mono’s one sync per 2 minutes: a second call gets 429 with the remaining wait', async () => {
    sim.setScenario('acc-limit', { sync: ['success'] });
    await mono.syncAccount('acc-limit');
    clock += 30_000;
    const err = await failure(mono.syncAccount('acc-limit'));
    expect(err).toMatchObject({ kind: 'rate_limited', status: 429, retryable: true, retryAfterMs: 90_000 });
    clock += 90_000;
    expect((await mono.syncAccount('acc-limit')).outcome).toBe('synced');
  });

  it('classifies 429 with Retry-After, 500 and a garbled body as retryable', async () => {
    sim.setScenario('acc-429', { sync: ['rate_limited'], retryAfterSeconds: 300 });
    expect(await failure(mono.syncAccount('acc-429'))).toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 300_000,
      retryable: true,
    });
    sim.setScenario('acc-500', { sync: ['server_error'] });
    const e500 = await failure(mono.syncAccount('acc-500'));
    expect(e500).toMatchObject({ kind: 'server_error', status: 500, retryable: true });
    expect(e500.message).toMatch(/fault on Mono's side/);
    sim.setScenario('acc-html', { sync: ['malformed'] });
    expect(await failure(mono.syncAccount('acc-html'))).toMatchObject({ kind: 'malformed_response', retryable: true });
  });

  it('gives up after its timeout and calls it retryable', async () => {
    sim.setScenario('acc-slow', { sync: ['slow'], delayMs: 3_000 });
    const started = Date.now();
    const err = await failure(mono.syncAccount('acc-slow'));
    expect(err).toMatchObject({ kind: 'timeout', retryable: true });
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('says what to fix when the key is wrong or the account unknown, and does not retry', async () => {
    const wrongKey = new MonoClient({ baseUrl: sim.url, secretKey: 'test_sk_wrong', outbound: DEVELOPMENT_OUTBOUND });
    const e401 = await failure(wrongKey.syncAccount('acc-x'));
    expect(e401).toMatchObject({ kind: 'unauthorized', status: 401, retryable: false });
    expect(e401.message).toMatch(/Check MONO_SECRET_KEY/);
    expect(e401.message).not.toContain('test_sk_wrong');
    sim.setScenario('acc-404', { sync: ['not_found'] });
    expect(await failure(mono.syncAccount('acc-404'))).toMatchObject({ kind: 'not_found', retryable: false });
  });

  it('reports an unreachable Mono as a retryable network fault', async () => {
    const nowhere = new MonoClient({
      baseUrl: 'http://127.0.0.1:9',
      secretKey: 'k',
      timeoutMs: 1_000,
      outbound: DEVELOPMENT_OUTBOUND,
    });
    expect(await failure(nowhere.syncAccount('a'))).toMatchObject({ kind: 'network', retryable: true });
  });
});

describe('re-auth token, details, unlink', () => {
  it('gets a re-auth token', async () => {
    expect(await mono.reauthorisationToken('acc-token')).toMatch(/^sim_reauth_/);
  });

  it('reads the institution from v2 and v1 details and drops every PII field', async () => {
    sim.setScenario('acc-details', { institution: 'Access Bank' });
    for (const version of ['v1', 'v2'] as const) {
      const details = await mono.accountDetails('acc-details', { version });
      expect(details).toEqual({
        institution: { name: 'Access Bank', bankCode: '058', type: 'PERSONAL_BANKING' },
        dataStatus: 'available',
        authMethod: 'internet_banking',
      });
      expect(JSON.stringify(details)).not.toMatch(/Ada Simulated|0123456789|1234500/);
    }
  });

  it('unlinks', async () => {
    await mono.unlinkAccount('acc-unlink');
    expect(sim.calls.at(-1)).toMatchObject({ path: '/accounts/acc-unlink/unlink', status: 200 });
  });
});

describe('against a misbehaving server', () => {
  let bad: Server;
  let badUrl: string;
  beforeAll(async () => {
    bad = createServer((req, res) => {
      if (req.url?.includes('/v2/accounts/')) {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end('{"status":"successful","data":{"unexpected":true}}');
      } else if (req.url?.includes('/sync')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"weird","code":"SOMETHING_NEW"}');
      } else {
        res.writeHead(503).end('Service Unavailable');
      }
    });
    await new Promise<void>((r) => bad.listen(0, '127.0.0.1', () => r()));
    badUrl = `http://127.0.0.1:${(bad.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => bad.close(() => r())));

  it('refuses shapes it does not know instead of guessing', async () => {
    const client = new MonoClient({ baseUrl: badUrl, secretKey: 'k', outbound: DEVELOPMENT_OUTBOUND });
    expect(await failure(client.accountDetails('a'))).toMatchObject({ kind: 'malformed_response', retryable: true });
    expect(await failure(client.syncAccount('a'))).toMatchObject({ kind: 'malformed_response' });
    expect(await failure(client.reauthorisationToken('a'))).toMatchObject({ kind: 'server_error', status: 503 });
  });
});
