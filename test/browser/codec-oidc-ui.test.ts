/**
 * The Web UI's signed-in users decode through the codec with their OIDC access token, as production runs it
 * (docker-compose.yml: TEMPORAL_AUTH_ENABLED, TEMPORAL_CODEC_PASS_ACCESS_TOKEN; the service: CODEC_OIDC_ISSUER,
 * CODEC_OIDC_AUDIENCE). A real dev server's UI in headless Chromium; a real OIDC issuer on loopback
 * (test/helpers/oidc-issuer.ts); the codec router over https (the UI passes a token only to an https endpoint),
 * with no development exception for the UI's origin. The UI is given what its server gives a user after the OIDC
 * callback (the `user0` cookie with the tokens) and the codec setting "pass the user access token"; everything
 * after that is the UI's own code: it sends `Authorization: Bearer <access token>` and the codec verifies it.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import express from 'express';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createOidcVerifier } from '../../src/server/codec/oidc.js';
import { createCodecRouter } from '../../src/server/codec/routes.js';
import { AesGcmCodec, generateCodecKeyEntry, parseCodecKeys } from '../../src/temporal/codec.js';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server.js';
import { testRefusalGuard, tokensFor } from '../helpers/access.js';
import { BROWSER_TESTS_RUNNABLE, launchChromium } from '../helpers/browser.js';
import { startTestIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';
import { freePort } from '../helpers/ports.js';
import { expectDecodedContact, openSetContact, withAccount } from '../helpers/temporal-ui.js';
import { makeCertificates } from '../helpers/tls-proxy.js';

const keys = parseCodecKeys(generateCodecKeyEntry('oidc-ui-test'));
let browser: Browser;
let issuer: TestIssuer;
let codecServer: Server;
let devServer: DevServer;
let endpoint = '';
let uiOrigin = '';
/** What the codec saw: the bearer token sent and the status answered, per POST. */
const seen: Array<{ path: string; bearer: string | undefined; status: number }> = [];

beforeAll(async () => {
  if (!BROWSER_TESTS_RUNNABLE) return;
  issuer = await startTestIssuer();
  const uiPort = await freePort();
  uiOrigin = `http://127.0.0.1:${uiPort}`;
  const app = express();
  app.use((req, res, next) => {
    if (req.method === 'POST') {
      const bearer = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
      res.on('finish', () => seen.push({ path: req.path, bearer, status: res.statusCode }));
    }
    next();
  });
  app.use(
    createCodecRouter({
      codec: new AesGcmCodec(keys),
      tokens: tokensFor({ operator: ['oidc-ui-operator-token-0123456789abcdef'] }),
      guard: testRefusalGuard(),
      oidc: createOidcVerifier({ issuer: issuer.issuer, audience: 'temporal-ui' }),
      allowedOrigins: [uiOrigin],
    })
  );
  const certificates = makeCertificates();
  codecServer = createServer(
    { cert: readFileSync(certificates.serverCert), key: readFileSync(certificates.serverKey) },
    app
  );
  await new Promise<void>((resolve) => codecServer.listen(0, '127.0.0.1', resolve));
  endpoint = `https://127.0.0.1:${(codecServer.address() as AddressInfo).port}/codec`;
  devServer = await startDevServer({
    cliPath: inject('temporalCliPath'),
    host: '127.0.0.1',
    port: await freePort(),
    uiPort,
    extraArgs: ['--ui-codec-endpoint', endpoint],
  });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await devServer?.stop();
  await new Promise<void>((r) => (codecServer ? codecServer.close(() => r()) : r()));
  await issuer?.close();
});

/**
 * A browser session of a user signed in to the UI with `accessToken`. The dev server's UI server cannot be
 * configured for OIDC, so two things its configuration would give are given here: its settings say what
 * TEMPORAL_AUTH_ENABLED=true and TEMPORAL_CODEC_PASS_ACCESS_TOKEN=true make them say (docker-compose.yml), and the
 * `user0` cookie it sets after the OIDC callback carries the user's tokens.
 */
async function signedIn(accessToken: string): Promise<BrowserContext> {
  // The codec's certificate is the test CA's; the browser is told to accept it, not to skip any other check.
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  await context.route('**/api/v1/settings*', async (route) => {
    const response = await route.fetch();
    const settings = (await response.json()) as Record<string, Record<string, unknown>>;
    settings.Auth = { ...settings.Auth, Enabled: true };
    settings.Codec = { ...settings.Codec, PassAccessToken: true };
    await route.fulfill({ response, json: settings });
  });
  const user = { AccessToken: accessToken, IDToken: '', Name: 'Operator', Email: 'operator@example.com' };
  const cookie = Buffer.from(JSON.stringify(user)).toString('base64');
  await context.addCookies([{ name: 'user0', value: cookie, url: uiOrigin }]);
  return context;
}

it.skipIf(!BROWSER_TESTS_RUNNABLE)(
  "a signed-in user's UI decodes: it sends the user's access token, which the codec verifies with the issuer",
  async () => {
    const token = await issuer.token();
    await withAccount(devServer, keys, async ({ id, email, ciphertext }) => {
      const context = await signedIn(token);
      const page = await context.newPage();
      await openSetContact(page, devServer, id);
      await expectDecodedContact(page, email, ciphertext);
      await page.screenshot({ path: '.data/codec-oidc-ui-decoded.png' });
      await context.close();
    });
    const decodes = seen.filter((r) => r.path === '/codec/decode');
    expect(decodes.length).toBeGreaterThan(0);
    expect(decodes.every((r) => r.bearer === token && r.status === 200)).toBe(true);
  },
  120_000
);

it.skipIf(!BROWSER_TESTS_RUNNABLE)(
  'a token for another audience decodes nothing: the codec answers 401 and the UI shows ciphertext',
  async () => {
    const token = await issuer.token({ audience: 'another-app' });
    const before = seen.length;
    await withAccount(devServer, keys, async ({ id, email, ciphertext }) => {
      const context = await signedIn(token);
      const page = await context.newPage();
      await openSetContact(page, devServer, id);
      await expect.poll(() => page.locator('body').innerText(), { timeout: 20_000 }).toContain(ciphertext);
      expect(await page.locator('body').innerText()).not.toContain(email);
      await context.close();
    });
    const decodes = seen.slice(before).filter((r) => r.path === '/codec/decode');
    expect(decodes.length).toBeGreaterThan(0);
    expect(decodes.every((r) => r.bearer === token && r.status === 401)).toBe(true);
  },
  120_000
);
