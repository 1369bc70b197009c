/**
 * Secured connections to Temporal on real parts: nginx terminates TLS in front of the dev server and requires a
 * client certificate (mTLS) or an `authorization: Bearer` API key, as Temporal Cloud does. The service's client and
 * worker, the start-up check and the operator CLI connect through it from the same TEMPORAL_* variables; a wrong
 * certificate, CA or key fails fast with a message that says what to check.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/lib/logger.js';
import { generateCodecKeyEntry } from '../../src/temporal/codec.js';
import { checkTemporalConnection, loadTemporalTarget } from '../../src/temporal/connection.js';
import { ensureTemporal } from '../../src/temporal/local-server.js';
import { eventually, startStack } from '../helpers/stack.js';
import { makeCertificates, nginxPath, startTlsProxy, type Certificates, type TlsProxy } from '../helpers/tls-proxy.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';
import { runCli } from '../helpers/cli.js';

const API_KEY = 'test-api-key-Zk3xV8nR1tQ6wM9pL2cJ';
/** Outside development (a secured Temporal) the published test key is refused: a key of this run's own. */
const CODEC_KEYS = generateCodecKeyEntry('tls-test');
/** A secured Temporal ends development mode: the service then needs real-looking secrets of its own. */
const SERVICE_SECRETS = {
  MONO_WEBHOOK_SECRET: 'sec_9fQk2mWx7LpZr4Tn',
  ADMIN_TOKEN: 'Qm7rT2vX9kL4pZ8wN3cF6hJ1sD5gB0aE',
  REAUTH_LINK_SECRET: 'Zk3xV8nR1tQ6wM9pL2cJ5hF7gD4sB0aY',
  MONO_SECRET_KEY: 'test_sk_tls',
  MONO_PUBLIC_KEY: 'test_pk_tls',
  PUBLIC_BASE_URL: 'https://reauth.example.com',
  TEMPORAL_CODEC_KEYS: CODEC_KEYS,
};
const hasNginx = nginxPath() !== undefined;
if (!hasNginx) console.error('TLS proxy tests not run: install nginx (apt-get install nginx); .ci/run installs it');

let certs: Certificates;
let mtls: TlsProxy;
let apiKeyProxy: TlsProxy;

beforeAll(async () => {
  if (!hasNginx) return;
  certs = makeCertificates();
  mtls = await startTlsProxy(inject('temporalAddress'), certs, { kind: 'mtls' });
  apiKeyProxy = await startTlsProxy(inject('temporalAddress'), certs, { kind: 'api-key', apiKey: API_KEY });
});

afterAll(async () => {
  await mtls?.stop();
  await apiKeyProxy?.stop();
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
});

const mtlsEnv = (): Record<string, string> => ({
  TEMPORAL_ADDRESS: mtls.address,
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCert,
  TEMPORAL_TLS_SERVER_NAME: 'localhost',
  TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert,
  TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKey,
});
const apiKeyEnv = (): Record<string, string> => ({
  TEMPORAL_ADDRESS: apiKeyProxy.address,
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCert,
  TEMPORAL_TLS_SERVER_NAME: 'localhost',
  TEMPORAL_API_KEY: API_KEY,
});

const cli = (args: string[], env: Record<string, string>) =>
  runCli(args, { PATH: process.env.PATH!, HOME: process.env.HOME!, TEMPORAL_CODEC_KEYS: CODEC_KEYS, ...env });

/** Checks the connection and returns how long the answer took and what it said. */
async function failure(env: Record<string, string>): Promise<{ ms: number; message: string }> {
  const target = loadTemporalTarget(env, { address: env.TEMPORAL_ADDRESS!, namespace: 'default' });
  const started = Date.now();
  const message = await checkTemporalConnection(target, 5_000).then(
    () => 'connected',
    (err: Error) => err.message
  );
  return { ms: Date.now() - started, message };
}

describe.skipIf(!hasNginx).each([
  { mode: 'mutual TLS', env: mtlsEnv },
  { mode: 'an API key over TLS', env: apiKeyEnv },
])('Temporal behind a TLS proxy requiring $mode', ({ env }) => {
  it('the service’s client and worker run an account end to end, and the operator CLI reads it', async () => {
    const stack = await startStack({
      address: env().TEMPORAL_ADDRESS!,
      temporalEnv: env(),
      env: { TEMPORAL_CODEC_KEYS: CODEC_KEYS },
    });
    try {
      const id = newAccountId();
      expect((await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }))).status).toBe(200);
      await eventually(
        () => stack.state(id),
        (v) => v.state === 'reauth_required' && v.pendingNotices === 0
      );
      const shown = await cli(['accounts', 'show', id, '--json'], env());
      expect(shown.stderr).toBe('');
      expect(JSON.parse(shown.stdout)).toMatchObject({ accountId: id, state: 'reauth_required' });
    } finally {
      await stack.stop();
    }
  });

  it('start-up uses it as it is: checked, and no dev server started for a secured address', async () => {
    const config = loadConfig({ ...env(), ...SERVICE_SECRETS });
    expect(config.temporal.target.secured).toBe(true);
    const stop = await ensureTemporal(config, createLogger('silent'));
    await stop();
  });
});

describe.skipIf(!hasNginx)('a wrong credential fails fast with a message that says what to check', () => {
  it.each([
    {
      what: 'no client certificate',
      env: () => ({ ...mtlsEnv(), TEMPORAL_TLS_CLIENT_CERT_PATH: '', TEMPORAL_TLS_CLIENT_KEY_PATH: '' }),
      says: /refused the connection .*TEMPORAL_TLS_CLIENT_CERT_/,
    },
    {
      what: 'a client certificate from a CA the server does not trust',
      env: () => ({
        ...mtlsEnv(),
        TEMPORAL_TLS_CLIENT_CERT_PATH: certs.strangerCert,
        TEMPORAL_TLS_CLIENT_KEY_PATH: certs.strangerKey,
      }),
      says: /refused the connection .*TEMPORAL_TLS_CLIENT_CERT_/,
    },
    {
      what: 'a server CA that did not sign the server’s certificate',
      env: () => ({ ...mtlsEnv(), TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.strangerCaCert }),
      says: /the TLS handshake failed \(unable to verify the first certificate\)/,
    },
    {
      what: 'a wrong API key',
      env: () => ({ ...apiKeyEnv(), TEMPORAL_API_KEY: 'not-the-key' }),
      says: /refused our credentials.*TEMPORAL_API_KEY/,
    },
    {
      what: 'plaintext against a TLS port',
      env: () => ({ TEMPORAL_ADDRESS: apiKeyProxy.address }),
      says: /did not answer .*set TEMPORAL_TLS=true or TEMPORAL_API_KEY/,
    },
  ])('$what', async ({ env, says }) => {
    const { ms, message } = await failure(env());
    expect(message).toMatch(says);
    expect(message).not.toContain(API_KEY);
    expect(ms).toBeLessThan(8_000);
  });

  it('the CLI reports a wrong key as an error and exits, rather than hanging', async () => {
    const started = Date.now();
    const res = await cli(['accounts', 'list'], { ...apiKeyEnv(), TEMPORAL_API_KEY: 'not-the-key' });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/refused our credentials/);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('a certificate path that does not exist is a configuration error naming the variable', () => {
    expect(() => loadConfig({ ...mtlsEnv(), TEMPORAL_TLS_CLIENT_KEY_PATH: '/nonexistent/client.key' })).toThrow(
      /TEMPORAL_TLS_CLIENT_KEY_PATH: cannot read \/nonexistent\/client\.key/
    );
  });
});
