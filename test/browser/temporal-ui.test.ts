/**
 * The Temporal Web UI as the operator's window: a real dev server with its UI, an account put into
 * reauth_required through the webhook, and headless Chromium (Debian's, driven by playwright-core) applying
 * the README's filter `MonoAccountState="reauth_required"` and finding the account.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server.js';
import { workflowIdFor } from '../../src/workflows/account-lifecycle/messages.js';
import { freePort } from '../helpers/ports.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

const CHROMIUM = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
].find((p): p is string => !!p && existsSync(p));
// Playwright gives Chromium a fresh profile. CI installs Chromium (.ci/run) and must run this; a developer machine without it is told how to get it.
const runnable = CHROMIUM !== undefined || process.env.CI === 'true';
if (!runnable)
  console.warn('Temporal UI browser test not run: install Chromium (apt-get install chromium) or set CHROMIUM_PATH');

let server: DevServer;
let stack: Stack;
let browser: Browser;
let profile: string;

beforeAll(async () => {
  if (!runnable) return;
  if (!CHROMIUM) throw new Error('Chromium not found: install it (apt-get install chromium) or set CHROMIUM_PATH');
  const port = await freePort();
  server = await startDevServer({
    cliPath: inject('temporalCliPath'),
    host: '127.0.0.1',
    port,
    uiPort: await freePort(),
  });
  stack = await startStack({ address: server.address });
  profile = mkdtempSync(join(tmpdir(), 'mono-reauth-chromium-'));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await server?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

it.skipIf(!runnable)(
  'the UI filter MonoAccountState="reauth_required" finds the account',
  async () => {
    const needsReauth = newAccountId();
    const fine = newAccountId();
    await stack.post(webhookBody(needsReauth, { kind: 'reauthorisation_required' }));
    await stack.post(webhookBody(fine, { kind: 'account_synced' }));

    const page = await browser.newPage();
    const query = encodeURIComponent('MonoAccountState="reauth_required"');
    const url = `${server.uiUrl!}/namespaces/default/workflows?query=${query}`;
    // Visibility is eventually consistent: reload until the list shows the account.
    let found = false;
    for (let attempt = 0; attempt < 20 && !found; attempt++) {
      await page.goto(url, { waitUntil: 'domcontentloaded' });
      found = await page
        .getByText(workflowIdFor(needsReauth))
        .first()
        .waitFor({ timeout: 3_000 })
        .then(() => true)
        .catch(() => false);
    }
    expect(found).toBe(true);
    expect(await page.getByText(workflowIdFor(fine)).count()).toBe(0);
    await page.screenshot({ path: '.data/temporal-ui-test.png' }); // kept for a human look
  },
  120_000
);
