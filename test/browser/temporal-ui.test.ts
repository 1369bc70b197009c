/**
 * The Temporal Web UI as the operator's window: a real dev server with its UI, an account put into
 * reauth_required through the webhook, and headless Chromium (Debian's, driven by playwright-core) applying
 * the README's filter `MonoAccountState="reauth_required"` and finding the account.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server.js';
import { workflowIdFor } from '../../src/workflows/account-lifecycle/api/messages.js';
import { BROWSER_TESTS_RUNNABLE, launchChromium } from '../helpers/browser.js';
import { freePort } from '../helpers/ports.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

let server: DevServer;
let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  if (!BROWSER_TESTS_RUNNABLE) return;
  const port = await freePort();
  server = await startDevServer({
    cliPath: inject('temporalCliPath'),
    host: '127.0.0.1',
    port,
    uiPort: await freePort(),
  });
  stack = await startStack({ address: server.address });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await server?.stop();
});

it.skipIf(!BROWSER_TESTS_RUNNABLE)(
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
