/**
 * The Temporal Web UI through the codec server: a real dev server started with `--ui-codec-endpoint` pointing at
 * the codec router, an account's contact registered through the service's own account client (encrypted by
 * `dataConverterFor`), and headless Chromium opening the account's workflow. With the codec endpoint the UI
 * shows the decoded `setContact` input (time zone, address); a dev server without one shows only ciphertext.
 *
 * The dev server's UI (2.54) can be given only the endpoint: no "pass access token", no "include credentials",
 * so its browser sends no Authorization header (checked below). The codec router therefore serves that one
 * origin without a token (`originsWithoutToken`, development only); see docs/payload-encryption.md.
 */
import type { Server } from 'node:http';
import express from 'express';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createCodecRouter } from '../../src/server/codec/routes.js';
import { AesGcmCodec, generateCodecKeyEntry, parseCodecKeys } from '../../src/temporal/codec.js';
import { startDevServer } from '../../src/temporal/dev-server.js';
import { BROWSER_TESTS_RUNNABLE, launchChromium } from '../helpers/browser.js';
import { freePort } from '../helpers/ports.js';
import { expectDecodedContact, openSetContact, withAccount } from '../helpers/temporal-ui.js';
import { testRefusalGuard, tokensFor } from '../helpers/access.js';

const keys = parseCodecKeys(generateCodecKeyEntry('ui-test'));
const TOKEN = 'codec-ui-test-token';
let browser: Browser;
let codecServer: Server;
let codecPort: number;
/** Headers the UI sent to the codec server, per request. */
const seen: Array<{ method: string; path: string; origin?: string; authorization: boolean }> = [];
let uiOrigin = '';

let uiPort = 0;

beforeAll(async () => {
  if (!BROWSER_TESTS_RUNNABLE) return;
  codecPort = await freePort();
  uiPort = await freePort();
  uiOrigin = `http://127.0.0.1:${uiPort}`;
  const app = express();
  app.use((req, _res, next) => {
    seen.push({
      method: req.method,
      path: req.path,
      origin: req.get('origin'),
      authorization: !!req.get('authorization'),
    });
    next();
  });
  app.use(
    createCodecRouter({
      codec: new AesGcmCodec(keys),
      tokens: tokensFor({ operator: [TOKEN] }),
      allowedOrigins: [uiOrigin],
      originsWithoutToken: [uiOrigin],
      guard: testRefusalGuard(),
    })
  );
  codecServer = await new Promise<Server>((resolve) => {
    const s = app.listen(codecPort, '127.0.0.1', () => resolve(s));
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((r) => (codecServer ? codecServer.close(() => r()) : r()));
});

it.skipIf(!BROWSER_TESTS_RUNNABLE)(
  'with --ui-codec-endpoint the UI shows the decoded contact; the browser calls the codec server (CORS, no token)',
  async () => {
    const server = await startDevServer({
      cliPath: inject('temporalCliPath'),
      host: '127.0.0.1',
      port: await freePort(),
      uiPort,
      extraArgs: ['--ui-codec-endpoint', `http://127.0.0.1:${codecPort}/codec`],
    });
    try {
      await withAccount(server, keys, async ({ id, email, ciphertext }) => {
        const page = await browser.newPage();
        await openSetContact(page, server, id);
        await expectDecodedContact(page, email, ciphertext);
        await page.screenshot({ path: '.data/codec-ui-decoded.png' }); // kept for a human look
        await page.close();
      });
      // The browser itself called the codec server: a CORS preflight, then POST /codec/decode from the UI origin.
      expect(seen.some((r) => r.method === 'OPTIONS' && r.path === '/codec/decode' && r.origin === uiOrigin)).toBe(
        true
      );
      const posts = seen.filter((r) => r.method === 'POST' && r.path === '/codec/decode');
      expect(posts.length).toBeGreaterThan(0);
      expect(posts.every((r) => r.origin === uiOrigin)).toBe(true);
      // What the dev server's UI can do: it sends no Authorization header (hence originsWithoutToken in development).
      expect(posts.some((r) => r.authorization)).toBe(false);
    } finally {
      await server.stop();
    }
  },
  120_000
);

it.skipIf(!BROWSER_TESTS_RUNNABLE)(
  'without a codec endpoint the UI shows only ciphertext: no address, no time zone',
  async () => {
    const server = await startDevServer({
      cliPath: inject('temporalCliPath'),
      host: '127.0.0.1',
      port: await freePort(),
      uiPort: await freePort(),
    });
    const before = seen.length;
    try {
      await withAccount(server, keys, async ({ id, email, ciphertext }) => {
        const page = await browser.newPage();
        await openSetContact(page, server, id);
        await expect.poll(() => page.locator('body').innerText(), { timeout: 20_000 }).toContain(ciphertext);
        const text = await page.locator('body').innerText();
        expect(text).not.toContain(email);
        expect(text).not.toContain('Africa/Lagos');
        await page.screenshot({ path: '.data/codec-ui-ciphertext.png' });
        await page.close();
      });
      expect(seen.length).toBe(before); // nobody asked the codec server
    } finally {
      await server.stop();
    }
  },
  120_000
);
